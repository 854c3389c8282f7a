"""The ISO/IEC 27001 statement of applicability, from readiness: every Annex A control, whether it applies
and why, how far it is implemented, and the evidence behind that.

Applicability is what the organization declared (`[scope.iso27001_2022] not_applicable`, with its
justification); every other control is included. Implementation status is read from the requirement's
readiness, never asserted: `met` is implemented, `not_met` and `error` are not (yet) shown implemented.
"""

from __future__ import annotations

from dataclasses import dataclass

from trustctl.frameworks.readiness import Readiness, RequirementState

ISO = "iso27001_2022"
CLAUSES = "ISMS clauses"  # the mandatory clauses 4 to 10 are not part of the statement
IMPLEMENTATION = {
    "met": "implemented",
    "partial": "partly evidenced",
    "needs_document": "not shown: a document is missing or stale",
    "not_met": "not implemented: open findings",
    "error": "not known: evidence could not be collected",
    "no_evidence": "not yet evidenced",
    "not_applicable": "not applicable",
}


@dataclass(frozen=True)
class SoaRow:
    control: str  # the Annex A id, e.g. 5.15
    name: str
    theme: str  # Organizational, People, Physical or Technological controls
    applicable: bool
    justification: str
    implementation: str
    basis: str  # evidenced | declared | mixed | "" (not met)
    evidence: str  # the checks and documents behind it


def _evidence(q: RequirementState) -> str:
    checks = sorted({c for control in q.controls for c in control.checks})
    files = [f"{d.kind}: {f.name} ({f.sha256[:19]})" for d in q.documents for f in d.documents]
    parts = [f"checks {', '.join(checks)}"] if checks else []
    parts += files
    return "; ".join(parts) or "none yet"


def statement_of_applicability(readiness: Readiness) -> list[SoaRow]:
    """Every Annex A control of ISO/IEC 27001:2022 (empty for any other framework)."""
    if readiness.framework.id != ISO:
        return []
    themes = {r.id: r.group for r in readiness.framework.requirements}
    rows = []
    for q in readiness.requirements:
        if themes.get(q.id) == CLAUSES:
            continue
        excluded = q.justification is not None
        why = q.justification or "Included: in the scope of the ISMS"
        rows.append(
            SoaRow(
                control=q.id,
                name=q.name,
                theme=themes.get(q.id, ""),
                applicable=not excluded,
                justification=why,
                implementation=IMPLEMENTATION.get(q.status, q.status),
                basis=q.basis or "",
                evidence=_evidence(q),
            )
        )
    return rows
