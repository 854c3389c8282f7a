"""The roadmap as JSON, a terminal table, Markdown, HTML (with charts) and PDF. Every format shows the
recommended roadmap with a sentence per step, its simulated figures beside the deterministic ones, the
candidates it was chosen from, how confident the choice is, and the model: formulas and every input."""

from __future__ import annotations

import io
import json
from pathlib import Path, PurePath

from rich.console import Console
from rich.table import Table

from trustctl.render.pdf import write_pdf
from trustctl.render.templates import render
from trustctl.roadmap.build import Roadmap
from trustctl.roadmap.certifications import CERTIFICATIONS
from trustctl.roadmap.chart import timeline_chart, value_chart
from trustctl.roadmap.explain import money
from trustctl.roadmap.model import FORMULAS
from trustctl.roadmap.summary import order_text, pct, sensitivity_summary, to_dict

FORMATS = ("table", "json", "markdown", "html", "pdf")


def as_json(roadmap: Roadmap) -> str:
    return json.dumps(to_dict(roadmap), indent=2) + "\n"


def _fmt_money(value: float | None, currency: str) -> str:
    return "-" if value is None else f"{currency} {value:,.0f}"


def _fmt_roi(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:,.0f}%"


def _fmt_month(value: float | None) -> str:
    return "beyond horizon" if value is None else f"month {value:.1f}"


def _rows(roadmap: Roadmap) -> list[list[str]]:
    cur, sim = roadmap.currency, roadmap.simulation
    rows = []
    for i, s in enumerate(roadmap.plan.steps):
        simulated = sim.steps[i] if i < len(sim.steps) else None
        rows.append(
            [
                str(s.order),
                s.certification + (f" (with {', '.join(s.bundled_with)})" if s.bundled_with else ""),
                _fmt_money(s.expected_revenue, cur),
                _fmt_money(s.cost, cur),
                _fmt_roi(s.roi),
                _fmt_month(s.payback_months),
                f"month {s.months_to_ready:.1f}",
                "-"
                if simulated is None
                else f"{money(simulated.mean_net, cur)} ({money(simulated.p10, cur)} to {money(simulated.p90, cur)})",
                "-" if simulated is None else pct(simulated.pays_share),
                f"{s.requirements_to_fix} req, {s.controls_to_fix} ctl, {s.documents_missing} doc",
                ", ".join(s.unlocks_deals) or "-",
            ]
        )
    return rows


HEADERS = [
    "#", "certification", "expected revenue", "cost", "ROI", "payback", "report",
    "simulated net (p10 to p90)", "pays in", "to fix", "unlocks",
]  # fmt: skip


def _title(roadmap: Roadmap) -> str:
    i = roadmap.inputs
    return (
        f"Certification roadmap as of {i.as_of.isoformat()}, {i.horizon_months}-month horizon, "
        f"{len(i.deals)} deals in {PurePath(roadmap.pipeline.source).name}"
    )  # the file's name: a title is no place for a temporary directory


def shared_line(roadmap: Roadmap) -> str:
    shared, cur = roadmap.plan.shared, roadmap.currency
    if not roadmap.plan.steps:
        return "No shared costs: nothing is recommended."
    return (
        f"Shared costs: {shared.pen_tests} penetration test(s) {money(shared.pen_test, cur)}, operating costs "
        f"{money(shared.operations, cur)} ({money(shared.operations_per_year, cur)} a year); net value of the "
        f"roadmap {money(roadmap.plan.net_value, cur)}."
    )


def candidate_rows(roadmap: Roadmap, limit: int = 8) -> list[list[str]]:
    cur = roadmap.currency
    outcomes = {o.order: o for o in roadmap.simulation.candidates}
    return [
        [
            order_text(c.order),
            money(c.net_value, cur),
            money(outcomes[c.order].mean, cur),
            f"{money(outcomes[c.order].p10, cur)} to {money(outcomes[c.order].p90, cur)}",
            pct(outcomes[c.order].best_share),
        ]
        for c in roadmap.candidates[:limit]
    ]


CANDIDATE_HEADERS = ["candidate roadmap", "net value", "simulated mean", "p10 to p90", "best in"]


def as_table(roadmap: Roadmap, *, color: bool = False, width: int = 180) -> str:
    console = Console(file=io.StringIO(), force_terminal=color, no_color=not color, width=width)
    table = Table(title=_title(roadmap), title_justify="left", expand=True)
    for header in HEADERS:
        table.add_column(header, overflow="fold")
    for row in _rows(roadmap):
        table.add_row(*row)
    console.print(table)
    if not roadmap.plan.steps:
        console.print("No roadmap has a positive expected net value on this pipeline.")
    for why in roadmap.explanations:
        console.print(f"- {why}")
    console.print(shared_line(roadmap))
    for s in roadmap.plan.not_recommended:
        console.print(f"not recommended: {s.certification}: {s.reason}")
    console.print(sensitivity_summary(roadmap))
    candidates = Table(title="Candidates", title_justify="left", expand=True)
    for header in CANDIDATE_HEADERS:
        candidates.add_column(header, overflow="fold")
    for row in candidate_rows(roadmap):
        candidates.add_row(*row)
    console.print(candidates)
    console.print("Model (--format markdown or html shows every input):")
    for formula in FORMULAS:
        console.print(f"  - {formula}")
    for note in roadmap.notes:
        console.print(f"note: {note}")
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def _md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    return lines + ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]


def as_markdown(roadmap: Roadmap) -> str:
    data = to_dict(roadmap)
    cur = roadmap.currency
    lines = [f"# {_title(roadmap)}", ""]
    lines += _md_table(HEADERS, _rows(roadmap))
    if not roadmap.plan.steps:
        lines += ["", "No roadmap has a positive expected net value on this pipeline."]
    lines += ["", "## Why this order", ""] + [f"{i}. {why}" for i, why in enumerate(roadmap.explanations, 1)]
    lines += ["", shared_line(roadmap)]
    lines += ["", "## Not recommended", ""]
    lines += [f"- **{s.certification}**: {s.reason}" for s in roadmap.plan.not_recommended] or ["- none"]
    if roadmap.plan.already_unlocked:
        lines += ["", f"Already unlocked by held certifications: {', '.join(roadmap.plan.already_unlocked)}."]
    lines += ["", "## Confidence and sensitivity", "", sensitivity_summary(roadmap), ""]
    lines += _md_table(CANDIDATE_HEADERS, candidate_rows(roadmap))
    lines += ["", "## Model", ""] + [f"- {f}" for f in FORMULAS]
    costs = roadmap.costs
    team = data["assumptions"]["team"]
    lines += [
        "",
        "## Inputs",
        "",
        f"Costs from `{roadmap.costs_source}`: hourly rate {cur} {costs.hourly_rate:,.0f} "
        f"({costs.hourly_rate_low:,.0f} to {costs.hourly_rate_high:,.0f}), team "
        f"{costs.team_hours_per_month:,.0f} hours/month; one penetration test a year "
        f"{cur} {costs.pen_test.cost:,.0f}; {team['people']} people and {team['hires_per_year']:g} hires a year "
        f"(from {team['source']}).",
        "",
        "Buyers: " + ", ".join(f"{k} {v:g}" for k, v in costs.buyers.model_dump().items()) + ".",
        "",
        "Recurring demand: "
        + (
            "; ".join(
                f"{c} {d['deals_per_quarter']:g} deals a quarter of {cur} {d['average_amount']:,.0f}, win rate "
                f"{d['win_rate']:g} (from {d['source']})"
                for c, d in data["assumptions"]["demand"].items()
            )
            or "none given"
        )
        + ".",
        "",
        "| certification | audit fee | tooling | internal audit | assessment | fixed hours | annual upkeep |"
        " audit months | observation | validity | measured gap (requirements, controls, documents) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c, p in costs.certifications.items():
        gap = data["assumptions"]["measured_gap"][c]
        assessment = f"{p.assessment} {p.assessment_fee * p.third_party:,.0f}" if p.assessment else "-"
        lines.append(
            f"| {c} | {p.audit_fee:,.0f} | {p.tooling:,.0f} | {p.internal_audit_fee:,.0f} "
            f"({p.internal_audit_months:g} mo) | {assessment} | {p.fixed_hours:,.0f} | {p.annual_upkeep:,.0f} | "
            f"{p.audit_months:g} | {p.observation_months:g} | {p.validity_months} | "
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
        shared=shared_line(roadmap),
        candidate_headers=CANDIDATE_HEADERS,
        candidate_rows=candidate_rows(roadmap),
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
