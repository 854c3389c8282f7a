"""The roadmap's parts and the formulas of one step: the inputs, a step and a plan as the outputs show
them, a step's calendar (work, observation window, internal audit, external audit), its cost, the
shared costs of a roadmap, and how buyers see a certification on it. Plain floats for the planner,
arrays of draws for the Monte Carlo: the same formulas serve both."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from trustctl.roadmap.costs import CertificationCost, Costs, Demand
from trustctl.roadmap.gap import Gap
from trustctl.roadmap.pipeline_csv import Deal
from trustctl.roadmap.value import Num, Ready


@dataclass(frozen=True)
class Inputs:
    deals: tuple[Deal, ...]
    costs: Costs
    gaps: dict[str, Gap]
    held: dict[str, date]  # certification -> held until
    horizon_months: int
    as_of: date
    demand: dict[str, Demand] = field(default_factory=dict)  # recurring demand per certification
    people: int | None = None  # headcount from the HR roster (None: costs.toml's)
    hires_per_year: float | None = None


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
    observation_start: float | None = None
    observation_end: float | None = None
    audit_start: float = 0.0
    internal_audit: float = 0.0
    assessment: float = 0.0
    recurring_revenue: float = 0.0


@dataclass(frozen=True)
class Skipped:
    certification: str
    reason: str
    expected_revenue: float | None = None
    cost: float | None = None
    roi: float | None = None


@dataclass(frozen=True)
class Shared:
    pen_test: float = 0.0
    pen_tests: int = 0
    operations: float = 0.0
    operations_per_year: float = 0.0

    @property
    def total(self) -> float:
        return self.pen_test + self.operations


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    not_recommended: tuple[Skipped, ...]
    already_unlocked: tuple[str, ...]  # deals the held certifications answer
    shared: Shared = Shared()

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(s.certification for s in self.steps)

    @property
    def net_value(self) -> float:
        return sum(s.expected_revenue - s.cost for s in self.steps) - self.shared.total


@dataclass(frozen=True)
class Timeline:
    work_done: Num
    observation_start: Num | None
    observation_end: Num | None
    audit_start: Num
    ready: Num


def schedule(
    price: CertificationCost,
    hours: Num,
    start: Num,
    team_hours_per_month: float,
    prerequisites_ready: Num,
    type1_report: Num | None,
    months_factor: Num = 1.0,
) -> Timeline:
    """One step's calendar (floats, or arrays of draws)."""
    work_done = start + hours / team_hours_per_month
    observation_start = observation_end = None
    after_window = work_done
    if price.observation_months > 0:
        observation_start = work_done if type1_report is None else np.minimum(work_done, type1_report)
        observation_end = observation_start + price.observation_months
        after_window = observation_end
    audit_start = np.maximum(
        np.maximum(work_done + price.internal_audit_months * months_factor, after_window), prerequisites_ready
    )
    return Timeline(
        work_done,
        observation_start,
        observation_end,
        audit_start,
        audit_start + price.audit_months * months_factor,
    )


def step_costs(
    price: CertificationCost, hours: Num, rate: Num, ready: Num, horizon: float, fee_factor: Num = 1.0
) -> dict[str, Num]:
    """A step's own cost by part (floats, or arrays of draws)."""
    return {
        "audit_fee": price.audit_fee * fee_factor,
        "tooling": price.tooling * fee_factor,
        "internal_audit": price.internal_audit_fee * fee_factor,
        "assessment": price.assessment_fee * price.third_party * fee_factor,
        "remediation": hours * rate,
        "upkeep": price.annual_upkeep * fee_factor * np.maximum(0.0, horizon - ready) / 12,
    }


def operations_per_year(inputs: Inputs, rate: Num) -> Num:
    ops = inputs.costs.operations
    people = ops.people if inputs.people is None else inputs.people
    hires = ops.hires_per_year if inputs.hires_per_year is None else inputs.hires_per_year
    return (
        people * (ops.training_per_person + ops.training_hours_per_person * rate)
        + hires * ops.background_check_per_hire
        + (4 * ops.access_review_hours + ops.vendor_review_hours) * rate
    )


def pen_tests(first_start: Num, horizon: float) -> Num:
    """Yearly tests from the first step that needs one, to the horizon (at least one)."""
    return np.maximum(1.0, np.ceil((horizon - first_start) / 12))


def shared_costs(steps: tuple[Step, ...], inputs: Inputs) -> Shared:
    if not steps:
        return Shared()
    c, horizon = inputs.costs, inputs.horizon_months
    needing = [s.starts_month for s in steps if c.certifications[s.certification].needs_pen_test]
    tests = int(pen_tests(min(needing), horizon)) if needing else 0
    yearly = float(operations_per_year(inputs, c.hourly_rate))
    first = min(s.starts_month for s in steps)
    return Shared(tests * c.pen_test.cost, tests, yearly * max(0.0, horizon - first) / 12, yearly)


def ready_of(
    certification: str,
    timelines: dict[str, Timeline],
    held: set[str],
    inputs: Inputs,
    self_attestation: Num | None = None,
) -> Ready:
    """How buyers see one certification on the roadmap (or held: from month 0)."""
    price = inputs.costs.certifications[certification]
    if self_attestation is None:
        self_attestation = inputs.costs.buyers.hipaa_self_attestation_acceptance
    quality = self_attestation if certification == "hipaa" and not price.third_party else 1.0
    if certification in held:
        return Ready(0.0, None, 1.0)
    t = timelines[certification]
    bridge = None
    if certification == "soc2_type2" and t.observation_start is not None:
        type1 = (
            0.0
            if "soc2_type1" in held
            else timelines["soc2_type1"].ready
            if "soc2_type1" in timelines
            else None
        )
        if type1 is not None:
            bridge = np.maximum(type1, t.observation_start)
    return Ready(t.ready, bridge, quality)
