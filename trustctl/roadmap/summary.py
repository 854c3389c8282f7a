"""The roadmap as data: the JSON object every format is built from (steps with their reasons, timelines
and simulated figures, shared costs, candidates, the confidence summary, every input), and the sentence
that says how confident the top choice is."""

from __future__ import annotations

from typing import Any

from trustctl.roadmap.build import Roadmap
from trustctl.roadmap.certifications import CERTIFICATIONS
from trustctl.roadmap.explain import money
from trustctl.roadmap.model import FORMULAS, Step
from trustctl.roadmap.simulate import INPUT_NAMES, StepOutcome


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


def pct(share: float) -> str:
    return f"{share * 100:.0f} %"


def order_text(order: tuple[str, ...] | list[str]) -> str:
    return " -> ".join(order) or "nothing"


def confidence(share: float) -> str:
    return "high" if share >= 0.8 else "moderate" if share >= 0.55 else "low"


def sensitivity_summary(roadmap: Roadmap) -> str:
    """How confident the top choice (the first step) is, and the input it is most sensitive to."""
    sim, cur = roadmap.simulation, roadmap.currency
    if not roadmap.plan.steps:
        return (
            f"Doing nothing is recommended: no roadmap has a positive expected net value; in "
            f"{pct(1 - sim.nothing_share)} of {sim.draws:,} simulated futures (seed {sim.seed}) one would pay."
        )
    top = CERTIFICATIONS[roadmap.plan.steps[0].certification].name
    tie = f" (or within {money(sim.tolerance, cur)} of it)" if sim.tolerance >= 0.5 else ""
    text = (
        f"{top} first is the best start{tie} in {pct(sim.top_share)} of {sim.draws:,} simulated futures "
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
        text += f" In {pct(sim.nothing_share)} of futures no roadmap pays."
    if sim.sensitive_to is not None:
        name = INPUT_NAMES[sim.sensitive_to]
        if min(sim.top_share_low, sim.top_share_high) >= 0.995:
            text += (
                f" Its lead depends most on {name} (rank correlation {sim.correlation:+.2f}), but it stays the "
                "best start across that input's range."
            )
        else:
            text += (
                f" Most sensitive to {name} (rank correlation {sim.correlation:+.2f}): {top} first is best in "
                f"{pct(sim.top_share_low)} of futures where it is in its lowest fifth and "
                f"{pct(sim.top_share_high)} where it is in its highest."
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
            "top_choice_tolerance": _money(sim.tolerance),
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
