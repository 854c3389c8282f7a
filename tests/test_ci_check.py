"""The check and collect options CI leans on, on one project with GCP evidence: `collect gcp --export A B`
(several files after one flag, as the CLI contract writes it), `check --also FORMAT=FILE` (every report
from one evaluation, with the inventory SARIF and GitLab findings point at), and `--baseline` given the
run id a report names (the state as of that run; tests/test_ci_action.py does it with AWS, identity
and GCP collected in separate runs)."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

from tests.conftest import Ran

Cli = Callable[..., Ran]


@pytest.fixture
def exports(project: Path) -> list[str]:
    """The demo company's GCP asset export, split in two files."""
    lines = (
        resources.files("trustctl.demo").joinpath("gcp_export.jsonl").read_text().splitlines(keepends=True)
    )
    (project / "a.json").write_text("".join(lines[: len(lines) // 2]))
    (project / "b.json").write_text("".join(lines[len(lines) // 2 :]))
    return ["a.json", "b.json"]


def test_export_takes_several_files_after_one_flag(project: Path, exports: list[str], cli: Cli) -> None:
    ran = cli("collect", "gcp", "--export", *exports)
    assert ran.code == 0, ran.stderr
    repeated = cli("collect", "gcp", "--export", exports[0], "--export", exports[1])
    assert repeated.code == 0, repeated.stderr
    one = json.loads(cli("check", "--format", "json", "--fail-on", "none").stdout)
    assert {r["account"] for r in one["results"] if r["provider"] == "gcp"} >= {
        "export:a.json",
        "export:b.json",
    }
    unknown = cli("collect", "gcp", "a.json")  # a file without --export is an unknown provider
    assert (
        unknown.code == 2 and "Invalid value" in unknown.stderr and "'a.json' is not one of" in unknown.stderr
    )
    folder = cli("collect", "gcp", "--export", "a.json", ".")
    assert folder.code == 2 and "is a directory" in folder.stderr


def test_every_format_from_one_evaluation(project: Path, exports: list[str], cli: Cli) -> None:
    assert cli("collect", "gcp", "--export", *exports).code == 0
    ran = cli(
        "check", "--format", "markdown", "--output", "out/check.md", "--also", "json=out/check.json",
        "--also", "sarif=out/check.sarif", "--also", "gitlab-sast=out/gl-sast.json", "--inventory", "inv.txt",
    )  # fmt: skip
    assert ran.code == 4, ran.stderr  # the export has failing resources
    for name in ("check.md", "check.json", "check.sarif", "gl-sast.json"):
        assert f"wrote out/{name}" in ran.stderr, name
    assert "wrote inv.txt" in ran.stderr
    sarif = json.loads((project / "out" / "check.sarif").read_text())
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]
    }
    assert uris == {"inv.txt"}
    fails = json.loads((project / "out" / "check.json").read_text())["summary"]["fail"]
    assert len(json.loads((project / "out" / "gl-sast.json").read_text())["vulnerabilities"]) == fails
    bad = cli("check", "--also", "pdf=x.pdf")
    assert bad.code == 2 and "--also pdf=x.pdf: expected FORMAT=FILE" in bad.stderr


def test_a_run_id_baseline_is_the_state_as_of_that_run(project: Path, exports: list[str], cli: Cli) -> None:
    """Two GCP runs, one per export file: the latest run's id, the one check reports, as the baseline gives
    nothing new; the first run's gives the second file's resources as new."""
    assert cli("collect", "gcp", "--export", exports[0]).code == 0
    first = json.loads(cli("check", "--format", "json", "--fail-on", "none").stdout)["run"]["id"]
    assert cli("collect", "gcp", "--export", exports[1]).code == 0
    now = json.loads(cli("check", "--format", "json", "--fail-on", "none").stdout)
    same = cli("check", "--format", "json", "--baseline", now["run"]["id"])
    assert same.code == 0, same.stderr
    assert json.loads(same.stdout)["results"] == []
    since = json.loads(cli("check", "--format", "json", "--fail-on", "none", "--baseline", first).stdout)
    assert since["baseline"]["run"] == first
    new = {r["account"] for r in since["results"] if r["baseline_state"] == "new"}
    assert "export:b.json" in new and "export:a.json" not in new
