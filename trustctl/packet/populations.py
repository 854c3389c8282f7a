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

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from trustctl.evidence.documents import ADD, Document, documents_in
from trustctl.evidence.locker import Locker
from trustctl.evidence.records import evidence_key
from trustctl.facts.base import Evidence, FactTable, normalize, present
from trustctl.facts.identity import PROVIDER, derive_identity, people
from trustctl.facts.load import NORMALIZERS
from trustctl.packet.access import access_changes
from trustctl.packet.period import Period, RunPoint, merged
from trustctl.packet.population_rows import (
    POPULATIONS,
    Facts,
    Population,
    PopulationRow,
    Snapshot,
    csv_rows,
    first_evidence,
    make_population,
    row_id,
    utc_moment,
)

__all__ = ["POPULATIONS", "Population", "PopulationRow", "build_populations", "csv_rows", "filed_documents"]

# id -> (title, controls of trustctl/controls/catalog.yaml the population is tested for)
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


def snapshot_reader(locker: Locker, runs: list[RunPoint]) -> Facts:
    """Snapshot of the merged evidence after runs[i]; parsed objects are shared across runs."""
    cache: dict[str, Any] = {}
    normalizers = [n for n in NORMALIZERS if n.resource_type in TABLES]

    built: dict[str, tuple[Evidence, dict[str, FactTable]]] = {}  # by evidence_key: unchanged runs share

    def read(point: RunPoint, upto: int) -> Snapshot:
        manifest = merged(runs, upto)
        key = evidence_key(manifest)
        if key not in built:
            ev = Evidence(locker, manifest, cache)
            tables = {n.resource_type: normalize(ev, n) for n in normalizers}
            tables.update(derive_identity(ev, tables))
            built[key] = (ev, tables)
        ev, tables = built[key]
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
                moment = utc_moment(person.get(column))
                if moment is None or not period.contains(moment) or person["key"] in found:
                    continue
                found[person["key"]] = PopulationRow(
                    row_id(population, person["key"], moment.isoformat()),
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
        make_population(
            "new_hires", source, collected, hires.values(), "roster started_at inside the period"
        ),
        make_population(
            "leavers", source, collected, leavers.values(), "roster terminated_at inside the period"
        ),
    )


def _is(record: Any, provider: str, service: str, operation: str) -> bool:
    c = record.call
    return bool((c.provider, c.service, c.operation) == (provider, service, operation))


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
                moment = utc_moment(getattr(s, column))
                name, detail = describe(s)
                key = (table, str(s.resource), str(name))
                if moment is None or not period.contains(moment) or key in rows:
                    continue
                rows[key] = PopulationRow(
                    row_id("backups", *key),
                    moment,
                    "time",
                    str(name),
                    event,
                    f"{detail}; AWS account {s.account}, {s.region}",
                    snap.point.run_id,
                    first_evidence(s.evidence),
                )
    source = "EBS snapshots, RDS snapshots and AWS Backup recovery points (aws.ebs.snapshot, "
    source += "aws.rds.db_snapshot, aws.backup.protected_resource)"
    note = (
        "each resource's newest recovery point as of each run (older ones replaced between runs are not seen)"
    )
    return make_population("backups", source, collected, rows.values(), note)


def _restores(snapshots: list[Snapshot], period: Period) -> tuple[bool, list[PopulationRow]]:
    rows: dict[tuple[str, ...], PopulationRow] = {}
    collected = False
    for snap in snapshots:
        if not snap.collected("aws.backup.restore_testing"):
            continue
        collected = True
        for r in snap.table("aws.backup.restore_testing").frame.itertuples(index=False):
            done, tested = utc_moment(r.last_restore_completed), utc_moment(r.last_test_completed)
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
                        row_id("restore_tests", *key),
                        moment,
                        "time",
                        name,
                        event,
                        f"{detail}; AWS account {r.account}, {r.region}",
                        snap.point.run_id,
                        first_evidence(r.evidence),
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
                row_id(pid, d.name, d.kind, d.control, d.approved.isoformat()),
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
        out.append(make_population(pid, source, collected, _document_rows(pid, filed, period, kind), note))
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
    grants, removals = access_changes(baseline, snapshots)
    restored, restore_rows = _restores(snapshots, period)
    changes, reviews, incidents, approvals = _documents(filed, period)
    restore_docs = _document_rows("restore_tests", filed, period, DOCUMENT_KINDS["restore_tests"])
    has_records = any(f.document.kind == DOCUMENT_KINDS["restore_tests"] for f in filed)
    restore_tests = make_population(
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
