"""Assemble a roadmap from what the orchestrator read (the sales pipeline, the costs, the measured gap):
apply holdings from trustctl.toml, run the model and its sensitivity analysis."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from trustctl.config import HeldCertification
from trustctl.errors import InputError
from trustctl.frameworks.readiness import Readiness
from trustctl.roadmap.costs import SHIPPED, Costs
from trustctl.roadmap.gap import Gap, measure_all
from trustctl.roadmap.model import Inputs, Plan, Sensitivity, plan, sensitivity
from trustctl.roadmap.pipeline_csv import Pipeline


@dataclass(frozen=True)
class Roadmap:
    inputs: Inputs
    plan: Plan
    sensitivity: list[Sensitivity]
    currency: str
    pipeline: Pipeline
    costs_source: str
    notes: tuple[str, ...]

    @property
    def costs(self) -> Costs:
        return self.inputs.costs

    @property
    def gaps(self) -> dict[str, Gap]:
        return self.inputs.gaps


def add_months(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def check_currency(costs: Costs, currency: str, source: str) -> None:
    if costs.currency != currency:
        raise InputError(
            f"{source}: costs are in {costs.currency}, the pipeline in {currency}; give --costs with "
            f'currency = "{currency}" and figures in {currency}, or --currency {costs.currency}.'
        )


def holdings(
    held: dict[str, HeldCertification], costs: Costs, as_of: date
) -> tuple[dict[str, date], list[str]]:
    """certification -> held until (expires, or issued + validity); expired ones are notes, not holdings."""
    until: dict[str, date] = {}
    notes = []
    for certification, h in held.items():
        end = h.expires or add_months(h.issued, costs.certifications[certification].validity_months)
        if end < as_of:
            notes.append(f"{certification} expired on {end.isoformat()}: scored as not held")
        elif h.issued > as_of:
            notes.append(
                f"{certification} is issued on {h.issued.isoformat()}, after the as-of date: not held"
            )
        else:
            until[certification] = end
            if h.expires is None:
                notes.append(
                    f"{certification}: no expiry given; held until {end.isoformat()} (issued + validity)"
                )
    return until, notes


def assemble(
    pipeline: Pipeline,
    costs: Costs,
    readiness: list[Readiness],
    held: dict[str, HeldCertification],
    *,
    horizon_months: int = 24,
    currency: str = "USD",
    as_of: date,
    costs_source: str = SHIPPED,
) -> Roadmap:
    """The roadmap from parts already read: pure, and what the tests drive."""
    check_currency(costs, currency, costs_source)
    until, notes = holdings(held, costs, as_of)
    inputs = Inputs(pipeline.deals, costs, measure_all(readiness), until, horizon_months, as_of)
    base = plan(inputs)
    if pipeline.skipped_closed:
        notes.append(f"{pipeline.skipped_closed} deal(s) in a closed stage were skipped")
    if pipeline.without_requirements:
        notes.append(
            f"{pipeline.without_requirements} open deal(s) wait on no certification and are not scored"
        )
    overdue = [d.name for d in pipeline.deals if d.close_date < as_of]
    if overdue:
        notes.append(f"close date already past, counted as closing now: {', '.join(overdue)}")
    return Roadmap(inputs, base, sensitivity(inputs, base), currency, pipeline, costs_source, tuple(notes))
