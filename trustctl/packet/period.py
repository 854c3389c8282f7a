"""An observation period over the locker's history: which runs fall in it, what each control's state
was after every run, the days each control was evidenced, the intervals in which it failed (samples
are drawn in trustctl.packet.sampling).

Runs are placed in the period by their effective time (when the evidence was observed: the run's
completion), documents by their approval date; never by when something was uploaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from trustctl.controls.results import Result
from trustctl.errors import InputError, NoEvidenceError
from trustctl.evidence.documents import Document
from trustctl.evidence.locker import DOCUMENTS, Locker
from trustctl.evidence.records import Manifest
from trustctl.frameworks.readiness import control_states
from trustctl.timeutil import parse_utc

DEFAULT_DAYS = 90
# Worst first: a day on which a control both failed and passed is a failing day.
SEVERITY = {"fail": 0, "error": 1, "pass": 2, "not_applicable": 3}
EVIDENCED = frozenset({"pass", "fail", "not_applicable"})

Evaluate = Callable[[Manifest, date], list[Result]]


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def end_at(self) -> datetime:
        """The first instant after the period (the end date is included)."""
        return datetime.combine(self.end + timedelta(days=1), time(), UTC)

    def contains(self, moment: datetime) -> bool:
        return self.start_at <= moment < self.end_at

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def parse_period(text: str | None, today: date, first_run: date | None) -> Period:
    """`START..END` (ISO dates, both included). Default: the 90 days ending today, or since the first
    run when the locker is younger than that."""
    if not text:
        start = today - timedelta(days=DEFAULT_DAYS - 1)
        if first_run is not None and start < first_run <= today:
            start = first_run
        return Period(start, today)
    first, sep, last = text.partition("..")
    try:
        if not sep:
            raise ValueError("no '..'")
        period = Period(date.fromisoformat(first.strip()), date.fromisoformat(last.strip()))
    except ValueError:
        raise InputError(
            f"--period {text!r}: give START..END as ISO dates, e.g. 2026-07-01..2026-09-30."
        ) from None
    if period.end < period.start:
        raise InputError(f"--period {text}: the end is before the start.")
    if period.end > today:
        raise InputError(
            f"--period {text}: ends after today ({today}); an observation period must have ended.",
            f"Use an end date of {today} or earlier.",
        )
    return period


@dataclass(frozen=True)
class RunPoint:
    """A complete collection run: its signed manifest, effective time and manifest hash."""

    manifest: Manifest
    at: datetime
    digest: str

    @property
    def run_id(self) -> str:
        return self.manifest.run_id


def collection_runs(locker: Locker) -> list[RunPoint]:
    """Every complete run that collected evidence (not only documents), in chain order."""
    from trustctl.evidence import index

    points = []
    for run_id, providers in index.run_providers(locker):
        if providers == [DOCUMENTS]:
            continue
        manifest = locker.read_manifest(run_id)
        points.append(RunPoint(manifest, parse_utc(manifest.completed_at), locker.manifest_digest(run_id)))
    return points


def require_runs(period: Period, runs: list[RunPoint], where: str) -> list[RunPoint]:
    """The runs in the period; a clear error when there are none."""
    inside = [r for r in runs if period.contains(r.at)]
    if inside:
        return inside
    if not runs:
        raise NoEvidenceError(
            f"{where}: the locker holds no collection run.", "Run `trustctl collect` first."
        )
    first, last = runs[0].at.date(), runs[-1].at.date()
    if period.end < first:
        raise NoEvidenceError(
            f"period {period} ends before the locker's first run ({first}): there is no evidence for it.",
            f"Choose a period within {first}..{last}.",
        )
    before = [r for r in runs if r.at < period.start_at]
    after = [r for r in runs if r.at >= period.end_at]
    around = []
    if before:
        around.append(f"the last run before it was on {before[-1].at.date()}")
    if after:
        around.append(f"the next one on {after[0].at.date()}")
    raise NoEvidenceError(
        f"period {period} is empty: no collection run falls in it ({'; '.join(around)}).",
        f"The locker's runs span {first}..{last}.",
    )


def merged(runs: list[RunPoint], upto: int) -> Manifest:
    """The evidence as of run `upto`: for each provider, its latest run at or before it (AWS, GCP and
    identity may be collected in separate runs, and a run of one must not hide the others)."""
    chosen: dict[str, RunPoint] = {}
    for point in runs[: upto + 1]:
        chosen.update({p: point for p in point.manifest.providers if p != DOCUMENTS})
    latest = runs[upto].manifest
    sources = {p.run_id for p in chosen.values()}
    if len(sources) == 1:
        return latest
    requests = [
        r for provider, p in chosen.items() for r in p.manifest.requests if r.call.provider == provider
    ]
    return latest.model_copy(update={"requests": requests, "providers": sorted(chosen)})


def sources(runs: list[RunPoint], upto: int) -> list[RunPoint]:
    """The runs whose evidence `merged(runs, upto)` combines."""
    chosen: dict[str, RunPoint] = {}
    for point in runs[: upto + 1]:
        chosen.update({p: point for p in point.manifest.providers if p != DOCUMENTS})
    return sorted({p.run_id: p for p in chosen.values()}.values(), key=lambda p: p.at)


@dataclass(frozen=True)
class Observation:
    """The state of every control just after one run in the period."""

    point: RunPoint
    results: list[Result]
    status: dict[str, str]  # control -> pass | fail | error | not_applicable (merged evidence)
    evidenced: frozenset[str]  # controls this run's own providers produced a judged result for

    @property
    def at(self) -> datetime:
        return self.point.at


def observe(runs: list[RunPoint], inside: list[RunPoint], evaluate: Evaluate) -> list[Observation]:
    """Evaluate the merged evidence after every run in the period."""
    position = {p.run_id: i for i, p in enumerate(runs)}
    observations = []
    for point in inside:
        results = evaluate(merged(runs, position[point.run_id]), point.at.date())
        status = {c: s for c, (s, _, _) in control_states(results).items()}
        own = [r for r in results if r.provider in point.manifest.providers]
        evidenced = frozenset(c for c, (s, _, _) in control_states(own).items() if s in EVIDENCED)
        observations.append(Observation(point, results, status, evidenced))
    return observations


@dataclass(frozen=True)
class Interval:
    """A stretch in which a control failed: from the first failing observation to the first one after it
    that passed (None: still failing at the last observation in the period)."""

    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class Coverage:
    control: str
    runs: int  # observations in the period that judged the control
    days_evidenced: int
    days: int
    failing: list[Interval]
    daily: list[str]  # per day of the period: fail | error | pass | not_applicable | none
    kind: str = "automated"  # automated | documents

    @property
    def percent(self) -> float:
        return round(100 * self.days_evidenced / self.days, 1) if self.days else 0.0


def _intervals(timeline: list[tuple[datetime, str]]) -> list[Interval]:
    intervals: list[Interval] = []
    start: datetime | None = None
    for moment, status in timeline:
        if status == "fail" and start is None:
            start = moment
        elif status in ("pass", "not_applicable") and start is not None:
            intervals.append(Interval(start, moment))
            start = None
        # An error neither starts nor ends a failure: missing evidence proves nothing either way.
    if start is not None:
        intervals.append(Interval(start, None))
    return intervals


def control_coverage(period: Period, observations: list[Observation], control: str) -> Coverage:
    by_day: dict[date, list[str]] = {}
    timeline = []
    for o in observations:
        status = o.status.get(control)
        if status is None:
            continue
        timeline.append((o.at, status))
        if control in o.evidenced:
            by_day.setdefault(o.at.date(), []).append(status)
    daily = [min(by_day[d], key=SEVERITY.__getitem__) if d in by_day else "none" for d in period.dates()]
    return Coverage(control, len(timeline), len(by_day), period.days, _intervals(timeline), daily)


def in_force(document: Document, day: date) -> bool:
    """A document evidences the days from its approval to its review date."""
    return document.approved <= day <= document.review_by


def document_coverage(period: Period, control: str, documents: list[Document]) -> Coverage:
    """A document-only control is evidenced on the days a document for it was in force."""
    own = [d for d in documents if d.control == control]
    daily = ["pass" if any(in_force(d, day) for d in own) else "none" for day in period.dates()]
    evidenced = sum(s == "pass" for s in daily)
    return Coverage(control, 0, evidenced, period.days, [], daily, kind="documents")


def as_of(observations: list[Observation], day: date) -> Observation | None:
    """The latest observation at or before the end of `day`."""
    end = datetime.combine(day + timedelta(days=1), time(), UTC)
    found = [o for o in observations if o.at < end]
    return found[-1] if found else None
