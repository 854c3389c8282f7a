"""The seeded Monte Carlo over the candidate roadmaps.

Each draw takes one value of every uncertain input (win probabilities x a factor, acceptance and slip
probabilities, the slip's size, external fees, the hourly rate, remediation hours, audit months,
recurring demand; spreads in costs.toml [uncertainty]) and one slip per deal, and prices every candidate
roadmap in that same future with the planner's own formulas (schedule, step_costs, Valuer), vectorised
over the draws. A candidate's figures: its mean net value, the 10th and 90th percentiles, and the share
of draws in which it is the best. The top choice is the first step: its confidence is the share of draws
in which the best roadmap starting with it is the best, or short of the best starting otherwise by less
than 1 % of the recommended roadmap's expected revenue (orders that differ by when a small step is done
differ by a few hundred in upkeep, a tie that noise would otherwise decide), and the input it is most
sensitive to is the one whose draws rank-correlate most with its lead (best roadmap starting with it
minus best starting otherwise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from trustctl.roadmap.certifications import CERTIFICATIONS
from trustctl.roadmap.timeline import (
    Inputs,
    Plan,
    Timeline,
    operations_per_year,
    pen_tests,
    ready_of,
    schedule,
    step_costs,
)
from trustctl.roadmap.value import Behaviour, Valuer

# A lead smaller than this share of the recommended roadmap's expected revenue is a tie.
MATERIAL = 0.01
INPUT_NAMES = {
    "probability": "win probabilities",
    "bridge": "Type I + bridge letter acceptance",
    "in_progress": "in-progress acceptance",
    "slip_probability": "slip probability",
    "slip_size": "slip size",
    "self_attestation": "HIPAA self-attestation acceptance",
    "fees": "audit, assessment and pen test fees",
    "rate": "hourly rate",
    "hours": "remediation hours",
    "months": "audit months",
    "demand": "recurring demand",
}


@dataclass(frozen=True)
class Outcome:
    order: tuple[str, ...]
    mean: float
    p10: float
    p90: float
    best_share: float  # share of draws in which it has the highest net value


@dataclass(frozen=True)
class StepOutcome:
    certification: str
    mean_net: float
    p10: float
    p90: float
    pays_share: float  # share of draws in which its revenue covers its cost


@dataclass(frozen=True)
class Simulation:
    draws: int
    seed: int
    candidates: tuple[Outcome, ...]  # the recommended roadmap first
    steps: tuple[StepOutcome, ...]  # of the recommended roadmap
    runner_up: int | None  # the best candidate (by mean) that starts otherwise, an index into candidates
    top_share: float  # share of draws in which the best roadmap starts with the recommended first step
    nothing_share: float  # share of draws in which no roadmap pays (doing nothing is best)
    sensitive_to: str | None  # a key of INPUT_NAMES
    correlation: float  # rank correlation of that input with the top choice's lead
    top_share_low: float  # top_share in the draws where that input is in its lowest fifth
    top_share_high: float  # ... and in its highest fifth
    tolerance: float = 0.0  # a draw counts for the top choice when short of the best by less than this


def _spread(rng: np.random.Generator, n: int, low: float, mode: float, high: float) -> Any:
    if high <= low:
        return np.full(n, mode)
    return rng.triangular(low, mode, high, n)


def _factor(rng: np.random.Generator, n: int, spread: float) -> Any:
    """A factor from 1 / (1 + spread) to 1 + spread, triangular in log space around 1: an estimate is as
    likely to be 1.5 times too high as 1.5 times too low, so the planner's figure is the median draw."""
    if spread <= 0:
        return np.ones(n)
    return np.exp(_spread(rng, n, -math.log1p(spread), 0.0, math.log1p(spread)))


def draw_inputs(inputs: Inputs, n: int, rng: np.random.Generator) -> dict[str, Any]:
    """One value per draw of every uncertain input."""
    c, u, b = inputs.costs, inputs.costs.uncertainty, inputs.costs.buyers

    def probability(value: float) -> Any:
        return np.clip(rng.uniform(value - u.acceptance_spread, value + u.acceptance_spread, n), 0.0, 1.0)

    d = u.duration_spread
    return {
        "probability": _spread(rng, n, 1 - u.probability_spread, 1.0, 1 + u.probability_spread),
        "bridge": probability(b.type1_bridge_acceptance),
        "in_progress": probability(b.in_progress_acceptance),
        "slip_probability": probability(b.slip_probability),
        "slip_size": _spread(rng, n, 0.5, 1.0, 1.5),
        "self_attestation": probability(b.hipaa_self_attestation_acceptance),
        "fees": _spread(rng, n, 1 - u.cost_spread, 1.0, 1 + u.cost_spread),
        "rate": _spread(rng, n, c.hourly_rate_low, c.hourly_rate, c.hourly_rate_high),
        "hours": _factor(rng, n, d),
        "months": _factor(rng, n, d),
        "demand": _spread(rng, n, 1 - u.demand_spread, 1.0, 1 + u.demand_spread),
    }


class _Future:
    """The drawn futures, and the value of a roadmap's readiness in each."""

    def __init__(self, inputs: Inputs, draws: dict[str, Any], valuer: Valuer, rng: np.random.Generator):
        self.inputs, self.draws, self.valuer = inputs, draws, valuer
        n, b = len(draws["rate"]), inputs.costs.buyers
        col = {k: v[:, None] for k, v in draws.items()}
        self.behaviour = Behaviour(
            col["bridge"],
            col["in_progress"],
            b.in_progress_months,
            col["slip_probability"],
            b.slip_months * col["slip_size"],
            col["probability"],
            draws["demand"],
            b.contract_years,
        )
        deals = len(valuer.deals)
        slipped = rng.uniform(size=(n, deals)) < col["slip_probability"]
        self.slip = np.where(
            slipped, rng.exponential(size=(n, deals)) * b.slip_months * col["slip_size"], 0.0
        )
        self.held = {c for c, until in inputs.held.items() if until >= inputs.as_of}
        self.base = self.value({})

    def value(self, timelines: dict[str, Timeline]) -> Any:
        available = set(timelines) | self.held
        ready = {
            c: ready_of(c, timelines, self.held, self.inputs, self.draws["self_attestation"][:, None])
            for c in available
        }
        total = self.valuer.deal_values(ready, self.behaviour, self.slip).sum(axis=-1)
        for recurring in self.valuer.recurring(ready, self.behaviour).values():
            total = total + recurring
        return total

    def run(self, plan: Plan, per_step: bool) -> tuple[Any, list[tuple[Any, Any]]]:
        """Net value per draw, and (revenue, cost) per step when asked."""
        inputs, n = self.inputs, len(self.draws["rate"])
        d = {k: v[:, None] for k, v in self.draws.items()}  # draws down, against deals across
        costs, horizon = inputs.costs, float(inputs.horizon_months)
        timelines: dict[str, Timeline] = {}
        team_free: Any = np.zeros((n, 1))
        first_pen_test: Any = None
        spent: Any = 0.0
        steps = []
        previous = self.base
        for step in plan.steps:
            price = costs.certifications[step.certification]
            hours = step.remediation_hours * d["hours"]
            prerequisites: Any = 0.0
            for p in CERTIFICATIONS[step.certification].prerequisites:
                if p in timelines:
                    prerequisites = np.maximum(prerequisites, timelines[p].ready)
            type1 = (
                timelines["soc2_type1"].ready
                if step.certification == "soc2_type2" and "soc2_type1" in timelines
                else None
            )
            t = schedule(
                price, hours, team_free, costs.team_hours_per_month, prerequisites, type1, d["months"]
            )
            if price.needs_pen_test and first_pen_test is None:
                first_pen_test = team_free
            team_free = t.work_done
            timelines[step.certification] = t
            parts = step_costs(price, hours, d["rate"], t.ready, horizon, d["fees"])
            cost: Any = np.broadcast_to(sum(parts.values()), (n, 1))[:, 0]
            spent = spent + cost
            if per_step:
                now = self.value(timelines)
                steps.append((now - previous, cost))
                previous = now
        if not plan.steps:
            return np.zeros(n), steps
        revenue = previous - self.base if per_step else self.value(timelines) - self.base
        shared = operations_per_year(inputs, d["rate"]) * horizon / 12
        if first_pen_test is not None:
            shared = shared + pen_tests(first_pen_test, horizon) * costs.pen_test.cost * d["fees"]
        return revenue - spent - shared[:, 0], steps


def _ranks(values: Any) -> Any:
    return np.argsort(np.argsort(values, kind="stable"), kind="stable").astype(float)


def _futures(inputs: Inputs, draws: int | None, seed: int | None) -> tuple[_Future, dict[str, Any], int, int]:
    """The seeded futures every candidate is priced in (the draws are made before any plan is priced,
    so a plan's net values do not depend on which plans are priced, or in what order)."""
    u = inputs.costs.uncertainty
    n, seed = draws or u.draws, u.seed if seed is None else seed
    rng = np.random.default_rng(seed)
    drawn = draw_inputs(inputs, n, rng)
    future = _Future(
        inputs, drawn, Valuer(inputs.deals, inputs.as_of, inputs.horizon_months, inputs.demand), rng
    )
    return future, drawn, n, seed


def simulate(
    inputs: Inputs, plans: list[Plan], draws: int | None = None, seed: int | None = None
) -> Simulation:
    """Every candidate in the same seeded futures; `plans[0]` is the recommended roadmap."""
    future, drawn, n, seed = _futures(inputs, draws, seed)
    priced = [future.run(plan, per_step=i == 0) for i, plan in enumerate(plans)]
    return _summarise(plans, [net for net, _ in priced], priced[0][1] if priced else [], drawn, n, seed)


def simulate_best_first(
    inputs: Inputs, plans: list[Plan], draws: int | None = None
) -> tuple[list[Plan], Simulation]:
    """The plans with the highest mean net value over the simulated futures first (ties: the order
    given), and their simulation: `simulate` of that order, each plan priced once."""
    future, drawn, n, seed = _futures(inputs, draws, None)
    priced = [future.run(plan, per_step=i == 0) for i, plan in enumerate(plans)]
    best = max(range(len(plans)), key=lambda i: (float(priced[i][0].mean()), -i), default=0)
    order = [best, *(i for i in range(len(plans)) if i != best)]
    steps = priced[0][1] if best == 0 else future.run(plans[best], per_step=True)[1]
    ordered = [plans[i] for i in order]
    return ordered, _summarise(ordered, [priced[i][0] for i in order], steps, drawn, n, seed)


def _summarise(
    plans: list[Plan],
    nets: list[Any],
    step_figures: list[tuple[Any, Any]],
    drawn: dict[str, Any],
    n: int,
    seed: int,
) -> Simulation:
    """The simulation's figures from each plan's net value per draw (`plans[0]`: the recommended one,
    with its (revenue, cost) per step)."""
    table = np.vstack(nets) if nets else np.zeros((0, n))
    best = np.argmax(table, axis=0) if len(plans) else np.zeros(n, dtype=int)
    outcomes = tuple(
        Outcome(
            p.order,
            float(net.mean()),
            float(np.percentile(net, 10)),
            float(np.percentile(net, 90)),
            float(np.mean(best == i)),
        )
        for i, (p, net) in enumerate(zip(plans, nets, strict=True))
    )
    steps = tuple(
        StepOutcome(
            s.certification,
            float((revenue - cost).mean()),
            float(np.percentile(revenue - cost, 10)),
            float(np.percentile(revenue - cost, 90)),
            float(np.mean(revenue >= cost)),
        )
        for s, (revenue, cost) in zip(plans[0].steps if plans else (), step_figures, strict=True)
    )
    first = plans[0].order[:1] if plans else ()
    same = [i for i, p in enumerate(plans) if p.order[:1] == first]
    other = [i for i in range(len(plans)) if i not in same]
    runner_up = max(other, key=lambda i: outcomes[i].mean) if other else None
    sensitive, correlation, low, high, top_share = None, 0.0, 0.0, 0.0, 1.0
    tolerance = MATERIAL * sum(s.expected_revenue for s in plans[0].steps) if plans else 0.0
    if other:
        # The top choice is the first step: in each draw, the best roadmap starting with it against the
        # best starting otherwise (or doing nothing).
        lead = table[same].max(axis=0) - table[other].max(axis=0)
        wins = lead >= -tolerance
        top_share = float(np.mean(wins))
        ranked = _ranks(lead)
        for key, values in drawn.items():
            if np.ptp(values) == 0:
                continue
            r = float(np.corrcoef(_ranks(values), ranked)[0, 1])
            if np.isfinite(r) and abs(r) > abs(correlation):
                sensitive, correlation = key, r
        if sensitive is not None:
            values = drawn[sensitive]
            low = float(np.mean(wins[values <= np.quantile(values, 0.2)]))
            high = float(np.mean(wins[values >= np.quantile(values, 0.8)]))
    nothing = [o.best_share for o in outcomes if not o.order]
    return Simulation(
        n, seed, outcomes, steps, runner_up, top_share, sum(nothing), sensitive, correlation, low, high,
        tolerance,
    )  # fmt: skip
