"""The CLI contract: help and README entries for every command, exit codes, one-line errors,
baselines, output files, and the demo."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import boto3
import click
import pytest
from click.testing import CliRunner

from tests.conftest import ROOT, Ran
from trustctl.cli import main

Cli = Callable[..., Ran]


def commands(group: click.Group, prefix: str = "trustctl") -> list[tuple[str, click.Command]]:
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # the root loads its command modules on demand
        command = group.get_command(ctx, name)
        assert command is not None, name
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found += commands(command, path)
    return found


@pytest.mark.parametrize(("path", "command"), commands(main), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_has_help_and_a_readme_entry(path: str, command: click.Command) -> None:
    assert command.help and len(command.help.strip()) > 20, f"{path} has no help"
    args = path.split()[1:]
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
    assert path in (ROOT / "README.md").read_text(), f"{path} is missing from README.md"


def test_every_check_is_documented_in_the_readme() -> None:
    from trustctl.controls.registry import all_checks

    readme = (ROOT / "README.md").read_text()
    for check_id in all_checks():
        assert f"`{check_id}`" in readme, check_id


def test_init_writes_config_locker_and_private_key(tmp_path: Path, cli: Cli) -> None:
    ran = cli("init", "--org", "Acme")
    assert ran.code == 0, ran.stderr
    key = tmp_path / ".trustctl" / "signing-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (tmp_path / ".trustctl" / "locker" / "LOCKER").exists()
    again = cli("init", "--org", "Acme")
    assert again.code == 1 and "already exists; nothing was changed" in again.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["check"], 1, "trustctl.toml: not found"),
        (["check", "--format", "pdf"], 2, "Invalid value for '--format'"),
        (["collect", "azure"], 2, "Invalid value"),
        (["verify", "nowhere"], 1, "not a trustctl locker"),
    ],
)
def test_errors_are_one_line_with_documented_codes(
    tmp_path: Path, cli: Cli, args: list[str], code: int, message: str
) -> None:
    ran = cli(*args)
    assert ran.code == code
    assert message in ran.stderr
    assert "Traceback" not in ran.stderr


def test_bad_config_names_file_and_key(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "trustctl.toml").write_text('[organization]\nname = "A"\n[aws]\nregoin = "x"\n')
    ran = cli("collect", "aws")
    assert ran.code == 1
    assert ran.stderr.strip() == (
        "trustctl: error: trustctl.toml: unknown key 'aws.regoin'; remove it or check its spelling "
        "(see README, Configuration)"
    )


def test_baseline_shows_only_new_or_changed(aws: str, project: Path, cli: Cli) -> None:
    iam = boto3.client("iam")
    iam.create_user(UserName="bob")
    iam.create_login_profile(UserName="bob", Password="Password-123-long!")
    assert cli("collect", "aws").code == 0
    first = cli("check", "--format", "json", "--output", "base.json")
    assert first.code == 4 and "wrote base.json" in first.stderr
    run_id = json.loads((project / "base.json").read_text())["run"]["id"]

    iam.create_user(UserName="eve")
    iam.create_login_profile(UserName="eve", Password="Password-123-long!")
    assert cli("collect", "aws").code == 0
    for baseline in ("base.json", run_id):
        ran = cli("check", "--format", "json", "--baseline", baseline)
        new = json.loads(ran.stdout)["results"]
        assert {r["resource"] for r in new} == {"arn:aws:iam::123456789012:user/eve"}, baseline
        assert ran.code == 4
    high = json.loads(
        cli("check", "--format", "json", "--baseline", run_id, "--min-severity", "critical").stdout
    )
    assert high["results"] == []
    assert cli("check", "--baseline", run_id, "--min-severity", "critical").code == 0
    wrong = cli("check", "--baseline", "no-such-run")
    assert wrong.code == 1 and "neither a file nor a run" in wrong.stderr


def test_sarif_and_markdown_outputs(aws: str, project: Path, cli: Cli) -> None:
    boto3.client("iam").create_user(UserName="bob")
    assert cli("collect", "aws").code == 0
    ran = cli(
        "check",
        "--format",
        "sarif",
        "--output",
        "out/trustctl.sarif",
        "--fail-on",
        "fail",
        "--min-severity",
        "high",
    )
    assert ran.code == 4  # the root user has no MFA (critical)
    sarif = json.loads((project / "out" / "trustctl.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert all(r["properties"]["status"] in ("fail", "error") for r in sarif["runs"][0]["results"])
    md = cli("check", "--format", "markdown", "--fail-on", "none")
    assert md.code == 0 and md.stdout.startswith("## trustctl")


def test_controls_list_and_show(cli: Cli) -> None:
    listed = cli("controls", "list")
    assert listed.code == 0 and "AC-02" in listed.stdout and "aws.iam.user_console_mfa" in listed.stdout
    shown = cli("controls", "show", "iam-01")
    assert shown.code == 0 and "aws.iam.wildcard_policy" in shown.stdout
    assert cli("controls", "show", "XX-99").code == 2


def test_demo_replaces_its_own_directory_and_refuses_another(tmp_path: Path, cli: Cli) -> None:
    # The whole 90-day demo's outputs are checked in test_packet.py, on the demo it builds once.
    for _ in range(2):  # a previous demo is replaced (a short history is enough to show it)
        ran = cli("demo", "--out", "demo", "--days", "2", timeout=300)
        assert ran.code == 0, ran.stderr
    assert cli("verify", str(tmp_path / "demo" / ".trustctl" / "locker")).code == 0
    (tmp_path / "mine").mkdir()
    refused = cli("demo", "--out", "mine")
    assert refused.code == 1 and "not a trustctl demo directory" in refused.stderr


def test_results_carry_requirements_and_filter_by_framework(aws: str, project: Path, cli: Cli) -> None:
    iam = boto3.client("iam")
    iam.create_user(UserName="bob")
    iam.create_login_profile(UserName="bob", Password="Password-123-long!")
    assert cli("collect", "aws").code == 0
    everything = json.loads(cli("check", "--format", "json").stdout)["results"]
    mfa = next(r for r in everything if r["check"] == "aws.iam.user_console_mfa")
    assert mfa["requirements"]["soc2"] and mfa["requirements"]["hipaa_security"]
    assert all(r.startswith("CC") for r in mfa["requirements"]["soc2"])  # security category only by default
    ferpa = json.loads(cli("check", "--format", "json", "--framework", "ferpa").stdout)["results"]
    assert ferpa and all(r["requirements"].get("ferpa") for r in ferpa) and len(ferpa) < len(everything)
    unknown = cli("check", "--framework", "pci")
    assert unknown.code == 1 and "unknown framework 'pci'" in unknown.stderr


def test_frameworks_and_controls_as_json(cli: Cli) -> None:
    shown = json.loads(cli("frameworks", "show", "soc2", "--format", "json").stdout)
    assert set(shown) == {"id", "name", "version", "requirements"} and len(shown["requirements"]) == 61
    cc13 = next(r for r in shown["requirements"] if r["id"] == "CC1.3")
    assert set(cc13) == {"id", "name", "controls", "documents"} and cc13["documents"]
    listed = json.loads(cli("frameworks", "list", "--format", "json").stdout)
    assert {f["id"] for f in listed} == {"soc2", "soc3", "iso27001_2022", "hipaa_security", "ferpa"}
    control = json.loads(cli("controls", "show", "GOV-03", "--format", "json").stdout)
    assert control["checks"] == [] and "board-minutes" in control["documents"]
