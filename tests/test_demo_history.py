"""The demo's history (trustctl/demo/history.py): identity exports as they stood on each day, the AWS
changes on days AWS is collected, and a packet period whose evaluations reuse unchanged work yet give
exactly the observations a fresh evaluation of every run gives, on a real multi-run locker."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from trustctl import pipeline
from trustctl.controls.registry import all_checks
from trustctl.demo import history
from trustctl.demo.run import set_up_acme
from trustctl.demo.seed import SeededOrg
from trustctl.evidence.records import evidence_key
from trustctl.packet import period
from trustctl.pipeline.assess import assess
from trustctl.pipeline.reuse import PeriodEvaluator

PEOPLE = history.People(shift=0)  # identity.py's own dates


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _rows(text: str) -> dict[str, dict[str, str]]:
    rows = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    return {(r.get("email") or r["Email Address [Required]"]).lower(): r for r in rows}


def test_dates_move_in_both_formats_and_nothing_else() -> None:
    text = "a,2026-10-30T17:00:00Z,2026/11/23 08:12:03 UTC,2021-09-01,20261030,v3\n"
    assert (
        history.shifted(text, 13) == "a,2026-11-12T17:00:00Z,2026/12/06 08:12:03 UTC,2021-09-14,20261030,v3\n"
    )
    assert history.shifted(text, 0) == text


def test_the_roster_and_idp_as_they_stood_on_a_day() -> None:
    # Before Frank's termination (2026-09-15T18:00) and Erin's start (2026-10-05).
    before = _rows(PEOPLE.roster(_at("2026-09-15T09:00:00")))
    assert (
        before["frank@acme.example"]["status"] == "active"
        and before["frank@acme.example"]["terminated_at"] == ""
    )
    assert "erin@acme.example" not in before and before["grace@acme.example"]["status"] == "terminated"
    idp = _rows(PEOPLE.idp(_at("2026-09-15T09:00:00")))
    assert idp["frank@acme.example"]["Status [READ ONLY]"] == "Active" and "erin@acme.example" not in idp
    # Sign-ins after the export are not in it: they read as the start of the week (Monday here).
    assert idp["alice@acme.example"]["Last Sign In [READ ONLY]"] == "2026/09/14 00:00:00 UTC"
    assert idp["erin@acme.example" if "erin" in idp else "bob@acme.example"]["Last Sign In [READ ONLY]"] == (
        "2026/09/14 00:00:00 UTC"
    )
    # Terminated in the roster that evening; suspended in the IdP a day after.
    evening = _at("2026-09-15T20:00:00")
    assert _rows(PEOPLE.roster(evening))["frank@acme.example"]["terminated_at"] == "2026-09-15T18:00:00Z"
    assert _rows(PEOPLE.idp(evening))["frank@acme.example"]["Status [READ ONLY]"] == "Active"
    assert (
        _rows(PEOPLE.idp(_at("2026-09-16T19:00:00")))["frank@acme.example"]["Status [READ ONLY]"]
        == "Suspended"
    )
    # Erin from her start date; the last day's files are identity.py's rows.
    assert "erin@acme.example" in _rows(PEOPLE.roster(_at("2026-10-05T09:00:00")))
    assert PEOPLE.roster(_at("2026-11-24T00:00:00")).splitlines()[1:] == [
        line for line in history.identity.ROSTER_CSV.splitlines()[1:] if line
    ]


def test_scim_accounts_appear_on_the_start_date_and_deactivate_on_time() -> None:
    def slack(at: str) -> dict[str, history.ScimUser]:
        return {u.user_name: u for u in PEOPLE.scim(_at(at))["slack"]}

    assert slack("2026-09-17T09:00:00")["frank"].active and "erin" not in slack("2026-09-17T09:00:00")
    late = slack("2026-09-19T09:00:00")["frank"]
    assert not late.active and late.deactivated == _at("2026-09-18T10:30:00")
    erin = slack("2026-10-05T10:00:00")["erin"]
    assert erin.active and erin.created == _at("2026-10-05T09:00:00")
    github = {u.user_name for u in PEOPLE.scim(_at("2026-10-05T10:00:00"))["github"]}
    assert github == {
        "alice-acme",
        "carol-codes",
        "dana-sre",
        "erin-w",
        "ext-contractor",
    }  # erin+github@acme.io


def test_the_90_days_hold_each_story_and_aws_changes_fall_on_aws_days() -> None:
    now = datetime(2026, 12, 7, 9, tzinfo=UTC)
    first = now - timedelta(days=history.DAYS - 1)
    people = history.People((now.date() - history.IDENTITY_REFERENCE).days)
    events = people.events(first, history.DAYS)
    assert [e for e in events if "frank" in e[1]] == [
        (19, "frank@acme.example terminated"),
        (20, "frank@acme.example suspended in the IdP"),
        (22, "slack account frank deactivated"),
    ]
    assert (39, "erin@acme.example started") in events
    assert [e for e in events if "carol" in e[1]] == [
        (64, "carol@acme.example terminated"),
        (64, "carol@acme.example suspended in the IdP"),
        (65, "slack account carol deactivated"),
    ]
    for day in (history.FIXED_DAY, *history.INTERN_DAYS, history.REGRESSION_DAY):
        assert day % history.AWS_EVERY == 0 and 0 < day < history.DAYS


@pytest.fixture
def acme(aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, SeededOrg]]:
    monkeypatch.delenv("TRUSTCTL_NOW", raising=False)
    for variable in history.identity.TOKEN_ENV.values():
        monkeypatch.setenv(variable, "")  # set by the history; restored after the test
    made, org = set_up_acme(tmp_path, datetime.now(UTC).date())
    yield made.config, org


def test_reused_evaluations_equal_fresh_ones_over_a_changing_history(acme: tuple[Path, SeededOrg]) -> None:
    """Eight days: AWS on days 0, 3, 6 and 7 with a user created on day 3 and removed on day 6; Frank's
    termination, IdP suspension and late Slack deactivation fall on days 2, 3 and 5."""
    config_path, org = acme

    def changes(_: SeededOrg, day: int) -> list[str]:
        iam = boto3.client("iam")
        if day == 3:
            iam.create_user(UserName="temp")
            iam.create_login_profile(UserName="temp", Password="Temp-Password-123456")
        if day == 6:
            iam.delete_login_profile(UserName="temp")
            iam.delete_user(UserName="temp")
        return []

    frank_leaves = datetime(2026, 9, 15, tzinfo=UTC).date()
    shift = (datetime.now(UTC).date() - timedelta(days=5) - frank_leaves).days
    days = history.collect_history(
        config_path, org, days=8, aws_every=3, changes=changes, identity_shift=shift
    )
    assert [d.providers for d in days].count(("aws", "gcp", "identity")) == 4
    config = pipeline.load(config_path)
    locker = pipeline.open_locker(config)
    runs = period.collection_runs(locker)
    assert [r.run_id for r in runs] == [d.run_id for d in days]
    reusing = PeriodEvaluator(config, locker)
    reused = period.observe(runs, runs, reusing)
    fresh = period.observe(runs, runs, lambda manifest, day: assess(config, manifest, day).results)
    assert [o.results for o in reused] == [o.results for o in fresh]
    assert [(o.status, o.evidenced) for o in reused] == [(o.status, o.evidenced) for o in fresh]
    # Work was reused where the evidence stayed the same, and the evidence changed where the history did.
    assert 0 < reusing.evaluated < len(runs) * len(all_checks())
    keys = [evidence_key(period.merged(runs, i)) for i in range(len(runs))]
    assert keys[1] == keys[0] and len(set(keys)) < len(keys)

    def status(o: period.Observation, check: str, resource: str) -> str | None:
        return next(
            (r.status.value for r in o.results if r.check == check and r.resource.endswith(resource)), None
        )

    temp = [status(o, "aws.iam.user_console_mfa", "/temp") for o in reused]
    assert temp == [None, None, None, "fail", "fail", "fail", None, None]
    slack = [status(o, "identity.leaver_access_removed", "scim:slack:frank") for o in reused]
    # Frank's Slack account: no leaver row before his termination (day 2 at 18:00; the runs keep the time
    # of day the test runs at), and a late deactivation (three days) that fails to the end.
    assert slack[:2] == [None, None] and slack[-1] == "fail" and "fail" in slack[3:]
