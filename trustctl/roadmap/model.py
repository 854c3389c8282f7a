"""The roadmap model: score each certification on the deals it unlocks against what it costs, pick the best
next step, re-score the rest given what that step fixed and unlocked, and stop when nothing pays.

Pure functions over deals, costs, the measured gap and holdings; the formulas are in FORMULAS, which
every output format prints so a reader can check the numbers.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from datetime import date

from trustctl.roadmap.certifications import CERTIFICATIONS, satisfiers, with_prerequisites
from trustctl.roadmap.costs import Costs
from trustctl.roadmap.gap import Gap
from trustctl.roadmap.pipeline_csv import Deal

MONTH_DAYS = 30.4375  # months are calendar-average months from the as-of date

FORMULAS = (
    "close month of a deal = days from the as-of date to its close date / 30.4375 (0 if already past)",
    "a deal is unlocked when every certification it requires is held or on the roadmap; its unlock month is "
    "the latest ready month among them (a SOC 2 Type II report also answers a request for Type I)",
    "expected revenue of a step = sum of amount x probability over the deals it newly unlocks whose close "
    "month is on or after their unlock month and within the horizon",
    "remediation hours = fixed hours + sum over open work items (controls failing, erroring or without "
    "evidence; documents missing or expired) of hours per item by control family; an item fixed by an "
    "earlier step is not counted again",
    "months: work starts when the team is free (steps are worked one after another), takes remediation "
    "hours / team hours per month, then waits for prerequisites, then the observation window, then the "
    "months to achieve: months to ready = start + work + observation + months to achieve",
    "cost = audit fee + tooling + remediation hours x hourly rate + annual upkeep x (horizon - months to "
    "ready) / 12",
    "ROI = (expected revenue - cost) / cost; payback month = the close month at which the step's unlocked "
    "deals, in close order, have covered its cost",
    "sequence: among single certifications (with their missing prerequisites), any two together, and the "
    "set a multi-certification deal waits on, take the highest ROI (a bundle is scored as a whole, in its "
    "best order); repeat with what it fixed and unlocked; stop when none has ROI > 0",
)


@dataclass(frozen=True)
class Scenario:
    name: str = "base"
    cost_factor: float = 1.0
    probability_factor: float = 1.0


SCENARIOS = (
    Scenario(),
    Scenario("costs +30%", 1.3, 1.0),
    Scenario("costs -30%", 0.7, 1.0),
    Scenario("probabilities +20%", 1.0, 1.2),
    Scenario("probabilities -20%", 1.0, 0.8),
    Scenario("costs +30%, probabilities -20%", 1.3, 0.8),
    Scenario("costs -30%, probabilities +20%", 0.7, 1.2),
)


@dataclass(frozen=True)
class Inputs:
    deals: tuple[Deal, ...]
    costs: Costs
    gaps: dict[str, Gap]
    held: dict[str, date]  # certification -> held until
    horizon_months: int
    as_of: date


@dataclass(frozen=True)
class Step:
    order: int
    certification: str
    framework: str
    expected_revenue: float
    cost: float
    audit_fee: float
    tooling: float
    remediation: float
    upkeep: float
    remediation_hours: float
    roi: float | None  # None: nothing to pay for
    payback_months: float | None  # None: not paid back within the horizon
    starts_month: float
    work_done_month: float
    months_to_ready: float
    unlocks_deals: tuple[str, ...]
    requirements_to_fix: int
    controls_to_fix: int
    documents_missing: int
    fixes: frozenset[str] = field(default=frozenset(), repr=False)
    bundled_with: tuple[str, ...] = ()


@dataclass(frozen=True)
class Skipped:
    certification: str
    reason: str
    expected_revenue: float | None = None
    cost: float | None = None
    roi: float | None = None


@dataclass(frozen=True)
class Plan:
    scenario: Scenario
    steps: tuple[Step, ...]
    not_recommended: tuple[Skipped, ...]
    already_unlocked: tuple[str, ...]  # deals the held certifications answer


@dataclass(frozen=True)
class _State:
    available: dict[str, float]  # certification -> ready month (held: 0)
    fixed: frozenset[str]
    team_free: float
    steps: tuple[Step, ...]


def close_month(deal: Deal, as_of: date) -> float:
    return max(0.0, (deal.close_date - as_of).days / MONTH_DAYS)


def unlock_month(deal: Deal, available: dict[str, float]) -> float | None:
    """The month every certification the deal requires is available, or None if one never is."""
    months = []
    for requirement in deal.requires:
        options = [available[s] for s in satisfiers(requirement) if s in available]
        if not options:
            return None
        months.append(min(options))
    return max(months, default=None)


def counted(inputs: Inputs, available: dict[str, float]) -> set[int]:
    """Indexes of the deals unlocked in time: unlock month <= close month <= horizon."""
    found = set()
    for i, deal in enumerate(inputs.deals):
        month = unlock_month(deal, available)
        closes = close_month(deal, inputs.as_of)
        if month is not None and month <= closes <= inputs.horizon_months:
            found.add(i)
    return found


def expected(deal: Deal, scenario: Scenario) -> float:
    return deal.amount * min(1.0, deal.probability * scenario.probability_factor)


def _roi(revenue: float, cost: float) -> float | None:
    if cost == 0:
        return None
    return (revenue - cost) / cost


def _payback(deals: list[Deal], inputs: Inputs, scenario: Scenario, cost: float) -> float | None:
    total = 0.0
    for deal in sorted(deals, key=lambda d: close_month(d, inputs.as_of)):
        total += expected(deal, scenario)
        if total >= cost:
            return close_month(deal, inputs.as_of)
    return None if cost > 0 else 0.0


def _step(certification: str, state: _State, inputs: Inputs, scenario: Scenario) -> tuple[Step, _State]:
    """Schedule and price one certification after everything in `state`."""
    spec = CERTIFICATIONS[certification]
    price = inputs.costs.certifications[certification]
    gap = inputs.gaps[certification]
    open_items = gap.open_items(set(state.fixed))
    hours = price.fixed_hours + sum(
        inputs.costs.control_hours(i.family) if i.kind == "control" else inputs.costs.document_hours(i.family)
        for i in open_items
    )
    start = state.team_free
    work_done = start + hours / inputs.costs.team_hours_per_month
    after_prerequisites = max([work_done, *(state.available.get(p, 0.0) for p in spec.prerequisites)])
    ready = after_prerequisites + price.observation_months + price.months_to_achieve
    f = scenario.cost_factor
    audit, tooling = price.audit_fee * f, price.tooling * f
    remediation = hours * inputs.costs.hourly_rate * f
    upkeep = price.annual_upkeep * f * max(0.0, inputs.horizon_months - ready) / 12
    cost = audit + tooling + remediation + upkeep
    before = counted(inputs, state.available)
    available = {**state.available, certification: ready}
    new = sorted(counted(inputs, available) - before)
    deals = [inputs.deals[i] for i in new]
    revenue = sum(expected(d, scenario) for d in deals)
    step = Step(
        order=len(state.steps) + 1,
        certification=certification,
        framework=spec.framework,
        expected_revenue=revenue,
        cost=cost,
        audit_fee=audit,
        tooling=tooling,
        remediation=remediation,
        upkeep=upkeep,
        remediation_hours=hours,
        roi=_roi(revenue, cost),
        payback_months=_payback(deals, inputs, scenario, cost),
        starts_month=start,
        work_done_month=work_done,
        months_to_ready=ready,
        unlocks_deals=tuple(d.name for d in deals),
        requirements_to_fix=len(gap.open_requirements(set(state.fixed))),
        controls_to_fix=sum(i.kind == "control" for i in open_items),
        documents_missing=sum(i.kind == "document" for i in open_items),
        fixes=frozenset(i.key for i in open_items),
    )
    return step, _State(available, state.fixed | step.fixes, work_done, (*state.steps, step))


def _simulate(move: tuple[str, ...], state: _State, inputs: Inputs, scenario: Scenario) -> _State:
    for certification in move:
        _, state = _step(certification, state, inputs, scenario)
    return state


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


def _moves(state: _State, inputs: Inputs, remaining: list[str]) -> list[tuple[str, ...]]:
    have = set(state.available)
    singles = [with_prerequisites(c, have) for c in remaining]
    bundles = {frozenset(s) for s in singles}
    bundles |= {frozenset(a) | frozenset(b) for a, b in itertools.combinations(singles, 2)}
    for deal in inputs.deals:
        # A deal waiting on several certifications: the cheapest way to answer it is one bundle.
        needed: set[str] = set()
        for requirement in deal.requires:
            if not any(s in have for s in satisfiers(requirement)):
                needed |= set(with_prerequisites(requirement, have))
        if len(needed) > 1:
            bundles.add(frozenset(needed))
    moves = {order for bundle in bundles for order in _orders(set(bundle))}
    return sorted(moves, key=lambda m: (len(m), m))


def _score(before: _State, after: _State) -> tuple[float, float, float]:
    """(ROI, net value, revenue) of the steps `after` added to `before`."""
    added = after.steps[len(before.steps) :]
    revenue = sum(s.expected_revenue for s in added)
    cost = sum(s.cost for s in added)
    roi = math.inf if cost == 0 and revenue > 0 else (_roi(revenue, cost) or 0.0)
    return roi, revenue - cost, revenue


def _initial(inputs: Inputs) -> _State:
    held = {c: 0.0 for c, until in inputs.held.items() if until >= inputs.as_of}
    return _State(held, frozenset(), 0.0, ())


def _blocked(certification: str, after: _State, inputs: Inputs) -> str:
    """Why the deals that ask for `certification` bring nothing: counts by cause."""
    early = late = waiting = answered = 0
    done = counted(inputs, {c: m for c, m in after.available.items() if c != certification})
    for i, deal in enumerate(inputs.deals):
        if not any(certification in satisfiers(r) for r in deal.requires):
            continue
        month = unlock_month(deal, after.available)
        if i in done:
            answered += 1
        elif month is None:
            waiting += 1
        elif close_month(deal, inputs.as_of) > inputs.horizon_months:
            late += 1
        elif month > close_month(deal, inputs.as_of):
            early += 1
        else:
            answered += 1
    causes = [
        f"{early} deal(s) close before then" if early else "",
        f"{late} close after the {inputs.horizon_months}-month horizon" if late else "",
        f"{waiting} also wait on a certification not on the roadmap" if waiting else "",
        f"{answered} are answered by another step or holding" if answered else "",
    ]
    return "; ".join(c for c in causes if c) or "no deal asks for it"


def _why_not(certification: str, state: _State, inputs: Inputs, scenario: Scenario) -> Skipped:
    demanded = {
        s
        for deal in inputs.deals
        for requirement in deal.requires
        for s in with_prerequisites(requirement, set())
    } | {s for deal in inputs.deals for r in deal.requires for s in satisfiers(r)}
    if certification not in demanded:
        return Skipped(certification, "no open deal in the pipeline needs it")
    after = _simulate(tuple(with_prerequisites(certification, set(state.available))), state, inputs, scenario)
    roi, _, revenue = _score(state, after)
    added = after.steps[len(state.steps) :]
    cost = sum(s.cost for s in added)
    ready = added[-1].months_to_ready
    if revenue == 0:
        reason = f"unlocks no deal in time (ready in month {ready:.1f}): " + _blocked(
            certification, after, inputs
        )
    else:
        reason = "expected revenue does not cover its cost within the horizon"
    return Skipped(certification, reason, revenue, cost, None if roi == math.inf else roi)


def plan(inputs: Inputs, scenario: Scenario = Scenario()) -> Plan:
    """The roadmap under one scenario."""
    state = _initial(inputs)
    already = sorted(counted(inputs, state.available))
    while True:
        remaining = [c for c in CERTIFICATIONS if c not in state.available]
        best: tuple[tuple[float, float, float], _State] | None = None
        for move in _moves(state, inputs, remaining):
            after = _simulate(move, state, inputs, scenario)
            score = _score(state, after)
            if score[0] > 0 and (best is None or score > best[0]):
                best = (score, after)
        if best is None:
            break
        after = best[1]
        added = after.steps[len(state.steps) :]
        if len(added) > 1:
            names = tuple(s.certification for s in added)
            added = tuple(
                replace(s, bundled_with=tuple(n for n in names if n != s.certification)) for s in added
            )
            after = replace(after, steps=(*state.steps, *added))
        state = after
    skipped = [
        Skipped(c, f"already held (until {inputs.held[c].isoformat()})")
        for c in CERTIFICATIONS
        if c in inputs.held and inputs.held[c] >= inputs.as_of
    ]
    skipped += [
        _why_not(c, state, inputs, scenario)
        for c in CERTIFICATIONS
        if c not in state.available and not (c in inputs.held and inputs.held[c] >= inputs.as_of)
    ]
    return Plan(scenario, state.steps, tuple(skipped), tuple(inputs.deals[i].name for i in already))


@dataclass(frozen=True)
class Sensitivity:
    scenario: Scenario
    order: tuple[str, ...]
    top: str | None
    flips: bool  # the top choice differs from the base case


def sensitivity(inputs: Inputs, base: Plan) -> list[Sensitivity]:
    """The roadmap's order under each scenario in SCENARIOS, and whether the first step changes."""
    base_top = base.steps[0].certification if base.steps else None
    found = []
    for scenario in SCENARIOS:
        result = base if scenario == base.scenario else plan(inputs, scenario)
        order = tuple(s.certification for s in result.steps)
        top = order[0] if order else None
        found.append(Sensitivity(scenario, order, top, top != base_top))
    return found
