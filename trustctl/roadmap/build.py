"""Assemble a roadmap from what the orchestrator read (the sales pipeline, closed deals, the costs, the
measured gap, the roster's size): apply holdings from trustctl.toml, choose among candidate roadmaps,
simulate them, and explain the recommended one."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

from trustctl.config import HeldCertification
from trustctl.errors import InputError
from trustctl.frameworks.readiness import Readiness
from trustctl.roadmap.costs import SHIPPED, Costs
from trustctl.roadmap.explain import explain
from trustctl.roadmap.gap import Gap, measure_all
from trustctl.roadmap.history import History, estimate
from trustctl.roadmap.model import Inputs, Plan, Planner
from trustctl.roadmap.pipeline_csv import Pipeline
from trustctl.roadmap.simulate import Simulation, simulate_best_first


@dataclass(frozen=True)
class Team:
    """Headcount and hires a year, as read from the HR roster (`source`)."""

    people: int
    hires_per_year: float | None
    source: str


@dataclass(frozen=True)
class Roadmap:
    inputs: Inputs
    plan: Plan
    candidates: tuple[Plan, ...]  # the recommended roadmap first
    simulation: Simulation
    explanations: tuple[str, ...]  # one sentence per step of the plan
    currency: str
    pipeline: Pipeline
    costs_source: str
    notes: tuple[str, ...]
    demand_sources: dict[str, str]  # certification -> where its recurring demand comes from
    team_source: str

    @property
    def costs(self) -> Costs:
        return self.inputs.costs

    @property
    def gaps(self) -> dict[str, Gap]:
        return self.inputs.gaps


def team_from_roster(people: list[dict[str, Any]], as_of: date, source: str) -> Team:
    """Active people, and hires in the year before `as_of` when the roster has start dates."""
    active = [p for p in people if p.get("status") == "active"]
    starts = [str(p["started_at"])[:10] for p in people if p.get("started_at")]
    year_ago = add_months(as_of, -12).isoformat()
    hires = sum(year_ago < s <= as_of.isoformat() for s in starts) if starts else None
    return Team(len(active), None if hires is None else float(hires), source)


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


def decide(
    inputs: Inputs, currency: str, draws: int | None = None
) -> tuple[tuple[Plan, ...], Simulation, tuple[str, ...]]:
    """The candidate roadmaps (the recommended one first), their simulation, and why the first is. The
    recommended roadmap has the highest expected net value over the simulated futures (ties: the
    deterministic order); the candidates come ranked by their deterministic net value."""
    candidates, simulation = simulate_best_first(inputs, Planner(inputs).candidates(), draws)
    return tuple(candidates), simulation, explain(candidates[0], inputs, currency)


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
    history: History | None = None,
    team: Team | None = None,
) -> Roadmap:
    """The roadmap from parts already read: pure, and what the tests drive."""
    check_currency(costs, currency, costs_source)
    until, notes = holdings(held, costs, as_of)
    estimated = estimate(history, as_of) if history else {}
    demand = {**estimated, **costs.demand}
    sources = {c: history.source for c in estimated} if history else {}
    sources.update({c: costs_source for c in costs.demand})
    inputs = Inputs(
        pipeline.deals,
        costs,
        measure_all(readiness),
        until,
        horizon_months,
        as_of,
        demand,
        team.people if team else None,
        team.hires_per_year if team else None,
    )
    candidates, simulation, explanations = decide(inputs, currency)
    base = candidates[0]
    if pipeline.skipped_closed:
        notes.append(f"{pipeline.skipped_closed} deal(s) in a closed stage were skipped")
    if pipeline.without_requirements:
        notes.append(
            f"{pipeline.without_requirements} open deal(s) wait on no certification and are not scored"
        )
    overdue = [d.name for d in pipeline.deals if d.close_date < as_of]
    if overdue:
        notes.append(f"close date already past, counted as closing now: {', '.join(overdue)}")
    if not demand:
        notes.append("no recurring demand: give --closed-deals closed_deals.csv or [demand] in --costs")
    return Roadmap(
        inputs,
        base,
        candidates,
        simulation,
        explanations,
        currency,
        pipeline,
        costs_source,
        tuple(notes),
        sources,
        team.source if team else f"{costs_source} [operations]",
    )
