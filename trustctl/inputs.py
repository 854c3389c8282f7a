"""The bounds every input is held to before anything is written: dates, periods, numbers, names, nesting.

Readers of files people write (trustctl.toml, costs, rosters, IdP and GCP exports, pipeline CSVs) and
options (`docs add`, `init`) check their values here, so that the same mistake gets the same sentence
everywhere and nothing out of range reaches a signed run, where it could never be taken back. A value
outside a bound raises `BoundsError` (a ValueError) saying which bound; the caller names the file, row
or option it came from. `email_address` is the one spelling of an address every reader records.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator

from trustctl.errors import InputError

# Evidence, approvals, terminations and logins all happen between these days; a date outside them is a
# typo or a placeholder ("0001-01-01", "9999-12-31") whose arithmetic would overflow.
EARLIEST = date(1970, 1, 1)
LATEST = date(2099, 12, 31)
MAX_DEPTH = 100  # levels of JSON or TOML nesting: real exports and configs use well under 20
MAX_NAME = 200  # characters in a name (organization, owner, file name)


class BoundsError(ValueError):
    """A value outside the bounds; the message says which bound and what to write instead."""


def check_date(day: date, latest: date = LATEST) -> date:
    """`day` if it lies between EARLIEST and `latest`, else BoundsError."""
    if not EARLIEST <= day <= latest:
        raise BoundsError(f"is outside {EARLIEST.isoformat()}..{latest.isoformat()}")
    return day


def to_utc(moment: datetime) -> datetime:
    """An aware (or naive, taken as UTC) time in UTC, within EARLIEST..LATEST; BoundsError otherwise
    (including the times a zone offset would move past year 1 or 9999)."""
    try:
        utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc.date() <= LATEST:
        raise BoundsError(f"is outside {EARLIEST.isoformat()}..{LATEST.isoformat()}")
    return utc


def email_address(value: object) -> str | None:
    """An address as readers record it, or None when `value` is not one: case folded, `mailto:` and a
    `+tag` dropped (`Bob+Slack@Acme.IO` -> `bob@acme.io`). Domain aliases are a join rule, applied by
    trustctl.facts.emails."""
    if not isinstance(value, str):
        return None
    text = value.strip().strip("\ufeff").lower()
    text = text.removeprefix("mailto:")
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or "@" in local or " " in text or "." not in domain:
        return None
    local = local.split("+", 1)[0]
    if not local:
        return None
    return f"{local}@{domain}"


def single_line(text: str) -> str:
    """`text` if it is one line of at most MAX_NAME printable characters, not blank; else BoundsError."""
    if not text.strip():
        raise BoundsError("is empty")
    if any(not ch.isprintable() for ch in text):
        raise BoundsError("must be one line without control characters (no newline or tab)")
    if len(text) > MAX_NAME:
        raise BoundsError(f"is {len(text)} characters long; at most {MAX_NAME}")
    return text


def _single_line(text: str) -> str:
    try:
        return single_line(text)
    except BoundsError as e:
        raise ValueError(str(e)) from None


SingleLine = Annotated[str, AfterValidator(_single_line)]
"""A pydantic string field held to `single_line`."""


def _bounded_date(day: date) -> date:
    try:
        return check_date(day)
    except BoundsError as e:
        raise ValueError(f"{day.isoformat()} {e}") from None


BoundedDate = Annotated[date, AfterValidator(_bounded_date)]
"""A pydantic date field held to EARLIEST..LATEST."""


MAX_PROSE = 4000  # characters in management's prose (a narrative, a description, a response)


def prose(text: str) -> str:
    """`text` if it is at most MAX_PROSE printable characters (newlines and tabs allowed), not blank;
    else BoundsError. The text people write for an auditor to read: narratives, descriptions, responses."""
    text = text.replace("\r\n", "\n")
    if not text.strip():
        raise BoundsError("is empty")
    if any(not ch.isprintable() and ch not in "\n\t" for ch in text):
        raise BoundsError("must be text without control characters (newlines and tabs are fine)")
    if len(text) > MAX_PROSE:
        raise BoundsError(f"is {len(text)} characters long; at most {MAX_PROSE}")
    return text


def _prose(text: str) -> str:
    try:
        return prose(text)
    except BoundsError as e:
        raise ValueError(str(e)) from None


Prose = Annotated[str, AfterValidator(_prose)]
"""A pydantic string field held to `prose`."""


def _plain(text: str) -> str:
    if any(not ch.isprintable() for ch in text):
        raise ValueError("must be one line without control characters")
    return text


def _plain_path(path: Path) -> Path:
    _plain(str(path))
    return path


PlainText = Annotated[str, AfterValidator(_plain)]
"""A pydantic string field (a path, a pattern) without newlines, NUL or other control characters."""
PlainPath = Annotated[Path, AfterValidator(_plain_path)]
"""A pydantic path field held to the same (the OS refuses NUL in a path)."""


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and dicts in `value` nest more than `limit` levels (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _nesting() -> BoundsError:
    return BoundsError(f"nested more than {MAX_DEPTH} levels deep")


def json_loads(text: str | bytes) -> Any:
    """json.loads, refusing nesting deeper than MAX_DEPTH (BoundsError) rather than overflowing the
    stack; other errors are json's own ValueErrors."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise _nesting() from None
    if too_deep(value):
        raise _nesting()
    return value


def toml_loads(text: str) -> dict[str, Any]:
    """tomllib.loads, refusing nesting deeper than MAX_DEPTH (BoundsError); other errors are
    tomllib.TOMLDecodeError (a ValueError)."""
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise _nesting() from None
    if too_deep(data):
        raise _nesting()
    return data


def csv_records(text: str, source: str) -> Iterator[tuple[int, list[str]]]:
    """(line on which the record ends, its cells) of CSV text. A record the csv module refuses (a cell
    longer than csv.field_size_limit(), 131,072 characters by default) is an InputError naming the line."""
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            line = reader.line_num
            if "field larger than field limit" in str(e):
                raise InputError(
                    f"{source} line {line}: a cell is longer than {csv.field_size_limit():,} characters.",
                    "Check the quoting on that line (an unclosed quote swallows the rest of the file).",
                ) from None
            raise InputError(f"{source} line {line}: not valid CSV ({e}).") from None
        yield reader.line_num, row
