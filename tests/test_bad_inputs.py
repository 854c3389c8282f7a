"""Bad inputs users found, each through the real CLI: one line on stderr naming the file, row or option and
what to change, exit 1, no traceback, and the locker byte for byte as it was. Also: a locker that already
holds a document an earlier version let in out of bounds is reported, not fatal.

Every case starts from a copy of one project (init, an identity roster run and a policy document), so no
AWS collection is needed."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import Ran
from trustctl import pipeline
from trustctl.evidence import documents, signing

Cli = Callable[..., Ran]

ROSTER = (
    "email,name,status,terminated_at\nalice@acme.example,Alice,active,\nbob@acme.example,Bob,terminated,{}\n"
)
DEALS = "deal,amount,probability,close_date,requires\nGlobex,400000,0.6,2028-03-31,soc2_type2\n"
DOC = ["--kind", "policy", "--control", "GOV-01", "--owner", "ciso@acme.example"]


def _run(cwd: Path, *args: str) -> Ran:
    proc = subprocess.run(
        [sys.executable, "-m", "trustctl.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    return Ran(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with one identity run (the roster) and one document: what every case copies."""
    root = tmp_path_factory.mktemp("template")
    assert _run(root, "init", "--org", "Acme").code == 0
    (root / "roster.csv").write_text(ROSTER.format("2026-10-01"))
    config = root / "trustctl.toml"
    config.write_text(config.read_text().replace('# roster = "hr/roster.csv"', 'roster = "roster.csv"'))
    ran = _run(root, "collect", "identity")
    assert ran.code == 0, ran.stderr
    (root / "policy.md").write_text("# Information security policy\n")
    today = datetime.now(UTC).date().isoformat()  # fresh whenever the tests run
    ran = _run(root, "docs", "add", "policy.md", *DOC, "--approved", today)
    assert ran.code == 0, ran.stderr
    (root / "deals.csv").write_text(DEALS)
    return root


@pytest.fixture
def work(template: Path, tmp_path: Path) -> Path:
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    return tmp_path


def locker_files(project: Path) -> dict[str, str]:
    """Every file of the locker and the signing key, by path, as a hash of its bytes."""
    root = project / ".trustctl"
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _deep(n: int) -> str:
    return "[" * n + "]" * n


def _append(name: str, text: str) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        with (project / name).open("a", encoding="utf-8") as f:
            f.write(text)

    return setup


def _write(name: str, text: str) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        (project / name).write_text(text, encoding="utf-8")

    return setup


def _replace(name: str, old: str, new: str) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        path = project / name
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")

    return setup


def _idp(export: str) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        (project / "users.json").write_text(export, encoding="utf-8")
        _append("trustctl.toml", '\n[[identity.idp]]\nname = "okta"\npreset = "okta"\npath = "users.json"\n')(
            project
        )

    return setup


def _garbage_key(project: Path) -> None:
    (project / ".trustctl/locker/public-key.pem").write_text("-----BEGIN PUBLIC KEY-----\ngarbage\n")


def _run_to_file(project: Path) -> None:
    runs = project / ".trustctl/locker/runs"
    first = sorted(runs.iterdir())[0]
    shutil.rmtree(first)
    first.write_text("not a run\n")


def _nothing(project: Path) -> None:
    pass


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    message: str  # a part of the one stderr line: the file, row or option, and the bound
    setup: Callable[[Path], None] = _nothing


IDENTITY = ("collect", "identity")
ROADMAP = ("roadmap", "--pipeline", "deals.csv", "--format", "json")
NOT_A_RUN = "a run in the locker is not a directory"
BAD_KEY = "public-key.pem: cannot be read as the locker's Ed25519 public key"

CASES = [
    # docs add: checked before the run begins (it used to commit a signed run, then crash every reader).
    Case(
        "review-9000y",
        ("docs", "add", "policy.md", *DOC, "--approved", "2026-01-01", "--review-every", "9000y"),
        "--review-every 9000y: at most 10 years",
    ),
    Case(
        "approved-9999",
        ("docs", "add", "policy.md", *DOC, "--approved", "9999-12-31", "--review-every", "1d"),
        "--approved 9999-12-31: give the day the document was approved, between 1970-01-01 and today",
    ),
    Case(
        "approved-0001",
        ("docs", "add", "policy.md", *DOC, "--approved", "0001-01-01"),
        "--approved 0001-01-01: give the day the document was approved, between 1970-01-01 and today",
    ),
    Case(
        "review-20-digits",
        ("docs", "add", "policy.md", *DOC, "--approved", "2026-01-01", "--review-every", "9" * 20 + "d"),
        f"--review-every {'9' * 20}d: at most 10 years",
    ),
    Case(
        "owner-two-lines",
        (
            "docs",
            "add",
            "policy.md",
            "--kind",
            "policy",
            "--control",
            "GOV-01",
            "--owner",
            "ciso\nevil",
            "--approved",
            "2026-01-01",
        ),
        "--owner 'ciso\\nevil': must be one line",
    ),
    # Roster and IdP times whose UTC conversion overflowed, and files the parsers could not hold.
    Case(
        "roster-year-1",
        IDENTITY,
        "roster.csv line 3: terminated_at '0001-01-01T00:00:00+01:00' is outside 1970-01-01..2099-12-31",
        _write("roster.csv", ROSTER.format("0001-01-01T00:00:00+01:00")),
    ),
    Case(
        "roster-year-9999",
        IDENTITY,
        "roster.csv line 3: terminated_at '9999-12-31T23:59:59-05:00' is outside 1970-01-01..2099-12-31",
        _write("roster.csv", ROSTER.format("9999-12-31T23:59:59-05:00")),
    ),
    Case(
        "roster-long-cell",
        IDENTITY,
        "roster.csv line 2: a cell is longer than 131,072 characters",
        _write(
            "roster.csv", "email,name,status,terminated_at\na@acme.example," + "A" * 140_000 + ",active,\n"
        ),
    ),
    Case(
        "idp-year-9999",
        IDENTITY,
        "users.json item 1: lastLogin '9999-12-31T23:59:59-05:00' is outside 1970-01-01..2099-12-31",
        _idp(
            json.dumps(
                [
                    {
                        "profile": {"email": "alice@acme.example"},
                        "status": "ACTIVE",
                        "lastLogin": "9999-12-31T23:59:59-05:00",
                    }
                ]
            )
        ),
    ),
    Case(
        "idp-100k-deep",
        IDENTITY,
        "users.json: the IdP export is JSON nested more than 100 levels deep",
        _idp(_deep(100_000)),
    ),
    Case(
        "idp-ndjson-deep-line",
        IDENTITY,
        "users.json line 2: JSON nested more than 100 levels deep",
        _idp('{"profile": {"email": "alice@acme.example"}, "status": "ACTIVE"}\n' + _deep(100_000) + "\n"),
    ),
    # Configuration files: nesting, non-finite numbers, names, dates.
    Case(
        "config-5000-deep",
        ("status",),
        "trustctl.toml: arrays or tables nested more than 100 levels deep",
        _append("trustctl.toml", f"\n[trust]\nx = {_deep(5000)}\n"),
    ),
    Case(
        "config-timeout-inf",
        ("status",),
        "trustctl.toml: invalid value for 'aws.connect_timeout': Input should be a finite number",
        _replace("trustctl.toml", "[aws]\n", "[aws]\nconnect_timeout = inf\n"),
    ),
    Case(
        "config-org-two-lines",
        ("status",),
        "trustctl.toml: invalid value for 'organization.name': must be one line",
        _replace("trustctl.toml", 'name = "Acme"', 'name = "Acme\\nEvil"'),
    ),
    Case(
        "config-issued-9999",
        ROADMAP,
        "trustctl.toml: invalid value for 'certifications.soc2_type2.issued': 9999-12-31 is outside",
        _replace(
            "trustctl.toml", "[certifications]\n", "[certifications]\nsoc2_type2 = { issued = 9999-12-31 }\n"
        ),
    ),
    Case(
        "costs-5000-deep",
        (*ROADMAP, "--costs", "costs.toml"),
        "costs.toml: arrays or tables nested more than 100 levels deep",
        _write("costs.toml", f"x = {_deep(5000)}\n"),
    ),
    Case(
        "costs-rate-inf",
        (*ROADMAP, "--costs", "costs.toml"),
        "costs.toml: invalid value for 'hourly_rate': Input should be a finite number",
        _write("costs.toml", "hourly_rate = inf\n"),
    ),
    Case(
        "costs-rate-nan",
        (*ROADMAP, "--costs", "costs.toml"),
        "costs.toml: invalid value for 'hourly_rate': Input should be a finite number",
        _write("costs.toml", "hourly_rate = nan\n"),
    ),
    Case(
        "costs-hours-inf",
        (*ROADMAP, "--costs", "costs.toml"),
        "costs.toml: invalid value for 'hours_per_control.IAM': Input should be a finite number",
        _write("costs.toml", "[hours_per_control]\nIAM = inf\n"),
    ),
    Case(
        "pipeline-long-cell",
        ROADMAP,
        "deals.csv line 2: a cell is longer than 131,072 characters",
        _write("deals.csv", DEALS.replace("Globex", "G" * 140_000)),
    ),
    # A damaged locker: a clear locker error naming the path (exit 1), never a report from what is left.
    *(
        Case(f"garbage-key-{c[0]}", c, BAD_KEY, _garbage_key)
        for c in [("check",), ("status",), ("packet", "--framework", "soc2"), ("trust-report",)]
    ),
    *(Case(f"run-is-a-file-{c[0]}", c, NOT_A_RUN, _run_to_file) for c in [("check",), ("status",)]),
    # init: nothing is written before every value is checked.
    Case(
        "init-dir-onto-file",
        ("init", "--dir", "afile"),
        "--dir afile: a file is in the way",
        _write("afile", ""),
    ),
    Case(
        "init-org-two-lines",
        ("init", "--org", "Acme\nEvil", "--dir", "evil"),
        "--org 'Acme\\nEvil': must be one line",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_and_changes_nothing(work: Path, cli: Cli, case: Case) -> None:
    case.setup(work)
    before = locker_files(work)
    listing = sorted(str(p.relative_to(work)) for p in work.rglob("*"))
    ran = cli(*case.args)
    assert ran.code == 1, ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1, ran.stderr
    assert lines[0].startswith("trustctl: error: "), lines[0]
    assert case.message in lines[0], lines[0]
    assert "unexpected error" not in ran.stderr and "Traceback" not in ran.stderr
    assert locker_files(work) == before
    if case.args[0] == "init":  # not a file more, anywhere
        assert sorted(str(p.relative_to(work)) for p in work.rglob("*")) == listing


def test_a_too_deep_gcp_export_line_is_a_named_malformed_line(work: Path, cli: Cli) -> None:
    """An export line is checked like every other malformed line: recorded as an error of the run (exit 3),
    named by file and line, while the rest of the export loads; nothing already in the locker changes."""
    good = '{"name": "//storage.googleapis.com/b", "asset_type": "storage.googleapis.com/Bucket"}'
    deep = '{"name": "x", "asset_type": "y", "data": ' + _deep(100_000) + "}"
    shallow_but_over = '{"name": "z", "asset_type": "y", "data": ' + _deep(150) + "}"
    (work / "export.json").write_text("\n".join([good, deep, shallow_but_over]) + "\n")
    before = locker_files(work)
    ran = cli("collect", "gcp", "--export", "export.json")
    assert ran.code == 3, ran.stderr
    assert "unexpected error" not in ran.stderr and "Traceback" not in ran.stderr
    errors = [line for line in ran.stderr.splitlines() if line.startswith("  error ")]
    assert [e.split(": ", 1)[1] for e in errors] == [
        "export.json line 2: not valid JSON (nested more than 100 levels deep)",
        "export.json line 3: not valid JSON (nested more than 100 levels deep)",
    ]
    after = locker_files(work)
    assert {k: v for k, v in after.items() if k in before and k != "locker/index.sqlite"} == {
        k: v for k, v in before.items() if k != "locker/index.sqlite"
    }


def test_a_document_stored_out_of_bounds_is_reported_not_fatal(work: Path, cli: Cli) -> None:
    """A locker written by an earlier version holds a document reviewed every 9000 years and one whose
    metadata is not a document. Signed runs cannot change: every reader goes on, the first counts as
    expired (in force on no day), `docs list` says why of both."""
    config = pipeline.load(work / "trustctl.toml")
    writer = pipeline.open_locker(config).begin_run(
        signing.load_private_key(config.key_path), "Acme", config.digest
    )
    now = datetime.now(UTC)
    data = b"# Board minutes, 2026 Q1\n"
    content, metadata = documents.document_calls("minutes.md")
    digest = writer.record_bytes(content, data, now)
    writer.record_response(
        metadata,
        {
            "name": "minutes.md",
            "sha256": digest,
            "size": len(data),
            "kind": "board-minutes",
            "control": "GOV-03",
            "requirements": [],
            "owner": "board",
            "approved": "2026-01-01",
            "review_every_days": 9000 * 365,
            "added_at": "2026-01-02T00:00:00Z",
        },
        now,
    )
    writer.record_response(documents.document_calls("broken.md")[1], {"name": "broken.md"}, now)
    writer.commit([documents.PROVIDER])
    before = locker_files(work)

    listed = cli("docs", "list", "--format", "json")
    assert listed.code == 0, listed.stderr
    state = {d["name"]: (d["state"], d.get("problem")) for d in json.loads(listed.stdout)}
    assert state["minutes.md"] == ("invalid", "its review period of 3285000 days is longer than 10 years")
    assert state["policy.md"] == ("fresh", None)
    assert "document 'minutes.md' is out of bounds" in listed.stderr
    assert "document 'broken.md' has invalid metadata" in listed.stderr
    table = cli("docs", "list")
    assert table.code == 0 and "invalid  GOV-03" in table.stdout

    status = cli("status", "--framework", "soc2", "--format", "json")
    assert status.code == 0, status.stderr
    [soc2] = json.loads(status.stdout)
    kinds = {d["kind"]: d["status"] for r in soc2["requirements"] for d in r["documents"]}
    assert kinds["board-minutes"] == "expired"
    for args in (
        ("export", "oscal", "--framework", "soc2"),
        ("trust-report", "--out", "trust"),
        (*ROADMAP,),
        ("packet", "--framework", "soc2", "--out", "packet"),
    ):
        ran = cli(*args)
        assert ran.code == 0, (args, ran.stderr)
        assert "unexpected error" not in ran.stderr
    assert locker_files(work) == before
