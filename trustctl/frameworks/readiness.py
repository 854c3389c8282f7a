"""Readiness per framework requirement, honestly: what automation proves, what needs a document,
and what has no evidence at all.

A requirement is `met` only when every full-coverage control behind it passes (no error) and every
document it asks for is fresh; partial coverage alone never makes it `met`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from trustctl.config import FrameworksConfig
from trustctl.controls.catalog import load_catalog
from trustctl.controls.registry import all_checks
from trustctl.controls.results import Result, Status
from trustctl.evidence.documents import Document
from trustctl.frameworks.models import Framework, Requirement
from trustctl.frameworks.scope import scoped_requirements

STATUSES = ("met", "partial", "not_met", "needs_document", "no_evidence", "error", "not_applicable")


@dataclass(frozen=True)
class ControlState:
    id: str
    coverage: str  # full | partial (as the requirement links it)
    status: str  # pass | fail | error | no_evidence | not_applicable | documents_only
    checks: list[str]
    counts: dict[str, int]


@dataclass(frozen=True)
class DocumentState:
    kind: str
    status: str  # fresh | due | expired | missing
    documents: list[Document]


@dataclass(frozen=True)
class RequirementState:
    id: str
    name: str
    citation: str
    status: str
    reason: str
    controls: list[ControlState]
    documents: list[DocumentState]


@dataclass(frozen=True)
class Readiness:
    framework: Framework
    requirements: list[RequirementState]
    counts: dict[str, int] = field(default_factory=dict)
    automated_percent: float | None = None  # automated controls passing / automated controls judged
    documents_percent: float | None = None  # document kinds fresh / document kinds asked for


def control_states(results: list[Result]) -> dict[str, tuple[str, list[str], dict[str, int]]]:
    """control id -> (status, its checks, counts of result statuses). Fail closed: an error with no
    failure is an error; waived results count as passing (an accepted exception)."""
    by_control: dict[str, list[Result]] = {}
    for result in results:
        by_control.setdefault(result.control, []).append(result)
    states = {}
    for control, items in by_control.items():
        counts = Counter(r.status.value for r in items)
        if counts[Status.FAIL]:
            status = "fail"
        elif counts[Status.ERROR]:
            status = "error"
        elif counts[Status.PASS] or counts[Status.WAIVED]:
            status = "pass"
        else:
            status = "not_applicable"
        states[control] = (status, sorted({r.check for r in items}), dict(counts))
    return states


def _document_state(
    kind: str, requirement: str, links: set[str], documents: list[Document], today: date
) -> DocumentState:
    relevant = [
        d for d in documents if d.kind == kind and (d.control in links or requirement in d.requirements)
    ]
    if not relevant:
        return DocumentState(kind, "missing", [])
    order = {"fresh": 0, "due": 1, "expired": 2}
    best = min(relevant, key=lambda d: order[d.state(today)])
    return DocumentState(kind, best.state(today), relevant)


def _judge(controls: list[ControlState], documents: list[DocumentState]) -> tuple[str, str]:
    judged = [c for c in controls if c.status not in ("documents_only", "not_applicable")]
    failing = [c.id for c in judged if c.status == "fail"]
    erring = [c.id for c in judged if c.status == "error"]
    missing = [d.kind for d in documents if d.status in ("missing", "expired")]
    if failing:
        return "not_met", f"failing controls: {', '.join(failing)}"
    if erring:
        return "error", f"evidence could not be collected for: {', '.join(erring)}"
    if not controls and not documents:
        return "not_applicable", "nothing to evidence"
    automated = [c for c in controls if c.status != "documents_only"]
    if automated and all(c.status == "not_applicable" for c in automated) and not documents:
        return "not_applicable", "no resources the linked checks apply to"
    unevidenced = [c.id for c in judged if c.status == "no_evidence"]
    if unevidenced and len(unevidenced) == len(judged) and (not documents or len(missing) == len(documents)):
        return "no_evidence", f"no evidence yet for {', '.join(unevidenced)}" + (
            f" and no document ({', '.join(missing)})" if missing else ""
        )
    if missing:
        return "needs_document", f"needs a fresh document: {', '.join(missing)}"
    full = [c for c in controls if c.coverage == "full" and c.status != "documents_only"]
    if unevidenced:
        return "partial", f"no evidence yet for {', '.join(unevidenced)}"
    if full and all(c.status in ("pass", "not_applicable") for c in full):
        return "met", "every full-coverage control passes" + (
            " and its documents are fresh" if documents else ""
        )
    if documents and not automated:
        return "met", "its documents are fresh"
    return "partial", "only partial-coverage controls evidence it; automation alone cannot satisfy it"


def assess_requirement(
    requirement: Requirement,
    states: dict[str, tuple[str, list[str], dict[str, int]]],
    documents: list[Document],
    framework_id: str,
    today: date,
) -> RequirementState:
    automated = {spec.control for spec in all_checks().values()}
    controls = []
    for link in requirement.controls:
        if link.id in states:
            status, checks, counts = states[link.id]
        elif link.id in automated:
            status, checks, counts = "no_evidence", [], {}
        else:
            status, checks, counts = "documents_only", [], {}
        controls.append(ControlState(link.id, link.coverage, status, checks, counts))
    # Document kinds: the requirement's own, plus those of its document-only controls.
    catalog = load_catalog()
    kinds = list(
        dict.fromkeys(
            [
                *requirement.documents,
                *(
                    kind
                    for c in controls
                    if c.status == "documents_only"
                    for kind in catalog.get(c.id).documents
                ),
            ]
        )
    )
    links = {link.id for link in requirement.controls}
    doc_states = [
        _document_state(k, f"{framework_id}:{requirement.id}", links, documents, today) for k in kinds
    ]
    status, reason = _judge(controls, doc_states)
    return RequirementState(
        requirement.id, requirement.name, requirement.citation, status, reason, controls, doc_states
    )


def readiness(
    framework: Framework,
    settings: FrameworksConfig,
    results: list[Result],
    documents: list[Document],
    today: date,
) -> Readiness:
    states = control_states(results)
    requirements = [
        assess_requirement(r, states, documents, framework.id, today)
        for r in scoped_requirements(framework, settings)
    ]
    counts = Counter(r.status for r in requirements)
    automated = [
        c for r in requirements for c in r.controls if c.status in ("pass", "fail", "error", "no_evidence")
    ]
    asked = [d for r in requirements for d in r.documents]
    return Readiness(
        framework,
        requirements,
        {s: counts.get(s, 0) for s in STATUSES},
        round(100 * sum(c.status == "pass" for c in automated) / len(automated), 1) if automated else None,
        round(100 * sum(d.status in ("fresh", "due") for d in asked) / len(asked), 1) if asked else None,
    )
