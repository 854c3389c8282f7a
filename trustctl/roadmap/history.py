"""Closed deals (won and lost, with the loss reason) as recurring demand per certification.

`closed_deals.csv` has the columns `deal,amount,outcome,close_date,requires,loss_reason` (`loss_reason`
may be left empty, and the column left out). For each certification the deals that asked for it give:
deals per quarter (their count over the quarters the file spans up to the as-of date), the average amount,
and the win rate once it is held: won / (won + lost for another reason), with one win and one loss added
(Laplace's rule) so that a handful of deals never gives 0 % or 100 %. A loss whose reason names a
certification, compliance or a security review is one the certification would have answered, so it
counts as demand but not against the win rate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from trustctl.errors import InputError
from trustctl.ids import CERTIFICATION_IDS
from trustctl.inputs import csv_records
from trustctl.roadmap.costs import Demand
from trustctl.roadmap.pipeline_csv import ISO_DATES, _amount, _date, _requires

COLUMNS = ("deal", "amount", "outcome", "close_date", "requires")
WON = {"won", "closedwon", "closed won", "win"}
LOST = {"lost", "closedlost", "closed lost", "loss"}
FOR_WANT_OF_IT = re.compile(
    r"certif|complian|security review|security questionnaire|audit report|soc ?[23]|iso ?27001|hipaa|ferpa|"
    r"hecvat|bridge letter",
    re.IGNORECASE,
)
QUARTER_DAYS = 91.3125


@dataclass(frozen=True)
class ClosedDeal:
    name: str
    amount: float
    won: bool
    close_date: date
    requires: frozenset[str]
    for_want_of_certification: bool  # lost, and the reason names a certification or security review


@dataclass(frozen=True)
class History:
    source: str
    deals: tuple[ClosedDeal, ...]


def read_history(text: str, source: str) -> History:
    """Parse closed-deals CSV text; `source` names the file in errors."""
    rows = [(n, row) for n, row in csv_records(text.lstrip("\ufeff"), source) if any(c.strip() for c in row)]
    if not rows:
        raise InputError(
            f"{source}: the file is empty; give a header row ({','.join(COLUMNS)},loss_reason) and one row "
            "per won or lost deal."
        )
    (_, header), body = rows[0], rows[1:]
    folded = {h.strip().lower(): i for i, h in enumerate(header)}
    missing = [c for c in COLUMNS if c not in folded]
    if missing:
        raise InputError(
            f"{source}: row 1: missing column {', '.join(repr(m) for m in missing)}; the header must have "
            f"{','.join(COLUMNS)} (and optionally loss_reason)."
        )
    deals = []
    for number, row in body:
        where = f"{source}: row {number}"

        def cell(column: str, row: list[str] = row) -> str:
            i = folded.get(column)
            return row[i].strip() if i is not None and i < len(row) else ""

        outcome = cell("outcome").lower()
        if outcome not in WON | LOST:
            raise InputError(
                f"{where}: outcome {cell('outcome')!r} is neither won nor lost; write won or lost."
            )
        won = outcome in WON
        reason = cell("loss_reason")
        deals.append(
            ClosedDeal(
                cell("deal") or f"row {number}",
                _amount(cell("amount"), where),
                won,
                _date(cell("close_date"), ISO_DATES, where),
                _requires(cell("requires"), where),
                not won and bool(FOR_WANT_OF_IT.search(reason)),
            )
        )
    return History(source, tuple(deals))


def load_history(path: Path) -> History:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot be read ({e}).") from None
    return read_history(text, str(path))


def estimate(history: History, as_of: date) -> dict[str, Demand]:
    """Recurring demand per certification the closed deals asked for (see the module docstring)."""
    if not history.deals:
        return {}
    first = min(d.close_date for d in history.deals)
    quarters = max(1.0, (max(as_of, first) - first).days / QUARTER_DAYS)
    found = {}
    for certification in CERTIFICATION_IDS:
        asked = [d for d in history.deals if certification in d.requires]
        if not asked:
            continue
        won = sum(d.won for d in asked)
        lost_otherwise = sum(not d.won and not d.for_want_of_certification for d in asked)
        found[certification] = Demand(
            deals_per_quarter=round(len(asked) / quarters, 3),
            average_amount=round(sum(d.amount for d in asked) / len(asked), 2),
            win_rate=round((won + 1) / (won + lost_otherwise + 2), 3),
        )
    return found
