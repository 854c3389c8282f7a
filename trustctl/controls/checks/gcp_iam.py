"""GCP IAM checks over Cloud Asset Inventory facts: basic roles, public members, service accounts
and their keys, each mapped to the common control of its AWS twin."""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustctl.controls.registry import Context, Statement, Verdicts, check, verdicts

PRIMITIVE = frozenset({"roles/owner", "roles/editor"})
HUMAN_PREFIXES = ("user:", "group:", "domain:")
PUBLIC = frozenset({"allUsers", "allAuthenticatedUsers"})


def _grants(bindings: Any, roles: Any, prefixes: tuple[str, ...] = ()) -> list[str]:
    """`role to member` for each binding of a role in `roles` (a predicate) to a matching member."""
    return [
        f"{b['role']} to {m}"
        for b in bindings or []
        if roles(b["role"])
        for m in b["members"]
        if not prefixes or m.startswith(prefixes)
    ]


def _findings(facts: pd.DataFrame, values: list[Any]) -> pd.DataFrame:
    return facts.assign(findings=pd.Series(values, index=facts.index, dtype=object))


@check(
    "gcp.iam.primitive_roles",
    resource="gcp.iam.policy",
    control="IAM-01",
    severity="high",
    title="No person or group holds the basic Owner or Editor role",
    fix="Replace roles/owner and roles/editor bindings of users, groups and domains with predefined roles "
    "scoped to the job; keep Owner for a break-glass account.",
    statement=Statement("access", "GCP resources", "grant no basic Owner/Editor roles to people"),
)
def primitive_roles(policies: pd.DataFrame, ctx: Context) -> Verdicts:
    rows = _findings(
        policies, [_grants(b, PRIMITIVE.__contains__, HUMAN_PREFIXES) for b in policies.bindings]
    )
    return verdicts(
        rows,
        rows.findings.map(len) == 0,
        passed="{resource} grants no basic role (Owner, Editor) to users, groups or domains",
        failed=lambda r: f"{r.resource} grants basic roles: {', '.join(r.findings)}",
    )


@check(
    "gcp.iam.public_members",
    resource="gcp.iam.policy",
    control="NET-01",
    severity="critical",
    title="No IAM policy grants access to allUsers or allAuthenticatedUsers",
    fix="Remove allUsers and allAuthenticatedUsers from the policy; share through signed URLs or named "
    "principals instead.",
)
def public_members(policies: pd.DataFrame, ctx: Context) -> Verdicts:
    rows = _findings(
        policies,
        [
            [g for g in _grants(b, lambda _: True) if g.rsplit(" to ", 1)[1] in PUBLIC]
            for b in policies.bindings
        ],
    )
    return verdicts(
        rows,
        rows.findings.map(len) == 0,
        passed="{resource} grants nothing to allUsers or allAuthenticatedUsers",
        failed=lambda r: f"{r.resource} is public: it grants {', '.join(r.findings)}",
    )


@check(
    "gcp.iam.sa_key_age",
    resource="gcp.iam.service_account_key",
    control="AC-03",
    severity="medium",
    title="User-managed service account keys are rotated within the policy age",
    fix="Create a new key, move its users to it and delete the old one; better, replace keys with "
    "workload identity federation or attached service accounts.",
)
def sa_key_age(keys: pd.DataFrame, ctx: Context) -> Verdicts:
    limit = ctx.policy.max_access_key_age_days
    user = keys[keys.key_type.eq("USER_MANAGED") & ~keys.disabled.astype(bool)]
    age = (pd.Timestamp(ctx.as_of) - pd.to_datetime(user.valid_after, utc=True)).dt.days
    rows = user.assign(age=age)
    ok = (rows.age <= limit).astype(object).where(rows.age.notna(), None)
    return verdicts(
        rows,
        ok,
        passed=lambda r: (
            f"{r.resource} (of {r.service_account}) was created {int(r.age)} days ago "
            f"(policy: at most {limit})"
        ),
        failed=lambda r: (
            f"{r.resource} (of {r.service_account}) was created {int(r.age)} days ago "
            f"(policy: at most {limit})"
        ),
        unknown="{resource}: the key has no validAfterTime, so its age is unknown",
    )


def _admin_role(role: str) -> bool:
    return role in PRIMITIVE or (role.startswith("roles/") and role.lower().endswith("admin"))


@check(
    "gcp.iam.sa_admin_roles",
    resource="gcp.iam.service_account",
    control="IAM-01",
    severity="high",
    title="Service accounts hold no Owner, Editor or admin roles",
    fix="Grant the service account the predefined roles its workload needs instead of Owner, Editor or "
    "*Admin roles (the IAM recommender lists the permissions it used).",
)
def sa_admin_roles(accounts: pd.DataFrame, ctx: Context) -> Verdicts:
    rows = _findings(
        accounts,
        [
            [f"{h['role']} on {h['resource']}" for h in held or [] if _admin_role(h["role"])]
            for held in accounts.roles
        ],
    )
    return verdicts(
        rows,
        rows.findings.map(len) == 0,
        passed="{resource} ({email}) holds no Owner, Editor or admin role",
        failed=lambda r: f"{r.resource} ({r.email}) holds administrative roles: {'; '.join(r.findings)}",
    )
