"""The HR roster: who works here and who has left, and when.

Default columns `email,name,status,terminated_at`, and optionally `started_at` (the start date, which
the people checks measure new hires' grace windows and background checks from); `[identity]
roster_columns` maps them to another export's headers. A terminated person must have a termination time; an unparseable date, an unknown
status or a repeated email is an InputError naming the line, because a roster read half-way would turn
leavers into strangers (orphans) or hide them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trustctl.collectors.identity.tables import csv_rows, email_key, iso, lookup, parse_time, read_text
from trustctl.errors import InputError
from trustctl.inputs import BoundsError

if TYPE_CHECKING:
    from trustctl.config import Config

FIELDS = ("email", "name", "status", "terminated_at", "started_at")


def _time(values: dict[str, Any], column: str, where: str, what: str) -> str | None:
    """A date column as ISO 8601 UTC (None when empty), or an InputError naming the line."""
    raw = lookup(values, column)
    try:
        return iso(parse_time(raw))
    except BoundsError as e:
        raise InputError(
            f"{where}: {column} {raw!r} {e}.",
            f"Give the real {what}, e.g. 2026-05-01 or 2026-05-01T17:30:00Z.",
        ) from None
    except ValueError:
        raise InputError(
            f"{where}: {column} {raw!r} is not a date.",
            "Use ISO 8601, e.g. 2026-05-01 or 2026-05-01T17:30:00Z.",
        ) from None


def read_roster(
    path: Path,
    columns: Mapping[str, str],
    active_statuses: list[str],
    terminated_statuses: list[str],
) -> list[dict[str, Any]]:
    """One dict per person: line, email (as written), key (normalized, no aliases), name, status
    (`active` | `terminated`), terminated_at and started_at (ISO 8601 UTC or None; started_at is None
    for everyone when the roster has no such column)."""
    text = read_text(path, "roster")
    names = {f: columns.get(f, f) for f in FIELDS}
    # started_at is optional, unless it is mapped: a mapped column that is missing is a typo.
    needed = ("email", "status", "terminated_at", *(["started_at"] if "started_at" in columns else []))
    required = {f: names[f] for f in needed}
    _, rows = csv_rows(path, text, required, "roster")
    active = {s.strip().lower() for s in active_statuses}
    terminated = {s.strip().lower() for s in terminated_statuses}
    people: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, values in rows:
        where = f"{path} line {line}"
        email = str(lookup(values, names["email"]) or "")
        key = email_key(email, where)
        if key in seen:
            raise InputError(
                f"{where}: {email} is already on line {seen[key]}.",
                "Keep one row per person (the current one).",
            )
        seen[key] = line
        raw_status = str(lookup(values, names["status"]) or "").strip().lower()
        if raw_status in terminated:
            status = "terminated"
        elif raw_status in active:
            status = "active"
        else:
            raise InputError(
                f"{where}: status {raw_status or '(empty)'!r} is neither active "
                f"({', '.join(sorted(active))}) nor terminated ({', '.join(sorted(terminated))}).",
                "Fix the row, or list the value in [identity] active_statuses or terminated_statuses.",
            )
        terminated_at = _time(values, names["terminated_at"], where, "termination date")
        started_at = _time(values, names["started_at"], where, "start date")
        if status == "terminated" and terminated_at is None:
            raise InputError(
                f"{where}: {email} is terminated but has no {names['terminated_at']}.",
                "Add the termination date; the deprovisioning SLA is measured from it.",
            )
        people.append(
            {
                "line": line,
                "email": email,
                "key": key,
                "name": str(lookup(values, names["name"]) or ""),
                "status": status,
                "terminated_at": terminated_at if status == "terminated" else None,
                "started_at": started_at,
            }
        )
    if not people:
        raise InputError(f"{path}: the roster has a header but no people.", "Export it again.")
    return people


def configured_roster(config: Config) -> tuple[Path, list[dict[str, Any]]] | None:
    """`[identity] roster`, read with its configured columns and statuses: its path and its people, or
    None when no roster is configured."""
    identity = config.identity
    if identity.roster is None:
        return None
    path = config.base_dir / identity.roster
    columns = {str(k): v for k, v in identity.roster_columns.items()}
    return path, read_roster(path, columns, identity.active_statuses, identity.terminated_statuses)
