"""Identity checks: leavers deprovisioned everywhere within the SLA, MFA for everyone, sign-in through
SSO, and no accounts nobody on the roster owns. Resources are `SYSTEM:ACCOUNT`."""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustctl.controls.registry import Context, Statement, Verdicts, check, judge_rows, verdicts
from trustctl.facts.base import present


def _when(value: Any) -> str:
    return str(value).replace("T", " ").replace("Z", " UTC") if isinstance(value, str) else "an unknown time"


def _leaver_verdict(row: Any, sla: int) -> tuple[bool, str]:
    who = f"{row.resource}: {row.person_name or row.person} left at {_when(row.terminated_at)}"
    if row.active:
        detail = f" ({row.detail})" if row.detail else ""
        return False, f"{who} and the account is still active{detail}"
    if row.delay_hours is None or pd.isna(row.delay_hours):
        return True, f"{who}; the account is deactivated, but the source does not say when"
    delay = float(row.delay_hours)
    if delay <= 0:
        return True, f"{who}; deactivated {_when(row.deactivated_at)}, before the termination time"
    text = (
        f"deactivated {_when(row.deactivated_at)} ({row.deactivated_source}), {delay:g} h after termination"
    )
    if delay <= sla:
        return True, f"{who}; {text} (SLA: {sla} h)"
    return False, f"{who}; {text}, {delay - sla:g} h over the {sla} h SLA"


@check(
    "identity.leaver_access_removed",
    resource="identity.leaver_access",
    control="HR-03",
    severity="high",
    title="Leavers' accounts are deactivated in every system within the deprovisioning SLA",
    fix="Deactivate the account now; then automate removal (SCIM deprovisioning from the IdP, IAM "
    "Identity Center instead of IAM users) so leavers lose access within policy.deprovision_sla_hours.",
    statement=Statement("people", "leaver accounts", "were removed within our deprovisioning SLA"),
)
def leaver_access_removed(rows: pd.DataFrame, ctx: Context) -> Verdicts:
    sla = ctx.policy.deprovision_sla_hours
    return judge_rows(
        rows,
        lambda row: _leaver_verdict(row, sla),
        "no account of a person who has left was found in this system",
    )


@check(
    "identity.mfa_enrolled",
    resource="identity.mfa",
    control="AC-02",
    severity="high",
    title="Every active person has MFA (2-step verification) enrolled in the identity provider",
    fix="Have the person enrol a second factor (a security key or an authenticator app), then enforce "
    "MFA in the IdP's sign-on policy so no one can skip it.",
    statement=Statement("access", "staff members", "have multi-factor authentication enrolled"),
)
def mfa_enrolled(rows: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        rows,
        rows.mfa_enrolled.astype(object),
        passed="{resource}: MFA enrolled",
        failed=lambda r: (
            f"{r.resource}: MFA is not enrolled"
            if r.in_idp
            else f"{r.resource}: {r.person} is active on the roster but has no account in the IdP, "
            "so nothing enforces MFA for them"
        ),
        unknown="{resource}: the IdP export does not say whether MFA is enrolled (map its mfa_enrolled column)",
    )


def _sso_reason(row: Any, ok: bool | None) -> str:
    if row.path == "iam_password":
        where = "a person in the IdP" if row.in_idp else "a person on the roster (not in the IdP)"
        return (
            f"{row.resource}: IAM user of {row.person} ({where}) signs in to the AWS console with a password, "
            "not through SSO"
        )
    if row.path == "gcp_user":
        if ok:
            return f"{row.resource}: Google account managed by the IdP ({row.detail})"
        kind = "a company address not managed by the IdP" if row.company else "a personal or outside account"
        return f"{row.resource}: {kind} holds GCP roles ({row.detail}); its sign-in bypasses SSO"
    if ok is None:
        return (
            f"{row.resource}: whether the app enforces SSO is not known; set sso_enforced in its "
            "[[identity.scim]] entry (after checking the app's SSO settings)"
        )
    if ok:
        return f"{row.resource}: SSO enforced (declared in trustctl.toml; SCIM cannot observe it)"
    return f"{row.resource}: the app allows sign-in without SSO (declared in trustctl.toml)"


@check(
    "identity.sso_enforced",
    resource="identity.sso",
    control="AC-02",
    severity="high",
    title="People reach AWS, GCP and SaaS apps through single sign-on, not local passwords",
    fix="Remove the IAM user's console password and give the person access through IAM Identity Center; "
    "grant GCP roles to IdP-managed identities or groups; enforce SAML/OIDC sign-in in each app.",
    statement=Statement("access", "sign-in paths", "go through single sign-on"),
)
def sso_enforced(rows: pd.DataFrame, ctx: Context) -> Verdicts:
    return judge_rows(rows, lambda row: (present(row.sso), _sso_reason(row, present(row.sso))))


@check(
    "identity.orphan_accounts",
    resource="identity.account",
    control="HR-03",
    severity="medium",
    title="Every active account belongs to a person on the HR roster",
    fix="Find the account's owner: add them to the roster, map the address with [identity] "
    "domain_aliases, or deactivate the account.",
    statement=Statement("people", "active accounts", "belong to a current staff member"),
)
def orphan_accounts(accounts: pd.DataFrame, ctx: Context) -> Verdicts:
    active = accounts[accounts.active.astype(bool)]
    return verdicts(
        active,
        active.person.notna(),
        passed=lambda r: f"{r.resource}: belongs to {r.person}",
        failed=lambda r: (
            f"{r.resource}: active, and no one on the HR roster matches "
            f"{r.email or r.account_name}{f' ({r.detail})' if r.detail else ''}"
        ),
    )
