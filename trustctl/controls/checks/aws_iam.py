"""AWS IAM checks: root account, MFA, credential lifecycle, password policy, least privilege."""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustctl.controls.registry import Context, Statement, Verdicts, check, verdicts


def _days_since(moments: pd.Series, ctx: Context) -> pd.Series:
    return (pd.Timestamp(ctx.as_of) - pd.to_datetime(moments, utc=True)).dt.days


@check(
    "aws.iam.root_mfa",
    resource="aws.iam.root",
    control="AC-01",
    severity="critical",
    title="Root user has MFA",
    fix="Sign in as the root user and assign an MFA device (hardware key preferred) in Security credentials.",
    statement=Statement("access", "cloud accounts", "protect their root user with MFA"),
)
def root_mfa(root: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        root,
        root.mfa_enabled.astype(bool),
        passed="the root user of account {account} has MFA enabled",
        failed="the root user of account {account} has no MFA device",
    )


@check(
    "aws.iam.root_access_keys",
    resource="aws.iam.root",
    control="AC-01",
    severity="critical",
    title="Root user has no access keys",
    fix="Delete the root user's access keys; use IAM roles for programmatic access.",
    statement=Statement("access", "cloud accounts", "have no root access keys"),
)
def root_access_keys(root: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        root,
        ~root.access_keys_present.astype(bool),
        passed="the root user of account {account} has no access keys",
        failed="the root user of account {account} has active access keys",
    )


def _unknown_user(row: Any) -> str:
    return (
        f"{row.resource} is not in the IAM credential report (created after it was generated?); collect again"
    )


@check(
    "aws.iam.user_console_mfa",
    resource="aws.iam.user",
    control="AC-02",
    severity="high",
    title="Console users have MFA",
    fix="Require MFA for the user (or move people to IAM Identity Center with MFA) and remove "
    "passwords that are not needed.",
    statement=Statement("access", "console users", "sign in with MFA"),
)
def user_console_mfa(users: pd.DataFrame, ctx: Context) -> Verdicts:
    console = users[~users.in_report.astype(bool) | users.password_enabled.eq(True)]
    ok = console.mfa_active.where(console.in_report.astype(bool))
    return verdicts(
        console,
        ok,
        passed="{resource} signs in to the console with MFA",
        failed="{resource} has a console password and no MFA device",
        unknown=_unknown_user,
    )


def _active_key_ages(users: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    ages = pd.DataFrame(index=users.index)
    for n in (1, 2):
        active = users[f"key_{n}_active"].eq(True)
        ages[n] = _days_since(users[f"key_{n}_last_rotated"], ctx).where(active)
    return ages


@check(
    "aws.iam.access_key_age",
    resource="aws.iam.user",
    control="AC-03",
    severity="medium",
    title="Access keys are rotated",
    fix="Create a new access key, move its users to it, then deactivate and delete the old one "
    "(better: replace long-lived keys with roles).",
    statement=Statement("access", "access keys", "are rotated within policy"),
)
def access_key_age(users: pd.DataFrame, ctx: Context) -> Verdicts:
    limit = ctx.policy.max_access_key_age_days
    ages = _active_key_ages(users, ctx)
    with_keys = users.assign(oldest=ages.max(axis=1))[ages.notna().any(axis=1)]
    return verdicts(
        with_keys,
        with_keys.oldest <= limit,
        passed=lambda r: f"{r.resource} has active access keys at most {int(r.oldest)} days old",
        failed=lambda r: (
            f"{r.resource} has an active access key last rotated {int(r.oldest)} days ago "
            f"(policy: at most {limit})"
        ),
    )


def _stale_credentials(row: Any, ctx: Context, limit: int) -> list[str]:
    as_of = pd.Timestamp(ctx.as_of)
    stale = []
    if bool(row.password_enabled):
        since = row.password_last_used if pd.notna(row.password_last_used) else row.created
        days = (as_of - since).days
        if days > limit:
            used = "last used" if pd.notna(row.password_last_used) else "never used, created"
            stale.append(f"console password {used} {days} days ago")
    for n in (1, 2):
        if bool(getattr(row, f"key_{n}_active")):
            last_used = getattr(row, f"key_{n}_last_used")
            since = last_used if pd.notna(last_used) else getattr(row, f"key_{n}_last_rotated")
            days = (as_of - since).days if pd.notna(since) else None
            if days is not None and days > limit:
                used = "last used" if pd.notna(last_used) else "never used, created"
                stale.append(f"access key {n} {used} {days} days ago")
    return stale


@check(
    "aws.iam.unused_credentials",
    resource="aws.iam.user",
    control="AC-03",
    severity="medium",
    title="Unused credentials are removed",
    fix="Remove the console password or deactivate the access key that has not been used within "
    "policy.max_unused_credential_days.",
)
def unused_credentials(users: pd.DataFrame, ctx: Context) -> Verdicts:
    limit = ctx.policy.max_unused_credential_days
    in_report = users[users.in_report.astype(bool)]
    has_credential = (
        in_report.password_enabled.eq(True)
        | in_report.key_1_active.eq(True)
        | in_report.key_2_active.eq(True)
    )
    holders = in_report[has_credential]
    stale = pd.Series(
        [_stale_credentials(r, ctx, limit) for r in holders.itertuples()], index=holders.index, dtype=object
    )
    holders = holders.assign(stale=stale)
    return verdicts(
        holders,
        holders.stale.map(len) == 0,
        passed=f"{{resource}} has used every credential it holds within {limit} days",
        failed=lambda r: f"{r.resource}: {'; '.join(r.stale)} (policy: at most {limit} days unused)",
    )


@check(
    "aws.iam.password_policy",
    resource="aws.iam.password_policy",
    control="AC-04",
    severity="medium",
    title="Password policy requires strong passwords",
    fix="Set an account password policy with MinimumPasswordLength of at least policy.min_password_length.",
)
def password_policy(accounts: pd.DataFrame, ctx: Context) -> Verdicts:
    minimum = ctx.policy.min_password_length

    def failed(r: Any) -> str:
        if not r.present:
            return f"account {r.account} has no password policy (IAM defaults allow 8-character passwords)"
        return f"account {r.account} requires {r.minimum_length}-character passwords (policy: at least {minimum})"

    return verdicts(
        accounts,
        accounts.present.astype(bool) & (accounts.minimum_length >= minimum),
        passed="account {account} requires passwords of at least {minimum_length} characters",
        failed=failed,
    )


@check(
    "aws.iam.wildcard_policy",
    resource="aws.iam.policy",
    control="IAM-01",
    severity="high",
    title="No wildcard grants on every resource",
    fix="Replace `*` and `service:*` actions on Resource `*` with the actions and resources the principal "
    "needs (IAM Access Analyzer can generate a policy from activity).",
    statement=Statement("access", "permission policies", "avoid unrestricted wildcards"),
)
def wildcard_policy(policies: pd.DataFrame, ctx: Context) -> Verdicts:
    broad = policies.wildcards.map(len) > 0
    attached = policies.attachments > 0

    def passed(r: Any) -> str:
        if r.wildcards:
            return (
                f"{r.resource} allows {', '.join(r.wildcards)} on every resource but is attached to nothing"
            )
        return f"{r.resource} grants no wildcard actions on every resource"

    return verdicts(
        policies,
        ~(broad & attached),
        passed=passed,
        failed=lambda r: f"{r.resource} allows {', '.join(r.wildcards)} on every resource",
    )


@check(
    "aws.iam.admin_access",
    resource="aws.iam.principal",
    control="IAM-01",
    severity="high",
    title="Administrator access is exceptional",
    fix="Remove AdministratorAccess and `*:*` grants; keep at most a break-glass role and waive it "
    "with an owner and expiry.",
    statement=Statement("access", "identities", "hold no unrestricted administrator access"),
)
def admin_access(principals: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        principals,
        principals.admin_via.map(len) == 0,
        passed="{resource} holds no administrator access",
        failed=lambda r: f"{r.resource} holds full administrator access: {'; '.join(r.admin_via)}",
    )


@check(
    "aws.iam.user_direct_policies",
    resource="aws.iam.user",
    control="IAM-02",
    severity="low",
    title="Users get permissions through groups or roles",
    fix="Move the user's policies to a group that describes the job, add the user to it, and detach "
    "them from the user.",
)
def user_direct_policies(users: pd.DataFrame, ctx: Context) -> Verdicts:
    def failed(r: Any) -> str:
        names = [a.rsplit("/", 1)[-1] for a in r.attached_policies] + [
            f"inline {n}" for n in r.inline_policies
        ]
        return f"{r.resource} has policies attached directly: {', '.join(names)}"

    direct = (users.attached_policies.map(len) + users.inline_policies.map(len)) > 0
    return verdicts(
        users, ~direct, passed="{resource} receives permissions only through groups or roles", failed=failed
    )
