"""Period coverage: runs placed by their observed time (the clock set with TRUSTCTL_NOW), days evidenced,
failure intervals, reproducible sampling, documents by approval date, and the messages for an empty
period and a period before the first run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from trustctl import pipeline
from trustctl.errors import InputError, NoEvidenceError
from trustctl.evidence.documents import Document
from trustctl.packet import period

TODAY = datetime.now(UTC).date()
DAY0 = TODAY - timedelta(days=20)


def at(day: int, hour: int = 6) -> str:
    return (
        datetime.combine(DAY0 + timedelta(days=day), datetime.min.time(), UTC).replace(hour=hour).isoformat()
    )


def test_parse_period_default_explicit_and_errors() -> None:
    today = date(2026, 11, 25)
    assert period.parse_period(None, today, date(2026, 1, 1)) == period.Period(date(2026, 8, 28), today)
    assert period.parse_period(None, today, date(2026, 11, 20)) == period.Period(date(2026, 11, 20), today)
    chosen = period.parse_period("2026-07-01..2026-09-30", today, None)
    assert (chosen.days, str(chosen)) == (92, "2026-07-01..2026-09-30")
    assert chosen.contains(datetime(2026, 9, 30, 23, 59, tzinfo=UTC))
    assert not chosen.contains(datetime(2026, 10, 1, tzinfo=UTC))
    for bad, words in (
        ("2026-07-01", "START..END"),
        ("2026-09-30..2026-07-01", "end is before the start"),
        ("2026-11-01..2026-12-31", "ends after today"),
    ):
        with pytest.raises(InputError, match=words):
            period.parse_period(bad, today, None)


def test_failure_intervals_errors_neither_start_nor_end_a_failure() -> None:
    t = [datetime(2026, 7, d, tzinfo=UTC) for d in range(1, 8)]
    statuses = ["pass", "fail", "error", "fail", "pass", "fail", "error"]
    assert period._intervals(list(zip(t, statuses, strict=True))) == [
        period.Interval(t[1], t[4]),
        period.Interval(t[5], None),
    ]


def test_documents_evidence_the_days_between_approval_and_review() -> None:
    doc = Document(
        name="policy.md",
        sha256="sha256:" + "1" * 64,
        size=1,
        kind="policy",
        control="GOV-01",
        owner="ciso@example.com",
        approved=date(2026, 7, 10),
        review_every_days=10,
        added_at="2026-11-01T00:00:00Z",  # uploaded long after: placement is by approval date
    )
    chosen = period.Period(date(2026, 7, 1), date(2026, 7, 31))
    coverage = period.document_coverage(chosen, "GOV-01", [doc])
    assert (coverage.days_evidenced, coverage.days, coverage.kind) == (11, 31, "documents")
    assert coverage.daily[9] == "pass" and coverage.daily[8] == "none" and coverage.daily[21] == "none"


@pytest.fixture
def history(aws: str, project: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """collect(day): one AWS run into the project's locker with the clock set to DAY0 + day."""
    config = pipeline.load(project / "trustctl.toml")

    def collect(day: int) -> None:
        monkeypatch.setenv("TRUSTCTL_NOW", at(day))
        pipeline.collect(config, ["aws"])
        monkeypatch.delenv("TRUSTCTL_NOW")

    return collect


def test_runs_on_chosen_dates_give_coverage_and_failure_intervals(
    history: Callable[[int], None], project: Path
) -> None:
    iam = boto3.client("iam")
    history(1)  # no password policy: AC-04 fails
    history(2)
    iam.update_account_password_policy(MinimumPasswordLength=16)
    history(4)  # passes from here
    iam.delete_account_password_policy()
    history(6)  # fails again, to the end
    config = pipeline.load(project / "trustctl.toml")
    start, end = DAY0 + timedelta(days=1), DAY0 + timedelta(days=7)
    packet, included = pipeline.packet_model(config, "soc2", period_text=f"{start}..{end}", sample=3)
    ac04 = next(c for c in packet.coverage if c.control == "AC-04")
    assert (ac04.runs, ac04.days_evidenced, ac04.days) == (4, 4, 7)
    assert ac04.daily == ["fail", "fail", "none", "pass", "none", "fail", "none"]
    assert [(i.start.isoformat(), i.end.isoformat() if i.end else None) for i in ac04.failing] == [
        (at(1), at(4)),
        (at(6), None),
    ]
    assert len(packet.runs_in_period) == 4 and len(included) == 4
    # Sampling: the same dates each time, each with the evidence standing at the end of that day.
    again, _ = pipeline.packet_model(config, "soc2", period_text=f"{start}..{end}", sample=3)
    assert [s.day for s in packet.samples] == [s.day for s in again.samples]
    for sample in packet.samples:
        expected = {1: "fail", 2: "fail", 3: "fail", 4: "pass", 5: "pass", 6: "fail", 7: "fail"}
        assert sample.status["AC-04"] == expected[(sample.day - DAY0).days]
    # A shorter period places only its own runs, by observed time.
    short, _ = pipeline.packet_model(
        config, "soc2", period_text=f"{DAY0 + timedelta(days=4)}..{DAY0 + timedelta(days=5)}"
    )
    ac04 = next(c for c in short.coverage if c.control == "AC-04")
    assert (ac04.runs, ac04.days_evidenced, ac04.failing) == (1, 1, [])

    with pytest.raises(NoEvidenceError) as empty:
        pipeline.packet_model(
            config, "soc2", period_text=f"{DAY0 + timedelta(days=3)}..{DAY0 + timedelta(days=3)}"
        )
    assert "is empty: no collection run falls in it" in str(empty.value)
    assert f"last run before it was on {DAY0 + timedelta(days=2)}" in str(empty.value)
    with pytest.raises(NoEvidenceError) as before:
        pipeline.packet_model(config, "soc2", period_text=f"{DAY0 - timedelta(days=30)}..{DAY0}")
    assert f"ends before the locker's first run ({DAY0 + timedelta(days=1)})" in str(before.value)


def test_cli_packet_on_an_empty_locker_and_an_empty_period(project: Path, cli: Callable[..., object]) -> None:
    ran = cli("packet", "--framework", "soc2")
    assert ran.code == 1 and "the locker holds no collection run" in ran.stderr  # type: ignore[attr-defined]
    ran = cli("packet", "--framework", "soc2", "--period", "2026-01-01")
    assert ran.code == 1 and "START..END" in ran.stderr  # type: ignore[attr-defined]
