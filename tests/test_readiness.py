"""Readiness computed by hand on fixed results and documents, and document evidence end to end."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import Ran
from trustctl.controls.results import Result, Severity, Status
from trustctl.evidence.documents import Document, parse_duration
from trustctl.frameworks.models import ControlLink, Framework, Requirement
from trustctl.frameworks.readiness import readiness
from trustctl.frameworks.rules import Rules

Cli = Callable[..., Ran]
TODAY = date(2026, 11, 24)


def result(control: str, status: Status, resource: str = "r") -> Result:
    return Result(
        check=f"aws.x.{control.lower()}",
        control=control,
        status=status,
        severity=Severity.HIGH,
        provider="aws",
        account="1",
        region="global",
        resource=resource,
        reason="why",
    )


def document(
    kind: str, control: str, approved: date, every: int = 365, requirements: list[str] | None = None
) -> Document:
    return Document(
        name=f"{kind}.pdf",
        sha256="sha256:" + "a" * 64,
        size=1,
        kind=kind,
        control=control,
        requirements=requirements or [],
        owner="o",
        approved=approved,
        review_every_days=every,
        added_at="2026-11-01T00:00:00Z",
    )


def req(rid: str, controls: list[tuple[str, str]], documents: list[str] | None = None) -> Requirement:
    return Requirement(
        id=rid,
        name=rid,
        description="d",
        citation=rid,
        group="security",
        controls=[ControlLink(id=c, coverage=cov, note="n") for c, cov in controls],  # type: ignore[arg-type]
        documents=documents or [],
    )


FRAMEWORK = Framework(
    id="t",
    name="T",
    version="1",
    kind="attestation",
    description="d",
    requirements=[
        req("MET", [("AC-02", "full")]),
        req("PARTIAL", [("AC-02", "partial")]),
        req("NOT_MET", [("AC-02", "full"), ("IAM-01", "partial")]),
        req("ERROR", [("CRY-01", "full")]),
        req("FAIL_BEATS_ERROR", [("CRY-01", "full"), ("IAM-01", "partial")]),
        req("NO_EVIDENCE", [("LOG-01", "full")]),
        req("NEEDS_DOC", [("AC-02", "full")], ["policy"]),
        req("DOC_FRESH", [("GOV-01", "full")]),
        req("DOC_EXPIRED", [("GOV-03", "full")]),
        req("DIRECT_DOC", [], ["risk-assessment"]),
        req("NOT_APPLICABLE", [("NET-03", "full")]),
        req("PARTIAL_AND_OWN_DOC", [("AC-02", "partial")], ["risk-assessment"]),
        req("PARTIAL_DOC_CONTROL", [("GOV-01", "partial")]),
        req("PARTIAL_SAME_DOC", [("GOV-01", "partial")], ["policy"]),
    ],
)
RESULTS = [
    result("AC-02", Status.PASS),
    result("AC-02", Status.WAIVED, "w"),
    result("IAM-01", Status.FAIL),
    result("CRY-01", Status.ERROR),
    result("NET-03", Status.NOT_APPLICABLE),
]
DOCS = [
    document("policy", "GOV-01", date(2026, 3, 1)),
    document("board-minutes", "GOV-03", date(2025, 1, 1)),
    document("org-chart", "GOV-03", date(2026, 1, 1)),
    document(
        "risk-assessment",
        "GOV-02",
        date(2026, 1, 1),
        requirements=["t:DIRECT_DOC", "t:PARTIAL_AND_OWN_DOC"],
    ),
]


def test_readiness_by_hand() -> None:
    r = readiness(FRAMEWORK, Rules(), RESULTS, DOCS, TODAY)
    got = {q.id: q.status for q in r.requirements}
    assert got == {
        "MET": "met",  # full-coverage control passes (a waiver is an accepted exception, counted apart)
        "PARTIAL": "partial",  # partial coverage alone never makes it met
        "NOT_MET": "not_met",
        "ERROR": "error",  # never a pass when evidence is missing
        "FAIL_BEATS_ERROR": "not_met",
        "NO_EVIDENCE": "no_evidence",  # LOG-01 has checks, but no results in this run
        "NEEDS_DOC": "needs_document",  # the policy is tied to GOV-01, not to this requirement's controls
        "DOC_FRESH": "met",
        "DOC_EXPIRED": "needs_document",  # board minutes expired on 2026-01-01: counts as missing
        "DIRECT_DOC": "met",  # added with --requirement t:DIRECT_DOC
        "NOT_APPLICABLE": "not_applicable",
        # partial automation plus a document of its own that covers the rest
        "PARTIAL_AND_OWN_DOC": "met",
        # a partial link to a document-only control: its fresh policy covers part, nothing the rest
        "PARTIAL_DOC_CONTROL": "partial",
        # the policy it asks for is the partial control's own (filed against GOV-01, not for this
        # requirement): it covers the part GOV-01 covers, not the rest
        "PARTIAL_SAME_DOC": "partial",
    }
    assert r.counts["met"] == 4 and r.counts["not_met"] == 2 and sum(r.counts.values()) == 14
    same = next(q for q in r.requirements if q.id == "PARTIAL_SAME_DOC")
    assert "docs add --requirement t:PARTIAL_SAME_DOC --kind policy" in same.reason
    basis = {q.id: q.basis for q in r.requirements if q.status == "met"}
    assert basis == {
        "MET": "evidenced",
        "DOC_FRESH": "declared",
        "DIRECT_DOC": "declared",
        "PARTIAL_AND_OWN_DOC": "mixed",
    }
    assert r.basis == {"evidenced": 1, "declared": 2, "mixed": 1}
    assert {q.id for q in r.declared} == {"DOC_FRESH", "DIRECT_DOC", "PARTIAL_AND_OWN_DOC"}
    met = next(q for q in r.requirements if q.id == "MET")
    assert met.exceptions == 1 and "1 accepted exception" in met.reason
    assert [x.resource for x in r.exceptions] == ["w"]
    # automated links judged: AC-02 x5 pass (MET, PARTIAL, NOT_MET, NEEDS_DOC, PARTIAL_AND_OWN_DOC),
    # IAM-01 x2 fail, CRY-01 x2 error, LOG-01 x1 no evidence -> 5 of 10
    assert r.automated_percent == 50.0
    # documents asked: NEEDS_DOC policy (missing), GOV-01 policy (fresh), GOV-03 board-minutes (expired),
    # GOV-03 org-chart (fresh), DIRECT_DOC and PARTIAL_AND_OWN_DOC risk-assessment (fresh, filed with
    # --requirement for both), PARTIAL_DOC_CONTROL and PARTIAL_SAME_DOC policy (fresh) -> 6 of 8
    assert r.documents_percent == 75.0
    expired = next(q for q in r.requirements if q.id == "DOC_EXPIRED")
    assert [(d.kind, d.status) for d in expired.documents] == [
        ("board-minutes", "expired"),
        ("org-chart", "fresh"),
    ]


def test_document_states() -> None:
    doc = document("policy", "GOV-01", date(2025, 12, 20))
    assert doc.review_by == date(2026, 12, 20)
    assert doc.state(date(2026, 11, 1)) == "fresh"
    assert doc.state(TODAY) == "due"
    assert doc.state(date(2026, 12, 21)) == "expired"


@pytest.mark.parametrize(("text", "days"), [("365d", 365), ("52w", 364), ("12m", 360), ("1y", 365)])
def test_review_intervals(text: str, days: int) -> None:
    assert parse_duration(text) == days


def test_docs_add_list_status_and_verify(aws: str, project: Path, cli: Cli) -> None:
    assert cli("collect", "aws").code == 0
    policy = project / "security-policy.pdf"
    policy.write_bytes(b"%PDF-1.4 the security policy")
    added = cli(
        "docs",
        "add",
        str(policy),
        "--kind",
        "policy",
        "--control",
        "GOV-01",
        "--owner",
        "ciso",
        "--approved",
        "2026-09-01",
        "--review-every",
        "1y",
    )
    assert added.code == 0, added.stderr
    minutes = project / "minutes.pdf"
    minutes.write_bytes(b"%PDF-1.4 board minutes")
    assert (
        cli(
            "docs",
            "add",
            str(minutes),
            "--kind",
            "board-minutes",
            "--control",
            "GOV-03",
            "--requirement",
            "soc2:CC1.2",
            "--owner",
            "board",
            "--approved",
            "2020-01-01",
        ).code
        == 0
    )
    listed = json.loads(cli("docs", "list", "--format", "json").stdout)
    assert {(d["name"], d["state"]) for d in listed} == {
        ("security-policy.pdf", "fresh"),
        ("minutes.pdf", "expired"),
    }
    # Document runs are signed and chained like collections, and never replace the evidence checks read.
    assert cli("verify").code == 0
    assert json.loads(cli("check", "--format", "json").stdout)["results"]
    [soc2] = json.loads(cli("status", "--framework", "soc2", "--format", "json").stdout)
    assert soc2["summary"]["requirements"] == 33
    cc12 = next(r for r in soc2["requirements"] if r["id"] == "CC1.2")
    assert cc12["status"] == "needs_document"
    assert {d["kind"]: d["status"] for d in cc12["documents"]}["board-minutes"] == "expired"
    assert cli("status", "--format", "markdown").stdout.count("## ") == 5
    exported = cli("export", "oscal", "--framework", "soc2", "--output", "soc2-oscal.json")
    assert exported.code == 0, exported.stderr
    from trestle.oscal.assessment_results import AssessmentResults

    parsed = AssessmentResults.oscal_read(project / "soc2-oscal.json")
    assert parsed is not None and len(parsed.results[0].findings or []) == 33


def test_a_future_approval_date_is_refused(project: Path, cli: Cli) -> None:
    doc = project / "p.pdf"
    doc.write_bytes(b"x")
    ran = cli(
        "docs",
        "add",
        str(doc),
        "--kind",
        "policy",
        "--control",
        "GOV-01",
        "--owner",
        "o",
        "--approved",
        "2099-06-01",
    )
    assert ran.code == 1 and "--approved 2099-06-01: give the day the document was approved" in ran.stderr
    assert not list((project / ".trustctl" / "locker" / "runs").glob("*"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "policy", "--control", "ZZ-01"], "--control ZZ-01: unknown control"),
        (["--kind", "horoscope", "--control", "GOV-01"], "--kind horoscope: unknown document kind"),
        (
            ["--kind", "policy", "--control", "GOV-01", "--requirement", "soc2:CC99.9"],
            "soc2 has no requirement",
        ),
        (["--kind", "policy", "--control", "GOV-01", "--review-every", "soon"], "--review-every 'soon'"),
        (
            ["--kind", "policy", "--control", "GOV-01", "--review-every", "100y"],
            "--review-every 100y: at most 10 years",
        ),
        (
            ["--kind", "policy", "--control", "GOV-01", "--review-every", "400d"],
            "--review-every 400d: policy documents must be reviewed at least every 365 days",
        ),
        (
            ["--kind", "vulnerability-scan-report", "--control", "CHG-03", "--review-every", "6m"],
            "at least every 92 days",
        ),
    ],
)
def test_bad_document_input_is_one_clear_line(project: Path, cli: Cli, args: list[str], message: str) -> None:
    doc = project / "p.pdf"
    doc.write_bytes(b"x")
    ran = cli("docs", "add", str(doc), *args, "--owner", "o", "--approved", "2026-01-01")
    assert ran.code == 1 and message in ran.stderr and "Traceback" not in ran.stderr
    assert len(ran.stderr.strip().splitlines()) <= 2  # one line, and at most a hint
    assert not list((project / ".trustctl" / "locker" / "runs").glob("*")), "nothing is stored"
    assert cli(
        "docs",
        "add",
        "missing.pdf",
        "--kind",
        "policy",
        "--control",
        "GOV-01",
        "--owner",
        "o",
        "--approved",
        "2026-01-01",
    ).code in (1, 2)


def test_a_one_line_file_of_every_kind_is_declared_never_evidenced(aws: str, project: Path, cli: Cli) -> None:
    """The auditor's test: file a one-line document of every kind against every control that asks for it.
    Whatever that makes met is marked declared (or mixed, beside passing checks) in status and the packet."""
    from trustctl import pipeline
    from trustctl.controls.catalog import load_catalog

    assert cli("collect", "aws").code == 0
    config = pipeline.load(project / "trustctl.toml")
    for control in load_catalog().controls:
        for kind in control.documents:
            path = project / f"{control.id}-{kind}.txt"
            path.write_text("Approved by the CEO\n", encoding="utf-8")
            pipeline.add_document(
                config,
                path,
                kind=kind,
                control=control.id,
                requirements=[],
                owner="ceo@example.com",
                approved=date(2026, 10, 1),
                review_every="90d",
            )
    statuses = json.loads(cli("status", "--format", "json").stdout)
    declared = 0
    for framework in statuses:
        for q in framework["requirements"]:
            if q["status"] != "met":
                assert q["basis"] is None
                continue
            machine = any(c["status"] == "pass" for c in q["controls"])
            papers = bool(q["documents"])
            assert (
                q["basis"]
                == {(True, False): "evidenced", (False, True): "declared", (True, True): "mixed"}[
                    (machine, papers)
                ]
            ), (framework["framework"]["id"], q["id"])
            declared += q["basis"] == "declared"
        basis = framework["summary"]["met_basis"]
        assert sum(basis.values()) == framework["summary"]["met"]
    assert declared, (
        "a file filed against a full-coverage document control makes its requirement met, as declared"
    )
    built = cli("packet", "--framework", "iso27001_2022", "--out", "pk")
    assert built.code == 0, built.stderr
    packet = json.loads((project / "pk" / "packet.json").read_text())
    iso = next(f for f in statuses if f["framework"]["id"] == "iso27001_2022")
    assert {q["id"]: q["basis"] for q in packet["requirements"]} == {
        q["id"]: q["basis"] for q in iso["requirements"]
    }
    soa = packet["statement_of_applicability"]
    assert len(soa) == 93 and all(row["applicable"] for row in soa)
    five_one = next(row for row in soa if row["control"] == "5.1")
    assert five_one["basis"] == "declared" and "policy" in five_one["evidence"]
