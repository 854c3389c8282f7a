"""Assemble a roadmap: read the pipeline and the costs, measure the gap from the latest assessment, apply
holdings from trustctl.toml, run the model and its sensitivity analysis."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from trustctl.config import Config, HeldCertification
from trustctl.errors import InputError
from trustctl.frameworks.readiness import Readiness
from trustctl.roadmap.costs import SHIPPED, Costs, load_costs
from trustctl.roadmap.gap import Gap, frameworks_needed, measure_all
from trustctl.roadmap.model import Inputs, Plan, Sensitivity, plan, sensitivity
from trustctl.roadmap.pipeline_csv import Pipeline, load_pipeline


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


def build(
    config: Config,
    pipeline_path: Path,
    *,
    costs_path: Path | None = None,
    preset: str = "default",
    columns: dict[str, str] | None = None,
    horizon_months: int = 24,
    currency: str = "USD",
    as_of: date | None = None,
) -> Roadmap:
    """Read everything from disk and the locker, then assemble. Inputs are checked before the assessment."""
    from trustctl import pipeline as steps  # the assessment pipeline, not the sales one

    pipeline = load_pipeline(pipeline_path, preset, columns)
    costs = load_costs(costs_path)
    check_currency(costs, currency, str(costs_path) if costs_path else SHIPPED)
    today = datetime.now(UTC).date()
    readiness = steps.status(config, frameworks_needed(), today)
    return assemble(
        pipeline,
        costs,
        readiness,
        config.certifications.held(),
        horizon_months=horizon_months,
        currency=currency,
        as_of=as_of or today,
        costs_source=str(costs_path) if costs_path else SHIPPED,
    )
