"""Framework links are locked with their notes, and every requirement can be met.

tests/data/mapping_notes.json holds, for every (framework, requirement, control) link, its coverage and
a short hash of its note (written by scripts/mapping_lock.py). Changing a link's coverage without
rewriting its note fails: the note is where a reviewer reads why the control does or does not settle
the requirement. Adding, removing or re-noting a link without regenerating the lock fails too.
"""

from __future__ import annotations

import importlib.util
import json
from types import ModuleType

import pytest

from tests.conftest import ROOT
from trustctl.errors import CatalogError
from trustctl.frameworks.loader import load_frameworks, parse_framework

# Requirements this kind of company cannot evidence at all, so configuration marks them not applicable
# (with a justification) instead of the catalog asking for evidence: (framework, requirement) -> why.
# Empty today: HIPAA 164.314(b)(1) and (b)(2) (group health plans) still ask for a contract, so they are
# complete here and are marked not applicable in configuration, not by this list.
NOT_APPLICABLE_BY_CONFIG: dict[tuple[str, str], str] = {}


def _lock_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mapping_lock", ROOT / "scripts" / "mapping_lock.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LOCK = _lock_module()


def lock_problems(locked: dict[str, dict[str, str]], current: dict[str, dict[str, str]]) -> list[str]:
    """What differs between the lock and the catalogs, one line a problem; coverage changes first."""
    problems = [
        f"{key}: coverage changed from {locked[key]['coverage']} to {now['coverage']} but its note did not: "
        "explain the change in the note"
        for key, now in sorted(current.items())
        if key in locked and now["coverage"] != locked[key]["coverage"] and now["note"] == locked[key]["note"]
    ]
    stale = {
        "added": sorted(set(current) - set(locked)),
        "removed": sorted(set(locked) - set(current)),
        "note or coverage changed": sorted(
            k
            for k in set(current) & set(locked)
            if current[k] != locked[k] and current[k]["note"] != locked[k]["note"]
        ),
    }
    for what, keys in stale.items():
        if keys:
            problems.append(
                f"links {what} since tests/data/mapping_notes.json was written: {'; '.join(keys)}. "
                f"Review them, then regenerate the lock with `{LOCK.COMMAND}`"
            )
    return problems


def test_links_match_the_lock() -> None:
    locked = json.loads(LOCK.LOCK.read_text(encoding="utf-8"))
    problems = lock_problems(locked, LOCK.current_links())
    assert not problems, "\n".join(problems)


def test_a_coverage_change_needs_a_new_note() -> None:
    locked = {"soc2 CC6.7 -> CRY-02": {"coverage": "partial", "note": "aaa"}}
    same_note = {"soc2 CC6.7 -> CRY-02": {"coverage": "full", "note": "aaa"}}
    assert lock_problems(locked, same_note) == [
        "soc2 CC6.7 -> CRY-02: coverage changed from partial to full but its note did not: "
        "explain the change in the note"
    ]
    new_note = {"soc2 CC6.7 -> CRY-02": {"coverage": "full", "note": "bbb"}}
    (problem,) = lock_problems(locked, new_note)
    assert "note or coverage changed" in problem and "soc2 CC6.7 -> CRY-02" in problem
    assert "scripts/mapping_lock.py" in problem


def test_added_and_removed_links_name_the_links_and_the_command() -> None:
    locked = {"ferpa 99.31(c) -> AC-02": {"coverage": "partial", "note": "aaa"}}
    current = {"ferpa 99.31(c) -> AC-04": {"coverage": "partial", "note": "bbb"}}
    added, removed = lock_problems(locked, current)
    assert added.startswith("links added") and "ferpa 99.31(c) -> AC-04" in added
    assert removed.startswith("links removed") and "ferpa 99.31(c) -> AC-02" in removed
    assert all(LOCK.COMMAND in p for p in (added, removed))


def test_a_link_without_a_note_is_one_clear_line() -> None:
    text = (
        "id: x\nname: X\nversion: '1'\nkind: attestation\ndescription: d\nrequirements:\n"
        "  - id: R1\n    name: n\n    description: d\n    citation: c\n"
        "    controls: [{id: AC-02, coverage: full}]\n"
    )
    with pytest.raises(CatalogError, match=r"field 'requirements\.0\.controls\.0\.note': Field required"):
        parse_framework(text, "x.yaml")


def test_every_requirement_can_be_met() -> None:
    """A requirement is met only with a full-coverage link or a document kind of its own: partial links
    never settle one alone. Requirements with neither are listed, unless configuration marks them not
    applicable (NOT_APPLICABLE_BY_CONFIG)."""
    incomplete = []
    for framework in load_frameworks().values():
        if framework.derived_from:
            continue
        for requirement in framework.requirements:
            complete = requirement.documents or any(link.coverage == "full" for link in requirement.controls)
            if not complete and (framework.id, requirement.id) not in NOT_APPLICABLE_BY_CONFIG:
                incomplete.append(f"{framework.id} {requirement.id}")
    assert incomplete == [], "no full link and no document of its own: " + ", ".join(incomplete)


def test_the_not_applicable_list_names_real_unevidenced_requirements() -> None:
    frameworks = load_frameworks()
    for (framework_id, requirement_id), why in NOT_APPLICABLE_BY_CONFIG.items():
        requirement = next(r for r in frameworks[framework_id].requirements if r.id == requirement_id)
        assert why and not requirement.documents, f"{framework_id} {requirement_id} is complete: drop it"


def test_hr_checks_replace_training_and_screening_records() -> None:
    """HR-01 and HR-02 are evidenced by their checks, so a requirement linking them does not also ask
    for the per-person records those checks reconcile."""
    for framework in load_frameworks().values():
        for requirement in framework.requirements:
            linked = {link.id for link in requirement.controls}
            where = f"{framework.id} {requirement.id}"
            assert not ("HR-01" in linked and "screening-record" in requirement.documents), where
            assert not ("HR-02" in linked and "training-record" in requirement.documents), where
