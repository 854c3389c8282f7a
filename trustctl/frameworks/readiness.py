"""Readiness per framework requirement, honestly: what automation proves, what a named owner declares in a
document, and what has no evidence at all.

A requirement is `met` only when every control linked to it passes its checks (no failure, no error, no
missing evidence), every document it asks for is fresh, and its evidence is complete: a `full` link, or
a document kind of its own for what the controls leave out. Partial links alone never make it `met`.

Each requirement carries its `basis`: `evidenced` (machine-verified results only), `declared` (documents
only) or `mixed`. Waived findings are accepted exceptions: they do not fail a requirement, but they are
counted and listed apart from passes. A requirement declared not applicable (`[scope.FRAMEWORK]`) shows
its justification; a HIPAA addressable specification follows its recorded 164.306(d)(3) decision.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from trustctl.config import AddressableDecision
from trustctl.controls.catalog import load_catalog
from trustctl.controls.registry import all_checks
from trustctl.controls.results import Result, Status
from trustctl.evidence.documents import Document
from trustctl.frameworks.models import Framework, Requirement
from trustctl.frameworks.rules import DECISION_DOCUMENT, Rules
from trustctl.frameworks.scope import scoped_requirements

STATUSES = ("met", "partial", "not_met", "needs_document", "no_evidence", "error", "not_applicable")
BASES = ("evidenced", "declared", "mixed")


@dataclass(frozen=True)
class ControlState:
    id: str
    coverage: str  # full | partial (as the requirement links it)
    status: str  # pass | fail | error | no_evidence | not_applicable | documents_only
    checks: list[str]
    counts: dict[str, int]

    @property
    def exceptions(self) -> int:
        """Waived findings: accepted exceptions, not passes."""
        return self.counts.get(Status.WAIVED.value, 0)


@dataclass(frozen=True)
class DocumentState:
    kind: str
    status: str  # fresh | due | expired | missing
    documents: list[Document]
    # Documents of this kind filed against controls the requirement does not link (when none is linked):
    # not evidence for it, but what the reader most likely meant to file.
    elsewhere: list[Document] = field(default_factory=list)


@dataclass(frozen=True)
class RequirementState:
    id: str
    name: str
    citation: str
    status: str
    reason: str
    controls: list[ControlState]
    documents: list[DocumentState]
    basis: str | None = None  # evidenced | declared | mixed: what its evidence is (None: there is none)
    exceptions: int = 0  # waived findings among its controls' results
    flag: str = ""  # HIPAA: required | addressable
    justification: str | None = None  # why it is not applicable, as the organization declared
    decision: AddressableDecision | None = None  # HIPAA addressable: the recorded decision


@dataclass(frozen=True)
class Readiness:
    framework: Framework
    requirements: list[RequirementState]
    counts: dict[str, int] = field(default_factory=dict)
    automated_percent: float | None = None  # automated controls passing / automated controls judged
    documents_percent: float | None = None  # document kinds fresh / document kinds asked for
    basis: dict[str, int] = field(default_factory=dict)  # met requirements by basis
    exceptions: list[Result] = field(default_factory=list)  # waived results behind its requirements

    @property
    def declared(self) -> list[RequirementState]:
        """Met on documents alone or in part: what the auditor must read."""
        return [r for r in self.requirements if r.status == "met" and r.basis in ("declared", "mixed")]


def control_states(results: list[Result]) -> dict[str, tuple[str, list[str], dict[str, int]]]:
    """control id -> (status, its checks, counts of result statuses). Fail closed: an error with no
    failure is an error; waived results do not fail the control (their counts keep them apart)."""
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
        return DocumentState(kind, "missing", [], [d for d in documents if d.kind == kind])
    order = {"fresh": 0, "due": 1, "expired": 2}
    best = min(relevant, key=lambda d: order[d.state(today)])
    return DocumentState(kind, best.state(today), relevant)


def _basis(controls: list[ControlState], documents: list[DocumentState]) -> str | None:
    machine = any(c.status == "pass" for c in controls)
    paper = any(d.status in ("fresh", "due") for d in documents)
    if machine and paper:
        return "mixed"
    return "evidenced" if machine else ("declared" if paper else None)


def _complete(
    requirement: Requirement,
    controls: list[ControlState],
    documents: list[DocumentState],
    anchor: str,
    today: date,
) -> bool:
    """Whether the evidence covers the whole requirement: a full link, or a fresh document filed for the
    requirement itself (`docs add --requirement`). A document filed against a partial link's control
    covers only that part, even when it is of a kind the requirement asks for."""
    if any(c.coverage == "full" for c in controls):
        return True
    own = set(requirement.documents)
    return any(
        f.kind in own and anchor in f.requirements and f.state(today) in ("fresh", "due")
        for d in documents
        for f in d.documents
    )


def _judge(
    requirement: Requirement,
    controls: list[ControlState],
    documents: list[DocumentState],
    anchor: str,
    today: date,
) -> tuple[str, str]:
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
    if unevidenced:
        return "partial", f"no evidence yet for {', '.join(unevidenced)}"
    if not _complete(requirement, controls, documents, anchor, today):
        return "partial", (
            "only partial coverage: its linked controls evidence part of it and no document was filed for "
            "the rest (`trustctl docs add --requirement "
            + anchor
            + f" --kind {(requirement.documents or ['policy'])[0]}`)"
        )
    passing = [c.id for c in judged if c.status == "pass"]
    parts = []
    if passing:
        parts.append(f"{', '.join(passing)} pass{'es' if len(passing) == 1 else ''} every check")
    if documents:
        parts.append(f"documents fresh ({', '.join(d.kind for d in documents)})")
    return "met", "; ".join(parts) or "every linked control passes"


def _decided(decision: AddressableDecision, record: DocumentState) -> tuple[str, str]:
    """A HIPAA addressable specification not implemented as written: the decision stands on its record."""
    said = (
        f"equivalent alternative in place: {decision.alternative} ({decision.reason})"
        if decision.decision == "alternative"
        else f"not reasonable and appropriate: {decision.reason}"
    )
    if record.status not in ("fresh", "due"):
        return "needs_document", f"{said}; the decision must be documented in a fresh {record.kind}"
    if decision.decision == "alternative":
        return "met", f"{said}; documented in the {record.kind}"
    return "not_applicable", f"{said}; documented in the {record.kind}"


def assess_requirement(
    requirement: Requirement,
    states: dict[str, tuple[str, list[str], dict[str, int]]],
    documents: list[Document],
    framework_id: str,
    today: date,
    rules: Rules | None = None,
) -> RequirementState:
    rules = rules or Rules()
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
    anchor = f"{framework_id}:{requirement.id}"
    doc_states = [_document_state(k, anchor, links, documents, today) for k in kinds]
    justification = rules.not_applicable(framework_id).get(requirement.id)
    decision = rules.decision(framework_id, requirement.id)
    exceptions = sum(c.exceptions for c in controls)
    if justification is not None:
        status, reason = "not_applicable", f"not applicable: {justification}"
    elif decision is not None and decision.decision != "implemented":
        record = _document_state(DECISION_DOCUMENT, anchor, links, documents, today)
        doc_states = [record]
        status, reason = _decided(decision, record)
        controls = [c for c in controls if c.status == "documents_only"]
    else:
        status, reason = _judge(requirement, controls, doc_states, anchor, today)
        if status == "met" and exceptions:
            reason += f"; with {exceptions} accepted exception{'s' * (exceptions > 1)} (waived findings)"
    basis = _basis(controls, doc_states) if status == "met" else None
    return RequirementState(
        requirement.id,
        requirement.name,
        requirement.citation,
        status,
        reason,
        controls,
        doc_states,
        basis,
        exceptions,
        requirement.flag,
        justification,
        decision,
    )


def readiness(
    framework: Framework,
    rules: Rules,
    results: list[Result],
    documents: list[Document],
    today: date,
) -> Readiness:
    states = control_states(results)
    requirements = [
        assess_requirement(r, states, documents, framework.id, today, rules)
        for r in scoped_requirements(framework, rules.frameworks)
    ]
    counts = Counter(r.status for r in requirements)
    automated = [
        c for r in requirements for c in r.controls if c.status in ("pass", "fail", "error", "no_evidence")
    ]
    asked = [d for r in requirements for d in r.documents]
    linked = {c.id for r in requirements for c in r.controls}
    basis = Counter(r.basis for r in requirements if r.status == "met")
    return Readiness(
        framework,
        requirements,
        {s: counts.get(s, 0) for s in STATUSES},
        round(100 * sum(c.status == "pass" for c in automated) / len(automated), 1) if automated else None,
        round(100 * sum(d.status in ("fresh", "due") for d in asked) / len(asked), 1) if asked else None,
        {b: basis.get(b, 0) for b in BASES},
        [r for r in results if r.status is Status.WAIVED and r.control in linked],
    )
