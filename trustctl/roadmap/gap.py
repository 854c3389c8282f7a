"""The measured gap per certification, from trustctl's readiness: the requirements still to fix and the
work behind them, as work items shared across frameworks.

A work item is one control to fix (failing, erroring or without evidence: fail closed) or one document
to write (missing or expired). Items are keyed so that the same control, or the same kind of document
for the same control, is one item in every framework that maps it: fixed once, fixed for all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from trustctl.controls.catalog import Catalog, load_catalog
from trustctl.frameworks.readiness import Readiness, RequirementState
from trustctl.roadmap.certifications import CERTIFICATIONS

OPEN_CONTROL = ("fail", "error", "no_evidence")
OPEN_DOCUMENT = ("missing", "expired")


@dataclass(frozen=True)
class WorkItem:
    key: str  # "control:AC-02" or "document:policy@AC-02"
    kind: Literal["control", "document"]
    family: str  # the control family its hours are priced by
    state: str  # fail | error | no_evidence | missing | expired


@dataclass(frozen=True)
class RequirementGap:
    id: str
    status: str
    items: frozenset[str]  # work item keys


@dataclass(frozen=True)
class Gap:
    certification: str
    framework: str
    requirements: tuple[RequirementGap, ...]  # only requirements with open work
    items: dict[str, WorkItem]

    def open_items(self, fixed: set[str]) -> list[WorkItem]:
        return [item for key, item in sorted(self.items.items()) if key not in fixed]

    def open_requirements(self, fixed: set[str]) -> list[RequirementGap]:
        return [r for r in self.requirements if r.items - fixed]


def _document_anchor(kind: str, requirement: RequirementState, catalog: Catalog) -> tuple[str, str]:
    """The control a document of `kind` is filed against (and its family): a linked control that lists
    the kind, else the first linked control, else the requirement itself (governance family)."""
    links = sorted(c.id for c in requirement.controls)
    listing = [c for c in links if kind in catalog.get(c).documents]
    anchor = (listing or links or [""])[0]
    return (anchor, catalog.get(anchor).family) if anchor else (requirement.id, "GOV")


def measure(certification: str, readiness: Readiness, catalog: Catalog | None = None) -> Gap:
    """The open work of one certification, from its framework's readiness."""
    catalog = catalog or load_catalog()
    items: dict[str, WorkItem] = {}
    requirements = []
    for requirement in readiness.requirements:
        keys = set()
        for control in requirement.controls:
            if control.status in OPEN_CONTROL:
                key = f"control:{control.id}"
                items[key] = WorkItem(key, "control", catalog.get(control.id).family, control.status)
                keys.add(key)
        for document in requirement.documents:
            if document.status in OPEN_DOCUMENT:
                anchor, family = _document_anchor(document.kind, requirement, catalog)
                if anchor == requirement.id:
                    anchor = f"{readiness.framework.id}:{requirement.id}"
                key = f"document:{document.kind}@{anchor}"
                items.setdefault(key, WorkItem(key, "document", family, document.status))
                keys.add(key)
        if keys:
            requirements.append(RequirementGap(requirement.id, requirement.status, frozenset(keys)))
    return Gap(certification, readiness.framework.id, tuple(requirements), items)


def measure_all(readiness: list[Readiness]) -> dict[str, Gap]:
    """A gap per certification, from the readiness of the frameworks they are measured against."""
    by_framework = {r.framework.id: r for r in readiness}
    catalog = load_catalog()
    return {
        c.id: measure(c.id, by_framework[c.framework], catalog)
        for c in CERTIFICATIONS.values()
        if c.framework in by_framework
    }


def frameworks_needed() -> list[str]:
    return list(dict.fromkeys(c.framework for c in CERTIFICATIONS.values()))
