"""The judging rules: every framework can be fully met, applicability and HIPAA addressable decisions,
bounded document freshness and waivers with an end."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.test_readiness import document, result
from trustctl.config import (
    AddressableDecision,
    FrameworksConfig,
    FrameworkScope,
    parse_config,
    render_default_config,
)
from trustctl.controls.catalog import load_catalog
from trustctl.controls.registry import all_checks
from trustctl.controls.results import Status
from trustctl.errors import ConfigError
from trustctl.evidence.documents import Document, judged_by
from trustctl.frameworks.loader import load_frameworks
from trustctl.frameworks.readiness import readiness
from trustctl.frameworks.rules import Rules, rules_of

TODAY = date(2026, 11, 24)
ALL_SOC2 = FrameworksConfig(
    soc2_categories=["security", "availability", "confidentiality", "processing_integrity", "privacy"]
)


def _everything_in_place() -> tuple[list, list[Document]]:
    """One passing result for every automated control and a fresh document of every kind, filed against
    every control that asks for it and every requirement that asks for it itself."""
    results = [result(spec.control, Status.PASS) for spec in all_checks().values()]
    documents = []
    for control in load_catalog().controls:
        documents += [document(kind, control.id, TODAY - timedelta(days=30)) for kind in control.documents]
    for framework in load_frameworks().values():
        for requirement in framework.requirements:
            anchor = [f"{framework.id}:{requirement.id}"]
            documents += [
                document(kind, "GOV-01", TODAY - timedelta(days=30), requirements=anchor)
                for kind in requirement.documents
            ]
    return results, documents


# Requirements this kind of company declares not applicable rather than evidences (a test fixture of
# what `[scope.FRAMEWORK] not_applicable` is for).
NOT_APPLICABLE = {
    "hipaa_security": {
        "164.314(b)(1)": "Acme sponsors no group health plan",
        "164.314(b)(2)": "Acme sponsors no group health plan",
    },
}


@pytest.mark.parametrize("framework_id", sorted(load_frameworks()))
def test_every_framework_can_be_fully_met(framework_id: str) -> None:
    results, documents = _everything_in_place()
    scope = {f: FrameworkScope(not_applicable=na) for f, na in NOT_APPLICABLE.items()}
    state = readiness(load_frameworks()[framework_id], Rules(ALL_SOC2, scope), results, documents, TODAY)
    short = {q.id: q.reason for q in state.requirements if q.status not in ("met", "not_applicable")}
    assert not short, f"{framework_id}: cannot reach met: {short}"
    for q in state.requirements:
        if q.status == "not_applicable":
            assert q.justification or q.reason == "nothing to evidence", q.id
        else:
            assert q.basis in ("evidenced", "declared", "mixed")


def test_documents_alone_are_declared_never_evidenced() -> None:
    _, documents = _everything_in_place()
    for framework in load_frameworks().values():
        state = readiness(framework, Rules(ALL_SOC2), [], documents, TODAY)
        met = [q for q in state.requirements if q.status == "met"]
        assert met, framework.id
        assert {q.basis for q in met} == {"declared"}, framework.id
        assert state.basis["evidenced"] == state.basis["mixed"] == 0


def test_not_applicable_needs_a_justification_and_shows_it() -> None:
    hipaa = load_frameworks()["hipaa_security"]
    rules = Rules(scope={"hipaa_security": FrameworkScope(not_applicable=NOT_APPLICABLE["hipaa_security"])})
    state = readiness(hipaa, rules, [], [], TODAY)
    plan = next(q for q in state.requirements if q.id == "164.314(b)(1)")
    assert plan.status == "not_applicable" and plan.justification == "Acme sponsors no group health plan"
    assert "not applicable: Acme sponsors" in plan.reason


def test_addressable_decisions_stand_on_the_risk_assessment() -> None:
    hipaa = load_frameworks()["hipaa_security"]
    spec = next(r for r in hipaa.requirements if r.flag == "addressable")
    other = next(r for r in hipaa.requirements if r.flag == "addressable" and r.id != spec.id)

    def judge(decisions: dict[str, AddressableDecision], documents: list[Document]) -> dict[str, tuple]:
        rules = Rules(scope={"hipaa_security": FrameworkScope(addressable=decisions)})
        state = readiness(hipaa, rules, [], documents, TODAY)
        return {q.id: (q.status, q.basis, q.reason) for q in state.requirements}

    decisions = {
        spec.id: AddressableDecision(decision="alternative", reason="r1", alternative="VPN-only access"),
        other.id: AddressableDecision(decision="not_reasonable", reason="no such systems"),
    }
    without = judge(decisions, [])
    assert without[spec.id][0] == without[other.id][0] == "needs_document"
    assert "fresh risk-assessment" in without[spec.id][2]
    risk = document("risk-assessment", "GOV-02", TODAY - timedelta(days=30), requirements=[])
    risk = risk.model_copy(
        update={"requirements": [f"hipaa_security:{spec.id}", f"hipaa_security:{other.id}"]}
    )
    got = judge(decisions, [risk])
    assert got[spec.id][:2] == ("met", "declared") and "VPN-only access" in got[spec.id][2]
    assert got[other.id][0] == "not_applicable" and "no such systems" in got[other.id][2]


def _config(extra: str) -> Path:
    return Path("trustctl.toml"), render_default_config("Acme") + extra


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[scope.nope]\nnot_applicable = { "x" = "y" }\n', "[scope.nope]: unknown framework"),
        ('[scope.soc2]\nnot_applicable = { "CC9.9" = "y" }\n', "soc2 has no requirement 'CC9.9'"),
        (
            '[scope.iso27001_2022]\nnot_applicable = { "clause-6.1" = "no risks" }\n',
            "clause-6.1 is a mandatory clause",
        ),
        (
            '[scope.hipaa_security.addressable."164.308(a)(1)(ii)(A)"]\ndecision = "implemented"\nreason = "x"\n',
            "is not an addressable specification",
        ),
    ],
)
def test_scope_errors_name_the_key(extra: str, message: str) -> None:
    source, text = _config(extra)
    config = parse_config(text, source)
    with pytest.raises(ConfigError) as raised:
        rules_of(config)
    assert message in str(raised.value) and "trustctl.toml" in str(raised.value)


def test_alternative_must_name_the_measure() -> None:
    source, text = _config(
        '[scope.hipaa_security.addressable."164.312(a)(2)(iv)"]\ndecision = "alternative"\nreason = "x"\n'
    )
    with pytest.raises(ConfigError, match="needs alternative"):
        parse_config(text, source)


def test_review_periods_are_bounded_per_kind() -> None:
    limits = rules_of(parse_config(*reversed(_config("")))).review_limits
    assert limits["policy"] == 365 and limits["vulnerability-scan-report"] == 92
    shorter = render_default_config("Acme").replace(
        "max_waiver_days = 365", "max_waiver_days = 365\ndocument_review_days = { policy = 180 }"
    )
    assert rules_of(parse_config(shorter, Path("t.toml"))).review_limits["policy"] == 180
    longer = shorter.replace("policy = 180", "policy = 400")
    with pytest.raises(ConfigError, match="longer than the 365-day maximum"):
        rules_of(parse_config(longer, Path("t.toml")))
    # A document stored with a century-long period is judged by its kind's maximum.
    old = document("policy", "GOV-01", date(2026, 1, 1), every=3650)
    assert judged_by(old, limits).review_by == date(2027, 1, 1)
    assert judged_by(old, limits).state(date(2027, 1, 2)) == "expired"


def test_waivers_have_an_end() -> None:
    today = date.today()
    waiver = (
        '\n[[waiver]]\ncheck = "aws.iam.admin_access"\nreason = "r"\nowner = "o@x.example"\n'
        f"expires = {today + timedelta(days=400)}\n"
    )
    with pytest.raises(ConfigError) as raised:
        parse_config(render_default_config("Acme") + waiver, Path("trustctl.toml"))
    assert "max_waiver_days (365)" in str(raised.value) and "#1 (aws.iam.admin_access *)" in str(raised.value)
    granted = waiver.replace("expires", f"granted = {today - timedelta(days=10)}\nexpires")
    with pytest.raises(ConfigError, match="410 days after granted"):
        parse_config(render_default_config("Acme") + granted, Path("trustctl.toml"))
    fine = waiver.replace(str(today + timedelta(days=400)), str(today + timedelta(days=300)))
    assert (
        parse_config(render_default_config("Acme") + fine, Path("trustctl.toml"))
        .waiver[0]
        .duration_days(today)
        == 300
    )


def test_a_document_filed_against_an_unlinked_control_is_named_with_what_to_do() -> None:
    from trustctl.reports.status_report import as_json, as_markdown

    policy = document("policy", "GOV-01", TODAY - timedelta(days=30))
    state = readiness(load_frameworks()["soc2"], Rules(ALL_SOC2), [], [policy], TODAY)
    cc11 = next(q for q in state.requirements if q.id == "CC1.1")
    [asked] = [d for d in cc11.documents if d.kind == "policy"]
    assert asked.status == "missing" and asked.elsewhere == [policy]
    # A requirement that links GOV-01 uses it, and does not call it elsewhere.
    linking = [q for q in state.requirements if any(c.id == "GOV-01" for c in q.controls)]
    assert linking and all(not d.elsewhere for q in linking for d in q.documents)
    markdown = as_markdown([state])
    assert "- policy.pdf (policy, filed against GOV-01): asked by CC1.1" in markdown
    assert '"filed_elsewhere": [\n' in as_json([state])
