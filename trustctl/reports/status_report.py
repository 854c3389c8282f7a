"""Readiness per framework as a table, JSON or Markdown: the counts, the two percentages kept apart,
and each requirement with what is behind it."""

from __future__ import annotations

import io
import json
from typing import Any

from rich.console import Console
from rich.table import Table

from trustctl.frameworks.readiness import Readiness, RequirementState

STYLE = {
    "met": "green",
    "partial": "yellow",
    "not_met": "red",
    "needs_document": "cyan",
    "error": "magenta",
    "no_evidence": "dim",
}


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}%"


def _requirement_json(r: RequirementState) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "citation": r.citation,
        "status": r.status,
        "basis": r.basis,
        "reason": r.reason,
        "flag": r.flag or None,
        "exceptions": r.exceptions,
        "justification": r.justification,
        "decision": r.decision.model_dump() if r.decision else None,
        "controls": [
            {"id": c.id, "coverage": c.coverage, "status": c.status, "checks": c.checks, "results": c.counts}
            for c in r.controls
        ],
        "documents": [
            {
                "kind": d.kind,
                "status": d.status,
                "files": [
                    {
                        "name": doc.name,
                        "sha256": doc.sha256,
                        "owner": doc.owner,
                        "approved": doc.approved.isoformat(),
                        "review_by": doc.review_by.isoformat(),
                    }
                    for doc in d.documents
                ],
                # A missing kind filed against a control this requirement does not link: not evidence for
                # it, but `docs add --requirement` would make it so.
                "filed_elsewhere": [{"name": doc.name, "control": doc.control} for doc in d.elsewhere],
            }
            for d in r.documents
        ],
    }


def as_json(readiness: list[Readiness]) -> str:
    return (
        json.dumps(
            [
                {
                    "framework": {
                        "id": r.framework.id,
                        "name": r.framework.name,
                        "version": r.framework.version,
                        "kind": r.framework.kind,
                    },
                    "summary": {
                        "requirements": len(r.requirements),
                        **r.counts,
                        "met_basis": r.basis,
                        "exceptions": len(r.exceptions),
                        "automated_percent": r.automated_percent,
                        "documents_percent": r.documents_percent,
                    },
                    "requirements": [_requirement_json(q) for q in r.requirements],
                    "exceptions": [
                        {"check": x.check, "resource": x.resource, "control": x.control, "reason": x.reason}
                        for x in r.exceptions
                    ],
                }
                for r in readiness
            ],
            indent=2,
        )
        + "\n"
    )


def _counts(r: Readiness) -> str:
    """The status counts, `met` split by basis: evidenced by checks, declared by documents, or both."""
    parts = []
    for status, n in r.counts.items():
        if not n:
            continue
        if status == "met":
            basis = ", ".join(f"{b} {k}" for k, b in r.basis.items() if b)
            parts.append(f"{n} met ({basis})")
        else:
            parts.append(f"{n} {status}")
    return ", ".join(parts)


def _exceptions(r: Readiness) -> str:
    return f"; {len(r.exceptions)} accepted exception(s) (waived findings)" if r.exceptions else ""


def _headline(r: Readiness) -> str:
    return (
        f"{r.framework.name} ({r.framework.version}): {len(r.requirements)} requirements in scope: {_counts(r)}"
        f"{_exceptions(r)}. Automated evidence passing: {percent(r.automated_percent)}; "
        f"documents fresh: {percent(r.documents_percent)}."
    )


def compact(r: Readiness) -> str:
    """One line per framework: its status counts (met split by basis) and the two percentages."""
    return (
        f"{r.framework.id:15} {_counts(r)}{_exceptions(r)}; automated {percent(r.automated_percent)}, "
        f"documents {percent(r.documents_percent)}"
    )


def as_table(readiness: list[Readiness], *, color: bool = False, width: int = 160) -> str:
    console = Console(file=io.StringIO(), force_terminal=color, no_color=not color, width=width)
    for r in readiness:
        table = Table(title=_headline(r), title_justify="left", expand=True)
        table.add_column("requirement", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("basis", no_wrap=True)
        table.add_column("name", ratio=3, overflow="fold")
        table.add_column("why", ratio=5, overflow="fold")
        for q in r.requirements:
            table.add_row(q.id, f"[{STYLE.get(q.status, '')}]{q.status}[/]", q.basis or "", q.name, q.reason)
        console.print(table)
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def _filed_elsewhere(r: Readiness) -> dict[str, list[str]]:
    """ "name (kind, filed against CONTROL)" -> the requirements missing that kind while it is filed."""
    found: dict[str, list[str]] = {}
    for q in r.requirements:
        for d in q.documents:
            for doc in d.elsewhere:
                found.setdefault(f"{doc.name} ({doc.kind}, filed against {doc.control})", []).append(q.id)
    return found


def as_markdown(readiness: list[Readiness]) -> str:
    lines = []
    for r in readiness:
        lines += [
            f"## {r.framework.name}",
            "",
            _headline(r),
            "",
            "| requirement | status | basis | name | why |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {q.id} | {q.status} | {q.basis or ''} | {q.name.replace('|', '/')} | {q.reason.replace('|', '/')} |"
            for q in r.requirements
        ]
        if r.declared:
            lines += [
                "",
                "Met on documents (read them): " + ", ".join(f"{q.id} ({q.basis})" for q in r.declared),
            ]
        elsewhere = _filed_elsewhere(r)
        if elsewhere:
            lines += [
                "",
                "Documents filed against controls these requirements do not link (re-file with "
                "`trustctl docs add FILE ... --requirement FRAMEWORK:ID` if they cover them):",
            ]
            lines += [f"- {name}: asked by {', '.join(ids)}" for name, ids in elsewhere.items()]
        if r.exceptions:
            lines += ["", "Accepted exceptions (waived findings, not passes):"]
            lines += [f"- `{x.check}` `{x.resource}`: {x.reason.replace('|', '/')}" for x in r.exceptions]
        lines.append("")
    return "\n".join(lines)
