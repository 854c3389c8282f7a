"""The evaluation engine: facts x checks -> results, with collection errors and waivers applied.

The engine, not each check, turns evidence that could not be collected into `error` results, and
reports `not_applicable` where an account has nothing a check looks at. Waivers only ever turn a
`fail` into `waived`, and only until they expire.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from trustctl.config import PolicyConfig, Waiver
from trustctl.controls.registry import CheckSpec, Context, all_checks
from trustctl.controls.results import Result, Status
from trustctl.facts.base import BASE_COLUMNS, DETAIL_ERRORS, GLOBAL, FactSet, ScopeKey

RequirementLookup = Callable[[str], dict[str, list[str]]]
# A row as a result needs it: (provider, account, region, resource, evidence), the facts' base columns.
Row = tuple[Any, Any, Any, Any, Any]


@dataclass
class Evaluation:
    results: list[Result]
    notes: list[str] = field(default_factory=list)


def _no_requirements(_: str) -> dict[str, list[str]]:
    return {}


def _evaluate_check(
    spec: CheckSpec, facts: FactSet, ctx: Context, requirements: dict[str, list[str]]
) -> list[Result]:
    table = facts.table(spec.resource)
    meta: dict[str, Any] = {
        "check": spec.id,
        "control": spec.control,
        "severity": spec.severity,
        "requirements": requirements,
    }

    def for_scope(scope: ScopeKey, status: Status, reason: str) -> Result:
        provider, account, region = scope
        return Result(
            **meta,
            status=status,
            provider=provider,
            account=account,
            region=region,
            resource=account if region == "global" else f"{account}/{region}",
            reason=reason,
        )

    results = [
        for_scope(scope, Status.ERROR, "; ".join(dict.fromkeys(reasons)))
        for scope, reasons in sorted(table.errors.items())
    ]
    frame = table.frame
    keys = list(zip(frame.provider, frame.account, frame.region, strict=True))
    hidden = [k in table.errors or (k[0], k[1], GLOBAL) in table.errors for k in keys]
    rows = frame[pd.Series(hidden, index=frame.index, dtype=bool).eq(False)]
    rows, unknown = _split_detail_errors(rows, spec)
    for row, reason in unknown:
        results.append(_row_result(meta, row, Status.ERROR, reason))
    verdicts = spec.func(rows, ctx)
    evaluated = rows.loc[verdicts.ok.index]
    judged = _rows(evaluated)
    for row, ok, reason in zip(judged, verdicts.ok, verdicts.reason, strict=True):
        status = Status.ERROR if ok is None else Status.PASS if ok else Status.FAIL
        results.append(_row_result(meta, row, status, reason))
    # A scope is seen only where the check reported on one of its rows: a scope whose rows the check
    # skipped (an account without console users, a region with only TCP listeners) is not applicable.
    seen = set(table.errors)
    for provider, account, region, *_ in [*judged, *(row for row, _ in unknown)]:
        seen |= {(provider, account, region), (provider, account, GLOBAL)}
    results += [
        for_scope(
            scope,
            Status.NOT_APPLICABLE,
            verdicts.not_applicable or f"{scope[1]} has nothing this check applies to",
        )
        for scope in table.scopes
        if scope not in seen and (scope[0], scope[1], GLOBAL) not in table.errors
    ]
    return results


def _rows(frame: pd.DataFrame) -> list[Row]:
    """The base columns of each row, as plain tuples: itertuples over every column of a wide fact frame
    costs most of an evaluation (a column lookup per column and a namedtuple class per call)."""
    return list(zip(*(frame[c].tolist() for c in BASE_COLUMNS), strict=True))


def _row_result(meta: dict[str, Any], row: Row, status: Status, reason: str) -> Result:
    provider, account, region, resource, evidence = row
    return Result(
        **meta,
        status=status,
        provider=provider,
        account=account,
        region=region,
        resource=resource,
        reason=reason,
        evidence=sorted(set(evidence)),
    )


def _split_detail_errors(rows: pd.DataFrame, spec: CheckSpec) -> tuple[pd.DataFrame, list[tuple[Row, str]]]:
    """Rows whose per-resource evidence the check needs could not be collected become errors."""
    if DETAIL_ERRORS not in rows or rows.empty:
        return rows, []
    unknown, keep = [], []
    for row, errors in zip(_rows(rows), rows[DETAIL_ERRORS], strict=True):
        relevant = {op: msg for op, msg in (errors or {}).items() if spec.needs is None or op in spec.needs}
        keep.append(not relevant)
        if relevant:
            unknown.append((row, f"{row[3]}: " + "; ".join(relevant.values())))
    return rows[pd.Series(keep, index=rows.index, dtype=bool)], unknown


def apply_waivers(results: Iterable[Result], waivers: list[Waiver], today: date) -> Evaluation:
    out, notes, used = [], [], set()
    for result in results:
        matching = [w for w in waivers if w.matches(result.check, result.resource)]
        if result.status is not Status.FAIL or not matching:
            out.append(result)
            continue
        active = [w for w in matching if w.expires >= today]
        if active:
            w = active[0]
            used.add((w.check, w.resource))
            out.append(
                result.model_copy(
                    update={
                        "status": Status.WAIVED,
                        "reason": f"waived until {w.expires} by {w.owner}: {w.reason} (finding: {result.reason})",
                    }
                )
            )
        else:
            w = matching[0]
            used.add((w.check, w.resource))
            out.append(
                result.model_copy(
                    update={
                        "reason": f"{result.reason} (waiver by {w.owner} expired on {w.expires}; it no longer applies)"
                    }
                )
            )
    for w in waivers:
        if w.expires < today:
            notes.append(f"waiver for {w.check} {w.resource} (owner {w.owner}) expired on {w.expires}")
        elif (w.check, w.resource) not in used:
            notes.append(f"waiver for {w.check} {w.resource} matched no failing result")
    return Evaluation(out, notes)


def evaluate(
    facts: FactSet,
    policy: PolicyConfig,
    waivers: list[Waiver],
    today: date,
    *,
    checks: dict[str, CheckSpec] | None = None,
    requirements: RequirementLookup = _no_requirements,
) -> Evaluation:
    ctx = Context(policy=policy, as_of=facts.as_of)
    results: list[Result] = []
    # Hundreds of thousands of small result objects and no reference cycles: the cyclic collector's
    # repeated passes over them cost as much as the evaluation itself (8.6 s -> 4.3 s at 200k assets).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for spec in (checks if checks is not None else all_checks()).values():
            results += _evaluate_check(spec, facts, ctx, requirements(spec.control))
    finally:
        if collecting:
            gc.enable()
    results.sort(key=lambda r: (r.check, r.account, r.region, r.resource))
    return apply_waivers(results, waivers, today)
