"""Framework catalogs: complete against the reference facts, honest mappings, clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from trustctl.config import FrameworksConfig
from trustctl.controls.catalog import load_catalog
from trustctl.errors import CatalogError
from trustctl.frameworks.loader import load_frameworks, parse_framework, validate_references
from trustctl.frameworks.scope import requirement_lookup, scoped_requirements
from trustctl.ids import (
    CERTIFICATION_FRAMEWORKS,
    CERTIFICATION_IDS,
    CERTIFICATION_NAMES,
    FRAMEWORK_CERTIFICATIONS,
    FRAMEWORK_IDS,
    ROADMAP_NAMES,
)
from trustctl.roadmap.certifications import CERTIFICATIONS

REFERENCE = ROOT / "tests" / "reference"  # vendored facts: see tests/reference/README.md


def reference(path: str) -> Any:
    return json.loads((REFERENCE / path).read_text())


def ids(framework_id: str) -> list[str]:
    return [r.id for r in load_frameworks()[framework_id].requirements]


def test_all_frameworks_load() -> None:
    assert set(load_frameworks()) == {"soc2", "soc3", "iso27001_2022", "hipaa_security", "ferpa"}


def test_soc2_has_exactly_the_61_criteria() -> None:
    expected = [c["id"] for c in reference("soc2/tsc_2017_criteria.json")["criteria"]]
    assert len(expected) == 61 and ids("soc2") == expected


def test_soc3_is_derived_from_soc2() -> None:
    frameworks = load_frameworks()
    assert frameworks["soc3"].requirements == frameworks["soc2"].requirements
    assert frameworks["soc3"].derived_from == "soc2"


def test_iso_has_all_93_annex_a_controls_and_the_isms_clauses() -> None:
    expected = [c["control"] for c in reference("iso27001/iso27001_2022_annex_a.json")["controls"]]
    annex = [i for i in ids("iso27001_2022") if not i.startswith("clause-")]
    assert len(expected) == 93 and annex == expected
    clauses = {i for i in ids("iso27001_2022") if i.startswith("clause-")}
    assert {f"clause-{n}" for n in ("4.1", "5.1", "6.1", "7.5", "8.1", "9.2", "9.3", "10.2")} <= clauses


def test_hipaa_has_every_standard_and_specification_with_its_flag() -> None:
    rows = [
        r
        for r in reference("hipaa/hipaa_security_rule.json")["requirements"]
        if r["kind"] in ("standard", "implementation_specification")
    ]
    assert len(rows) == 65
    catalog = {r.id: r for r in load_frameworks()["hipaa_security"].requirements}
    for row in rows:
        assert row["id"] in catalog, row["id"]
        if row["kind"] == "implementation_specification":
            assert catalog[row["id"]].flag == row["requirement"].lower(), row["id"]


def test_ferpa_holds_the_vendor_obligations_and_says_it_is_not_a_certification() -> None:
    ferpa = load_frameworks()["ferpa"]
    assert ferpa.kind == "obligations" and "not a certification" in ferpa.description.lower()
    assert {"99.31(a)(1)(i)(B)", "99.31(a)(1)(ii)", "99.33", "99.32"} <= {r.id for r in ferpa.requirements}


def test_every_requirement_has_evidence_and_every_control_is_mapped() -> None:
    mapped: set[str] = set()
    for framework in load_frameworks().values():
        for requirement in framework.requirements:
            assert requirement.controls or requirement.documents, f"{framework.id} {requirement.id}"
            mapped |= {link.id for link in requirement.controls}
    assert [c.id for c in load_catalog().controls if c.id not in mapped] == []


def test_governance_criteria_are_not_claimed_by_technical_checks() -> None:
    soc2 = {r.id: r for r in load_frameworks()["soc2"].requirements}
    for criterion in ("CC1.1", "CC1.2", "CC1.3", "CC3.1", "CC5.3"):
        requirement = soc2[criterion]
        assert requirement.documents, criterion
        assert all(
            link.coverage == "partial" or link.id.startswith(("GOV", "HR")) for link in requirement.controls
        )


def test_soc2_scope_follows_the_configured_categories() -> None:
    soc2 = load_frameworks()["soc2"]
    security = scoped_requirements(soc2, FrameworksConfig())
    assert {r.group for r in security} == {"security"} and len(security) == 33
    everything = FrameworksConfig(
        soc2_categories=["security", "availability", "confidentiality", "processing_integrity", "privacy"]
    )
    assert len(scoped_requirements(soc2, everything)) == 61


def test_check_results_name_their_requirements() -> None:
    lookup = requirement_lookup(FrameworksConfig())
    mfa = lookup("AC-02")
    assert mfa["soc2"] and mfa["iso27001_2022"] and mfa["hipaa_security"]
    assert all(r.startswith("CC") for r in mfa["soc2"])  # availability etc. are out of scope by default


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: x\nname: [unclosed\n", "x.yaml: line 3 not valid YAML"),
        ("id: x\nname: X\nversion: '1'\nkind: attestation\ndescription: d\ncolour: red\n", "field 'colour'"),
        ("id: x\nname: X\nversion: '1'\nkind: exam\ndescription: d\n", "field 'kind'"),
    ],
)
def test_malformed_catalogs_are_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(CatalogError) as err:
        parse_framework(text, "x.yaml")
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("controls: [{id: ZZ-99, coverage: full, note: n}]", "unknown control ZZ-99"),
        ("documents: [horoscope]", "unknown document kind 'horoscope'"),
    ],
)
def test_unknown_references_are_named(link: str, message: str) -> None:
    text = (
        "id: x\nname: X\nversion: '1'\nkind: attestation\ndescription: d\nrequirements:\n"
        f"  - id: R1\n    name: n\n    description: d\n    citation: c\n    {link}\n"
    )
    framework = parse_framework(text, "x.yaml")
    with pytest.raises(CatalogError, match=message):
        validate_references(framework, load_catalog(), "x.yaml")


def test_catalog_files_are_in_the_package() -> None:
    folder = Path(ROOT / "trustctl" / "frameworks" / "catalogs")
    assert sorted(p.stem for p in folder.glob("*.yaml")) == sorted(load_frameworks())


def test_ids_name_every_catalog_and_certification() -> None:
    """trustctl.ids is the one list: its framework ids are the catalogs, every certification is
    measured against one of them, named for the trust report and the roadmap alike."""
    assert set(FRAMEWORK_IDS) == set(load_frameworks())
    assert tuple(CERTIFICATION_FRAMEWORKS) == CERTIFICATION_IDS
    assert set(CERTIFICATION_FRAMEWORKS.values()) <= set(FRAMEWORK_IDS)
    assert tuple(CERTIFICATION_NAMES) == tuple(ROADMAP_NAMES) == CERTIFICATION_IDS
    assert [c for certs in FRAMEWORK_CERTIFICATIONS.values() for c in certs] == list(CERTIFICATION_IDS)
    assert FRAMEWORK_CERTIFICATIONS["soc2"] == ("soc2_type1", "soc2_type2")
    assert tuple(CERTIFICATIONS) == CERTIFICATION_IDS
    assert CERTIFICATIONS["hipaa"].name == "HIPAA (Security Rule attestation)"
    assert CERTIFICATIONS["iso27001"].framework == "iso27001_2022"
