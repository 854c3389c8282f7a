"""Management's words: [system] (inline or in its own file) and [controls.ID] narratives load strictly with
one clear line per mistake; `exception respond` stores a signed response that `verify` accepts, refuses what
answers nothing, and a later response supersedes the earlier one (both kept); the packet shows the draft
chapters, the responses with their hashes, and packet.json and the workbook carry the same."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
from openpyxl import load_workbook

from tests.conftest import Ran
from trustctl import pipeline
from trustctl.config import load_config
from trustctl.demo.management import DEMO_RESPONSES, demo_system_config
from trustctl.errors import ConfigError, InputError
from trustctl.packet import build
from trustctl.packet.html import render_html
from trustctl.packet.workbook import write_workbook

ORG = '[organization]\nname = "Test Co"\n'
SYSTEM = """
[system]
name = "Test Platform"
services = [{ name = "Test API", description = "Customers call it over HTTPS" }]
boundaries = { in_scope = "The API and its AWS accounts", out_of_scope = "Customers' own integrations" }
people = [{ name = "Platform team", description = "Operates production" }]
data = [{ name = "Customer records", stored_in = ["RDS in us-east-1"] }]

[[system.subservice_organizations]]
name = "Amazon Web Services"
purpose = "Hosting: compute, storage, databases"
method = "carve-out"
controls = ["Physical security of the data centres"]

[[system.cuecs]]
id = "CUEC-1"
text = "Customers remove their own users' access when they leave"
controls = ["AC-02"]

[controls.AC-04]
narrative = \"\"\"The password policy is set in every account.

Changes to it go through review.\"\"\"
owner = "security@test.example"
"""


def write(tmp_path: Path, text: str, name: str = "trustctl.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_system_and_narratives_load_inline_and_from_a_file(tmp_path: Path) -> None:
    config = pipeline.load(write(tmp_path, ORG + SYSTEM))
    system = config.system
    assert system.name == "Test Platform" and system.file is None and system.given
    assert [o.method for o in system.subservice_organizations] == ["carve-out"]
    assert system.cuecs[0].controls == ["AC-02"] and system.data[0].stored_in == ["RDS in us-east-1"]
    assert config.controls["AC-04"].narrative.endswith("go through review.")
    assert config.controls["AC-04"].owner == "security@test.example"
    # The same description in a file of its own, named relative to the config.
    (tmp_path / "desc").mkdir()
    body = SYSTEM.split("[controls.AC-04]")[0].replace("[system]\n", "").replace("system.", "")
    write(tmp_path / "desc", body, "system.toml")
    config = pipeline.load(write(tmp_path, ORG + '[system]\nfile = "desc/system.toml"\n'))
    assert config.system.file == Path("desc/system.toml") and config.system.name == "Test Platform"
    assert config.system.cuecs[0].id == "CUEC-1" and config.controls == {}
    assert not load_config(write(tmp_path, ORG)).system.given


@pytest.mark.parametrize(
    ("text", "where", "line"),
    [
        ('[system]\nnmae = "x"\n', "trustctl.toml", "unknown key 'system.nmae'"),
        (
            '[[system.subservice_organizations]]\nname = "AWS"\nmethod = "carveout"\n',
            "trustctl.toml",
            "invalid value for 'system.subservice_organizations.0.method': Input should be 'carve-out' or 'inclusive'",
        ),
        (
            "[controls.AC-04]\nowner = 'a@b.example'\n",
            "trustctl.toml",
            "missing required key 'controls.AC-04.narrative'",
        ),
        (
            "[controls.AC-04]\nnarrative = '   '\n",
            "trustctl.toml",
            "invalid value for 'controls.AC-04.narrative': is empty",
        ),
        ("[controls.ZZ-99]\nnarrative = 'x'\n", "trustctl.toml", "[controls.ZZ-99]: unknown control 'ZZ-99'"),
        (
            "[[system.cuecs]]\nid = 'C1'\ntext = 'x'\ncontrols = ['AC-99']\n",
            "trustctl.toml",
            "[system] cuecs C1 controls: unknown control 'AC-99'",
        ),
        (
            "[[system.cuecs]]\nid = 'C1'\ntext = 'x'\n[[system.cuecs]]\nid = 'C1'\ntext = 'y'\n",
            "trustctl.toml",
            "duplicate cuecs id C1",
        ),
        ('[system]\nfile = "missing.toml"\n', "missing.toml", "not found"),
        (
            '[system]\nfile = "s.toml"\nname = "x"\n',
            "trustctl.toml",
            "[system] names a file and also has name",
        ),
        ('[system]\nfile = "s.toml"\n', "s.toml", "unknown key 'servics'"),
    ],
)
def test_mistakes_are_one_line_naming_the_file_and_key(
    tmp_path: Path, text: str, where: str, line: str
) -> None:
    write(tmp_path, "servics = []\n", "s.toml")
    with pytest.raises(ConfigError) as caught:
        pipeline.load(write(tmp_path, ORG + text))
    message = str(caught.value)
    assert message.startswith(str(tmp_path / where) + ": ") and line in message and "\n" not in message


@pytest.fixture
def admin_role(aws: str, project: Path) -> str:
    """A role holding AdministratorAccess (aws.iam.admin_access fails on it), collected once."""
    iam = boto3.client("iam")
    arn = iam.create_role(RoleName="Deployer", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    iam.attach_role_policy(RoleName="Deployer", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    pipeline.collect(pipeline.load(project / "trustctl.toml"), ["aws"])
    return arn


def runs(project: Path) -> int:
    return len(list((project / ".trustctl" / "locker" / "runs").iterdir()))


def test_respond_is_signed_verifies_and_supersedes(
    admin_role: str, project: Path, cli: Callable[..., Ran]
) -> None:
    ran = cli(
        "exception",
        "respond",
        "aws.iam.admin_access",
        admin_role,
        "--text",
        "Deploys need it; moving to scoped roles by Q3",
        "--owner",
        "CISO@Test.example",
    )
    assert ran.code == 0, ran.stderr
    assert ran.stdout.startswith(
        f"responded to 1 finding(s) of aws.iam.admin_access on {admin_role} (sha256:"
    )
    [first] = re.findall(r"sha256:[0-9a-f]{64}", ran.stdout)
    again = cli(
        "exception",
        "respond",
        "aws.iam.admin_access",
        admin_role,
        "--text",
        "Scoped roles ship in Q3",
        "--owner",
        "ciso@test.example",
    )
    assert again.code == 0 and f"supersedes {first}" in again.stdout
    listed = cli("exception", "list", "--format", "json")
    rows = json.loads(listed.stdout)
    assert [(r["text"], r["owner"], r["superseded_by"] is None) for r in rows] == [
        ("Deploys need it; moving to scoped roles by Q3", "ciso@test.example", False),
        ("Scoped roles ship in Q3", "ciso@test.example", True),
    ]
    assert rows[0]["sha256"] == first and rows[0]["superseded_by"] == rows[1]["sha256"]
    assert rows[1]["findings"] == [{"resource": admin_role, "status": "fail"}]
    table = cli("exception", "list").stdout
    assert (
        table.startswith("superseded aws.iam.admin_access") and "\nstanding   aws.iam.admin_access" in table
    )
    # Each response is a signed run of its own, in the chain: the locker verifies, and the latest evidence
    # is still the AWS run (a response is not collected evidence).
    verified = cli("verify")
    assert verified.code == 0, verified.stdout + verified.stderr
    config = pipeline.load(project / "trustctl.toml")
    assert pipeline.open_locker(config).latest_run().providers == ["aws"]


def test_respond_refuses_what_answers_nothing_and_writes_nothing(
    admin_role: str, project: Path, cli: Callable[..., Ran]
) -> None:
    before = runs(project)
    cases = [
        (("aws.iam.no_such_check", admin_role), "CHECK aws.iam.no_such_check: no such check"),
        (("aws.iam.admin_access", "arn:aws:iam::*:role/Nobody*"), "matches none of its"),
        (("aws.iam.admin_access", "*:role/aws-service-role/*"), "matches none of its"),
    ]
    for (check, resource), words in cases:
        ran = cli("exception", "respond", check, resource, "--text", "x", "--owner", "a@test.example")
        assert ran.code == 1 and words in ran.stderr and ran.stderr.count("\n") == 1, ran.stderr
    config = pipeline.load(project / "trustctl.toml")
    passing = next(r for r in pipeline.assessment(config, []).results if r.status.value == "pass")
    with pytest.raises(InputError, match="matches only results that are not exceptions \\(pass\\)"):
        pipeline.respond_to_exception(
            config, passing.check, passing.resource, text="x", owner="a@test.example"
        )
    with pytest.raises(InputError, match="looks like a credential"):
        pipeline.respond_to_exception(
            config,
            "aws.iam.admin_access",
            admin_role,
            text="key AKIAIOSFODNN7EXAMPLE",
            owner="a@test.example",
        )
    with pytest.raises(InputError, match="--owner 'nobody'"):
        pipeline.respond_to_exception(config, "aws.iam.admin_access", admin_role, text="x", owner="nobody")
    assert runs(project) == before
    assert cli("exception", "list").stdout.startswith("no responses yet")


def test_packet_has_the_draft_chapters_responses_and_json(
    admin_role: str, project: Path, tmp_path: Path
) -> None:
    path = project / "trustctl.toml"
    path.write_text(path.read_text() + SYSTEM, encoding="utf-8")
    config = pipeline.load(path)
    stored, _ = pipeline.respond_to_exception(
        config,
        "aws.iam.admin_access",
        "*:role/Deployer",
        text="Moving to scoped roles",
        owner="ciso@test.example",
    )
    packet, included = pipeline.packet_model(config, "soc2")
    assert stored.run_id in {p.run_id for p in included}  # the response ships in packet.zip
    [response] = packet.responses
    assert (response.check, response.resource, response.status) == (
        "aws.iam.admin_access",
        admin_role,
        "fail",
    )
    assert (response.text, response.owner, response.sha256) == (
        "Moving to scoped roles",
        "ciso@test.example",
        stored.digest,
    )
    failing = sum(r.status.value in ("fail", "error", "waived") for r in packet.results)
    assert packet.unanswered == failing - 1
    narratives = {n.control: n for n in packet.narratives}
    assert narratives["AC-04"].owner == "security@test.example"
    assert narratives["AC-02"].narrative is None and set(narratives) == {c.control for c in packet.coverage}
    html = render_html(packet)
    for heading in (
        "System description (management's inputs, DRAFT)",
        "Subservice organizations",
        "Complementary user entity controls",
        "Control narratives",
        "Management responses to exceptions",
        "Management assertion (template, DRAFT for management to complete)",
    ):
        assert f"<h2>{heading}</h2>" in html, heading
    assert html.index('id="scope"') < html.index('id="system"') < html.index('id="summary"')
    assert "no narrative provided: management to describe" in html and "Moving to scoped roles" in html
    assert "Test Platform (the system)" in html and "[Name], [Title], Test Co" in html
    assert "carve-out method for\n  Amazon Web Services" in html and stored.digest[:19] in html
    assert html.count('<span class="status s-due">DRAFT</span>') == 5  # all but the signed responses
    data = build.as_json(packet)
    assert data["system"]["name"] == "Test Platform" and data["system"]["cuecs"][0]["id"] == "CUEC-1"
    assert data["responses"][0]["sha256"] == stored.digest and data["unanswered_exceptions"] == failing - 1
    assert {n["control"]: n["narrative"] for n in data["narratives"]}["AC-02"] is None
    book = load_workbook(write_workbook(packet, tmp_path / "out" / "results.xlsx"))
    assert [c.value for c in book["responses"][2]][:5] == [
        "aws.iam.admin_access",
        admin_role,
        "fail",
        "Moving to scoped roles",
        "ciso@test.example",
    ]
    rows = {r[0]: r for r in book["narratives"].iter_rows(min_row=2, values_only=True)}
    assert rows["AC-02"][2] == "no narrative provided: management to describe"
    # SOC 3 (general use): the system description and the assertion, not the narratives or responses.
    general, _ = pipeline.packet_model(config, "soc3")
    text = render_html(general)
    assert "<h2>Subservice organizations</h2>" in text and "Management assertion" in text
    assert "Management responses to exceptions" not in text and "Moving to scoped roles" not in text
    assert "responses" not in build.as_json(general)


def test_packet_without_management_words_says_what_is_missing(admin_role: str, project: Path) -> None:
    packet, _ = pipeline.packet_model(pipeline.load(project / "trustctl.toml"), "soc2")
    html = render_html(packet)
    assert "management to name the system" in html and "[the name of the system]" in html
    assert (
        "management to list its subservice organizations" in html
        and "The evidence shows AWS in scope" in html
    )
    assert "no management response yet" in html and packet.responses == []
    assert all(n.narrative is None for n in packet.narratives)


def test_demo_management_inputs_load_and_name_real_checks(tmp_path: Path) -> None:
    config = pipeline.load(write(tmp_path, ORG + demo_system_config()))
    assert config.system.name and len(config.system.subservice_organizations) >= 2
    assert len(config.controls) >= 4
    from trustctl.controls.registry import all_checks

    assert len(DEMO_RESPONSES) == 2 and all(r.check in all_checks() for r in DEMO_RESPONSES)
