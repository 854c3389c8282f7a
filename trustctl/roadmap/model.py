"""The roadmap model: schedule and price certifications one after another, value them by the deals and
recurring demand they answer (trustctl.roadmap.value), and choose among candidate roadmaps.

A step is scheduled as it works: the team fixes its open work items (an item fixed by an earlier step is
not fixed again), then is free for the next step; the observation window (SOC 2 Type II, opened by a
Type I report on the roadmap), the internal audit (ISO 27001) and the external audit run on the
calendar without the team. Candidates: the greedy roadmap (best ROI next, until nothing pays), the
greedy continuation of each promising first move, and doing nothing, ranked by net value
(trustctl.roadmap.build.decide recommends the best over the simulated futures). The formulas are in
FORMULAS, which every output format prints.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np

from trustctl.roadmap.certifications import CERTIFICATIONS, satisfiers, with_prerequisites
from trustctl.roadmap.pipeline_csv import Deal
from trustctl.roadmap.timeline import (
    Inputs,
    Plan,
    Skipped,
    Step,
    Timeline,
    ready_of,
    schedule,
    shared_costs,
    step_costs,
)
from trustctl.roadmap.value import Behaviour, Ready, Valuer, close_month

__all__ = ["FORMULAS", "Inputs", "Plan", "Planner", "Skipped", "Step", "plan"]

FORMULAS = (
    "close month of a deal = days from the as-of date to its close date / 30.4375 (0 if already past)",
    "remediation hours = fixed hours + hours per open work item by control family (controls failing, "
    "erroring or without evidence; documents missing or expired); an item fixed by an earlier step is not "
    "counted again, nor the fixed hours an earlier step on the same framework spent (Type II after Type I "
    "adds only its extra fixed hours)",
    "timeline of a step: work starts when the team is free and takes hours / team hours per month; the team "
    "is then free for the next step, while the calendar runs on: the observation window opens when the work "
    "is done (for SOC 2 Type II: at the Type I report date if that is earlier), the internal audit and "
    "management review (ISO 27001) follow the work, then the external audit or assessment: report = max("
    "work done + internal audit months, observation end, prerequisites' reports) + months to achieve",
    "a deal closes at its close month, or slips (slip probability) by an exponential number of months "
    "(mean slip months); at that month each certification it asks for answers at 1 with its report in hand "
    "(HIPAA self-attested: the share of health buyers who accept that), at the bridge acceptance when a "
    "Type I report and a running Type II window stand in for Type II, at the in-progress acceptance when "
    "the report is due within the in-progress months, else 0",
    "expected revenue = sum of amount x contract years x probability x the product of those levels over "
    "the deals whose close date is within the horizon (at their slipped close, even past the horizon: a "
    "deal that slipped is still won), plus recurring demand: deals per quarter / 3 x average amount x "
    "contract years x win rate x the months until the horizon it is answered; a step's revenue is what "
    "it adds to the steps before it",
    "payback month = the close month at which the step's deals, in close order, have covered its cost, or "
    "the month its recurring demand (evenly from its report to the horizon) covers the rest",
    "cost of a step = audit fee + tooling + internal audit + third-party assessment + remediation hours x "
    "hourly rate + annual upkeep x (horizon - report month) / 12",
    "shared costs, once per roadmap: one penetration test a year from the first step whose auditor expects "
    "one, and operating costs from the first step to the horizon (training per person, a background check "
    "per hire, quarterly access reviews and yearly vendor reviews at the hourly rate)",
    "candidates: the greedy roadmap (highest ROI next, with missing prerequisites, pairs, and the set a "
    "multi-certification deal waits on; stop when none has ROI > 0) and the greedy continuation of each of "
    "the most valuable first moves, and doing nothing; net value = revenue - step costs - shared costs; "
    "recommended: the candidate with the highest mean net value over the simulated futures",
)
# Per first certification, candidates continue its most valuable first moves (besides the greedy roadmap).
FIRST_MOVES = 2


@dataclass(frozen=True)
class _State:
    timelines: dict[str, Timeline]  # on the roadmap
    held: frozenset[str]
    fixed: frozenset[str]
    team_free: float
    steps: tuple[Step, ...]
    scoped: dict[str, float] = field(default_factory=dict)  # framework -> fixed hours already spent on it

    @property
    def available(self) -> set[str]:
        return set(self.timelines) | set(self.held)


class Planner:
    """The deterministic model over one set of inputs, with its valuations cached."""

    def __init__(self, inputs: Inputs):
        self.inputs = inputs
        self.valuer = Valuer(inputs.deals, inputs.as_of, inputs.horizon_months, inputs.demand)
        self.behaviour = Behaviour.of(inputs.costs.buyers)
        self._cache: dict[tuple[Any, ...], tuple[Any, dict[str, float]]] = {}
        held = frozenset(c for c, until in inputs.held.items() if until >= inputs.as_of)
        self.initial = _State({}, held, frozenset(), 0.0, ())

    def ready(self, state: _State) -> dict[str, Ready]:
        return {c: ready_of(c, state.timelines, set(state.held), self.inputs) for c in state.available}

    def values(self, state: _State) -> tuple[Any, dict[str, float]]:
        ready = self.ready(state)
        key = tuple(
            sorted(
                (c, float(r.month), None if r.bridge is None else float(r.bridge)) for c, r in ready.items()
            )
        )
        if key not in self._cache:
            self._cache[key] = self.valuer.expected(ready, self.behaviour)
        return self._cache[key]

    def step(self, certification: str, state: _State) -> _State:
        """Schedule and price one certification after everything in `state`."""
        inputs = self.inputs
        spec = CERTIFICATIONS[certification]
        price = inputs.costs.certifications[certification]
        gap = inputs.gaps[certification]
        open_items = gap.open_items(set(state.fixed))
        # Scoping, the system description and auditor liaison for a framework are done once: Type II after
        # Type I only adds what Type II needs beyond them.
        fixed_hours = max(0.0, price.fixed_hours - state.scoped.get(spec.framework, 0.0))
        hours = fixed_hours + sum(
            inputs.costs.control_hours(i.family)
            if i.kind == "control"
            else inputs.costs.document_hours(i.family)
            for i in open_items
        )
        reports = {c: t.ready for c, t in state.timelines.items()}
        prerequisites = max([0.0, *(reports.get(p, 0.0) for p in spec.prerequisites)])
        type1 = reports.get("soc2_type1") if certification == "soc2_type2" else None
        t = schedule(price, hours, state.team_free, inputs.costs.team_hours_per_month, prerequisites, type1)
        parts = step_costs(price, hours, inputs.costs.hourly_rate, t.ready, inputs.horizon_months)
        cost = float(sum(parts.values()))
        after = replace(state, timelines={**state.timelines, certification: t})
        before_deals, before_recurring = self.values(state)
        after_deals, after_recurring = self.values(after)
        gained = after_deals - before_deals
        recurring = sum(after_recurring.values()) - sum(before_recurring.values())
        revenue = float(np.sum(gained)) + recurring
        unlocked = [
            (self.valuer.deals[i], float(g))
            for i in range(len(gained))
            if (g := gained[i]) > 0.005 * max(1.0, self.valuer.weights[i])
        ]
        step = Step(
            order=len(state.steps) + 1,
            certification=certification,
            framework=spec.framework,
            expected_revenue=revenue,
            cost=cost,
            audit_fee=float(parts["audit_fee"]),
            tooling=float(parts["tooling"]),
            remediation=float(parts["remediation"]),
            upkeep=float(parts["upkeep"]),
            remediation_hours=hours,
            roi=None if cost == 0 else (revenue - cost) / cost,
            payback_months=_payback(
                unlocked, inputs.as_of, cost, recurring, float(t.ready), float(inputs.horizon_months)
            ),
            starts_month=state.team_free,
            work_done_month=float(t.work_done),
            months_to_ready=float(t.ready),
            unlocks_deals=tuple(d.name for d, _ in unlocked),
            requirements_to_fix=len(gap.open_requirements(set(state.fixed))),
            controls_to_fix=sum(i.kind == "control" for i in open_items),
            documents_missing=sum(i.kind == "document" for i in open_items),
            fixes=frozenset(i.key for i in open_items),
            observation_start=None if t.observation_start is None else float(t.observation_start),
            observation_end=None if t.observation_end is None else float(t.observation_end),
            audit_start=float(t.audit_start),
            internal_audit=float(parts["internal_audit"]),
            assessment=float(parts["assessment"]),
            recurring_revenue=recurring,
        )
        return replace(
            after,
            fixed=state.fixed | step.fixes,
            scoped={
                **state.scoped,
                spec.framework: max(price.fixed_hours, state.scoped.get(spec.framework, 0.0)),
            },
            team_free=float(t.work_done),
            steps=(*state.steps, step),
        )

    def simulate(self, move: tuple[str, ...], state: _State) -> _State:
        for certification in move:
            state = self.step(certification, state)
        return state

    def moves(self, state: _State) -> list[tuple[str, ...]]:
        have = state.available
        remaining = [c for c in CERTIFICATIONS if c not in have]
        singles = [with_prerequisites(c, have) for c in remaining]
        bundles = {frozenset(s) for s in singles}
        bundles |= {frozenset(a) | frozenset(b) for a, b in itertools.combinations(singles, 2)}
        for deal in self.inputs.deals:
            # A deal waiting on several certifications: the cheapest way to answer it is one bundle.
            needed: set[str] = set()
            for requirement in deal.requires:
                if not any(s in have for s in satisfiers(requirement)):
                    needed |= set(with_prerequisites(requirement, have))
            if len(needed) > 1:
                bundles.add(frozenset(needed))
        found = {order for bundle in bundles for order in _orders(set(bundle))}
        return sorted(found, key=lambda m: (len(m), m))

    def greedy(self, state: _State) -> _State:
        """Add the highest-ROI move until none has ROI > 0."""
        while True:
            best: tuple[tuple[float, float, float], _State] | None = None
            for move in self.moves(state):
                after = self.simulate(move, state)
                score = _score(state, after)
                if score[0] > 0 and (best is None or score > best[0]):
                    best = (score, after)
            if best is None:
                return state
            state = _bundle(state, best[1])

    def candidates(self) -> list[Plan]:
        """The greedy roadmap and the greedy continuation of the most valuable first moves, best first."""
        start = self.initial
        firsts = [self.simulate(move, start) for move in self.moves(start)]
        firsts.sort(key=lambda s: _score(start, s)[1], reverse=True)
        by_first: dict[str, list[_State]] = {}
        for s in firsts:
            by_first.setdefault(s.steps[0].certification, []).append(s)
        asked = self.asked()
        chosen = [s for first, group in by_first.items() if first in asked for s in group[:FIRST_MOVES]]
        ends = [self.greedy(start)] + [self.greedy(_bundle(start, s)) for s in chosen]
        plans: dict[tuple[str, ...], Plan] = {(): self.finish(start)}
        for end in ends:
            plan = self.finish(end)
            plans.setdefault(plan.order, plan)
        return sorted(plans.values(), key=lambda p: p.net_value, reverse=True)

    def finish(self, state: _State) -> Plan:
        inputs = self.inputs
        skipped = [
            Skipped(c, f"already held (until {inputs.held[c].isoformat()})")
            for c in CERTIFICATIONS
            if c in state.held
        ]
        skipped += [self.why_not(c, state) for c in CERTIFICATIONS if c not in state.available]
        already = tuple(
            d.name for d, v in zip(self.valuer.deals, self.values(self.initial)[0], strict=True) if v > 0
        )
        return Plan(state.steps, tuple(skipped), already, shared_costs(state.steps, inputs))

    def asked(self) -> set[str]:
        """What some deal or recurring demand asks for, what answers it, its prerequisites, and a Type I
        for a Type II (its bridge)."""
        requested = {r for d in self.inputs.deals for r in d.requires} | set(self.inputs.demand)
        found = {s for r in requested for s in (*satisfiers(r), *with_prerequisites(r, set()))}
        return found | ({"soc2_type1"} if "soc2_type2" in found else set())

    def why_not(self, certification: str, state: _State) -> Skipped:
        if certification not in self.asked():
            return Skipped(certification, "no open deal in the pipeline needs it")
        after = self.simulate(tuple(with_prerequisites(certification, state.available)), state)
        roi, _, revenue = _score(state, after)
        added = after.steps[len(state.steps) :]
        cost = sum(s.cost for s in added)
        if revenue <= 0:
            reason = (
                f"answers no deal in time (report in month {added[-1].months_to_ready:.1f}): "
                + self.blocked(certification, after)
            )
        else:
            reason = "expected revenue does not cover its cost within the horizon"
        return Skipped(certification, reason, revenue, cost, None if roi == math.inf else roi)

    def blocked(self, certification: str, after: _State) -> str:
        """Why the deals that ask for `certification` bring nothing: counts by cause."""
        early = late = waiting = answered = 0
        ready = self.ready(after)
        for deal in self.inputs.deals:
            if not any(certification in satisfiers(r) for r in deal.requires):
                continue
            closes = close_month(deal, self.inputs.as_of)
            months = [
                min((float(ready[s].month) for s in satisfiers(r) if s in ready), default=None)
                for r in deal.requires
            ]
            if closes > self.inputs.horizon_months:
                late += 1
            elif any(m is None for m in months):
                waiting += 1
            elif max(m for m in months if m is not None) > closes:
                early += 1
            else:
                answered += 1
        causes = [
            f"{early} deal(s) close before then" if early else "",
            f"{late} close after the {self.inputs.horizon_months}-month horizon" if late else "",
            f"{waiting} also wait on a certification not on the roadmap" if waiting else "",
            f"{answered} are answered by another step or holding" if answered else "",
        ]
        return "; ".join(c for c in causes if c) or "no deal asks for it"


def _payback(
    unlocked: list[tuple[Deal, float]],
    as_of: date,
    cost: float,
    recurring: float,
    ready: float,
    horizon: float,
) -> float | None:
    """The month the step's deals (at their close months), then its recurring demand (evenly from its
    report to the horizon), have covered its cost."""
    total = 0.0
    for deal, gained in sorted(unlocked, key=lambda u: close_month(u[0], as_of)):
        total += gained
        if total >= cost:
            return close_month(deal, as_of)
    if cost <= 0:
        return 0.0
    if recurring > 0 and horizon > ready and total + recurring >= cost:
        return ready + (cost - total) / recurring * (horizon - ready)
    return None


def _orders(certifications: set[str]) -> list[tuple[str, ...]]:
    """Orders of a bundle that respect prerequisites (all of them for up to 3 certifications)."""
    canonical = [c for c in CERTIFICATIONS if c in certifications]
    candidates = itertools.permutations(canonical) if len(canonical) <= 3 else iter([tuple(canonical)])
    return [
        order
        for order in candidates
        if all(
            p not in certifications or order.index(p) < order.index(c)
            for c in order
            for p in CERTIFICATIONS[c].prerequisites
        )
    ]


def _score(before: _State, after: _State) -> tuple[float, float, float]:
    """(ROI, net value, revenue) of the steps `after` added to `before`."""
    added = after.steps[len(before.steps) :]
    revenue = sum(s.expected_revenue for s in added)
    cost = sum(s.cost for s in added)
    if cost == 0:
        return (math.inf if revenue > 0 else 0.0), revenue, revenue
    return (revenue - cost) / cost, revenue - cost, revenue


def _bundle(before: _State, after: _State) -> _State:
    """`after`, its added steps marked as bundled with each other when a move added several."""
    added = after.steps[len(before.steps) :]
    if len(added) < 2:
        return after
    names = tuple(s.certification for s in added)
    marked = tuple(replace(s, bundled_with=tuple(n for n in names if n != s.certification)) for s in added)
    return replace(after, steps=(*before.steps, *marked))


def plan(inputs: Inputs) -> Plan:
    """The candidate with the highest deterministic net value (the simulation may prefer another:
    trustctl.roadmap.build.decide)."""
    return Planner(inputs).candidates()[0]
