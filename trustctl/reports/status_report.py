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
        "reason": r.reason,
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
                        "review_by": doc.review_by.isoformat(),
                    }
                    for doc in d.documents
                ],
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
                        "automated_percent": r.automated_percent,
                        "documents_percent": r.documents_percent,
                    },
                    "requirements": [_requirement_json(q) for q in r.requirements],
                }
                for r in readiness
            ],
            indent=2,
        )
        + "\n"
    )


def _headline(r: Readiness) -> str:
    counts = ", ".join(f"{n} {s}" for s, n in r.counts.items() if n)
    return (
        f"{r.framework.name} ({r.framework.version}): {len(r.requirements)} requirements in scope: {counts}. "
        f"Automated evidence passing: {percent(r.automated_percent)}; "
        f"documents fresh: {percent(r.documents_percent)}."
    )


def compact(r: Readiness) -> str:
    """One line per framework: its status counts and the two percentages."""
    counts = ", ".join(f"{n} {s}" for s, n in r.counts.items() if n)
    return (
        f"{r.framework.id:15} {counts}; automated {percent(r.automated_percent)}, "
        f"documents {percent(r.documents_percent)}"
    )


def as_table(readiness: list[Readiness], *, color: bool = False, width: int = 160) -> str:
    console = Console(file=io.StringIO(), force_terminal=color, no_color=not color, width=width)
    for r in readiness:
        table = Table(title=_headline(r), title_justify="left", expand=True)
        table.add_column("requirement", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("name", ratio=3, overflow="fold")
        table.add_column("why", ratio=5, overflow="fold")
        for q in r.requirements:
            table.add_row(q.id, f"[{STYLE.get(q.status, '')}]{q.status}[/]", q.name, q.reason)
        console.print(table)
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def as_markdown(readiness: list[Readiness]) -> str:
    lines = []
    for r in readiness:
        lines += [
            f"## {r.framework.name}",
            "",
            _headline(r),
            "",
            "| requirement | status | name | why |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {q.id} | {q.status} | {q.name.replace('|', '/')} | {q.reason.replace('|', '/')} |"
            for q in r.requirements
        ]
        lines.append("")
    return "\n".join(lines)
