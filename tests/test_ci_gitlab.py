"""The GitLab CI template as GitLab runs it: ci/gitlab/trustctl.gitlab-ci.yml's `trustctl` job, its
before_script and script entries in order with bash, with its variables and GitLab's predefined ones, on
a project holding the demo company's GCP asset export; then the artifacts it declares: the SAST report,
checked against the fields GitLab's security report format requires (tests/data/gitlab-sast-required
.schema.json says why not GitLab's own schema), the JUnit report and the inventory the findings point at.
"""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT
from tests.test_ci_action import offline_runner_env, python_bin, trustctl

TEMPLATE = yaml.safe_load((ROOT / "ci" / "gitlab" / "trustctl.gitlab-ci.yml").read_text(encoding="utf-8"))
__all__ = ["python_bin"]  # the fixture, shared with the action's test


@dataclass(frozen=True)
class Job:
    project: Path
    codes: list[int]
    log: str


def _expand(text: str, variables: dict[str, str]) -> str:
    for name in sorted(variables, key=len, reverse=True):
        text = text.replace("$" + name, variables[name])
    return text


def run_job(name: str, project: Path, env: dict[str, str], overrides: dict[str, str]) -> Job:
    job = TEMPLATE[name]
    parent = TEMPLATE[job["extends"]] if "extends" in job else {}
    variables = {k: str(v) for k, v in TEMPLATE["variables"].items()} | overrides
    codes: list[int] = []
    log = ""
    for entry in [*parent.get("before_script", []), *job["script"]]:
        # GitLab runs each entry in one bash session with errexit and pipefail set.
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", entry],
            cwd=project,
            env=env | variables,
            capture_output=True,
            text=True,
            timeout=600,
        )
        codes.append(done.returncode)
        log += done.stdout + done.stderr
        if done.returncode:
            break
    return Job(project, codes, log)


@pytest.fixture(scope="module")
def job(python_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Job:
    home = tmp_path_factory.mktemp("gitlab")
    project, tools = home / "project", home / "tools"
    project.mkdir()
    tools.mkdir()
    assert trustctl("init", "--org", "Acme", cwd=project).returncode == 0
    export = resources.files("trustctl.demo").joinpath("gcp_export.jsonl").read_bytes()
    (project / "assets.json").write_bytes(export)
    env = offline_runner_env(python_bin, tools, home) | {
        "GITLAB_CI": "true",
        "CI_PROJECT_DIR": str(project),
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_JOB_NAME": "trustctl",
        "CI_COMMIT_SHA": "0" * 40,
    }
    overrides = {
        "TRUSTCTL_SOURCE": str(ROOT),
        "TRUSTCTL_CONSTRAINTS": str(ROOT / "constraints.txt"),
        "TRUSTCTL_COLLECT": "gcp --export assets.json",
    }
    return run_job("trustctl", project, env, overrides)


def test_the_job_runs_every_entry_and_fails_on_the_findings(job: Job) -> None:
    script = TEMPLATE["trustctl"]["script"]
    assert job.codes == [0] * len(script) + [4], job.log[-3000:]  # before_script, collect, then the gate
    assert "trustctl, version" in job.log


def test_the_sast_report_has_what_gitlab_requires(job: Job) -> None:
    artifacts = TEMPLATE["trustctl"]["artifacts"]
    assert artifacts["when"] == "always"  # the reports are kept when the gate fails the job
    report = json.loads((job.project / artifacts["reports"]["sast"]).read_text())
    schema = json.loads((ROOT / "tests" / "data" / "gitlab-sast-required.schema.json").read_text())
    jsonschema.validate(report, schema, cls=jsonschema.Draft7Validator)
    assert report["scan"]["status"] == "success" and report["vulnerabilities"]
    inventory_path = _expand(artifacts["paths"][1], {k: str(v) for k, v in TEMPLATE["variables"].items()})
    inventory = (job.project / inventory_path).read_text().splitlines()
    for vulnerability in report["vulnerabilities"]:
        assert vulnerability["location"]["file"] == inventory_path
        line = inventory[vulnerability["location"]["start_line"] - 1]
        assert line.endswith(" " + vulnerability["details"]["resource"]["value"])
    assert len({v["id"] for v in report["vulnerabilities"]}) == len(report["vulnerabilities"])
    check = json.loads((job.project / "trustctl-reports" / "check.json").read_text())
    assert len(report["vulnerabilities"]) == check["summary"]["fail"]


def test_the_junit_report_and_the_other_artifacts(job: Job) -> None:
    artifacts = TEMPLATE["trustctl"]["artifacts"]
    root = ET.parse(job.project / artifacts["reports"]["junit"]).getroot()
    assert root.tag == "testsuites" and int(root.get("failures", "0")) > 0
    assert (job.project / artifacts["paths"][0] / "check.md").read_text().startswith("## trustctl")


def test_the_packet_job_runs_on_schedules_only() -> None:
    assert TEMPLATE["trustctl-packet"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    assert TEMPLATE["trustctl"]["rules"][0] == {"if": '$CI_PIPELINE_SOURCE == "schedule"', "when": "never"}
    assert "trustctl packet" in TEMPLATE["trustctl-packet"]["script"][0]
