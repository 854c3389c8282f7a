"""People evidence end to end: the HR roster and `[[identity.records]]` exports (training, policy
acknowledgements, background checks) collected as real files, then `check`. Identity only: no moto."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from trustctl.collectors.identity.records import read_records
from trustctl.collectors.identity.roster import read_roster
from trustctl.config import PolicyConfig
from trustctl.controls.checks.people import training_current
from trustctl.controls.registry import Context, all_checks
from trustctl.demo import identity as demo
from trustctl.errors import InputError

TODAY = datetime.now(UTC).date()


def _ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def _configure(project: Path, identity: str, policy: str = "") -> None:
    config = project / "trustctl.toml"
    text = config.read_text().replace("[identity]\n", "[identity]\n" + identity, 1)
    if policy:  # `key = value`, replacing the default init wrote
        key = policy.split("=", 1)[0].strip()
        text = re.sub(rf"^{key} = .*$", policy.strip(), text, count=1, flags=re.MULTILINE)
    config.write_text(text)


def _results(cli: Callable[..., Any]) -> dict[tuple[str, str], dict[str, Any]]:
    ran = cli("check", "--format", "json")
    assert ran.code in (0, 4), ran.stderr
    return {(r["check"], r["resource"]): r for r in json.loads(ran.stdout)["results"]}


def _hr(results: dict[tuple[str, str], dict[str, Any]], check: str) -> dict[str, dict[str, Any]]:
    return {resource: r for (c, resource), r in results.items() if c == check}


def _control_states(cli: Callable[..., Any], control: str) -> set[str]:
    ran = cli("status", "--framework", "soc2", "--format", "json")
    assert ran.code == 0, ran.stderr
    return {
        c["status"]
        for framework in json.loads(ran.stdout)
        for requirement in framework["requirements"]
        for c in requirement["controls"]
        if c["id"] == control
    }


@pytest.fixture
def acme(project: Path) -> Path:
    """The demo company's roster and records exports (its IdP export too; no SCIM apps, no AWS)."""
    demo.write_files(project)
    _configure(project, demo.identity_config())
    return project


def test_the_demo_training_export_fails_four_of_five_people(acme: Path, cli: Callable[..., Any]) -> None:
    ran = cli("collect", "identity")
    assert ran.code == 0, ran.stderr
    results = _results(cli)
    training = _hr(results, "hr.training_current")
    failing = sorted(r["reason"] for r in training.values() if r["status"] == "fail")
    assert len(training) == 5 and len(failing) == 4  # the 5 active people; leavers are not judged
    for person, name in (
        ("bob", "Bob Chen"),
        ("dana", "Dana Ito"),
        ("dev", "Devi Rao"),
        ("erin", "Erin Walsh"),
    ):
        reason = training[f"hr:{person}@acme.example"]["reason"]
        assert reason == (
            f"hr:{person}@acme.example: {name} has no training completion on record (required every 365 days)"
        )
    alice = training["hr:alice@acme.example"]
    # The demo dates Alice's completion 90 days before the day it runs (the story holds any year).
    assert alice["status"] == "pass" and "completed" in alice["reason"] and "90 days ago" in alice["reason"]
    assert alice["control"] == "HR-02" and alice["provider"] == "identity" and alice["account"] == "hr"
    assert len(alice["evidence"]) == 2  # the roster file and the LMS export
    # Acknowledgements: Devi never signed; Erin signed as erin+sign@acme.io (a domain alias and a tag).
    acks = _hr(results, "hr.policy_acknowledged")
    assert (
        acks["hr:dev@acme.example"]["status"] == "fail"
        and "Devi Rao" in acks["hr:dev@acme.example"]["reason"]
    )
    assert acks["hr:erin@acme.example"]["status"] == "pass"
    assert {r["control"] for r in acks.values()} == {"HR-04"}
    # Background checks: Dana's came back two weeks after she started.
    screening = _hr(results, "hr.background_checked")
    dana = screening["hr:dana@acme.example"]
    assert dana["status"] == "fail" and "14 days after the start date 2024-01-08" in dana["reason"]
    assert [r["status"] for r in screening.values()].count("pass") == 4
    assert {r["control"] for r in screening.values()} == {"HR-01"}
    # The framework sees HR-02 failing (the filed training document no longer stands in for it).
    assert _control_states(cli, "HR-02") == {"fail"}
    assert all_checks()["hr.training_current"].provider == "identity"


def test_a_kind_without_a_records_export_has_no_evidence_not_a_pass(
    acme: Path, cli: Callable[..., Any]
) -> None:
    config = acme / "trustctl.toml"
    text = config.read_text()
    start = text.index('[[identity.records]]\nname = "screening"')
    config.write_text(text[:start] + text[text.index('item = "Package" }\n', start) + 19 :])
    assert cli("collect", "identity").code == 0
    results = _results(cli)
    assert not _hr(results, "hr.background_checked")
    assert _hr(results, "hr.training_current")
    assert _control_states(cli, "HR-01") == {"no_evidence"}


def test_grace_stale_aliases_and_start_dates(project: Path, cli: Callable[..., Any]) -> None:
    (project / "hr").mkdir()
    (project / "hr" / "roster.csv").write_text(
        "email,name,status,terminated_at,Hire Date\n"
        f"ann@acme.example,Ann,active,,{_ago(400)}\n"
        f"ben@acme.example,Ben,active,,{_ago(10)}\n"
        f"cat@acme.example,Cat,active,,{_ago(900)}\n"
        f"dov@acme.example,Dov,active,,{_ago(45)}\n"
        "eve@acme.example,Eve,active,,\n"
        f"gus@acme.example,Gus,terminated,{_ago(5)},{_ago(800)}\n"
    )
    (project / "hr" / "lms.json").write_text(
        json.dumps(
            {
                "records": [
                    {"user": {"mail": "Ann+lms@Acme.IO"}, "finished": _ago(100), "course": "Security 101"},
                    {"user": {"mail": "cat@acme.example"}, "finished": _ago(696), "course": "Security 101"},
                    {"user": {"mail": "cat@acme.example"}, "finished": _ago(800), "course": "Security 100"},
                ]
            }
        )
    )
    (project / "hr" / "screening.csv").write_text(
        "email,completed_at\n"
        f"ann@acme.example,{_ago(401)}\n"  # the day before she started
        f"cat@acme.example,{_ago(890)}\n"  # 10 days after
        f"dov@acme.example,{_ago(40)}\n"  # 5 days after: within the 7 days allowed below
        f"eve@acme.example,{_ago(300)}\n"  # no start date on the roster
    )
    _configure(
        project,
        'roster = "hr/roster.csv"\n'
        'roster_columns = { started_at = "Hire Date" }\n'
        'domain_aliases = { "acme.io" = "acme.example" }\n'
        '[[identity.records]]\nname = "lms"\nkind = "training"\npath = "hr/lms.json"\n'
        'columns = { email = "user.mail", completed_at = "finished", item = "course" }\n'
        '[[identity.records]]\nname = "vendor"\nkind = "background_check"\npath = "hr/screening.csv"\n',
        "background_check_days_after_start = 7\n",
    )
    ran = cli("collect", "identity")
    assert ran.code == 0, ran.stderr
    results = _results(cli)
    training = _hr(results, "hr.training_current")
    assert set(training) == {f"hr:{p}@acme.example" for p in ("ann", "ben", "cat", "dov", "eve")}
    assert training["hr:ann@acme.example"]["status"] == "pass"  # joined through the alias and +tag
    ben = training["hr:ben@acme.example"]
    due = (TODAY - timedelta(days=10) + timedelta(days=30)).isoformat()
    assert (
        ben["status"] == "pass" and f"new hire (started {_ago(10)}), training due by {due}" in ben["reason"]
    )
    cat = training["hr:cat@acme.example"]
    assert cat["status"] == "fail"
    assert cat["reason"] == (
        f"hr:cat@acme.example: Cat last completed {_ago(696)}, 696 days ago (required every 365 days)"
    )
    dov = training["hr:dov@acme.example"]  # started 45 days ago: past the 30-day grace
    assert dov["status"] == "fail" and "Dov has no training completion on record" in dov["reason"]
    assert training["hr:eve@acme.example"]["status"] == "fail"
    screening = _hr(results, "hr.background_checked")
    assert screening["hr:ann@acme.example"]["status"] == "pass"
    assert "1 day before the start date" in screening["hr:ann@acme.example"]["reason"]
    cat_check = screening["hr:cat@acme.example"]
    assert cat_check["status"] == "fail" and "required within 7 days of the start date" in cat_check["reason"]
    assert screening["hr:dov@acme.example"]["status"] == "pass"
    assert screening["hr:ben@acme.example"]["status"] == "fail"
    assert "Ben has no background check on record" in screening["hr:ben@acme.example"]["reason"]
    eve = screening["hr:eve@acme.example"]
    assert eve["status"] == "error"
    assert "the roster has no start date for Eve; map [identity] roster_columns.started_at" in eve["reason"]
    # No acknowledgements export: no results, never a pass.
    assert not _hr(results, "hr.policy_acknowledged")


def test_acknowledgements_repeat_yearly(project: Path, cli: Callable[..., Any]) -> None:
    (project / "roster.csv").write_text(
        "email,name,status,terminated_at\nann@acme.example,Ann,active,\nben@acme.example,Ben,active,\n"
    )
    (project / "acks.csv").write_text(
        f"email,completed_at,item\nann@acme.example,{_ago(20)},AUP\nben@acme.example,{_ago(200)},AUP\n"
    )
    _configure(
        project,
        'roster = "roster.csv"\n[[identity.records]]\nname = "esign"\nkind = "acknowledgement"\npath = "acks.csv"\n',
        "acknowledgement_period_days = 180\n",
    )
    assert cli("collect", "identity").code == 0
    acks = _hr(_results(cli), "hr.policy_acknowledged")
    assert acks["hr:ann@acme.example"]["status"] == "pass"
    ben = acks["hr:ben@acme.example"]
    assert ben["status"] == "fail" and "200 days ago (required every 180 days)" in ben["reason"]


def test_records_without_a_roster_are_an_error(project: Path, cli: Callable[..., Any]) -> None:
    (project / "acks.csv").write_text(f"email,completed_at\nann@acme.example,{_ago(20)}\n")
    _configure(project, '[[identity.records]]\nname = "esign"\nkind = "acknowledgement"\npath = "acks.csv"\n')
    assert cli("collect", "identity").code == 0
    (result,) = _hr(_results(cli), "hr.policy_acknowledged").values()
    assert result["status"] == "error" and result["resource"] == "records:esign"
    assert "no HR roster in the evidence" in result["reason"] and "roster is needed" in result["reason"]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("bob@acme.example,2099-01-01", "lms.csv line 3: completed '2099-01-01' is in the future"),
        ("bob at acme,2026-01-01", "lms.csv line 3: person 'bob at acme' is not an email address"),
        ("bob@acme.example,01/13/2026", "lms.csv line 3: completed '01/13/2026' is not a date"),
    ],
)
def test_a_bad_records_line_stops_before_the_run(
    acme: Path, cli: Callable[..., Any], row: str, expected: str
) -> None:
    config = acme / "trustctl.toml"
    config.write_text(config.read_text().replace("hr/training-completions.csv", "hr/lms.csv"))
    (acme / "hr" / "lms.csv").write_text(f"person,completed\nalice@acme.example,2026-03-15\n{row}\n")
    ran = cli("collect", "identity")
    assert ran.code == 1
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], ran.stderr
    runs = acme / ".trustctl" / "locker" / "runs"
    assert not runs.exists() or not any(runs.iterdir())  # nothing stored


def test_a_missing_records_column_names_the_file(acme: Path, cli: Callable[..., Any]) -> None:
    (acme / "hr" / "training-completions.csv").write_text("person,finished\nalice@acme.example,2026-03-15\n")
    ran = cli("collect", "identity")
    assert ran.code == 1
    (line,) = ran.stderr.strip().splitlines()
    assert "training-completions.csv: the training records export has no column 'completed'" in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the training records export file is empty"),
        ("email,completed_at\n", "the training records export has no records"),
        ("email,completed_at\na@acme.example,\n", "line 2: completed_at is empty"),
        ("email,completed_at\na@acme.example,1900-01-01\n", "line 2: completed_at '1900-01-01'"),
    ],
)
def test_records_reader_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=expected):
        read_records(path, "training", {})
    with pytest.raises(InputError, match="no such training records export file"):
        read_records(tmp_path / "absent.csv", "training", {})


def test_a_completion_within_a_day_ahead_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("email,completed_at,item\nA+x@Acme.example,2026-05-02T03:00:00+05:00,Course\n")
    (record,) = read_records(path, "training", {}, now=datetime(2026, 5, 1, 23, 0, tzinfo=UTC))
    assert record == {
        "line": 2,
        "email": "A+x@Acme.example",
        "key": "a@acme.example",
        "completed_at": "2026-05-01T22:00:00Z",
        "item": "Course",
    }


def test_roster_start_dates(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("email,name,status,terminated_at,started_at\na@acme.example,A,active,,2025-02-03\n")
    (person,) = read_roster(path, {}, ["active"], ["terminated"])
    assert person["started_at"] == "2025-02-03T00:00:00Z"
    path.write_text("email,name,status,terminated_at\na@acme.example,A,active,\n")
    assert read_roster(path, {}, ["active"], ["terminated"])[0]["started_at"] is None
    path.write_text("email,name,status,terminated_at,Start\na@acme.example,A,active,,soon\n")
    with pytest.raises(InputError, match=r"roster.csv line 2: Start 'soon' is not a date"):
        read_roster(path, {"started_at": "Start"}, ["active"], ["terminated"])
    path.write_text("email,name,status,terminated_at\na@acme.example,A,active,\n")
    with pytest.raises(InputError, match=r"the roster has no column 'Start'"):
        read_roster(path, {"started_at": "Start"}, ["active"], ["terminated"])


def test_checks_read_the_policy_keys() -> None:
    specs = all_checks()
    assert {i: specs[i].control for i in specs if i.startswith("hr.")} == {
        "hr.background_checked": "HR-01",
        "hr.policy_acknowledged": "HR-04",
        "hr.training_current": "HR-02",
    }


@pytest.mark.parametrize(
    ("latest", "started", "status"),
    [
        ("2026-01-01", None, True),  # exactly 365 days before as_of
        ("2025-12-31", None, False),  # 366
        (None, "2026-12-02", True),  # started 29 days before as_of: within the 30 days of grace
        (None, "2026-12-01", False),  # 30 days: grace is over
        (None, None, False),
    ],
)
def test_training_boundaries(latest: str | None, started: str | None, status: bool) -> None:
    rows = pd.DataFrame(
        [
            {
                "resource": "hr:a@acme.example",
                "person": "a@acme.example",
                "person_name": "A",
                "latest": latest and f"{latest}T10:00:00Z",
                "started_at": started and f"{started}T00:00:00Z",
            }
        ]
    )
    as_of = (
        datetime(2027, 1, 1, 9, 0, tzinfo=UTC) if started is None else datetime(2026, 12, 31, 9, tzinfo=UTC)
    )
    verdicts = training_current(rows, Context(PolicyConfig(), as_of))
    assert verdicts.ok.iloc[0] is status, verdicts.reason.iloc[0]
