"""Per-person records exports: training completions (an LMS), policy acknowledgements (e-signature) and
background checks (a screening vendor), as CSV or JSON, one row per completion.

Default columns `email,completed_at,item` (`item`: the course, policy or check name, optional);
`[[identity.records]] columns` maps them to the export's headers or JSON key paths. Every row must name
a person by email and say when it was completed: a row that does not, or a completion later than
tomorrow (a typo, or a date format read the wrong way round), is an InputError naming the file and the
line, raised before the run starts. Records are joined to the roster later, in trustctl.facts.people.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from trustctl.collectors.base import now as utc_now
from trustctl.collectors.identity.tables import (
    Row,
    csv_rows,
    email_key,
    is_json,
    iso,
    json_rows,
    lookup,
    parse_time,
    read_text,
)
from trustctl.errors import InputError
from trustctl.inputs import BoundsError

FIELDS = ("email", "completed_at", "item")
WHAT = {
    "training": "training records export",
    "acknowledgement": "acknowledgements export",
    "background_check": "background checks export",
}
# A completion may be stamped in a time zone ahead of UTC; anything later than this is not a record.
FUTURE_SLACK = timedelta(days=1)


def _completed_at(raw: Any, column: str, where: str, latest: datetime) -> str:
    try:
        when = parse_time(raw)
    except BoundsError as e:
        raise InputError(
            f"{where}: {column} {raw!r} {e}.", "Give the real completion date, e.g. 2026-03-15."
        ) from None
    except ValueError:
        raise InputError(
            f"{where}: {column} {raw!r} is not a date.",
            "Use ISO 8601, e.g. 2026-03-15 or 2026-03-15T10:00:00Z.",
        ) from None
    if when is None:
        raise InputError(
            f"{where}: {column} is empty.",
            "Give the completion date, or remove the row if it was not completed.",
        )
    if when > latest:
        raise InputError(
            f"{where}: {column} {raw!r} is in the future.",
            "Fix the date (is the day read as the month?), or remove the row.",
        )
    stamped = iso(when)
    assert stamped is not None
    return stamped


def read_records(
    path: Path, kind: str, columns: Mapping[str, str], now: datetime | None = None
) -> list[dict[str, Any]]:
    """One dict per completion: line, email (as written), key (normalized, no aliases), completed_at
    (ISO 8601 UTC) and item (or None)."""
    what = WHAT[kind]
    text = read_text(path, what)
    names = {f: columns.get(f, f) for f in FIELDS}
    latest = (now or utc_now()) + FUTURE_SLACK
    json_export = is_json(path, text)
    rows: Iterator[Row]
    if json_export:
        rows = json_rows(path, text, what, list_keys=("records", "users", "items", "data"))
    else:
        needed = ("email", "completed_at", *(["item"] if "item" in columns else []))
        _, rows = csv_rows(path, text, {f: names[f] for f in needed}, what)
    records: list[dict[str, Any]] = []
    for line, values in rows:
        where = f"{path} {'item' if json_export else 'line'} {line}"
        email = lookup(values, names["email"])
        key = email_key(email, where, f"{names['email']} ")
        item = lookup(values, names["item"])
        records.append(
            {
                "line": line,
                "email": str(email).strip(),
                "key": key,
                "completed_at": _completed_at(
                    lookup(values, names["completed_at"]), names["completed_at"], where, latest
                ),
                "item": (str(item).strip() or None) if item is not None else None,
            }
        )
    if not records:
        raise InputError(f"{path}: the {what} has no records.", "Export it again.")
    return records
