"""Reading the CSV and JSON files people export (HR rosters, IdP user lists), the way real files come.

A UTF-8 byte-order mark, blank lines, surrounding spaces and header case are tolerated; anything the
reader cannot use is an InputError naming the file, the line and what to fix.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from trustctl.errors import InputError
from trustctl.inputs import BoundsError, csv_records, email_address, json_loads, to_utc
from trustctl.timeutil import parse_iso, utc_iso

Row = tuple[int, dict[str, Any]]  # line number (1 = the CSV header / the first JSON item), values


def read_text(path: Path, what: str) -> str:
    if not path.is_file():
        raise InputError(f"{path}: no such {what} file.", "Check the path in trustctl.toml.")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: the {what} is not UTF-8 text ({e.reason} at byte {e.start}).") from None
    if not text.strip():
        raise InputError(f"{path}: the {what} file is empty.", "Export it again.")
    return text


def is_json(path: Path, text: str) -> bool:
    """A JSON (or newline-delimited JSON) export, by its suffix or its first character; else CSV."""
    return path.suffix.lower() in {".json", ".jsonl", ".ndjson"} or text.lstrip()[:1] in "[{"


def email_key(value: Any, where: str, label: str = "") -> str:
    """The normalized address of a row's email (`label`: the column, when the message should name it);
    an InputError naming the row when it is not an address."""
    key = email_address(value)
    if key is None:
        raise InputError(f"{where}: {label}{value!r} is not an email address.", "Fix or remove the row.")
    return key


def csv_rows(path: Path, text: str, required: dict[str, str], what: str) -> tuple[list[str], Iterator[Row]]:
    """The header and (line, {header: value}) rows; `required` maps our field -> the column it needs."""
    records = csv_records(text, str(path))
    header: list[str] = []
    for _, raw in records:
        if any(cell.strip() for cell in raw):
            header = [cell.strip() for cell in raw]
            break
    by_lower = {h.lower(): h for h in header}
    missing = [column for column in required.values() if column.lower() not in by_lower]
    if missing:
        raise InputError(
            f"{path}: the {what} has no column {', '.join(repr(m) for m in missing)} "
            f"(columns found: {', '.join(header) or 'none'}).",
            "Rename the column, or map it in trustctl.toml.",
        )

    def rows() -> Iterator[Row]:
        for line, raw in records:
            if not any(cell.strip() for cell in raw):
                continue
            values = {h: (raw[i].strip() if i < len(raw) else "") for i, h in enumerate(header)}
            yield line, {h.lower(): v for h, v in values.items()}

    return header, rows()


def json_rows(path: Path, text: str, what: str, list_keys: tuple[str, ...] = ("users",)) -> Iterator[Row]:
    """Items of a JSON array, of `{"users": [...]}`, or of newline-delimited JSON objects."""
    try:
        value: Any = json_loads(text)
    except BoundsError as e:
        raise InputError(
            f"{path}: the {what} is JSON {e}.", "Export it again: a users export is a list of flat objects."
        ) from None
    except json.JSONDecodeError:
        value = None
    if value is None:  # newline-delimited JSON
        items: list[tuple[int, Any]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append((number, json_loads(line)))
            except BoundsError as e:
                raise InputError(f"{path} line {number}: JSON {e}.") from None
            except json.JSONDecodeError as e:
                raise InputError(f"{path} line {number}: not valid JSON ({e.msg}).") from None
    else:
        if isinstance(value, dict):
            value = next((value[k] for k in list_keys if isinstance(value.get(k), list)), None)
        if not isinstance(value, list):
            raise InputError(
                f"{path}: the {what} is JSON but not a list of users (nor an object with a 'users' list)."
            )
        items = list(enumerate(value, start=1))
    for number, item in items:
        if not isinstance(item, dict):
            raise InputError(f"{path} item {number}: not a JSON object.")
        yield number, item


def lookup(values: dict[str, Any], column: str) -> Any:
    """A CSV column (case-insensitive) or a JSON key path with dots (`profile.email`)."""
    if column.lower() in values:
        return values[column.lower()]
    current: Any = values
    for part in column.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 dates and times (a date is midnight UTC; a time without zone is UTC), and the
    `YYYY/MM/DD HH:MM:SS UTC` form of Google Workspace exports, in UTC. Empty -> None; a time outside
    trustctl.inputs' EARLIEST..LATEST -> BoundsError; not a time -> ValueError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if text.endswith(" UTC"):
        text = text[:-4].replace("/", "-") + "+00:00"
    try:
        parsed = parse_iso(text)
    except ValueError:
        day = date.fromisoformat(text)  # raises ValueError with the reason
        parsed = datetime(day.year, day.month, day.day)
    return to_utc(parsed)


def iso(value: datetime | None) -> str | None:
    return None if value is None else utc_iso(value)
