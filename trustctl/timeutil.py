"""ISO 8601 times as trustctl reads and writes them: a trailing "Z" is UTC, and what trustctl writes
always ends in "Z" (`2026-05-01T17:30:00Z`, microseconds when there are any).

One place for the parsing every reader used to do by hand (`fromisoformat(text.replace("Z", ...))`).
Errors are datetime's own ValueError; bounds (1970..2099) are trustctl.inputs' business.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def parse_iso(text: str, naive: tzinfo | None = None) -> datetime:
    """`text` as a datetime, a trailing "Z" read as +00:00, its offset as written; a time without a
    zone stays naive, or gets `naive` as its zone when given. ValueError when it is not a time."""
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None and naive is not None:
        moment = moment.replace(tzinfo=naive)
    return moment


def parse_utc(text: str) -> datetime:
    """`text` as an aware datetime in UTC; a time without a zone is taken as UTC."""
    return parse_iso(text, UTC).astimezone(UTC)


def utc_iso(moment: datetime) -> str:
    """An aware or naive (assumed UTC) datetime as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
