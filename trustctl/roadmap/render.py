"""The roadmap as JSON, a terminal table, Markdown, HTML (with charts) and PDF. Every format shows the
recommended roadmap with a sentence per step, its simulated figures beside the deterministic ones, the
candidates it was chosen from, how confident the choice is, and the model: formulas and every input."""

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
from trustctl.roadmap.explain import money
from trustctl.roadmap.model import FORMULAS, Step
from trustctl.roadmap.simulate import INPUT_NAMES, StepOutcome

FORMATS = ("table", "json", "markdown", "html", "pdf")


def _money(value: float) -> float:
    return round(value, 2)


def _opt(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _step(step: Step, why: str, simulated: StepOutcome | None) -> dict[str, Any]:
    return {
        "order": step.order,
        "certification": step.certification,
        "name": CERTIFICATIONS[step.certification].name,
        "framework": step.framework,
        "why": why,
        "expected_revenue": _money(step.expected_revenue),
        "recurring_revenue": _money(step.recurring_revenue),
        "cost": _money(step.cost),
        "roi": _opt(step.roi, 3),
        "payback_months": _opt(step.payback_months, 1),
        "months_to_ready": round(step.months_to_ready, 1),
        "starts_month": round(step.starts_month, 1),
        "timeline": {
            "start": round(step.starts_month, 2),
            "work_done": round(step.work_done_month, 2),
            "observation_start": _opt(step.observation_start, 2),
            "observation_end": _opt(step.observation_end, 2),
            "audit_start": round(step.audit_start, 2),
            "report": round(step.months_to_ready, 2),
        },
        "unlocks_deals": list(step.unlocks_deals),
        "requirements_to_fix": step.requirements_to_fix,
        "controls_to_fix": step.controls_to_fix,
        "documents_missing": step.documents_missing,
        "remediation_hours": round(step.remediation_hours, 1),
        "cost_breakdown": {
            "audit_fee": _money(step.audit_fee),
            "tooling": _money(step.tooling),
            "internal_audit": _money(step.internal_audit),
            "assessment": _money(step.assessment),
            "remediation": _money(step.remediation),
            "upkeep": _money(step.upkeep),
        },
        "simulated": None
        if simulated is None
        else {
            "mean_net": _money(simulated.mean_net),
            "p10_net": _money(simulated.p10),
            "p90_net": _money(simulated.p90),
            "pays_share": round(simulated.pays_share, 3),
        },
        "bundled_with": list(step.bundled_with),
    }


def _pct(share: float) -> str:
    return f"{share * 100:.0f} %"


def _order(order: tuple[str, ...] | list[str]) -> str:
    return " -> ".join(order) or "nothing"


def confidence(share: float) -> str:
    return "high" if share >= 0.8 else "moderate" if share >= 0.55 else "low"


def sensitivity_summary(roadmap: Roadmap) -> str:
    """How confident the top choice (the first step) is, and the input it is most sensitive to."""
    sim, cur = roadmap.simulation, roadmap.currency
    if not roadmap.plan.steps:
        return (
            f"Doing nothing is recommended: no roadmap has a positive expected net value; in "
            f"{_pct(1 - sim.nothing_share)} of {sim.draws:,} simulated futures (seed {sim.seed}) one would pay."
        )
    top = CERTIFICATIONS[roadmap.plan.steps[0].certification].name
    text = (
        f"{top} first is the best start in {_pct(sim.top_share)} of {sim.draws:,} simulated futures "
        f"(seed {sim.seed}): {confidence(sim.top_share)} confidence."
    )
    if sim.runner_up is not None:
        other = sim.candidates[sim.runner_up]
        alternative = CERTIFICATIONS[other.order[0]].name + " first" if other.order else "doing nothing"
        text += (
            f" The best alternative is {alternative} (mean net {money(other.mean, cur)} against "
            f"{money(sim.candidates[0].mean, cur)})."
        )
    if sim.nothing_share >= 0.005:
        text += f" In {_pct(sim.nothing_share)} of futures no roadmap pays."
    if sim.sensitive_to is not None:
        text += (
            f" Most sensitive to {INPUT_NAMES[sim.sensitive_to]} (rank correlation {sim.correlation:+.2f}): "
            f"{top} first is best in {_pct(sim.top_share_low)} of futures where it is in its lowest fifth and "
            f"{_pct(sim.top_share_high)} where it is in its highest."
        )
    return text


def to_dict(roadmap: Roadmap) -> dict[str, Any]:
    plan, costs, pipeline, sim = roadmap.plan, roadmap.costs, roadmap.pipeline, roadmap.simulation
    outcomes = {o.order: o for o in sim.candidates}
    return {
        "currency": roadmap.currency,
        "horizon_months": roadmap.inputs.horizon_months,
        "as_of": roadmap.inputs.as_of.isoformat(),
        "steps": [
            _step(s, why, sim.steps[i] if i < len(sim.steps) else None)
            for i, (s, why) in enumerate(zip(plan.steps, roadmap.explanations, strict=True))
        ],
        "shared_costs": {
            "pen_test": _money(plan.shared.pen_test),
            "pen_tests": plan.shared.pen_tests,
            "operations": _money(plan.shared.operations),
            "operations_per_year": _money(plan.shared.operations_per_year),
        },
        "net_value": _money(plan.net_value),
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
        "candidates": [
            {
                "order": list(c.order),
                "net_value": _money(c.net_value),
                "simulated_mean": _money(outcomes[c.order].mean),
                "simulated_p10": _money(outcomes[c.order].p10),
                "simulated_p90": _money(outcomes[c.order].p90),
                "best_share": round(outcomes[c.order].best_share, 4),
            }
            for c in roadmap.candidates
        ],
        "sensitivity": {
            "summary": sensitivity_summary(roadmap),
            "draws": sim.draws,
            "seed": sim.seed,
            "top_choice": plan.steps[0].certification if plan.steps else None,
            "top_choice_share": round(sim.top_share, 4),
            "confidence": confidence(sim.top_share),
            "nothing_pays_share": round(sim.nothing_share, 4),
            "runner_up": None if sim.runner_up is None else list(sim.candidates[sim.runner_up].order),
            "most_sensitive_input": None if sim.sensitive_to is None else INPUT_NAMES[sim.sensitive_to],
            "rank_correlation": round(sim.correlation, 3),
            "top_choice_share_when_input_low": round(sim.top_share_low, 4),
            "top_choice_share_when_input_high": round(sim.top_share_high, 4),
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
            "demand": {
                c: {**d.model_dump(), "source": roadmap.demand_sources.get(c, "")}
                for c, d in roadmap.inputs.demand.items()
            },
            "team": {
                "people": roadmap.inputs.people
                if roadmap.inputs.people is not None
                else costs.operations.people,
                "hires_per_year": roadmap.inputs.hires_per_year
                if roadmap.inputs.hires_per_year is not None
                else costs.operations.hires_per_year,
                "source": roadmap.team_source,
            },
            "costs": {
                "source": roadmap.costs_source,
                "hourly_rate": costs.hourly_rate,
                "hourly_rate_low": costs.hourly_rate_low,
                "hourly_rate_high": costs.hourly_rate_high,
                "team_hours_per_month": costs.team_hours_per_month,
                "hours_per_control": costs.hours_per_control,
                "hours_per_document": costs.hours_per_document,
                "certifications": {c: p.model_dump() for c, p in costs.certifications.items()},
                "pen_test": costs.pen_test.model_dump(),
                "operations": costs.operations.model_dump(),
                "buyers": costs.buyers.model_dump(),
                "uncertainty": costs.uncertainty.model_dump(),
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
                "-" if simulated is None else _pct(simulated.pays_share),
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
        f"{len(i.deals)} deals in {roadmap.pipeline.source}"
    )


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
            _order(c.order),
            money(c.net_value, cur),
            money(outcomes[c.order].mean, cur),
            f"{money(outcomes[c.order].p10, cur)} to {money(outcomes[c.order].p90, cur)}",
            _pct(outcomes[c.order].best_share),
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
