"""The roadmap as JSON, a terminal table, Markdown, HTML (with charts) and PDF. Every format shows the
model: its formulas, its inputs (costs, holdings, the measured gap) and the sensitivity of the order."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from trustctl.render.pdf import write_pdf
from trustctl.render.templates import render
from trustctl.roadmap.build import Roadmap
from trustctl.roadmap.certifications import CERTIFICATIONS
from trustctl.roadmap.chart import timeline_chart, value_chart
from trustctl.roadmap.model import FORMULAS, Step

FORMATS = ("table", "json", "markdown", "html", "pdf")


def _money(value: float) -> float:
    return round(value, 2)


def _opt(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _step(step: Step) -> dict[str, Any]:
    return {
        "order": step.order,
        "certification": step.certification,
        "name": CERTIFICATIONS[step.certification].name,
        "framework": step.framework,
        "expected_revenue": _money(step.expected_revenue),
        "cost": _money(step.cost),
        "roi": _opt(step.roi, 3),
        "payback_months": _opt(step.payback_months, 1),
        "months_to_ready": round(step.months_to_ready, 1),
        "starts_month": round(step.starts_month, 1),
        "unlocks_deals": list(step.unlocks_deals),
        "requirements_to_fix": step.requirements_to_fix,
        "controls_to_fix": step.controls_to_fix,
        "documents_missing": step.documents_missing,
        "remediation_hours": round(step.remediation_hours, 1),
        "cost_breakdown": {
            "audit_fee": _money(step.audit_fee),
            "tooling": _money(step.tooling),
            "remediation": _money(step.remediation),
            "upkeep": _money(step.upkeep),
        },
        "bundled_with": list(step.bundled_with),
    }


def sensitivity_summary(roadmap: Roadmap) -> str:
    base = roadmap.sensitivity[0]
    flips = [s for s in roadmap.sensitivity if s.flips]
    if not flips:
        top = base.top or "nothing"
        return f"The top choice ({top}) holds under costs +-30 % and probabilities +-20 %."
    described = "; ".join(f"{s.scenario.name}: {s.top or 'nothing'}" for s in flips)
    return f"The top choice ({base.top or 'nothing'}) flips: {described}."


def to_dict(roadmap: Roadmap) -> dict[str, Any]:
    plan, costs, pipeline = roadmap.plan, roadmap.costs, roadmap.pipeline
    return {
        "currency": roadmap.currency,
        "horizon_months": roadmap.inputs.horizon_months,
        "as_of": roadmap.inputs.as_of.isoformat(),
        "steps": [_step(s) for s in plan.steps],
        "not_recommended": [
            {
                "certification": s.certification,
                "reason": s.reason,
                "expected_revenue": _opt(s.expected_revenue, 2),
                "cost": _opt(s.cost, 2),
                "roi": _opt(s.roi, 3),
            }
            for s in plan.not_recommended
        ],
        "already_unlocked_deals": list(plan.already_unlocked),
        "sensitivity": {
            "summary": sensitivity_summary(roadmap),
            "top_choice_flips": any(s.flips for s in roadmap.sensitivity),
            "scenarios": [
                {
                    "name": s.scenario.name,
                    "cost_factor": s.scenario.cost_factor,
                    "probability_factor": s.scenario.probability_factor,
                    "order": list(s.order),
                    "top": s.top,
                    "flips": s.flips,
                }
                for s in roadmap.sensitivity
            ],
        },
        "assumptions": {
            "formulas": list(FORMULAS),
            "pipeline": {
                "file": pipeline.source,
                "deals": len(pipeline.deals),
                "skipped_closed": pipeline.skipped_closed,
                "without_requirements": pipeline.without_requirements,
            },
            "holdings": {c: until.isoformat() for c, until in roadmap.inputs.held.items()},
            "costs": {
                "source": roadmap.costs_source,
                "hourly_rate": costs.hourly_rate,
                "team_hours_per_month": costs.team_hours_per_month,
                "hours_per_control": costs.hours_per_control,
                "hours_per_document": costs.hours_per_document,
                "certifications": {c: p.model_dump() for c, p in costs.certifications.items()},
            },
            "prerequisites": {
                c.id: list(c.prerequisites) for c in CERTIFICATIONS.values() if c.prerequisites
            },
            "also_satisfies": {
                c.id: list(c.also_satisfies) for c in CERTIFICATIONS.values() if c.also_satisfies
            },
            "measured_gap": {
                c: {
                    "framework": g.framework,
                    "requirements_to_fix": len(g.requirements),
                    "controls": sorted(
                        i.key.split(":", 1)[1] for i in g.items.values() if i.kind == "control"
                    ),
                    "documents": sorted(
                        i.key.split(":", 1)[1] for i in g.items.values() if i.kind == "document"
                    ),
                }
                for c, g in roadmap.gaps.items()
            },
            "notes": list(roadmap.notes),
        },
    }


def as_json(roadmap: Roadmap) -> str:
    return json.dumps(to_dict(roadmap), indent=2) + "\n"


def _fmt_money(value: float | None, currency: str) -> str:
    return "-" if value is None else f"{currency} {value:,.0f}"


def _fmt_roi(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:,.0f}%"


def _fmt_month(value: float | None) -> str:
    return "beyond horizon" if value is None else f"month {value:.1f}"


def _rows(roadmap: Roadmap) -> list[list[str]]:
    cur = roadmap.currency
    return [
        [
            str(s.order),
            s.certification + (f" (with {', '.join(s.bundled_with)})" if s.bundled_with else ""),
            _fmt_money(s.expected_revenue, cur),
            _fmt_money(s.cost, cur),
            _fmt_roi(s.roi),
            _fmt_month(s.payback_months),
            f"month {s.months_to_ready:.1f}",
            f"{s.requirements_to_fix} req, {s.controls_to_fix} ctl, {s.documents_missing} doc",
            ", ".join(s.unlocks_deals) or "-",
        ]
        for s in roadmap.plan.steps
    ]


HEADERS = ["#", "certification", "expected revenue", "cost", "ROI", "payback", "ready", "to fix", "unlocks"]


def _title(roadmap: Roadmap) -> str:
    i = roadmap.inputs
    return (
        f"Certification roadmap as of {i.as_of.isoformat()}, {i.horizon_months}-month horizon, "
        f"{len(i.deals)} deals in {roadmap.pipeline.source}"
    )


def as_table(roadmap: Roadmap, *, color: bool = False, width: int = 160) -> str:
    console = Console(file=io.StringIO(), force_terminal=color, no_color=not color, width=width)
    table = Table(title=_title(roadmap), title_justify="left", expand=True)
    for header in HEADERS:
        table.add_column(header, overflow="fold")
    for row in _rows(roadmap):
        table.add_row(*row)
    console.print(table)
    if not roadmap.plan.steps:
        console.print("No certification has a positive ROI on this pipeline.")
    for s in roadmap.plan.not_recommended:
        console.print(f"not recommended: {s.certification}: {s.reason}")
    console.print(sensitivity_summary(roadmap))
    console.print("Model (--format markdown or html shows every input):")
    for formula in FORMULAS:
        console.print(f"  - {formula}")
    for note in roadmap.notes:
        console.print(f"note: {note}")
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def as_markdown(roadmap: Roadmap) -> str:
    data = to_dict(roadmap)
    cur = roadmap.currency
    lines = [f"# {_title(roadmap)}", ""]
    lines += ["| " + " | ".join(HEADERS) + " |", "|" + " --- |" * len(HEADERS)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in _rows(roadmap)]
    if not roadmap.plan.steps:
        lines += ["", "No certification has a positive ROI on this pipeline."]
    lines += ["", "## Not recommended", ""]
    lines += [f"- **{s.certification}**: {s.reason}" for s in roadmap.plan.not_recommended] or ["- none"]
    if roadmap.plan.already_unlocked:
        lines += ["", f"Already unlocked by held certifications: {', '.join(roadmap.plan.already_unlocked)}."]
    lines += ["", "## Sensitivity", "", sensitivity_summary(roadmap), ""]
    lines += ["| scenario | order | top flips |", "| --- | --- | --- |"]
    lines += [
        f"| {s['name']} | {' -> '.join(s['order']) or 'nothing'} | {'yes' if s['flips'] else 'no'} |"
        for s in data["sensitivity"]["scenarios"]
    ]
    lines += ["", "## Model", ""] + [f"- {f}" for f in FORMULAS]
    costs = roadmap.costs
    lines += [
        "",
        "## Inputs",
        "",
        f"Costs from `{roadmap.costs_source}`: hourly rate {cur} {costs.hourly_rate:,.0f}, "
        f"team {costs.team_hours_per_month:,.0f} hours/month.",
        "",
        "| certification | audit fee | tooling | fixed hours | annual upkeep | months to achieve | observation |"
        " validity | measured gap (requirements, controls, documents) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c, p in costs.certifications.items():
        gap = data["assumptions"]["measured_gap"][c]
        lines.append(
            f"| {c} | {p.audit_fee:,.0f} | {p.tooling:,.0f} | {p.fixed_hours:,.0f} | {p.annual_upkeep:,.0f} | "
            f"{p.months_to_achieve:g} | {p.observation_months:g} | {p.validity_months} | "
            f"{gap['requirements_to_fix']}, {len(gap['controls'])}, {len(gap['documents'])} |"
        )
    families = sorted(set(costs.hours_per_control) | set(costs.hours_per_document))
    lines += ["", "| hours per item | " + " | ".join(families) + " |", "|" + " --- |" * (len(families) + 1)]
    lines.append("| control | " + " | ".join(f"{costs.control_hours(f):g}" for f in families) + " |")
    lines.append("| document | " + " | ".join(f"{costs.document_hours(f):g}" for f in families) + " |")
    held = data["assumptions"]["holdings"]
    lines += ["", "Held: " + (", ".join(f"{c} until {d}" for c, d in held.items()) or "nothing") + "."]
    lines += [f"Note: {n}." for n in roadmap.notes]
    return "\n".join(lines) + "\n"


def as_html(roadmap: Roadmap, organization: str = "") -> str:
    return render(
        "roadmap.html.j2",
        title=_title(roadmap),
        organization=organization,
        data=to_dict(roadmap),
        headers=HEADERS,
        rows=_rows(roadmap),
        sensitivity=sensitivity_summary(roadmap),
        value_svg=value_chart(roadmap.plan, roadmap.currency),
        timeline_svg=timeline_chart(roadmap.plan, roadmap.inputs.horizon_months),
        costs=roadmap.costs,
        names={c.id: c.name for c in CERTIFICATIONS.values()},
    )


def as_pdf(roadmap: Roadmap, path: Path, organization: str = "") -> Path:
    return write_pdf(as_html(roadmap, organization), path)


def write_reports(roadmap: Roadmap, directory: Path, organization: str = "") -> dict[str, Path]:
    """roadmap.md, roadmap.html and roadmap.pdf in `directory`; name -> path, for listings."""
    directory.mkdir(parents=True, exist_ok=True)
    markdown, html = directory / "roadmap.md", directory / "roadmap.html"
    markdown.write_text(as_markdown(roadmap), encoding="utf-8")
    page = as_html(roadmap, organization)
    html.write_text(page, encoding="utf-8")
    pdf = write_pdf(page, directory / "roadmap.pdf")
    return {"roadmap": markdown, "rm-html": html, "rm-pdf": pdf}


def as_text(roadmap: Roadmap, fmt: str, organization: str, color: bool = False) -> str:
    """The roadmap in one text format: table, json, markdown or html."""
    if fmt == "table":
        return as_table(roadmap, color=color)
    if fmt == "html":
        return as_html(roadmap, organization)
    return {"json": as_json, "markdown": as_markdown}[fmt](roadmap)
