"""The rows of a population and the population itself (trustctl.packet.populations builds them), and the
merged evidence of one run they are read from."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from trustctl.facts.base import Evidence, FactTable, present
from trustctl.ids import POPULATION_IDS
from trustctl.packet.period import RunPoint

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
assert tuple(POPULATIONS) == POPULATION_IDS  # the request lists and [[packet.requests]] name these ids
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


def row_id(population: str, *key: Any) -> str:
    digest = hashlib.sha256("\x1f".join(map(str, (population, *key))).encode()).hexdigest()
    return f"{population}-{digest[:ID_HEX]}"


def utc_moment(value: Any) -> datetime | None:
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


def first_evidence(evidence: Any) -> str:
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


def make_population(
    pid: str, source: str, collected: bool, rows: Iterable[PopulationRow], note: str = ""
) -> Population:
    title, controls = POPULATIONS[pid]
    ordered = sorted(rows, key=lambda r: (r.at, r.id))
    return Population(pid, title, controls, source, collected, ordered, note)
