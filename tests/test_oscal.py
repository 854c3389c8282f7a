"""The OSCAL assessment-results export: valid per trestle's models, honest statuses, deterministic."""

from __future__ import annotations

import dataclasses
import importlib
import json
import tomllib
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from trestle.oscal import OSCAL_VERSION
from trestle.oscal.assessment_results import AssessmentResults

from trustctl import pipeline
from trustctl.cli import main
from trustctl.controls.results import Result, Severity, Status
from trustctl.errors import EXIT_ERROR, ExportError, TrustctlError
from trustctl.evidence.documents import Document
from trustctl.frameworks.loader import load_frameworks
from trustctl.frameworks.models import ControlLink, Framework, Requirement
from trustctl.frameworks.readiness import ControlState, DocumentState, Readiness, RequirementState
from trustctl.pipeline import outputs
from trustctl.reports import oscal

RUN = "20250101T120000Z-abc123"
WHEN = "2025-01-01T12:00:00Z"
E1, E2, E3 = ("sha256:" + c * 64 for c in "123")
DOC_HASH = "sha256:" + "d" * 64


def _framework() -> Framework:
    return Framework(
        id="soc2",
        name="SOC 2",
        version="2017 TSC (2022 points of focus)",
        kind="attestation",
        description="Trust Services Criteria.",
        requirements=[
            Requirement(
                id="CC6.1",
                name="Logical access",
                description="d",
                citation="TSC CC6.1",
                controls=[ControlLink(id="IAM-01", coverage="full", note="n")],
            ),
            Requirement(
                id="CC6.6",
                name="Boundary protection",
                description="d",
                citation="TSC CC6.6",
                controls=[ControlLink(id="NET-01", coverage="full", note="n")],
            ),
            Requirement(
                id="CC1.3", name="Structures", description="d", citation="TSC CC1.3", documents=["org-chart"]
            ),
        ],
    )


def _document() -> Document:
    return Document(
        name="org-chart.pdf",
        sha256=DOC_HASH,
        size=10,
        kind="org-chart",
        control="GOV-01",
        requirements=["soc2:CC1.3"],
        owner="cto@example.com",
        approved=date(2024, 6, 1),
        review_every_days=365,
        added_at="2024-06-01T00:00:00Z",
    )


def _readiness() -> Readiness:
    iam = ControlState(id="IAM-01", coverage="full", status="pass", checks=["iam_mfa"], counts={"pass": 1})
    net = ControlState(
        id="NET-01", coverage="full", status="fail", checks=["sg_open"], counts={"fail": 1, "pass": 1}
    )
    return Readiness(
        framework=_framework(),
        requirements=[
            RequirementState("CC6.1", "Logical access", "TSC CC6.1", "met", "All controls pass.", [iam], []),
            RequirementState(
                "CC6.6", "Boundary protection", "TSC CC6.6", "not_met", "NET-01 fails.", [net], []
            ),
            RequirementState(
                "CC1.3",
                "Structures",
                "TSC CC1.3",
                "needs_document",
                "",
                [],
                [DocumentState(kind="org-chart", status="fresh", documents=[_document()])],
            ),
        ],
        counts={"met": 1, "not_met": 1, "needs_document": 1},
        automated_percent=50.0,
        documents_percent=100.0,
    )


def _result(
    check: str, control: str, status: Status, resource: str, evidence: list[str], **kw: Any
) -> Result:
    return Result(
        check=check,
        control=control,
        status=status,
        severity=Severity.HIGH,
        provider="aws",
        account="111122223333",
        region="us-east-1",
        resource=resource,
        reason=f"{check} {status.value}",
        requirements=kw.pop("requirements", {"soc2": ["CC6.1"]}),
        evidence=evidence,
        **kw,
    )


def _results() -> list[Result]:
    return [
        _result("iam_mfa", "IAM-01", Status.PASS, "arn:aws:iam::111122223333:user/alice", [E1]),
        _result("sg_open", "NET-01", Status.FAIL, "sg-1", [E2, E3], requirements={"soc2": ["CC6.6"]}),
        _result("sg_open", "NET-01", Status.PASS, "sg-2", [E2], requirements={"soc2": ["CC6.6"]}),
        # evidences another framework only: not an observation here
        _result(
            "phi_tags", "DAT-01", Status.PASS, "bucket", [E1], requirements={"hipaa_security": ["164.312(d)"]}
        ),
    ]


def _render(**overrides: Any) -> str:
    args: dict[str, Any] = {
        "run_id": RUN,
        "completed_at": WHEN,
        "tool_version": "0.1.0",
        "organization": "Acme Inc.",
    } | overrides
    return oscal.render(_readiness(), _results(), **args)


@pytest.fixture(scope="module")
def text() -> str:
    return _render()


@pytest.fixture(scope="module")
def ar(text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)["assessment-results"]
    return data


def test_trestle_reads_it_back(text: str, tmp_path: Path) -> None:
    path = tmp_path / "assessment-results.json"
    path.write_text(text)
    model = AssessmentResults.oscal_read(path)
    assert isinstance(model, AssessmentResults)
    assert list(json.loads(text)) == ["assessment-results"]
    assert json.loads(model.oscal_serialize_json()) == json.loads(text)  # nothing dropped or changed


def test_metadata(ar: dict[str, Any]) -> None:
    meta = ar["metadata"]
    assert meta["title"] == "trustctl assessment results: SOC 2"
    assert meta["version"] == "0.1.0"
    assert meta["oscal-version"] == OSCAL_VERSION
    assert meta["last-modified"].startswith("2025-01-01T12:00:00")
    assert [(p["type"], p["name"]) for p in meta["parties"]] == [("organization", "Acme Inc.")]
    assert {"name": "run-id", "ns": oscal.NS, "value": RUN} in meta["props"]
    assert ar["import-ap"]["href"] == "#" and "assessment plan" in ar["import-ap"]["remarks"]


def test_reviewed_controls_are_tokens(ar: dict[str, Any]) -> None:
    (result,) = ar["results"]
    (selection,) = result["reviewed-controls"]["control-selections"]
    assert [c["control-id"] for c in selection["include-controls"]] == ["cc6.1", "cc6.6", "cc1.3"]


def test_findings(ar: dict[str, Any]) -> None:
    findings = {f["target"]["target-id"]: f for f in ar["results"][0]["findings"]}
    assert {k: f["target"]["status"]["state"] for k, f in findings.items()} == {
        "cc6.1": "satisfied",
        "cc6.6": "not-satisfied",
        "cc1.3": "not-satisfied",
    }
    assert findings["cc1.3"]["target"]["status"]["reason"] == "needs_document"
    assert "NET-01 fails." in findings["cc6.6"]["target"]["status"]["remarks"]
    assert {"name": "requirement-id", "ns": oscal.NS, "value": "CC6.6"} in findings["cc6.6"]["props"]

    observations = {o["uuid"]: o for o in ar["results"][0]["observations"]}
    linked = {
        k: [observations[r["observation-uuid"]]["title"] for r in f["related-observations"]]
        for k, f in findings.items()
    }
    assert linked == {
        "cc6.1": ["iam_mfa: arn:aws:iam::111122223333:user/alice"],
        "cc6.6": ["sg_open: sg-1", "sg_open: sg-2"],
        "cc1.3": ["org-chart: org-chart.pdf"],
    }


def test_observations_and_evidence(ar: dict[str, Any]) -> None:
    observations = ar["results"][0]["observations"]
    assert len(observations) == 4  # three check results of this framework, one document
    assert [o["methods"] for o in observations] == [["TEST"]] * 3 + [["EXAMINE"]]
    hrefs = [[e["href"] for e in o["relevant-evidence"]] for o in observations]
    assert hrefs == [
        [f"locker:{E1}"],
        [f"locker:{E2}", f"locker:{E3}"],
        [f"locker:{E2}"],
        [f"locker:{DOC_HASH}"],
    ]
    subject = observations[1]["subjects"][0]
    assert subject["type"] == "resource" and subject["title"] == "sg-1"
    assert {p["name"]: p["value"] for p in subject["props"]} == {
        "provider": "aws",
        "account": "111122223333",
        "region": "us-east-1",
    }
    assert {p["name"]: p["value"] for p in observations[1]["props"]} == {
        "status": "fail",
        "severity": "high",
        "check": "sg_open",
        "control": "NET-01",
    }
    assert all(o["collected"].startswith("2025-01-01T12:00:00") for o in observations)


def test_deterministic(text: str) -> None:
    assert _render() == text
    other = _render(run_id="another-run")
    assert json.loads(other)["assessment-results"]["uuid"] != json.loads(text)["assessment-results"]["uuid"]


@pytest.mark.parametrize(
    ("requirement_id", "token"),
    [
        ("CC6.1", "cc6.1"),
        ("164.312(d)", "req-164.312-d"),
        ("164.308(a)(1)(ii)(A)", "req-164.308-a-1-ii-a"),
        ("clause-4.1", "clause-4.1"),
        ("5.10", "req-5.10"),
    ],
)
def test_requirement_token(requirement_id: str, token: str) -> None:
    assert oscal.requirement_token(requirement_id) == token


def test_every_catalog_requirement_makes_a_unique_token() -> None:
    for framework in load_frameworks().values():
        tokens = [oscal.requirement_token(r.id) for r in framework.requirements]
        assert len(set(tokens)) == len(tokens), framework.id


def _readiness_with(requirements: list[RequirementState]) -> Readiness:
    return dataclasses.replace(_readiness(), requirements=requirements)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"requirements": []}, "soc2: no requirements in scope; nothing to export as OSCAL."),
        ({"completed_at": "yesterday"}, "completed_at 'yesterday' is not an ISO 8601 timestamp."),
        ({"requirement_ids": ["CC6.1", "cc6.1"]}, "both make OSCAL token 'cc6.1'"),
        ({"requirement_ids": ["()"]}, "requirement id '()' has nothing to make an OSCAL token of."),
    ],
)
def test_what_cannot_be_exported_is_an_export_error(change: dict[str, Any], message: str) -> None:
    """A trustctl error with exit 1 and a sentence, not a bare ValueError ("unexpected error")."""
    base = _readiness()
    requirements = base.requirements
    if "requirements" in change:
        requirements = change["requirements"]
    if "requirement_ids" in change:
        requirements = [
            dataclasses.replace(base.requirements[0], id=rid) for rid in change["requirement_ids"]
        ]
    with pytest.raises(ExportError) as raised:
        oscal.render(
            _readiness_with(requirements),
            _results(),
            run_id=RUN,
            completed_at=change.get("completed_at", WHEN),
            tool_version="0.1.0",
            organization="Acme Inc.",
        )
    assert message in str(raised.value)
    assert isinstance(raised.value, TrustctlError) and raised.value.exit_code == EXIT_ERROR == 1


def test_export_oscal_error_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    """`trustctl export oscal` on a framework with nothing to export: the documented exit 1 and one line."""
    assessed = SimpleNamespace(
        readiness={"soc2": _readiness_with([])},
        results=[],
        run=SimpleNamespace(run_id=RUN, completed_at=WHEN),
    )
    monkeypatch.setattr(
        pipeline, "load", lambda path: SimpleNamespace(organization=SimpleNamespace(name="A"))
    )
    monkeypatch.setattr(outputs, "assessment", lambda config, framework_ids: assessed)
    ran = CliRunner().invoke(main, ["export", "oscal", "--framework", "soc2"])
    assert ran.exit_code == 1
    assert ran.stderr == "trustctl: error: soc2: no requirements in scope; nothing to export as OSCAL.\n"
    assert ran.stdout == ""


def test_oscal_export_needs_no_extra() -> None:
    """compliance-trestle validates what `export oscal` writes, so a plain install has it: a main
    dependency of the package, pinned in constraints.txt."""
    root = Path(__file__).resolve().parent.parent
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(d.startswith("compliance-trestle") for d in project["dependencies"])
    pins = (root / "constraints.txt").read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("compliance-trestle==") for line in pins)
    module = importlib.import_module("trustctl.reports.oscal")
    assert callable(module.render)
