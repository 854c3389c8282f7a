"""Populations: for every control that operates on events, the events of the observation period, one row
each, the way an audit firm asks for them before it draws its samples.

Each row has a stable id (the population id and a hash of what the row is: the same evidence gives the same
ids every time), when it happened (or, where the evidence holds no time, the run in which it was first
observed), its subject, the event, a detail, the run and the SHA-256 of the evidence object that shows it.

Sources, read from the fact tables (trustctl.facts) of the period's merged evidence, never from a system
trustctl does not collect:

- new_hires, leavers: the HR roster's started_at / terminated_at inside the period.
- access_grants, access_removals: run-to-run differences of IAM users, roles, their policies and groups,
  Identity Center account assignments, SCIM and IdP accounts and GCP IAM bindings. The evidence standing
  before the period (or at its first run, when there is none before it) is the baseline: what it holds is
  not a grant. An account whose system could not be read in a run is held as it was, never "removed".
- changes, access_reviews, incidents: change-, access-review- and incident-record documents approved in
  the period (trustctl has no collector for a change, ticket or incident system).
- backups: EBS and RDS snapshots and AWS Backup recovery points created in the period.
- restore_tests: AWS Backup restore jobs completed in the period, and restore-test-record documents.
- document_approvals: every document approved in the period.

A population whose source was never collected says so (`collected` False): that is not "0 rows".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any

import pandas as pd

from trustctl.evidence.documents import ADD, Document, documents_in
from trustctl.evidence.locker import Locker
from trustctl.facts.base import Evidence, FactTable, normalize, present
from trustctl.facts.identity import ACCOUNT, PROVIDER, derive_identity, people
from trustctl.facts.load import NORMALIZERS
from trustctl.packet.period import Period, RunPoint, merged

# id -> (title, controls of trustctl/controls/catalog.yaml the population is tested for)
POPULATIONS: dict[str, tuple[str, list[str]]] = {
    "new_hires": ("New hires", ["HR-03", "HR-01", "HR-02"]),
    "leavers": ("Leavers", ["HR-03"]),
    "access_grants": ("Access grants", ["HR-03", "IAM-01", "IAM-02"]),
    "access_removals": ("Access removals", ["HR-03", "IAM-01"]),
    "changes": ("Changes", ["CHG-01"]),
    "access_reviews": ("Access reviews", ["AC-05"]),
    "incidents": ("Incidents", ["INC-01"]),
    "backups": ("Backups", ["BCK-01"]),
    "restore_tests": ("Restore tests", ["BCK-03"]),
    "document_approvals": ("Document approvals", ["GOV-01"]),
}
DOCUMENT_KINDS = {
    "changes": "change-record",
    "access_reviews": "access-review-record",
    "incidents": "incident-record",
    "restore_tests": "restore-test-record",
}
TABLES = frozenset(
    {
        "aws.iam.user",
        "aws.iam.principal",
        "gcp.iam.policy",
        "aws.ebs.snapshot",
        "aws.rds.db_snapshot",
        "aws.backup.protected_resource",
        "aws.backup.restore_testing",
    }
)
ACCESS_SYSTEMS = ("idp:", "scim:")  # IAM users and GCP members are read from their own tables
ID_HEX = 10
PRECISION = ("time", "date", "observed")  # `at` is the event's time, its date, or the run that first saw it


@dataclass(frozen=True)
class PopulationRow:
    id: str
    at: datetime
    precision: str  # one of PRECISION
    subject: str
    event: str
    detail: str
    run_id: str
    evidence: str  # sha256:HEX of the evidence object that shows it

    @property
    def day(self) -> date:
        return self.at.date()

    @property
    def hex(self) -> str:
        return self.evidence.removeprefix("sha256:")

    @property
    def when(self) -> str:
        if self.precision == "date":
            return self.at.date().isoformat()
        text = self.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"{text} (first observed)" if self.precision == "observed" else text


@dataclass(frozen=True)
class Population:
    id: str
    title: str
    controls: list[str]
    source: str
    collected: bool  # False: its source was never collected (not the same as 0 rows)
    rows: list[PopulationRow] = field(default_factory=list)
    note: str = ""

    @property
    def csv_path(self) -> str:
        return f"populations/{self.id}.csv"

    def row(self, row_id: str) -> PopulationRow | None:
        return next((r for r in self.rows if r.id == row_id), None)


CSV_HEADER = ("row", "when", "subject", "event", "detail", "run", "evidence_sha256")


def csv_rows(population: Population) -> list[tuple[str, ...]]:
    """The population's CSV (header first): what populations/ID.csv holds."""
    return [
        CSV_HEADER,
        *((r.id, r.when, r.subject, r.event, r.detail, r.run_id, r.hex) for r in population.rows),
    ]


def _row_id(population: str, *key: Any) -> str:
    digest = hashlib.sha256("\x1f".join(map(str, (population, *key))).encode()).hexdigest()
    return f"{population}-{digest[:ID_HEX]}"


def _moment(value: Any) -> datetime | None:
    """A fact's time (ISO text or pandas Timestamp) as an aware UTC datetime; None where absent."""
    value = present(value)
    if value is None or value is pd.NaT:
        return None
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return None
    stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    moment: datetime = stamp.to_pydatetime()
    return moment


def _first(evidence: Any) -> str:
    """The first evidence object of a fact row (its listing response)."""
    found = present(evidence)
    return str(found[0]) if found is not None and len(found) else ""


@dataclass
class Snapshot:
    """The merged evidence after one run: the fact tables the populations read, and the evidence itself."""

    point: RunPoint
    evidence: Evidence
    tables: dict[str, FactTable]

    def table(self, name: str) -> FactTable:
        return self.tables.get(name) or FactTable(name, pd.DataFrame())

    def collected(self, name: str) -> bool:
        t = self.tables.get(name)
        return t is not None and bool(t.scopes or t.errors or not t.frame.empty)


Facts = Callable[[RunPoint, int], Snapshot]


def snapshot_reader(locker: Locker, runs: list[RunPoint]) -> Facts:
    """Snapshot of the merged evidence after runs[i]; parsed objects are shared across runs."""
    cache: dict[str, Any] = {}
    normalizers = [n for n in NORMALIZERS if n.resource_type in TABLES]

    def read(point: RunPoint, upto: int) -> Snapshot:
        ev = Evidence(locker, merged(runs, upto), cache)
        tables = {n.resource_type: normalize(ev, n) for n in normalizers}
        tables.update(derive_identity(ev, tables))
        return Snapshot(point, ev, tables)

    return read


# --- the HR roster -------------------------------------------------------------------------------------


def _roster(snapshots: list[Snapshot], period: Period) -> tuple[Population, Population]:
    hires: dict[str, PopulationRow] = {}
    leavers: dict[str, PopulationRow] = {}
    collected = False
    for snap in snapshots:
        records = [r for r in snap.evidence.manifest.requests if _is(r, PROVIDER, "hr", "ImportRoster")]
        if not records or not records[-1].object:
            continue
        collected = True
        digest = str(records[-1].object)
        for person in people(snap.evidence):
            name = person.get("name") or person["key"]
            for column, found, population, event in (
                ("started_at", hires, "new_hires", "started"),
                ("terminated_at", leavers, "leavers", "terminated"),
            ):
                moment = _moment(person.get(column))
                if moment is None or not period.contains(moment) or person["key"] in found:
                    continue
                found[person["key"]] = PopulationRow(
                    _row_id(population, person["key"], moment.isoformat()),
                    moment,
                    "date" if moment.time() == time() else "time",
                    person["key"],
                    event,
                    f"{name}; roster status {person.get('status')}",
                    snap.point.run_id,
                    digest,
                )
    source = "HR roster ([identity] roster), as collected by the runs of the period"
    return (
        _population("new_hires", source, collected, hires.values(), "roster started_at inside the period"),
        _population("leavers", source, collected, leavers.values(), "roster terminated_at inside the period"),
    )


def _is(record: Any, provider: str, service: str, operation: str) -> bool:
    c = record.call
    return bool((c.provider, c.service, c.operation) == (provider, service, operation))


def _population(
    pid: str, source: str, collected: bool, rows: Iterable[PopulationRow], note: str = ""
) -> Population:
    title, controls = POPULATIONS[pid]
    ordered = sorted(rows, key=lambda r: (r.at, r.id))
    return Population(pid, title, controls, source, collected, ordered, note)


# --- access: run-to-run differences ------------------------------------------------------------------


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
        scope, digest = ("aws", str(u.account)), _first(u.evidence)
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
        scope, digest = ("aws", str(p.account)), _first(p.evidence)
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
            _first(a.evidence),
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
                    _first(g.evidence),
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


def _access_changes(baseline: Snapshot | None, snapshots: list[Snapshot]) -> tuple[Population, Population]:
    grants: list[PopulationRow] = []
    removals: list[PopulationRow] = []
    collected = any(s.collected(t) for s in snapshots for t in ACCESS_TABLES)
    first, rest = (baseline, snapshots) if baseline is not None else (snapshots[0], snapshots[1:])
    previous, _ = _access(first)
    for snap in rest:
        current, unknown = _access(snap)
        run = snap.point
        for key, item in current.items():
            if key not in previous:
                grants.append(_access_row("access_grants", key, item, "granted", run))
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
        f"({base.at.date()}) is the baseline, not a grant"
    )
    source = (
        "run-to-run differences of IAM users, roles, policies and groups, IAM Identity Center assignments, "
        "SCIM and IdP accounts, GCP IAM bindings"
    )
    return (
        _population(
            "access_grants", source, collected, grants, note + "; `when` is the first run where present"
        ),
        _population(
            "access_removals", source, collected, removals, note + "; `when` is the first run where gone"
        ),
    )


def _access_row(
    population: str, key: tuple[str, ...], item: Access, verb: str, run: RunPoint
) -> PopulationRow:
    return PopulationRow(
        _row_id(population, *key, run.run_id),
        run.at,
        "observed",
        item.subject,
        f"{item.what} {verb}",
        item.detail,
        run.run_id,
        item.evidence,
    )


# --- backups and restores --------------------------------------------------------------------------------


def _backups(snapshots: list[Snapshot], period: Period) -> Population:
    rows: dict[tuple[str, ...], PopulationRow] = {}
    sources: tuple[tuple[str, str, str, Callable[[Any], tuple[Any, str]]], ...] = (
        ("aws.ebs.snapshot", "started", "EBS snapshot", lambda s: (s.id, f"volume {present(s.volume_id)}")),
        (
            "aws.rds.db_snapshot",
            "created",
            "RDS snapshot",
            lambda s: (s.name, f"{s.kind} {present(s.source)}"),
        ),
        (
            "aws.backup.protected_resource",
            "newest_completed",
            "AWS Backup recovery point",
            lambda s: (present(s.newest_completed_arn), f"{present(s.resource_type)} {s.resource}"),
        ),
    )
    collected = False
    for snap in snapshots:
        for table, column, event, describe in sources:
            if not snap.collected(table):
                continue
            collected = True
            for s in snap.table(table).frame.itertuples(index=False):
                moment = _moment(getattr(s, column))
                name, detail = describe(s)
                key = (table, str(s.resource), str(name))
                if moment is None or not period.contains(moment) or key in rows:
                    continue
                rows[key] = PopulationRow(
                    _row_id("backups", *key),
                    moment,
                    "time",
                    str(name),
                    event,
                    f"{detail}; AWS account {s.account}, {s.region}",
                    snap.point.run_id,
                    _first(s.evidence),
                )
    source = "EBS snapshots, RDS snapshots and AWS Backup recovery points (aws.ebs.snapshot, "
    source += "aws.rds.db_snapshot, aws.backup.protected_resource)"
    note = (
        "each resource's newest recovery point as of each run (older ones replaced between runs are not seen)"
    )
    return _population("backups", source, collected, rows.values(), note)


def _restores(snapshots: list[Snapshot], period: Period) -> tuple[bool, list[PopulationRow]]:
    rows: dict[tuple[str, ...], PopulationRow] = {}
    collected = False
    for snap in snapshots:
        if not snap.collected("aws.backup.restore_testing"):
            continue
        collected = True
        for r in snap.table("aws.backup.restore_testing").frame.itertuples(index=False):
            done, tested = _moment(r.last_restore_completed), _moment(r.last_test_completed)
            found = []
            if done is not None:
                event = "restore job completed"
                if tested == done:
                    event += f" (restore testing plan {present(r.last_test_plan)})"
                found.append(
                    (done, str(present(r.last_restore_job)), event, str(present(r.last_restore_type)))
                )
            if tested is not None and tested != done:
                found.append(
                    (tested, str(present(r.last_test_plan)), "restore test completed", "restore testing plan")
                )
            for moment, name, event, detail in found:
                key = (str(r.resource), name, moment.isoformat())
                if period.contains(moment) and key not in rows:
                    rows[key] = PopulationRow(
                        _row_id("restore_tests", *key),
                        moment,
                        "time",
                        name,
                        event,
                        f"{detail}; AWS account {r.account}, {r.region}",
                        snap.point.run_id,
                        _first(r.evidence),
                    )
    return collected, list(rows.values())


# --- documents ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filed:
    """A document effective by the period's end, the run that added it and its metadata object."""

    document: Document
    run_id: str
    evidence: str


def filed_documents(locker: Locker, document_runs: list[RunPoint], effective: list[Document]) -> list[Filed]:
    """Each effective document with the run that added it (the last that did) and its metadata object."""
    found: dict[tuple[str, str, str], Filed] = {}
    wanted = {(d.name, d.kind, d.control): d for d in effective}
    for point in document_runs:
        objects = {
            str(r.call.parameters.get("name")): str(r.object)
            for r in point.manifest.requests
            if r.call.operation == ADD and r.object
        }
        for d in documents_in(locker, [point.manifest]):
            key = (d.name, d.kind, d.control)
            if key in wanted and d.name in objects:
                found[key] = Filed(wanted[key], point.run_id, objects[d.name])
    return list(found.values())


def _document_rows(pid: str, filed: list[Filed], period: Period, kind: str | None) -> list[PopulationRow]:
    rows = []
    for f in filed:
        d = f.document
        if (kind is not None and d.kind != kind) or not period.start <= d.approved <= period.end:
            continue
        rows.append(
            PopulationRow(
                _row_id(pid, d.name, d.kind, d.control, d.approved.isoformat()),
                datetime.combine(d.approved, time(), UTC),
                "date",
                d.name,
                f"{d.kind} approved",
                f"control {d.control}; owner {d.owner}; content {d.sha256.removeprefix('sha256:')[:12]}",
                f.run_id,
                f.evidence,
            )
        )
    return rows


def _documents(filed: list[Filed], period: Period) -> list[Population]:
    out = []
    for pid in ("changes", "access_reviews", "incidents"):
        kind = DOCUMENT_KINDS[pid]
        collected = any(f.document.kind == kind for f in filed)
        source = f"{kind} documents (trustctl docs add)"
        if pid == "changes":
            source += (
                "; trustctl has no change-management collector: changes are not read from a change system"
            )
        if pid == "incidents":
            source += "; trustctl has no incident-system collector"
        note = "" if collected else f"no {kind} document is filed: the population is not evidenced"
        out.append(_population(pid, source, collected, _document_rows(pid, filed, period, kind), note))
    approvals = _document_rows("document_approvals", filed, period, None)
    controls = sorted({f.document.control for f in filed if f.document.approved >= period.start})
    title, default = POPULATIONS["document_approvals"]
    out.append(
        Population(
            "document_approvals",
            title,
            controls or default,
            "every document filed with trustctl docs add, by approval date",
            bool(filed),
            sorted(approvals, key=lambda r: (r.at, r.id)),
            "" if filed else "no document is filed",
        )
    )
    return out


# --- all of them ------------------------------------------------------------------------------------------


def build_populations(
    period: Period,
    runs: list[RunPoint],
    inside: list[RunPoint],
    filed: list[Filed],
    facts: Facts,
) -> list[Population]:
    """Every population of the period, in the order of POPULATIONS. `runs`: every collection run;
    `inside`: those in the period; `filed`: the documents effective by the period's end."""
    position = {p.run_id: i for i, p in enumerate(runs)}
    snapshots = [facts(p, position[p.run_id]) for p in inside]
    before = [p for p in runs if p.at < period.start_at]
    baseline = facts(before[-1], position[before[-1].run_id]) if before else None
    new_hires, leavers = _roster(snapshots, period)
    grants, removals = _access_changes(baseline, snapshots)
    restored, restore_rows = _restores(snapshots, period)
    changes, reviews, incidents, approvals = _documents(filed, period)
    restore_docs = _document_rows("restore_tests", filed, period, DOCUMENT_KINDS["restore_tests"])
    has_records = any(f.document.kind == DOCUMENT_KINDS["restore_tests"] for f in filed)
    restore_tests = _population(
        "restore_tests",
        "AWS Backup restore jobs (aws.backup.restore_testing) and restore-test-record documents",
        restored or has_records,
        [*restore_rows, *restore_docs],
        "each region's latest restore job and latest restore test as of each run",
    )
    found = [new_hires, leavers, grants, removals, changes, reviews, incidents, _backups(snapshots, period)]
    found += [restore_tests, approvals]
    return sorted(found, key=lambda p: list(POPULATIONS).index(p.id))


def by_id(populations: Iterable[Population]) -> Mapping[str, Population]:
    return {p.id: p for p in populations}
