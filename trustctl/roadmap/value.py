"""What the certifications on a roadmap are worth: each open deal's chance of closing given when what it
asks for is ready, and the recurring demand they answer until the horizon.

A deal closes at its close month plus a slip (none with probability 1 - slip probability, otherwise
exponential with the mean slip). At that month each certification it asks for is answered at a level:
1 when the report is in hand (a self-attested HIPAA: the share of health buyers who accept that), the
bridge acceptance when a Type I report and a running Type II observation window stand in for Type II,
the in-progress acceptance when the report is due within the in-progress months, else 0. A deal's level
is the product over what it asks for; its value is amount x contract years x probability x level. The
horizon bounds the deals planned for, not when they may land: a deal whose close date is within the
horizon counts at its slipped close even when the slip takes it past the horizon (a won deal that slipped
is still won), a deal whose close date is after the horizon counts nothing. Recurring deals arrive evenly over the horizon and close at once: deals per quarter / 3 x
average amount x contract years x win rate x the months they would be answered, weighted by the same
levels.

Every function takes floats or numpy arrays that broadcast: the planner passes plain months and a fixed
set of slips (quantiles), the Monte Carlo passes one value per draw, so both use one formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from trustctl.roadmap.certifications import satisfiers
from trustctl.roadmap.costs import Buyers, Demand
from trustctl.roadmap.pipeline_csv import Deal

Num = Any  # a float or a numpy array of draws (shape (N, 1) against deals, (N,) alone)
MONTH_DAYS = 30.4375  # months are calendar-average months from the as-of date
SLIP_QUANTILES = 16  # the planner averages a slip over this many equally likely exponential quantiles


@dataclass(frozen=True)
class Ready:
    """When a certification answers buyers: its report (`month`), and for SOC 2 Type II the month a
    Type I report and the running observation window can stand in for it with a bridge letter."""

    month: Num
    bridge: Num | None = None
    quality: Num = 1.0  # share of buyers a self-attested HIPAA satisfies; 1 otherwise


@dataclass(frozen=True)
class Behaviour:
    """Buyer behaviour as the formula uses it: floats, or one value per draw."""

    bridge: Num
    in_progress: Num
    in_progress_months: Num
    slip_probability: Num
    slip_months: Num
    probability_factor: Num = 1.0
    demand_factor: Num = 1.0
    contract_years: float = 1.0  # a won deal is worth its amount x this (not drawn: the user's to state)

    @classmethod
    def of(cls, buyers: Buyers) -> Behaviour:
        return cls(
            buyers.type1_bridge_acceptance,
            buyers.in_progress_acceptance,
            buyers.in_progress_months,
            buyers.slip_probability,
            buyers.slip_months,
            contract_years=buyers.contract_years,
        )


def close_month(deal: Deal, as_of: date) -> float:
    return max(0.0, (deal.close_date - as_of).days / MONTH_DAYS)


def level(requirement: str, month: Num, ready: dict[str, Ready], behaviour: Behaviour) -> Any:
    """How far `requirement` is answered at `month` (array-shaped like `month` and the draws)."""
    best: Any = np.zeros(np.broadcast_shapes(np.shape(month), *(np.shape(r.month) for r in ready.values())))
    for certification in satisfiers(requirement):
        r = ready.get(certification)
        if r is None:
            continue
        early = np.where(
            month >= r.month - behaviour.in_progress_months, behaviour.in_progress * r.quality, 0.0
        )
        answered = np.where(month >= r.month, r.quality, early)
        if r.bridge is not None:
            answered = np.maximum(answered, np.where(month >= r.bridge, behaviour.bridge, 0.0))
        best = np.maximum(best, answered)
    return best


def answered_months(requirement: str, ready: dict[str, Ready], behaviour: Behaviour, horizon: float) -> Any:
    """The integral of `level` over months 0..horizon, exactly: the level is a step function that only
    rises (at the in-progress date, the bridge, the report), so it is the sum over its sorted steps."""
    steps: list[tuple[Any, Any]] = []
    for certification in satisfiers(requirement):
        r = ready.get(certification)
        if r is None:
            continue
        steps += [
            (r.month - behaviour.in_progress_months, behaviour.in_progress * r.quality),
            (r.month, r.quality),
        ]
        if r.bridge is not None:
            steps.append((r.bridge, behaviour.bridge))
    if not steps:
        return 0.0
    at = np.stack(
        np.broadcast_arrays(*(np.clip(x, 0.0, horizon) for x, _ in steps), *(h for _, h in steps)), -1
    )
    x, h = at[..., : len(steps)], at[..., len(steps) :]
    after = np.max(np.where(x[..., None, :] <= x[..., :, None], h[..., None, :], 0.0), axis=-1)
    order = np.argsort(x, axis=-1)
    x, after = np.take_along_axis(x, order, -1), np.take_along_axis(after, order, -1)
    ends = np.concatenate([x[..., 1:], np.full((*x.shape[:-1], 1), horizon)], axis=-1)
    months = np.sum(after * (ends - x), axis=-1)
    return months[:, 0] if np.ndim(months) == 2 else months  # draws: (N, 1) -> (N,)


class Valuer:
    """The value of a roadmap's readiness over one pipeline and its recurring demand."""

    def __init__(self, deals: tuple[Deal, ...], as_of: date, horizon: float, demand: dict[str, Demand]):
        scored = [d for d in deals if d.requires]
        self.deals = tuple(scored)
        self.horizon = float(horizon)
        self.closes = np.array([close_month(d, as_of) for d in scored], dtype=float)
        # 1 for a deal due within the horizon, wherever its slip takes it; 0 for one due after it
        self.planned = np.where(self.closes <= self.horizon, 1.0, 0.0)
        self.weights = np.array([d.amount * d.probability for d in scored], dtype=float)
        self.amounts = np.array([d.amount for d in scored], dtype=float)
        self.probabilities = np.array([d.probability for d in scored], dtype=float)
        self.asked = {
            r: np.flatnonzero([r in d.requires for d in scored])
            for r in sorted({r for d in scored for r in d.requires})
        }
        self.demand = {c: d for c, d in demand.items() if d.deals_per_quarter > 0 and d.average_amount > 0}

    def slips(self, behaviour: Behaviour) -> tuple[Any, Any]:
        """(slip months, weight) rows for the planner: no slip, then equally likely exponential quantiles."""
        q = (np.arange(SLIP_QUANTILES) + 0.5) / SLIP_QUANTILES
        slip = np.concatenate([[0.0], -behaviour.slip_months * np.log1p(-q)])
        weight = np.concatenate(
            [
                [1 - behaviour.slip_probability],
                np.full(SLIP_QUANTILES, behaviour.slip_probability / SLIP_QUANTILES),
            ]
        )
        return slip[:, None], weight

    def deal_levels(self, ready: dict[str, Ready], behaviour: Behaviour, slip: Any) -> Any:
        """Level of each deal (columns) at its close month plus `slip` (rows: quantiles or draws)."""
        month = self.closes + slip
        total: Any = np.broadcast_to(self.planned, np.shape(month)).copy()
        for requirement, columns in self.asked.items():  # only the deals that ask for it
            total[..., columns] *= level(requirement, month[..., columns], ready, behaviour)
        return total

    def deal_values(self, ready: dict[str, Ready], behaviour: Behaviour, slip: Any) -> Any:
        chance = np.minimum(1.0, self.probabilities * behaviour.probability_factor)
        return self.amounts * behaviour.contract_years * chance * self.deal_levels(ready, behaviour, slip)

    def recurring(self, ready: dict[str, Ready], behaviour: Behaviour) -> dict[str, Any]:
        """Certification -> value of its recurring demand until the horizon (per draw when drawn)."""
        found = {}
        for certification, d in self.demand.items():
            months = answered_months(certification, ready, behaviour, self.horizon)
            found[certification] = (
                d.deals_per_quarter / 3 * behaviour.demand_factor * d.average_amount * d.win_rate * months
            ) * behaviour.contract_years
        return found

    def expected(self, ready: dict[str, Ready], behaviour: Behaviour) -> tuple[Any, dict[str, float]]:
        """(expected value of each deal, expected recurring value per certification), slips averaged."""
        slip, weight = self.slips(behaviour)
        per_deal = weight @ self.deal_values(ready, behaviour, slip) if len(self.deals) else np.zeros(0)
        return per_deal, {c: float(v) for c, v in self.recurring(ready, behaviour).items()}
