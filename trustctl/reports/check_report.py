"""The CI gap report: one run's results, filtered by severity and compared with a baseline, and the exit
decision.

A baseline is the state of an earlier run (or a previous JSON report): every current result is `new`,
`unchanged` or `updated` against it, and the baseline's failures and errors that are no longer findings
are listed as resolved (SARIF's `absent`). With a baseline, only new and updated results are reported as
results and gate the exit code; the unchanged findings stay visible in SARIF and Markdown.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from trustctl.controls.registry import CheckSpec
from trustctl.controls.results import Result, Severity, Status
from trustctl.errors import EXIT_FAILING, EXIT_OK

FINDING = (Status.FAIL, Status.ERROR)


class FailOn(StrEnum):
    """Which results make `check` exit 4. `error` is ranked above `fail`: an error may hide a fail."""

    FAIL = "fail"  # fail or error
    ERROR = "error"  # error only
    NONE = "none"


class BaselineState(StrEnum):
    """SARIF's baselineState values, used in every format."""

    NEW = "new"
    UNCHANGED = "unchanged"
    UPDATED = "updated"
    ABSENT = "absent"


@dataclass(frozen=True)
class Baseline:
    """What a run was compared with: the reference as given, the run it names, and its results (filtered
    the way the current ones are)."""

    ref: str
    run_id: str
    results: list[Result]

    @cached_property  # read for every current result: built once (the dataclass is frozen, never changed)
    def statuses(self) -> dict[tuple[str, str], Status]:
        return {r.key: r.status for r in self.results}


@dataclass(frozen=True)
class CheckReport:
    tool_version: str
    run_id: str
    completed_at: str
    current: list[Result]  # every result after the severity and framework filters
    checks: dict[str, CheckSpec]
    notes: list[str] = field(default_factory=list)
    baseline: Baseline | None = None
    collection_errors: int = 0  # requests of the run that could not be collected

    def state(self, r: Result) -> BaselineState | None:
        if self.baseline is None:
            return None
        before = self.baseline.statuses.get(r.key)
        if before is None:
            return BaselineState.NEW
        return BaselineState.UNCHANGED if before is r.status else BaselineState.UPDATED

    def previous_status(self, r: Result) -> Status | None:
        return None if self.baseline is None else self.baseline.statuses.get(r.key)

    @cached_property  # read by the summary, the exit code and every format
    def results(self) -> list[Result]:
        """What is reported and gated: every result, or with a baseline only the new and updated ones."""
        if self.baseline is None:
            return self.current
        return [r for r in self.current if self.state(r) is not BaselineState.UNCHANGED]

    @property
    def summary(self) -> dict[str, int]:
        counts = Counter(r.status.value for r in self.results)
        return {s.value: counts.get(s.value, 0) for s in Status}

    @property
    def states(self) -> dict[str, int]:
        """How many current results are new, unchanged or updated, and how many findings were resolved."""
        counts = Counter(self.state(r) for r in self.current)
        return {s.value: counts.get(s, 0) for s in BaselineState if s is not BaselineState.ABSENT} | {
            "resolved": len(self.resolved())
        }

    def findings(self) -> list[Result]:
        """Results someone must act on: failures and errors, worst first."""
        return _worst_first([r for r in self.results if r.status in FINDING])

    def all_findings(self) -> list[Result]:
        """Every current failure and error, new and updated before unchanged, then worst first."""
        bad = _worst_first([r for r in self.current if r.status in FINDING])
        return sorted(bad, key=lambda r: self.state(r) is BaselineState.UNCHANGED)

    def resolved(self) -> list[tuple[Result, Status | None]]:
        """The baseline's failures and errors that are not findings now, with the status they have now
        (None: no longer evaluated, e.g. the resource is gone)."""
        return self._resolved

    @cached_property
    def _resolved(self) -> list[tuple[Result, Status | None]]:
        if self.baseline is None:
            return []
        now = {r.key: r.status for r in self.current}
        return [
            (r, now.get(r.key))
            for r in _worst_first(self.baseline.results)
            if r.status in FINDING and now.get(r.key) not in FINDING
        ]


def _worst_first(results: list[Result]) -> list[Result]:
    return sorted(results, key=lambda r: (-r.severity.rank, r.status != Status.ERROR, r.check, r.resource))


def filter_severity(results: list[Result], minimum: Severity) -> list[Result]:
    return [r for r in results if r.severity.rank >= minimum.rank]


def exit_code(report: CheckReport, fail_on: FailOn) -> int:
    statuses = {r.status for r in report.results}
    if fail_on is FailOn.FAIL and statuses & {Status.FAIL, Status.ERROR}:
        return EXIT_FAILING
    if fail_on is FailOn.ERROR and Status.ERROR in statuses:
        return EXIT_FAILING
    return EXIT_OK
