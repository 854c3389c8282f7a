"""Populations and auditor samples on a real locker with several runs (clock set with TRUSTCTL_NOW, AWS on
the moto server): each population holds exactly the period's events the evidence shows, with stable row ids
and the evidence object behind each; a seed or a samples file gives the same sample every time and the packet
records it; asking for too many, or a bad samples file, is one clear error."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import boto3
import openpyxl
import pytest

from trustctl import pipeline
from trustctl.controls.catalog import load_catalog
from trustctl.errors import InputError
from trustctl.packet import sampling
from trustctl.packet.period import Period
from trustctl.packet.populations import POPULATIONS

TODAY = datetime.now(UTC).date()
DAY0 = TODAY - timedelta(days=20)
HEADER = "email,name,status,terminated_at,started_at\n"


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


def at(n: int) -> str:
    return datetime.combine(day(n), datetime.min.time(), UTC).replace(hour=6).isoformat()


@pytest.fixture
def history(aws: str, project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Runs on days 0 (before the period), 2 and 4: a user added and one removed, a new hire and a leaver
    on the roster, one EBS snapshot, one change record filed; the period is day 1 to today."""
    roster = project / "roster.csv"
    roster.write_text(
        HEADER
        + f"alice@test.example,Alice,active,,{day(-400)}\ncarol@test.example,Carol,active,,{day(-300)}\n"
    )
    config_path = project / "trustctl.toml"
    text = config_path.read_text().replace("[identity]\n", f'[identity]\nroster = "{roster}"\n', 1)
    config_path.write_text(text)
    config = pipeline.load(config_path)
    iam, ec2 = boto3.client("iam"), boto3.client("ec2", region_name="us-east-1")
    iam.create_user(UserName="alice")

    def collect(n: int) -> None:
        monkeypatch.setenv("TRUSTCTL_NOW", at(n))
        pipeline.collect(config, ["aws", "identity"])
        monkeypatch.delenv("TRUSTCTL_NOW")

    collect(0)
    iam.create_user(UserName="dave")
    iam.attach_user_policy(UserName="dave", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)
    ec2.create_snapshot(VolumeId=volume["VolumeId"])  # moto stamps it now: inside the period
    roster.write_text(
        HEADER
        + f"alice@test.example,Alice,active,,{day(-400)}\n"
        + f"carol@test.example,Carol,terminated,{day(1)}T17:00:00Z,{day(-300)}\n"
        + f"bob@test.example,Bob,active,,{day(2)}\n"
    )
    collect(2)
    iam.delete_user(UserName="alice")
    collect(4)
    record = project / "change-tickets.csv"
    record.write_text("ticket,approved\nCHG-1,yes\n")
    pipeline.add_document(
        config,
        record,
        kind="change-record",
        control="CHG-01",
        requirements=[],
        owner="cto@test.example",
        approved=day(3),
        review_every="365d",
    )
    return config_path


def _model(config_path: Path, **options: object) -> object:
    config = pipeline.load(config_path)
    packet, _ = pipeline.packet_model(config, "soc2", period_text=f"{day(1)}..{TODAY}", **options)  # type: ignore[arg-type]
    return packet


def test_populations_hold_what_the_evidence_shows(history: Path) -> None:
    packet = _model(history)
    found = {p.id: p for p in packet.populations}  # type: ignore[attr-defined]
    assert list(found) == list(POPULATIONS)
    catalog = load_catalog().ids
    assert all(set(p.controls) <= catalog and p.source for p in found.values())

    def rows(pid: str) -> list[tuple[str, str]]:
        return [(r.subject, r.event) for r in found[pid].rows]

    assert rows("new_hires") == [("bob@test.example", "started")]
    assert found["new_hires"].rows[0].day == day(2)
    assert rows("leavers") == [("carol@test.example", "terminated")]
    assert found["leavers"].rows[0].at == datetime.combine(day(1), datetime.min.time(), UTC).replace(hour=17)
    # Day 0 is the baseline (before the period): alice there is not a grant; her deletion is a removal.
    assert sorted(rows("access_grants")) == [
        ("dave", "IAM user granted"),
        ("dave", "managed policy ReadOnlyAccess attached granted"),
    ]
    assert rows("access_removals") == [("alice", "IAM user removed")]
    grants = {r.event: r for r in found["access_grants"].rows}
    assert (
        grants["IAM user granted"].at.isoformat() == at(2)
        and grants["IAM user granted"].precision == "observed"
    )
    removal = found["access_removals"].rows[0]
    assert removal.at.isoformat() == at(4)
    assert [r.event for r in found["backups"].rows] == ["EBS snapshot"] and found["backups"].collected
    assert [(r.subject, r.event, r.day) for r in found["changes"].rows] == [
        ("change-tickets.csv", "change-record approved", day(3))
    ]
    assert "no change-management collector" in found["changes"].source
    assert [r.subject for r in found["document_approvals"].rows] == ["change-tickets.csv"]
    # Never filed: not collected, which is not the same as an empty population.
    assert not found["incidents"].collected and not found["access_reviews"].collected
    assert found["restore_tests"].collected and found["restore_tests"].rows == []
    # Each row names a run of the locker and an evidence object that shows it.
    config = pipeline.load(history)
    locker = pipeline.open_locker(config)
    for population in found.values():
        for row in population.rows:
            assert row.id.startswith(population.id + "-") and locker.get_object(row.evidence) is not None
    assert locker.get_object(removal.evidence)  # the listing in which alice is gone
    names = [u["UserName"] for u in _users(locker.get_object(removal.evidence))]
    assert "alice" not in names and "dave" in names
    # The same evidence gives the same row ids.
    again = {p.id: [r.id for r in p.rows] for p in _model(history).populations}  # type: ignore[attr-defined]
    assert again == {p.id: [r.id for r in p.rows] for p in found.values()}


def _users(details: object) -> list[dict[str, str]]:
    return list(details.get("UserDetailList", []))  # type: ignore[attr-defined]


def test_a_seed_or_a_file_gives_the_same_sample_and_is_recorded(history: Path, tmp_path: Path) -> None:
    config = pipeline.load(history)
    options = {
        "period_text": f"{day(1)}..{TODAY}",
        "sample": 1,
        "sample_seed": "8271",
        "sampled_by": "Jo, Audit LLP",
    }
    first = pipeline.packet(config, "soc2", out=tmp_path / "a", **options)  # type: ignore[arg-type]
    again, _ = pipeline.packet_model(config, "soc2", **options)  # type: ignore[arg-type]
    recorded = json.loads(first.files["json"].read_text())
    assert again.sampling == first.packet.sampling and again.sampling is not None
    s = recorded["sampling"]
    assert (s["method"], s["seed"], s["sampled_by"], s["size"]) == ("seed", "8271", "Jo, Audit LLP", 1)
    drawn = {"new_hires", "leavers", "access_grants", "access_removals", "changes", "backups"}
    assert set(s["rows"]) == drawn | {"document_approvals"}
    assert all(len(ids) == 1 for ids in s["rows"].values()) and len(s["dates"]) == 1
    assert s["unsampled"] == {
        "access_reviews": "not collected",
        "incidents": "not collected",
        "restore_tests": "empty",
    }
    listed = {p["id"]: p for p in recorded["populations"]}
    assert listed["access_grants"]["rows"] == 2 and listed["incidents"]["collected"] is False
    # Each population's CSV is in the directory and in the signed zip; each row's evidence object too.
    with zipfile.ZipFile(first.files["zip"]) as z:
        names = set(z.namelist())
        grants = z.read("populations/access_grants.csv").decode().splitlines()
    assert (first.out / "populations" / "access_grants.csv").is_file()
    assert grants[0] == "row,when,subject,event,detail,run,evidence_sha256" and len(grants) == 3
    assert all(f"evidence/{line.rsplit(',', 1)[1]}" in names for line in grants[1:])
    # The workbook: an index sheet and one sheet per non-empty population; the HTML: each sampled row
    # with its short evidence hash linking to the object in the zip.
    book = openpyxl.load_workbook(first.files["workbook"], read_only=True)
    assert {"populations", "access_grants", "backups"} <= set(book.sheetnames)
    assert "incidents" not in book.sheetnames
    html = first.files["html"].read_text()
    assert 'id="populations"' in html and 'href="#populations"' in html
    for pid, ids in s["rows"].items():
        row = next(r for r in first.packet.populations if r.id == pid).row(ids[0])
        assert row is not None and f'<a href="evidence/{row.hex}">{row.hex[:12]}</a>' in html
    report, _ = pipeline.verify_packet(first.files["zip"], None, config)
    assert report.ok, report.problems

    # A different seed may draw differently, but a trustctl-derived sample says it is not independent.
    derived = _model(history, sample=1).sampling  # type: ignore[attr-defined]
    assert derived.method == "trustctl" and "not independent of the company" in derived.statement

    # The auditor's own file: the same selection every time, its SHA-256 recorded.
    grant_id = first.packet.populations[2].rows[0].id
    chosen = tmp_path / "selection.csv"
    chosen.write_text(f"population,row,date\naccess_grants,{grant_id},\ndates,,{day(3)}\n")
    by_file = [
        _model(history, samples_file=chosen, sampled_by="Jo").sampling  # type: ignore[attr-defined]
        for _ in range(2)
    ]
    assert by_file[0] == by_file[1]
    assert (by_file[0].method, by_file[0].rows, by_file[0].dates) == (
        "file",
        {"access_grants": [grant_id]},
        [day(3)],
    )
    assert by_file[0].file == "selection.csv" and len(by_file[0].file_sha256) == 64


def test_too_many_samples_and_bad_files_are_one_clear_error(history: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError) as many:
        _model(history, sample=2)
    assert "more rows than a population holds (new_hires holds 1, leavers holds 1" in str(many.value)
    chosen = tmp_path / "selection.csv"
    for body, words in (
        ("population,row\nhires,new_hires-0\n", "line 2: unknown population 'hires'"),
        ("population,row\nnew_hires,new_hires-0000000000\n", "line 2: population new_hires has no row"),
        ("population,date\ndates,2026-13-01\n", "line 2: date '2026-13-01' is not an ISO date"),
        (f"population,date\ndates,{day(-5)}\n", f"line 2: date {day(-5)} is outside the period"),
        ("who,what\n", "line 1: the header must name the columns population and row"),
        ("population,row\nincidents,incidents-1\n", "line 2: population incidents was not collected"),
    ):
        chosen.write_text(body)
        with pytest.raises(InputError) as bad:
            _model(history, samples_file=chosen, sampled_by="Jo")
        assert str(bad.value).startswith(f"{chosen} ") and words in str(bad.value), str(bad.value)
        assert "\n" not in str(bad.value).split("\n")[0]
    for options, words in (
        ({"sample": 1, "sample_seed": "1"}, "--sampled-by is required"),
        ({"samples_file": chosen, "sample_seed": "1", "sampled_by": "Jo"}, "give one"),
        ({"sample": 1, "sampled_by": "Jo"}, "without them trustctl draws"),
    ):
        with pytest.raises(InputError, match=words):
            _model(history, **options)


def test_sample_dates_are_reproducible_inside_the_period_and_never_fewer() -> None:
    chosen = Period(date(2026, 7, 1), date(2026, 9, 30))
    first = sampling.sample_dates(chosen, "soc2", 10)
    assert first == sampling.sample_dates(chosen, "soc2", 10) and len(set(first)) == 10
    assert all(chosen.start <= d <= chosen.end for d in first) and first == sorted(first)
    assert first != sampling.sample_dates(chosen, "iso27001_2022", 10)
    assert sampling.sample_dates(chosen, "soc2", 10, "42") == sampling.sample_dates(chosen, "hipaa", 10, "42")
    with pytest.raises(InputError, match="has 3 day"):
        sampling.sample_dates(Period(date(2026, 7, 1), date(2026, 7, 3)), "soc2", 25)


def test_cli_records_who_supplied_the_seed(history: Path, cli: Callable[..., object]) -> None:
    ran = cli("packet", "--framework", "soc2", "--period", f"{day(1)}..{TODAY}", "--sample", "5")
    assert ran.code == 1 and "more rows than a population holds" in ran.stderr  # type: ignore[attr-defined]
