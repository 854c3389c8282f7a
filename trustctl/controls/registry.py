"""The check registry: `@check(...)` declares a pure function over one fact table, with its metadata.

A check returns Verdicts: for each row it evaluates, True (pass), False (fail) or None (the evidence
for that row is incomplete: error), and the reason naming the resource.

Checks are found, not listed: `all_checks` imports every module of `trustctl.controls.checks`, and each
registers its checks as it is imported. A new check module is picked up without editing anything else.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from trustctl.config import PolicyConfig
from trustctl.controls.results import Severity

if TYPE_CHECKING:  # pandas loads when a check runs, not when the registry is read (`--help`, catalogs)
    import pandas as pd


@dataclass(frozen=True)
class Context:
    """What a check may read besides its facts: thresholds and the time the evidence was observed."""

    policy: PolicyConfig
    as_of: datetime


@dataclass(frozen=True)
class Verdicts:
    ok: pd.Series  # bool or None per row, indexed like the facts
    reason: pd.Series  # str per row
    # Why a scope with no evaluated rows is not applicable, when it is not simply "nothing there".
    not_applicable: str | None = None


CheckFunction = Callable[["pd.DataFrame", Context], Verdicts]


@dataclass(frozen=True)
class Statement:
    """A check's sentence in the trust report: "<passing> of <total> <noun> <predicate>", under `area`
    (one of trust.statements.AREAS). Only checks with a statement are ever quoted there."""

    area: str
    noun: str  # plural, what was counted
    predicate: str  # what holds for the passing ones


@dataclass(frozen=True)
class CheckSpec:
    id: str
    resource: str
    control: str
    severity: Severity
    title: str
    fix: str
    func: CheckFunction
    # Per-resource detail operations the check reads (see facts.base.DETAIL_ERRORS); None: all of them.
    needs: tuple[str, ...] | None = None
    # Its trust-report sentence; None: the check counts towards its area's totals but is never quoted.
    statement: Statement | None = None

    @property
    def provider(self) -> str:
        prefix = self.id.split(".", 1)[0]
        return ID_PROVIDERS.get(prefix, prefix)


# Check id prefixes that are not the provider whose evidence the check judges: `hr.` checks read the
# roster and the people-records exports, which are `identity` evidence.
ID_PROVIDERS = {"hr": "identity"}


REGISTRY: dict[str, CheckSpec] = {}


def check(
    check_id: str,
    *,
    resource: str,
    control: str,
    severity: str,
    title: str,
    fix: str,
    needs: tuple[str, ...] | None = None,
    statement: Statement | None = None,
) -> Callable[[CheckFunction], CheckFunction]:
    def register(func: CheckFunction) -> CheckFunction:
        if check_id in REGISTRY:
            raise ValueError(f"duplicate check id {check_id}")
        REGISTRY[check_id] = CheckSpec(
            check_id, resource, control, Severity(severity), title, fix, func, needs, statement
        )
        return func

    return register


def _fill(template: str | Callable[[Any], str], row: Any) -> str:
    return template(row) if callable(template) else template.format(**row._asdict())


def verdicts(
    facts: pd.DataFrame,
    ok: pd.Series,
    *,
    passed: str | Callable[[Any], str],
    failed: str | Callable[[Any], str],
    unknown: str | Callable[[Any], str] = "{resource}: the evidence is incomplete",
) -> Verdicts:
    """Reasons for each row from templates filled with the row's facts ({resource}, {name}, ...).

    Callable templates receive the row as a named tuple (`row.resource`, `row.name`, ...).
    """
    import pandas as pd
    ok = ok.reindex(facts.index)
    reasons = [
        _fill(unknown if pd.isna(value) else passed if value else failed, row)
        for value, row in zip(ok, facts.itertuples(index=False), strict=True)
    ]
    return Verdicts(
        ok=ok.astype(object).where(ok.notna(), None),
        reason=pd.Series(reasons, index=facts.index, dtype=object),
    )


def judge_rows(
    rows: pd.DataFrame, judge: Callable[[Any], tuple[bool | None, str]], not_applicable: str | None = None
) -> Verdicts:
    """Verdicts from a function judging one row (a named tuple) at a time: (ok, reason)."""
    import pandas as pd

    judged = [judge(row) for row in rows.itertuples(index=False)]
    return Verdicts(
        ok=pd.Series([ok for ok, _ in judged], index=rows.index, dtype=object),
        reason=pd.Series([reason for _, reason in judged], index=rows.index, dtype=object),
        not_applicable=not_applicable,
    )


def check_modules() -> list[str]:
    """The name of every module of trustctl.controls.checks, sorted."""
    import trustctl.controls.checks as package

    return sorted(f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__))


def all_checks() -> dict[str, CheckSpec]:
    """Every registered check, by id (importing every check module registers them)."""
    for name in check_modules():
        importlib.import_module(name)
    return dict(sorted(REGISTRY.items()))
