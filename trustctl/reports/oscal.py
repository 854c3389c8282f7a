"""OSCAL assessment-results export: one framework's readiness as an `assessment-results` document.

The document is built as plain data and validated by compliance-trestle's pydantic models, so what we
write is valid OSCAL as trestle understands it (the `oscal-version` is the one trestle's models carry).

- every requirement of the framework is a reviewed control (its id made an OSCAL token, e.g. `cc6.1`,
  `req-164.312-d`; the original id stays in a `requirement-id` property);
- every check result that evidences the framework is an observation (method TEST), every document
  behind a requirement is one too (method EXAMINE); evidence links are `locker:sha256:...`;
- every requirement is a finding: `satisfied` only when trustctl says `met`, else `not-satisfied`, with
  trustctl's own status word as the status reason.

UUIDs are uuid5 values of the run id and the item, so the same inputs give the same document.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC
from typing import Any

from trestle.oscal import OSCAL_VERSION
from trestle.oscal.assessment_results import AssessmentResults

from trustctl.controls.results import Result
from trustctl.errors import ExportError
from trustctl.evidence.documents import Document
from trustctl.frameworks.readiness import Readiness, RequirementState
from trustctl.timeutil import parse_iso

# Properties of our own live in this namespace (OSCAL reserves un-namespaced names for its own).
NS = "urn:trustctl:oscal"
_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, "urn:trustctl:oscal:assessment-results")
_NOT_TOKEN = re.compile(r"[^a-z0-9._-]+")
_TOKEN_START = re.compile(r"^[A-Za-z_]")
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_WHITESPACE = re.compile(r"\s+")


def requirement_token(requirement_id: str) -> str:
    """A requirement id as an OSCAL token: lower case, other characters as '-', a letter first.

    'CC6.1' -> 'cc6.1', 'clause-4.1' -> 'clause-4.1', '164.312(a)(2)(i)' -> 'req-164.312-a-2-i'
    (an OSCAL token may not start with a digit).
    """
    token = _NOT_TOKEN.sub("-", requirement_id.strip().lower()).strip("-")
    token = re.sub(r"-{2,}", "-", token)
    if not token:
        raise ExportError(f"requirement id {requirement_id!r} has nothing to make an OSCAL token of.")
    return token if _TOKEN_START.match(token) else f"req-{token}"


def render(
    readiness: Readiness,
    results: list[Result],
    *,
    run_id: str,
    completed_at: str,
    tool_version: str,
    organization: str,
) -> str:
    """OSCAL assessment-results JSON (one `assessment-results` object) for one framework.

    The OSCAL version is trestle's (1.2.1 with compliance-trestle 5). `completed_at` is an ISO 8601
    timestamp; one without a zone is taken as UTC. Raises ExportError when the readiness holds no
    requirements (OSCAL needs at least one reviewed control), two requirement ids make one token or
    `completed_at` is not a time.
    """
    framework = readiness.framework
    if not readiness.requirements:
        raise ExportError(f"{framework.id}: no requirements in scope; nothing to export as OSCAL.")
    tokens = _tokens(readiness.requirements)
    when = _timestamp(completed_at)

    def uid(*parts: str) -> str:
        return str(uuid.uuid5(_ROOT, "\x1f".join((run_id, *parts))))

    check_observations: dict[str, list[str]] = {}  # control id -> observation uuids
    observations: dict[str, dict[str, Any]] = {}
    for result in results:
        if not result.requirements.get(framework.id):
            continue
        key = uid(
            "observation", result.check, result.provider, result.account, result.region, result.resource
        )
        if key in observations:
            continue
        observations[key] = _check_observation(key, result, when, uid)
        check_observations.setdefault(result.control, []).append(key)

    document_observations: dict[tuple[str, str], str] = {}  # (kind, sha256) -> observation uuid
    for requirement in readiness.requirements:
        for state in requirement.documents:
            for document in state.documents:
                doc_key = (state.kind, document.sha256)
                if doc_key not in document_observations:
                    key = uid("document", state.kind, document.sha256)
                    document_observations[doc_key] = key
                    observations[key] = _document_observation(key, state.kind, state.status, document, when)

    findings = []
    for requirement in readiness.requirements:
        related = [key for control in requirement.controls for key in check_observations.get(control.id, [])]
        related += [
            document_observations[(state.kind, document.sha256)]
            for state in requirement.documents
            for document in state.documents
        ]
        findings.append(
            _finding(
                uid("finding", framework.id, requirement.id), requirement, tokens[requirement.id], related
            )
        )

    party = uid("party", organization)
    body: dict[str, Any] = {
        "uuid": uid("assessment-results", framework.id),
        "metadata": {
            "title": f"trustctl assessment results: {framework.name}",
            "last-modified": when,
            "version": tool_version,
            "oscal-version": OSCAL_VERSION,
            "props": _props(
                ("run-id", run_id),
                ("framework-id", framework.id),
                ("framework-version", framework.version),
                ("tool", "trustctl"),
            ),
            "roles": [{"id": "assessor", "title": "Assessor"}],
            "parties": [{"uuid": party, "type": "organization", "name": _line(organization)}],
            "responsible-parties": [{"role-id": "assessor", "party-uuids": [party]}],
        },
        "import-ap": {
            "href": "#",
            "remarks": "trustctl has no assessment plan document yet; the plan is trustctl's own catalog "
            f"of checks and the {framework.name} requirements reviewed below.",
        },
        "results": [
            {
                "uuid": uid("result", framework.id),
                "title": _line(f"trustctl run {run_id}: {framework.name} {framework.version}"),
                "description": _summary(readiness),
                "start": when,
                "props": _props(
                    ("run-id", run_id),
                    ("automated-percent", _percent(readiness.automated_percent)),
                    ("documents-percent", _percent(readiness.documents_percent)),
                ),
                "reviewed-controls": {
                    "description": f"The in-scope requirements of {framework.name} {framework.version}.",
                    "control-selections": [
                        {"include-controls": [{"control-id": tokens[r.id]} for r in readiness.requirements]}
                    ],
                },
                "observations": list(observations.values()) or None,
                "findings": findings,
            }
        ],
    }
    model = AssessmentResults.model_validate(_drop_none(body))
    return model.oscal_serialize_json(pretty=True) + "\n"


def _tokens(requirements: list[RequirementState]) -> dict[str, str]:
    tokens: dict[str, str] = {}
    seen: dict[str, str] = {}
    for requirement in requirements:
        token = requirement_token(requirement.id)
        if seen.get(token, requirement.id) != requirement.id:
            raise ExportError(
                f"requirements {seen[token]!r} and {requirement.id!r} both make OSCAL token {token!r}."
            )
        seen[token] = requirement.id
        tokens[requirement.id] = token
    return tokens


def _check_observation(key: str, result: Result, when: str, uid: Callable[..., str]) -> dict[str, Any]:
    subject_props = _props(
        ("provider", result.provider), ("account", result.account), ("region", result.region)
    )
    return {
        "uuid": key,
        "title": _line(f"{result.check}: {result.resource}"),
        "description": _text(result.reason, f"{result.check} {result.status.value} on {result.resource}."),
        "props": _props(
            ("status", result.status.value),
            ("severity", result.severity.value),
            ("check", result.check),
            ("control", result.control),
        ),
        "methods": ["TEST"],
        "subjects": [
            {
                "subject-uuid": uid(
                    "subject", result.provider, result.account, result.region, result.resource
                ),
                "type": "resource",
                "title": _line(result.resource),
                "props": subject_props,
            }
        ],
        "relevant-evidence": [
            {"href": f"locker:{digest}", "description": "Evidence object in the trustctl locker."}
            for digest in result.evidence
        ]
        or None,
        "collected": when,
    }


def _document_observation(key: str, kind: str, status: str, document: Document, when: str) -> dict[str, Any]:
    return {
        "uuid": key,
        "title": _line(f"{kind}: {document.name}"),
        "description": (
            f"Document {document.name} ({kind}), owner {document.owner}, approved {document.approved.isoformat()}, "
            f"review by {document.review_by.isoformat()}: {status}."
        ),
        "props": _props(
            ("document-kind", kind),
            ("document-status", status),
            ("owner", document.owner),
            ("approved", document.approved.isoformat()),
            ("review-by", document.review_by.isoformat()),
        ),
        "methods": ["EXAMINE"],
        "relevant-evidence": [
            {
                "href": f"locker:{document.sha256}",
                "description": f"The document {document.name} in the trustctl locker.",
            }
        ],
        "collected": when,
    }


def _finding(key: str, requirement: RequirementState, token: str, related: list[str]) -> dict[str, Any]:
    props = _props(
        ("requirement-id", requirement.id),
        ("citation", requirement.citation),
        ("status", requirement.status),
        *((("basis", requirement.basis),) if requirement.basis else ()),
        *((("exceptions", str(requirement.exceptions)),) if requirement.exceptions else ()),
    )
    reason = _text(requirement.reason, f"trustctl status: {requirement.status}.")
    return {
        "uuid": key,
        "title": _line(f"{requirement.id} {requirement.name}"),
        "description": reason,
        "props": props,
        "target": {
            "type": "objective-id",
            "target-id": token,
            "title": _line(f"{requirement.id} {requirement.name}"),
            "props": props,
            "status": {
                "state": "satisfied" if requirement.status == "met" else "not-satisfied",
                "reason": requirement.status if _TOKEN.fullmatch(requirement.status) else "other",
                "remarks": f"trustctl status: {requirement.status}"
                + (f" ({requirement.basis})" if requirement.basis else "")
                + f". {reason}",
            },
        },
        "related-observations": [{"observation-uuid": u} for u in dict.fromkeys(related)] or None,
    }


def _summary(readiness: Readiness) -> str:
    counts = readiness.counts or {}
    parts = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    framework = readiness.framework
    text = f"Readiness of {len(readiness.requirements)} {framework.name} requirements"
    return f"{text}: {parts}." if parts else f"{text}."


def _percent(value: float | None) -> str | None:
    return None if value is None else f"{value:g}"


def _props(*pairs: tuple[str, str | None]) -> list[dict[str, str]] | None:
    props = [
        {"name": name, "ns": NS, "value": _line(value)} for name, value in pairs if value and value.strip()
    ]
    return props or None


def _line(text: str) -> str:
    """One line, no surrounding whitespace: what OSCAL titles and property values allow."""
    return _WHITESPACE.sub(" ", text).strip() or "-"


def _text(text: str, fallback: str) -> str:
    return text.strip() or fallback


def _timestamp(text: str) -> str:
    try:
        return parse_iso(text.strip(), UTC).isoformat()
    except ValueError:
        raise ExportError(f"completed_at {text!r} is not an ISO 8601 timestamp.") from None


def _drop_none(value: Any) -> Any:
    """Leave out absent optional fields (OSCAL lists may not be empty)."""
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, Iterable) and not isinstance(value, str):
        return [_drop_none(v) for v in value]
    return value
