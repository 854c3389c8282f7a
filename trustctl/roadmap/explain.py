"""One sentence per step of the recommended roadmap, saying why it comes where it does: the pipeline it
answers and by when, the recurring demand, how much of its work later steps reuse, and what stands in
for it while it is on its way (a Type I report and bridge letter, a third-party assessment)."""

from __future__ import annotations

import math

from trustctl.roadmap.certifications import CERTIFICATIONS
from trustctl.roadmap.model import Inputs, Plan, Step
from trustctl.roadmap.value import close_month

ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh")


def money(amount: float, currency: str) -> str:
    if abs(amount) >= 1_000_000:
        return f"{currency} {amount / 1_000_000:,.1f}M"
    if abs(amount) >= 1_000:
        return f"{currency} {amount / 1_000:,.0f}k"
    return f"{currency} {amount:,.0f}"


def _hours(inputs: Inputs, keys: frozenset[str], certification: str) -> float:
    items = inputs.gaps[certification].items
    return sum(
        inputs.costs.control_hours(items[k].family)
        if items[k].kind == "control"
        else inputs.costs.document_hours(items[k].family)
        for k in keys
        if k in items
    )


def carried(step: Step, later: Step, inputs: Inputs) -> float:
    """Share of `step`'s hours that `later` would otherwise have spent itself."""
    if step.remediation_hours <= 0:
        return 0.0
    reused = _hours(
        inputs, step.fixes & frozenset(inputs.gaps[later.certification].items), step.certification
    )
    if CERTIFICATIONS[step.certification].framework == CERTIFICATIONS[later.certification].framework:
        fixed = inputs.costs.certifications
        reused += min(fixed[step.certification].fixed_hours, fixed[later.certification].fixed_hours)
    return min(1.0, reused / step.remediation_hours)


def sentence(step: Step, plan: Plan, inputs: Inputs, currency: str) -> str:
    name = CERTIFICATIONS[step.certification].name
    deals = [d for d in inputs.deals if d.name in step.unlocks_deals]
    reasons = []
    if deals:
        within = math.ceil(max(close_month(d, inputs.as_of) for d in deals))
        reasons.append(
            f"it is what {money(sum(d.amount for d in deals), currency)} of pipeline "
            f"({len(deals)} deal{'s' * (len(deals) > 1)}) asks for within {within} months"
        )
    if step.recurring_revenue > 0:
        demand = inputs.demand.get(step.certification)
        per_quarter = f" ({demand.deals_per_quarter:g} deals a quarter)" if demand else ""
        reasons.append(
            f"recurring demand{per_quarter} adds {money(step.recurring_revenue, currency)} expected by the horizon"
        )
    if not reasons:
        partners = ", ".join(CERTIFICATIONS[c].name for c in step.bundled_with)
        reasons.append(
            f"it answers nothing alone, but is needed with {partners}" if partners else "it pays little"
        )
    later = [s for s in plan.steps if s.order > step.order]
    if later:
        share, target = max(((carried(step, s, inputs), s) for s in later), key=lambda pair: pair[0])
        if share >= 0.25:
            reasons.append(
                f"{share * 100:.0f} % of its work carries into {CERTIFICATIONS[target.certification].name}"
            )
    price = inputs.costs.certifications[step.certification]
    if step.certification == "soc2_type2" and any(
        s.certification == "soc2_type1" for s in plan.steps[: step.order - 1]
    ):
        reasons.append("until its report, the Type I report and a bridge letter stand in for it")
    if price.third_party:
        who = "health systems" if step.certification == "hipaa" else "buyers"
        reasons.append(
            f"with a third-party assessment ({money(step.assessment, currency)}), which {who} ask for "
            "rather than a self-attestation"
        )
    elif price.assessment == "self":
        reasons.append("self-attested")
    ordinal = ORDINALS[step.order - 1] if step.order <= len(ORDINALS) else f"step {step.order}"
    return f"{name} {ordinal} (report in month {step.months_to_ready:.1f}): " + "; ".join(reasons) + "."


def explain(plan: Plan, inputs: Inputs, currency: str) -> tuple[str, ...]:
    return tuple(sentence(s, plan, inputs, currency) for s in plan.steps)
