"""Access grants and removals: run-to-run differences of the access standing in the merged evidence (IAM
users, roles, their policies and groups, IAM Identity Center assignments, SCIM and IdP accounts, GCP IAM
bindings). The evidence standing before the period (or at its first run) is the baseline, not a grant; a
scope that could not be read in a run is held as it was, never "removed"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from trustctl.facts.base import present
from trustctl.facts.identity import ACCOUNT
from trustctl.packet.period import RunPoint
from trustctl.packet.population_rows import (
    Population,
    PopulationRow,
    Snapshot,
    first_evidence,
    make_population,
    row_id,
)

ACCESS_SYSTEMS = ("idp:", "scim:")  # IAM users and GCP members are read from their own tables


@dataclass(frozen=True)
class Access:
    """One piece of access standing in the evidence."""

    scope: tuple[str, str]  # (system, account): held as it was when this scope could not be read
    subject: str
    what: str
    detail: str
    evidence: str


def _access(snap: Snapshot) -> tuple[dict[tuple[str, ...], Access], set[tuple[str, str]]]:
    """The access standing after one run, and the scopes that could not be read in it."""
    found: dict[tuple[str, ...], Access] = {}
    unknown: set[tuple[str, str]] = set()
    users = snap.table("aws.iam.user")
    unknown |= {("aws", account) for _, account, _ in users.errors}
    for u in users.frame.itertuples(index=False):
        scope, digest = ("aws", str(u.account)), first_evidence(u.evidence)
        where = f"AWS account {u.account}"
        found[("aws-user", str(u.resource))] = Access(scope, str(u.name), "IAM user", where, digest)
        for policy in present(u.attached_policies) or []:
            what = f"managed policy {str(policy).rsplit('/', 1)[-1]} attached"
            found[("aws-user-policy", str(u.resource), str(policy))] = Access(
                scope, str(u.name), what, f"{where}; {policy}", digest
            )
        for policy in present(u.inline_policies) or []:
            found[("aws-user-inline", str(u.resource), str(policy))] = Access(
                scope, str(u.name), f"inline policy {policy}", where, digest
            )
        for group in present(u.groups) or []:
            found[("aws-user-group", str(u.resource), str(group))] = Access(
                scope, str(u.name), f"member of group {group}", where, digest
            )
    principals = snap.table("aws.iam.principal")
    unknown |= {("aws", account) for _, account, _ in principals.errors}
    for p in principals.frame.itertuples(index=False):
        scope, digest = ("aws", str(p.account)), first_evidence(p.evidence)
        where = f"AWS account {p.account}"
        if p.kind == "role":
            found[("aws-role", str(p.resource))] = Access(scope, str(p.name), "IAM role", where, digest)
        for via in present(p.admin_via) or []:
            found[("aws-admin", str(p.resource), str(via))] = Access(
                scope, str(p.name), f"administrator access ({p.kind}) via {via}", where, digest
            )
    _sso_assignments(snap, found, unknown)
    accounts = snap.table(ACCOUNT)
    unknown |= {("identity", system) for _, system, _ in accounts.errors}
    for a in accounts.frame.itertuples(index=False):
        if not str(a.system).startswith(ACCESS_SYSTEMS) or not bool(a.active):
            continue
        found[("account", str(a.system), str(a.account_name))] = Access(
            ("identity", str(a.system)),
            str(a.account_name),
            f"account in {a.system}",
            str(a.email or ""),
            first_evidence(a.evidence),
        )
    policies = snap.table("gcp.iam.policy")
    unknown |= {("gcp", account) for _, account, _ in policies.errors}
    for g in policies.frame.itertuples(index=False):
        for binding in present(g.bindings) or []:
            for member in binding.get("members") or []:
                found[("gcp", str(g.resource), str(binding["role"]), str(member))] = Access(
                    ("gcp", str(g.account)),
                    str(member),
                    f"{binding['role']}",
                    str(g.resource),
                    first_evidence(g.evidence),
                )
    return found, unknown


def _listings(found: Mapping[tuple[str, ...], Access]) -> dict[tuple[str, str], str]:
    """The evidence object listing each scope in this run (a removal is shown by the one that no longer
    names it)."""
    return {item.scope: item.evidence for item in found.values() if item.evidence}


def _sso_assignments(
    snap: Snapshot, found: dict[tuple[str, ...], Access], unknown: set[tuple[str, str]]
) -> None:
    """IAM Identity Center account assignments per principal (the identity tables keep only counts)."""
    ev = snap.evidence
    names = {
        str(user.get("UserId")): str(user.get("UserName"))
        for _, data in ev.responses("aws", "identitystore", "ListUsers")
        for user in data.get("Users", [])
    }
    for record in ev.failures_of("aws", "sso-admin", "ListAccountAssignmentsForPrincipal"):
        unknown.add(("aws-sso", str(record.call.parameters.get("PrincipalId"))))
    for record, data in ev.responses("aws", "sso-admin", "ListAccountAssignmentsForPrincipal"):
        for a in data.get("AccountAssignments", []):
            principal = str(a.get("PrincipalId"))
            permission_set = str(a.get("PermissionSetArn", "")).rsplit("/", 1)[-1]
            found[("aws-sso", principal, str(a.get("AccountId")), str(a.get("PermissionSetArn")))] = Access(
                ("aws-sso", principal),
                names.get(principal, principal),
                f"Identity Center assignment: permission set {permission_set}",
                f"AWS account {a.get('AccountId')}",
                str(record.object),
            )


ACCESS_TABLES = ("aws.iam.user", "aws.iam.principal", ACCOUNT, "gcp.iam.policy")


def access_changes(baseline: Snapshot | None, snapshots: list[Snapshot]) -> tuple[Population, Population]:
    grants: list[PopulationRow] = []
    removals: list[PopulationRow] = []
    collected = any(s.collected(t) for s in snapshots for t in ACCESS_TABLES)
    first, rest = (baseline, snapshots) if baseline is not None else (snapshots[0], snapshots[1:])
    previous, _ = _access(first)
    # A system first read in a later run (GCP or identity collected after AWS) starts with its baseline
    # too: what it holds when first seen was not granted then.
    seen = {item.scope for item in previous.values()}
    for snap in rest:
        current, unknown = _access(snap)
        run = snap.point
        for key, item in current.items():
            if key not in previous and item.scope in seen:
                grants.append(_access_row("access_grants", key, item, "granted", run))
        seen |= {item.scope for item in current.values()}
        listing = _listings(current)
        for key, item in previous.items():
            if key in current:
                continue
            if item.scope in unknown:
                current[key] = item  # not read in this run: still standing as far as the evidence shows
            else:
                # Shown by this run's listing of the scope; with nothing left in it, by the last that named it.
                gone = replace(item, evidence=listing.get(item.scope, item.evidence))
                removals.append(_access_row("access_removals", key, gone, "removed", run))
        previous = current
    base = baseline.point if baseline is not None else snapshots[0].point
    note = (
        f"differences between consecutive runs; the access standing after run {base.run_id} "
        f"({base.at.date()}), and in each system when it is first read, is the baseline, not a grant"
    )
    source = (
        "run-to-run differences of IAM users, roles, policies and groups, IAM Identity Center assignments, "
        "SCIM and IdP accounts, GCP IAM bindings"
    )
    return (
        make_population(
            "access_grants", source, collected, grants, note + "; `when` is the first run where present"
        ),
        make_population(
            "access_removals", source, collected, removals, note + "; `when` is the first run where gone"
        ),
    )


def _access_row(
    population: str, key: tuple[str, ...], item: Access, verb: str, run: RunPoint
) -> PopulationRow:
    return PopulationRow(
        row_id(population, *key, run.run_id),
        run.at,
        "observed",
        item.subject,
        f"{item.what} {verb}",
        item.detail,
        run.run_id,
        item.evidence,
    )
