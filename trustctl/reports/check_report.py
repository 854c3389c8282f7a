"""The CI gap report: one run's results, filtered by severity and baseline, and the exit decision."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from trustctl.controls.registry import CheckSpec
from trustctl.controls.results import Result, Severity, Status
from trustctl.errors import EXIT_FAILING, EXIT_OK


class FailOn(StrEnum):
    """Which results make `check` exit 4. `error` is ranked above `fail`: an error may hide a fail."""

    FAIL = "fail"  # fail or error
    ERROR = "error"  # error only
    NONE = "none"


@dataclass(frozen=True)
class CheckReport:
    tool_version: str
    run_id: str
    completed_at: str
    results: list[Result]
    checks: dict[str, CheckSpec]
    notes: list[str] = field(default_factory=list)
    baseline: str | None = None

    @property
    def summary(self) -> dict[str, int]:
        counts = Counter(r.status.value for r in self.results)
        return {s.value: counts.get(s.value, 0) for s in Status}

    def findings(self) -> list[Result]:
        """Results someone must act on: failures and errors, worst first."""
        bad = [r for r in self.results if r.status in (Status.FAIL, Status.ERROR)]
        return sorted(bad, key=lambda r: (-r.severity.rank, r.status != Status.ERROR, r.check, r.resource))


def filter_severity(results: list[Result], minimum: Severity) -> list[Result]:
    return [r for r in results if r.severity.rank >= minimum.rank]


def new_or_changed(results: list[Result], baseline: dict[tuple[str, str], str]) -> list[Result]:
    """Only results whose (check, resource) is new since the baseline or whose status changed."""
    return [r for r in results if baseline.get(r.key) != r.status.value]


def exit_code(report: CheckReport, fail_on: FailOn) -> int:
    statuses = {r.status for r in report.results}
    if fail_on is FailOn.FAIL and statuses & {Status.FAIL, Status.ERROR}:
        return EXIT_FAILING
    if fail_on is FailOn.ERROR and Status.ERROR in statuses:
        return EXIT_FAILING
    return EXIT_OK
