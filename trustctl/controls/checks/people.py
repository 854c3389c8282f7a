"""People checks: every active person on the HR roster is trained, has acknowledged the policies and was
screened before starting, as the `[[identity.records]]` exports show. Resources are `hr:EMAIL`.

Ids start with `hr.`: they judge `identity` evidence (the roster and the records exports), which is the
provider their results carry. Days are counted in whole UTC days, from the evaluation time (`as_of`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from trustctl.controls.registry import Context, Statement, Verdicts, check, judge_rows
from trustctl.timeutil import parse_utc


def _day(value: Any) -> date | None:
    return parse_utc(value).date() if isinstance(value, str) and value else None


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _recurring(row: Any, today: date, what: str, record: str, period: int, grace: int) -> tuple[bool, str]:
    """Completed within `period` days, or a new hire still inside `grace` days of their start date."""
    name = row.person_name or row.person
    latest = _day(row.latest)
    rule = f"required every {period} days"
    age = max(0, (today - latest).days) if latest is not None else 0  # stamped ahead of UTC: today
    if latest is not None and age <= period:
        return True, f"{row.resource}: {name} last completed {latest}, {_days(age)} ago ({rule})"
    started = _day(row.started_at)
    if started is not None and (today - started).days < grace:
        due = started + timedelta(days=grace)
        return True, f"{row.resource}: {name} is a new hire (started {started}), {what} due by {due}"
    if latest is None:
        return False, f"{row.resource}: {name} has no {record} on record ({rule})"
    return False, f"{row.resource}: {name} last completed {latest}, {_days(age)} ago ({rule})"


def _judge_recurring(
    rows: pd.DataFrame, ctx: Context, what: str, record: str, period: int, grace: int
) -> Verdicts:
    today = ctx.as_of.date()
    return judge_rows(rows, lambda row: _recurring(row, today, what, record, period, grace))


@check(
    "hr.training_current",
    resource="hr.training",
    control="HR-02",
    severity="medium",
    title="Every active person has completed security awareness training within the training period",
    fix="Have the person complete the security awareness course now; then assign it on the start date "
    "and every policy.training_period_days in the LMS, and export its completions for trustctl.",
    statement=Statement("people", "staff members", "are current on security awareness training"),
)
def training_current(rows: pd.DataFrame, ctx: Context) -> Verdicts:
    policy = ctx.policy
    return _judge_recurring(
        rows, ctx, "training", "training completion", policy.training_period_days, policy.training_grace_days
    )


@check(
    "hr.policy_acknowledged",
    resource="hr.acknowledgement",
    control="HR-04",
    severity="medium",
    title="Every active person has acknowledged the security and acceptable use policies within the period",
    fix="Send the person the policies to sign now; then request acknowledgement on the start date and every "
    "policy.acknowledgement_period_days, and export the signatures for trustctl.",
    statement=Statement("people", "staff members", "are current on acknowledging our security policies"),
)
def policy_acknowledged(rows: pd.DataFrame, ctx: Context) -> Verdicts:
    policy = ctx.policy
    return _judge_recurring(
        rows,
        ctx,
        "policy acknowledgement",
        "policy acknowledgement",
        policy.acknowledgement_period_days,
        policy.acknowledgement_grace_days,
    )


def _screened(row: Any, days_after: int) -> tuple[bool | None, str]:
    name = row.person_name or row.person
    checks = sorted(d for d in (_day(c) for c in row.completions) if d is not None)
    if not checks:
        return False, f"{row.resource}: {name} has no background check on record"
    started = _day(row.started_at)
    if started is None:
        return None, (
            f"{row.resource}: the roster has no start date for {name}; map [identity] roster_columns.started_at"
        )
    first, deadline = checks[0], started + timedelta(days=days_after)
    offset = (first - started).days
    when = (
        f"{_days(-offset)} before" if offset < 0 else "on" if offset == 0 else f"{_days(offset)} after"
    ) + f" the start date {started}"
    allowed = "by the start date" if days_after == 0 else f"within {days_after} days of the start date"
    if first <= deadline:
        return True, f"{row.resource}: {name}'s background check was completed {first}, {when}"
    return (
        False,
        f"{row.resource}: {name}'s background check was completed {first}, {when} (required {allowed})",
    )


@check(
    "hr.background_checked",
    resource="hr.screening",
    control="HR-01",
    severity="medium",
    title="Every active person was background checked by their start date",
    fix="Complete the person's background check now (as far as law allows); then make a completed check a "
    "condition of the start date and export the screening vendor's completions for trustctl.",
    statement=Statement("people", "staff members", "were background checked before they started"),
)
def background_checked(rows: pd.DataFrame, ctx: Context) -> Verdicts:
    days_after = ctx.policy.background_check_days_after_start
    return judge_rows(rows, lambda row: _screened(row, days_after))
