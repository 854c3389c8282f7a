"""trustctl.timeutil: the one reader of ISO 8601 times ("Z" is UTC) and the one writer (always "Z")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from trustctl.timeutil import parse_iso, parse_utc, utc_iso

PLUS_TWO = timezone(timedelta(hours=2))
TIMES = [
    "2026-05-01T17:30:00Z",
    "2026-05-01T17:30:00.123456Z",
    "2026-05-01T17:30:00+00:00",
    "2026-05-01T19:30:00+02:00",
    "2026-05-01T17:30:00",
    "2026-05-01",
]


def test_parse_iso_reads_z_as_utc_and_keeps_other_zones() -> None:
    assert parse_iso("2026-05-01T17:30:00Z") == datetime(2026, 5, 1, 17, 30, tzinfo=UTC)
    assert parse_iso("2026-05-01T17:30:00Z").utcoffset() == timedelta(0)
    assert parse_iso("2026-05-01T19:30:00+02:00").tzinfo == PLUS_TWO
    assert parse_iso("2026-05-01T17:30:00").tzinfo is None
    assert parse_iso("2026-05-01T17:30:00", UTC) == datetime(2026, 5, 1, 17, 30, tzinfo=UTC)
    assert parse_iso("2026-05-01T19:30:00+02:00", UTC).tzinfo == PLUS_TWO  # only a naive time gets it


def test_parse_utc_is_aware_utc() -> None:
    for text in TIMES[:5]:
        moment = parse_utc(text)
        assert moment.tzinfo is UTC
        assert moment == datetime(2026, 5, 1, 17, 30, moment.second, moment.microsecond, tzinfo=UTC)
    assert parse_utc("2026-05-01") == datetime(2026, 5, 1, tzinfo=UTC)


@pytest.mark.parametrize("text", TIMES)
def test_same_results_as_the_hand_parsing_it_replaces(text: str) -> None:
    """What `fromisoformat(text.replace("Z", "+00:00"))` and its variants gave, for every time trustctl
    reads (each one either written by utc_iso or a real ISO 8601 time)."""
    by_hand = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert parse_iso(text) == by_hand and parse_iso(text).tzinfo == by_hand.tzinfo
    assert parse_iso(text).isoformat() == by_hand.isoformat()
    with_utc = by_hand if by_hand.tzinfo else by_hand.replace(tzinfo=UTC)
    assert parse_iso(text, UTC).isoformat() == with_utc.isoformat()
    assert parse_utc(text).isoformat() == with_utc.astimezone(UTC).isoformat()


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01T00:00:00Z", "2026-05-01T25:00Z", "Z"])
def test_not_a_time_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso(text)
    with pytest.raises(ValueError):
        parse_utc(text)


def test_utc_iso_writes_z() -> None:
    assert utc_iso(datetime(2026, 5, 1, 17, 30, tzinfo=UTC)) == "2026-05-01T17:30:00Z"
    assert utc_iso(datetime(2026, 5, 1, 19, 30, 0, 5, tzinfo=PLUS_TWO)) == "2026-05-01T17:30:00.000005Z"
    assert utc_iso(datetime(2026, 5, 1, 17, 30)) == "2026-05-01T17:30:00Z"  # naive is UTC
    for text in TIMES[:2]:
        assert utc_iso(parse_utc(text)) == text  # round trip
