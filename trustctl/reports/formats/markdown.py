"""Markdown for pull requests and $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from trustctl.controls.results import Status
from trustctl.reports.check_report import CheckReport

ICON = {Status.FAIL: "❌", Status.ERROR: "⚠️", Status.WAIVED: "⏸️"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(report: CheckReport) -> str:
    lines = [f"## trustctl · run `{report.run_id}`", ""]
    if report.baseline:
        lines += [f"Only results new or changed since `{report.baseline}`.", ""]
    lines += [
        "| " + " | ".join(report.summary) + " |",
        "|" + "---|" * len(report.summary),
        "| " + " | ".join(str(n) for n in report.summary.values()) + " |",
        "",
    ]
    findings = report.findings()
    if findings:
        lines += ["| | severity | check | resource | reason | fix |", "|---|---|---|---|---|---|"]
        for r in findings:
            fix = report.checks[r.check].fix if r.check in report.checks else ""
            if r.status is Status.ERROR:
                fix = "Grant the missing permission or fix the connection, then collect again."
            lines.append(
                f"| {ICON[r.status]} {r.status.value} | {r.severity.value} | `{r.check}` | "
                f"`{_cell(r.resource)}` | {_cell(r.reason)} | {_cell(fix)} |"
            )
    else:
        lines.append("No failing or errored results.")
    waived = [r for r in report.results if r.status is Status.WAIVED]
    if waived:
        lines += ["", "### Waived", ""] + [
            f"- `{r.check}` `{_cell(r.resource)}`: {_cell(r.reason)}" for r in waived
        ]
    if report.notes:
        lines += ["", "### Notes", ""] + [f"- {_cell(n)}" for n in report.notes]
    return "\n".join(lines) + "\n"
