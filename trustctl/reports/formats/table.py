"""The terminal gap table: what fails or could not be evaluated, worst first, then the counts."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from trustctl.controls.results import Status
from trustctl.reports.check_report import CheckReport

STYLE = {Status.FAIL: "red", Status.ERROR: "magenta", Status.WAIVED: "yellow"}


def render(report: CheckReport, *, color: bool = False, width: int = 160) -> str:
    console = Console(file=io.StringIO(), force_terminal=color, no_color=not color, width=width)
    findings = report.findings()
    if findings:
        table = Table(title=f"trustctl gaps · run {report.run_id}", title_justify="left", expand=True)
        for name in ("status", "severity", "check"):
            table.add_column(name, no_wrap=True)
        table.add_column("resource", ratio=4, overflow="fold")
        table.add_column("reason", ratio=6, overflow="fold")
        for r in findings:
            style = STYLE.get(r.status, "")
            table.add_row(f"[{style}]{r.status.value}[/]", r.severity.value, r.check, r.resource, r.reason)
        console.print(table)
    else:
        console.print(f"No failing or errored results in run {report.run_id}.")
    waived = [r for r in report.results if r.status is Status.WAIVED]
    for r in waived:
        console.print(f"[yellow]waived[/] {r.check} {r.resource}: {r.reason}")
    for note in report.notes:
        console.print(f"note: {note}")
    counts = ", ".join(f"{n} {s}" for s, n in report.summary.items())
    if report.baseline is not None:
        states = report.states
        console.print(
            f"{counts} (new or changed since run {report.baseline.run_id}; {states['unchanged']} unchanged, "
            f"{states['resolved']} finding(s) resolved)"
        )
    else:
        console.print(counts)
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]
