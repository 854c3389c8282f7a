"""results.xlsx: the packet's rows for an auditor's own testing. Sheets: the framework's requirement list,
the request list, every result (the rows of `check --format json`), documents, runs, period coverage, failure intervals and,
when dates were sampled, each control's state on each sampled date; then the populations (an index sheet,
and one sheet per non-empty population, each row with its evidence hash and whether it was sampled); management's
control narratives and its responses to exceptions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from trustctl.controls.results import Result
from trustctl.packet import request_list
from trustctl.packet.model import Packet
from trustctl.timeutil import parse_utc

HEADER_FILL = PatternFill("solid", fgColor="EEF2F6")
RESULT_COLUMNS = tuple(Result.model_fields)


def _naive(moment: datetime | None) -> datetime | None:
    """Excel has no time zones: times are written in UTC (the headers say so)."""
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)


def _sheet(wb: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    ws = wb.create_sheet(title[:31])
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top")
    widths = [len(h) for h in header]
    count = 0
    for row in rows:
        ws.append(list(row))
        count += 1
        for i, value in enumerate(row):
            widths[i] = max(widths[i], min(len(str(value)) if value is not None else 0, 80))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width + 2
        if header[i - 1].endswith("(UTC)"):
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "yyyy-mm-dd hh:mm"
    ws.freeze_panes = "A2"
    if count:
        ws.auto_filter.ref = ws.dimensions


def requirement_text(requirements: dict[str, list[str]]) -> str:
    """A result's requirements as a reader writes them: "soc2: CC6.1, CC6.2; iso27001_2022: 8.5"."""
    return "; ".join(f"{f}: {', '.join(ids)}" for f, ids in sorted(requirements.items()) if ids)


def write_workbook(packet: Packet, path: Path) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    fid = packet.framework.id
    _sheet(
        wb,
        f"{fid} requirements",
        (
            "requirement",
            "name",
            "citation",
            "status",
            "basis",
            "exceptions",
            "reason",
            "controls",
            "results",
            "evidence objects",
            "failing or error",
            "documents",
        ),
        (
            (
                q.id,
                q.name,
                q.citation,
                q.status,
                q.basis or "",
                q.exceptions,
                q.reason,
                ", ".join(f"{c.id} ({c.coverage}, {c.status})" for c in q.controls),
                q.results,
                q.evidence_objects,
                len(q.failing),
                ", ".join(f"{d.kind}: {d.name or 'missing'} ({d.status})" for d in q.documents),
            )
            for q in packet.requirements
        ),
    )
    _sheet(
        wb,
        "request list",
        [c.replace("_", " ") for c in request_list.COLUMNS],
        (request_list.row(a) for a in packet.requests),
    )
    _sheet(
        wb,
        "results",
        RESULT_COLUMNS,
        (
            (
                r.check,
                r.control,
                r.status.value,
                r.severity.value,
                r.provider,
                r.account,
                r.region,
                r.resource,
                r.reason,
                requirement_text(r.requirements),
                " ".join(r.evidence),
            )
            for r in packet.results
        ),
    )
    _sheet(
        wb,
        "declared",
        ("requirement", "basis", "document kind", "file", "owner", "approved", "review by", "sha256"),
        (
            (q.id, q.basis, d.kind, d.name, d.owner, d.approved, d.review_by, d.sha256)
            for q in packet.declared
            for d in q.documents
            if d.name
        ),
    )
    if packet.soa:
        _sheet(
            wb,
            "statement of applicability",
            (
                "control",
                "name",
                "theme",
                "applicable",
                "justification",
                "implementation",
                "basis",
                "evidence",
            ),
            (
                (
                    row.control,
                    row.name,
                    row.theme,
                    "yes" if row.applicable else "no",
                    row.justification,
                    row.implementation,
                    row.basis,
                    row.evidence,
                )
                for row in packet.soa
            ),
        )
    _sheet(
        wb,
        "documents",
        ("name", "kind", "control", "owner", "approved", "review by", "sha256", "size", "requirements"),
        (
            (
                d.name,
                d.kind,
                d.control,
                d.owner,
                d.approved,
                d.review_by,
                d.sha256,
                d.size,
                ", ".join(d.requirements),
            )
            for d in packet.documents
        ),
    )
    _sheet(
        wb,
        "runs",
        (
            "sequence",
            "run",
            "observed (UTC)",
            "in period",
            "providers",
            "requests",
            "objects",
            "errors",
            "manifest sha256",
        ),
        (
            (
                r.sequence,
                r.run_id,
                _naive(r.at),
                r.in_period,
                ", ".join(r.providers),
                r.requests,
                r.objects,
                r.errors,
                r.digest,
            )
            for r in packet.runs
        ),
    )
    _sheet(
        wb,
        "coverage",
        ("control", "evidenced by", "runs", "days evidenced", "days", "percent", "failure intervals"),
        (
            (c.control, c.kind, c.runs, c.days_evidenced, c.days, c.percent, len(c.failing))
            for c in packet.coverage
        ),
    )
    _sheet(
        wb,
        "failures",
        ("control", "failing from (UTC)", "until (UTC)", "still failing at the end"),
        (
            (c.control, _naive(i.start), _naive(i.end), i.end is None)
            for c in packet.coverage
            for i in c.failing
        ),
    )
    if packet.samples:
        _sheet(
            wb,
            "samples",
            ("date", "control", "status as of that date", "evidenced that day", "as of run", "as of (UTC)"),
            (
                (s.day, control, status, control in s.evidenced, s.as_of, _naive(s.as_of_at))
                for s in packet.samples
                for control, status in (sorted(s.status.items()) or [("-", "no evidence")])
            ),
        )
    _populations(wb, packet)
    _management_sheets(wb, packet)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _populations(wb: Workbook, packet: Packet) -> None:
    """An index of the populations (with how the samples were drawn), then one sheet per non-empty one."""
    if not packet.populations:
        return
    sampled = packet.sampling.rows if packet.sampling else {}
    _sheet(
        wb,
        "populations",
        ("population", "title", "rows", "collected", "controls", "source", "note", "sampled", "csv"),
        (
            (
                p.id,
                p.title,
                len(p.rows),
                p.collected,
                ", ".join(p.controls),
                p.source,
                p.note,
                len(sampled.get(p.id, [])),
                p.csv_path,
            )
            for p in packet.populations
        ),
    )
    if packet.sampling is not None:
        ws = wb["populations"]
        ws.append([])
        ws.append(["sampling", packet.sampling.method, packet.sampling.statement])
    for p in packet.populations:
        if not p.rows:
            continue
        chosen = set(sampled.get(p.id, []))
        _sheet(
            wb,
            p.id,
            ("row", "when (UTC)", "when", "subject", "event", "detail", "run", "evidence sha256", "sampled"),
            (
                (r.id, _naive(r.at), r.when, r.subject, r.event, r.detail, r.run_id, r.hex, r.id in chosen)
                for r in p.rows
            ),
        )


def _management_sheets(wb: Workbook, packet: Packet) -> None:
    """Management's narrative of each control (or that none was given) and its responses to exceptions
    (left out of a general-use packet, like the findings)."""
    _sheet(
        wb,
        "narratives",
        ("control", "name", "narrative", "owner"),
        (
            (n.control, n.name, n.narrative or "no narrative provided: management to describe", n.owner or "")
            for n in packet.narratives
        ),
    )
    if packet.general_use:
        return
    _sheet(
        wb,
        "responses",
        (
            "check",
            "resource",
            "status",
            "response",
            "owner",
            "responded (UTC)",
            "response sha256",
            "run",
            "given for",
        ),
        (
            (
                r.check,
                r.resource,
                r.status,
                r.text,
                r.owner,
                _naive(parse_utc(r.responded_at)),
                r.sha256,
                r.run_id,
                r.pattern,
            )
            for r in packet.responses
        ),
    )
