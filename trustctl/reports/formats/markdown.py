"""Markdown for pull requests and $GITHUB_STEP_SUMMARY, grouped by check.

A summary table first (one row per check with findings, new since the baseline first), then a
`<details>` block per check stating its fix once and listing its resources. GitHub refuses a step
summary over 1 MiB, so the listing stops short of `LIMIT` bytes with a line saying how much was left out.
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby

from trustctl.controls.results import Result, Status
from trustctl.reports.check_report import BaselineState, CheckReport

ICON = {Status.FAIL: "❌", Status.ERROR: "⚠️", Status.WAIVED: "⏸️"}
LIMIT = 1024 * 1024 - 16 * 1024  # GitHub's step summary limit, less room for the closing lines
ERROR_FIX = "Grant the missing permission or fix the connection, then collect again."


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fix(report: CheckReport, check: str, status: Status) -> str:
    if status is Status.ERROR:
        return ERROR_FIX
    spec = report.checks.get(check)
    return spec.fix if spec else ""


def _groups(report: CheckReport) -> list[tuple[tuple[str, Status], list[Result]]]:
    """Findings by (check, status): groups holding new or updated findings first, then worst first."""

    def key(r: Result) -> tuple[str, Status]:
        return r.check, r.status

    findings = sorted(report.all_findings(), key=key)  # stable: new first within a group stays
    groups = [(k, list(g)) for k, g in groupby(findings, key=key)]
    unchanged = BaselineState.UNCHANGED

    def order(item: tuple[tuple[str, Status], list[Result]]) -> tuple[bool, int, bool, str]:
        (check, status), rows = item
        changed = any(report.state(r) is not unchanged for r in rows)
        return (not changed, -rows[0].severity.rank, status is not Status.ERROR, check)

    return sorted(groups, key=order)


def _header(report: CheckReport) -> list[str]:
    lines = [f"## trustctl · run `{report.run_id}`", ""]
    if report.baseline is not None:
        counts = report.states
        lines += [
            f"Compared with run `{report.baseline.run_id}` (baseline `{_cell(report.baseline.ref)}`): "
            f"**{counts['new']} new**, {counts['updated']} updated, {counts['unchanged']} unchanged, "
            f"{counts['resolved']} finding(s) resolved. Only new and updated results gate this check.",
            "",
        ]
    summary = Counter(r.status.value for r in report.current)
    lines += [
        "| " + " | ".join(s.value for s in Status) + " |",
        "|" + "---|" * len(Status),
        "| " + " | ".join(str(summary.get(s.value, 0)) for s in Status) + " |",
        "",
    ]
    return lines


def _summary_table(report: CheckReport, groups: list[tuple[tuple[str, Status], list[Result]]]) -> list[str]:
    with_baseline = report.baseline is not None
    head = "| | check | severity | control | resources |" + (" new |" if with_baseline else "")
    lines = [head, "|---|---|---|---|---|" + ("---|" if with_baseline else "")]
    for (check, status), rows in groups:
        row = (
            f"| {ICON[status]} {status.value} | `{check}` | {rows[0].severity.value} | {rows[0].control} | "
            f"{len(rows)} |"
        )
        if with_baseline:
            row += f" {sum(report.state(r) is not BaselineState.UNCHANGED for r in rows)} |"
        lines.append(row)
    return [*lines, ""]


def _finding(r: Result) -> str:
    """The reason, which names its resource (shown as code there), or the resource and then the reason."""
    resource = f"`{_cell(r.resource)}`"
    if r.resource and r.resource in r.reason:
        before, after = r.reason.split(r.resource, 1)
        return f"{_cell(before)}{resource}{_cell(after)}"
    return f"{resource}: {_cell(r.reason)}"


def _details(
    report: CheckReport, check: str, status: Status, rows: list[Result], budget: int
) -> tuple[list[str], int]:
    """The block for one check, and how many of its rows did not fit in `budget` bytes."""
    spec = report.checks.get(check)
    title = f" · {_html(spec.title)}" if spec else ""
    new = sum(report.state(r) is BaselineState.NEW for r in rows)
    badge = f", {new} new" if report.baseline is not None else ""
    lines = [
        "<details>",
        f"<summary>{ICON[status]} <code>{check}</code>{title} · {rows[0].severity.value} · "
        f"{len(rows)} {status.value}{badge}</summary>",
        "",
        f"**Fix:** {_cell(_fix(report, check, status))}",
        "",
    ]
    with_baseline = report.baseline is not None
    lines += ["| " + ("state | " if with_baseline else "") + "finding |"]
    lines += ["|" + ("---|" if with_baseline else "") + "---|"]
    used = sum(len(line.encode()) + 1 for line in lines) + len("</details>\n\n")
    ordered = sorted(rows, key=lambda r: (report.state(r) is BaselineState.UNCHANGED, r.resource))
    shown = 0
    for r in ordered:
        state = report.state(r)
        cell = f"{'**new**' if state is BaselineState.NEW else state.value} | " if state is not None else ""
        line = f"| {cell}{_finding(r)} |"
        size = len(line.encode()) + 1
        if used + size > budget:
            break
        lines.append(line)
        used += size
        shown += 1
    left = len(rows) - shown
    if left:
        lines.append(f"| {'| ' if with_baseline else ''}… {left} more not shown |")
    return [*lines, "", "</details>", ""], left


def _capped(items: list[str], most: int = 50) -> list[str]:
    """A list kept short (it comes after the findings, within the room LIMIT leaves)."""
    more = [f"- … and {len(items) - most} more (see the JSON report)"] if len(items) > most else []
    return [*items[:most], *more, ""]


def render(report: CheckReport) -> str:
    groups = _groups(report)
    lines = _header(report)
    if groups:
        lines += _summary_table(report, groups)
    else:
        lines += ["No failing or errored results.", ""]
    size = sum(len(line.encode()) + 1 for line in lines)
    left_out = 0
    for (check, status), rows in groups:
        block, left = _details(report, check, status, rows, max(LIMIT - size, 0))
        if left == len(rows):
            left_out += left
            continue
        left_out += left
        lines += block
        size += sum(len(line.encode()) + 1 for line in block)
    if left_out:
        lines += [
            f"**{left_out} finding(s) not shown:** GitHub limits a step summary to 1 MiB. "
            "The JSON and SARIF reports list every result.",
            "",
        ]
    resolved = report.resolved()
    if resolved:
        lines += [f"### Resolved since the baseline ({len(resolved)})", ""]
        lines += _capped(
            [
                f"- `{r.check}` `{_cell(r.resource)}`: was {r.status.value}, "
                + (f"now {now.value}" if now is not None else "no longer evaluated")
                for r, now in resolved
            ]
        )
    waived = [r for r in report.current if r.status is Status.WAIVED]
    if waived:
        lines += [f"### Waived ({len(waived)})", ""]
        lines += _capped([f"- `{r.check}` `{_cell(r.resource)}`: {_cell(r.reason)}" for r in waived])
    if report.notes:
        lines += ["### Notes", ""] + [f"- {_cell(n)}" for n in report.notes]
    return "\n".join(lines).rstrip("\n") + "\n"
