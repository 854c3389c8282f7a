"""People facts: each active person on the HR roster with their training, policy acknowledgement and
background check completions, from `[[identity.records]]` exports joined by email.

Tables `hr.training`, `hr.acknowledgement` and `hr.screening`: one row per ACTIVE roster person
(provider `identity`, account `hr`, resource `hr:EMAIL`), with the sorted completion times of that kind
(`completions`), the latest one and the items (courses, policies, checks) completed. Addresses are
joined as trustctl.facts.identity joins them: case folded, `+tags` dropped, `[identity] domain_aliases`
applied.

A table has rows only when a records export of its kind was collected: with none, there is no result,
and the control reads as having no evidence (never as passing). Records without a roster cannot be
reconciled with the people who owe them: each such export is a row whose detail error says so, which
the engine reports as `error`.

The tables have no scopes: the roster and the exports are files read before the run starts, so no
failed call can hide a row, and a scope without rows must not read as "not applicable".
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustctl.facts.base import DETAIL_ERRORS, GLOBAL, Evidence, Normalizer, frame
from trustctl.facts.emails import normalize_email
from trustctl.facts.identity import HR, PROVIDER, people

TRAINING = "hr.training"
ACKNOWLEDGEMENT = "hr.acknowledgement"
SCREENING = "hr.screening"
KINDS = {TRAINING: "training", ACKNOWLEDGEMENT: "acknowledgement", SCREENING: "background_check"}
WHAT = {
    "training": "training",
    "acknowledgement": "policy acknowledgement",
    "background_check": "background check",
}
COLUMNS = ["person", "person_name", "started_at", "completions", "latest", "items", DETAIL_ERRORS]
NO_ROSTER = "ImportRoster"  # the detail "operation" a records export without a roster is missing


def _aliases(ev: Evidence) -> dict[str, str]:
    rules = [data for _, data in ev.responses(PROVIDER, "identity", "JoinRules")]
    return dict(rules[-1].get("domain_aliases", {})) if rules else {}


def _files(ev: Evidence, operation: str) -> dict[str, str]:
    """Object hash of each file recorded by `operation` (RosterFile, RecordsFile), by account (the file's
    bytes are not JSON, so they are named, never read)."""
    return {
        r.call.account: r.object
        for r in ev.manifest.requests
        if r.object and (r.call.provider, r.call.service, r.call.operation) == (PROVIDER, "hr", operation)
    }


def _records(ev: Evidence, kind: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """(account `records:NAME`, its rows) of every records export of `kind`."""
    return [
        (str(record.call.account), list(data.get("records") or []))
        for record, data in ev.responses(PROVIDER, "hr", "ImportRecords")
        if data.get("kind") == kind
    ]


def _no_roster(
    kind: str, sources: list[tuple[str, list[dict[str, Any]]]], files: dict[str, str]
) -> pd.DataFrame:
    rows = [
        {
            "provider": PROVIDER,
            "account": account,
            "region": GLOBAL,
            "resource": account,
            "evidence": [files[account]] if account in files else [],
            "person": None,
            "person_name": None,
            "started_at": None,
            "completions": [],
            "latest": None,
            "items": [],
            DETAIL_ERRORS: {
                NO_ROSTER: f"{len(records)} {WHAT[kind]} record(s), but no HR roster in the evidence: "
                "the roster is needed to reconcile them with the people who must have them; "
                "set [identity] roster, then collect identity"
            },
        }
        for account, records in sources
    ]
    return frame(rows, COLUMNS)


def build(ev: Evidence, kind: str) -> pd.DataFrame:
    """One row per active roster person with their completions of `kind` (see the module docstring)."""
    sources = _records(ev, kind)
    if not sources:
        return frame([], COLUMNS)
    record_files = _files(ev, "RecordsFile")
    roster = people(ev)
    if not roster:
        return _no_roster(kind, sources, record_files)
    aliases = _aliases(ev)
    completions: dict[str, list[tuple[str, str | None]]] = {}
    for _, records in sources:
        for record in records:
            key = normalize_email(record["email"], aliases) or record["key"]
            completions.setdefault(key, []).append((record["completed_at"], record.get("item")))
    evidence = sorted(
        {*_files(ev, "RosterFile").values(), *(record_files[a] for a, _ in sources if a in record_files)}
    )
    rows = []
    for person in roster:
        if person["status"] != "active":
            continue
        done = sorted(completions.get(person["key"], []), key=lambda c: c[0])
        times = [when for when, _ in done]
        rows.append(
            {
                "provider": PROVIDER,
                "account": HR,
                "region": GLOBAL,
                "resource": f"{HR}:{person['key']}",
                "evidence": evidence,
                "person": person["key"],
                "person_name": person.get("name") or person["key"],
                "started_at": person.get("started_at"),
                "completions": times,
                "latest": times[-1] if times else None,
                "items": sorted({item for _, item in done if item}),
                DETAIL_ERRORS: {},
            }
        )
    return frame(rows, COLUMNS)


def _normalizer(resource_type: str) -> Normalizer:
    kind = KINDS[resource_type]
    # regional with no listing calls: the table has no scopes (see the module docstring).
    return Normalizer(resource_type, PROVIDER, (), lambda ev: build(ev, kind), regional=True)


NORMALIZERS = tuple(_normalizer(t) for t in (TRAINING, ACKNOWLEDGEMENT, SCREENING))
