"""The catalogs as text and JSON: `controls list|show`, `frameworks list|show`, `docs list`,
`exception list`."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from trustctl.controls.catalog import load_catalog
from trustctl.controls.registry import all_checks
from trustctl.errors import UsageError
from trustctl.evidence.documents import Document
from trustctl.evidence.responses import StoredResponse
from trustctl.frameworks.loader import get_framework, load_frameworks


def control_data(control_id: str) -> dict[str, Any]:
    """One control with the checks that evidence it."""
    try:
        control = load_catalog().get(control_id)
    except KeyError:
        raise UsageError(f"unknown control {control_id}; see `trustctl controls list`.") from None
    checks = [
        {"id": c.id, "severity": c.severity.value, "title": c.title, "fix": c.fix}
        for c in all_checks().values()
        if c.control == control.id
    ]
    return {**control.model_dump(), "checks": checks}


def controls_list(fmt: str) -> str:
    catalog = load_catalog()
    if fmt == "json":
        return json.dumps([control_data(c.id) for c in catalog.controls], indent=2) + "\n"
    checks = all_checks()
    lines = []
    for control in catalog.controls:
        ids = [c.id for c in checks.values() if c.control == control.id]
        docs = f" documents: {', '.join(control.documents)}" if control.documents else ""
        lines.append(f"{control.id:7} {control.name}  [{', '.join(ids) or 'no automated check'}]{docs}")
    return "".join(f"{line}\n" for line in lines)


def control_show(control_id: str, fmt: str) -> str:
    data = control_data(control_id.upper())
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    lines = [f"{data['id']} {data['name']}\n\n{data['description']}\n"]
    for spec in data["checks"]:
        lines.append(f"- {spec['id']} ({spec['severity']}): {spec['title']}\n  fix: {spec['fix']}")
    if data["documents"]:
        lines.append(f"documents: {', '.join(data['documents'])}")
    return "".join(f"{line}\n" for line in lines)


def frameworks_list(fmt: str) -> str:
    rows = [
        {
            "id": f.id,
            "name": f.name,
            "version": f.version,
            "kind": f.kind,
            "requirements": len(f.requirements),
        }
        for f in load_frameworks().values()
    ]
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    return "".join(
        f"{r['id']:16} {r['name']} ({r['version']}): {r['kind']}, {r['requirements']} requirements\n"
        for r in rows
    )


def framework_show(framework_id: str, fmt: str) -> str:
    framework = get_framework(framework_id)
    if fmt == "json":
        data = {
            "id": framework.id,
            "name": framework.name,
            "version": framework.version,
            "requirements": [
                {
                    "id": r.id,
                    "name": r.name,
                    "controls": [link.model_dump() for link in r.controls],
                    "documents": r.documents,
                }
                for r in framework.requirements
            ],
        }
        return json.dumps(data, indent=2) + "\n"
    lines = [f"{framework.name} ({framework.version}), {framework.kind}\n{framework.description}\n"]
    for r in framework.requirements:
        links = ", ".join(f"{link.id} ({link.coverage})" for link in r.controls) or "-"
        docs = ", ".join(r.documents) or "-"
        lines.append(f"{r.id:22} {r.name}\n{'':22} controls: {links}; documents: {docs}")
    return "".join(f"{line}\n" for line in lines)


def documents_list(documents: list[Document], today: date, fmt: str) -> str:
    """Each document with its state: fresh, due, expired, or invalid (stored out of bounds, with why)."""

    def state(d: Document) -> str:
        return "invalid" if d.problem else d.state(today)

    if fmt == "json":
        rows = [
            {
                **d.model_dump(mode="json"),
                "review_by": d.review_by.isoformat(),
                "state": state(d),
                **({"problem": d.problem} if d.problem else {}),
            }
            for d in documents
        ]
        return json.dumps(rows, indent=2) + "\n"
    if not documents:
        return "no documents yet; add one with `trustctl docs add`\n"
    return "".join(
        f"{state(d):8} {d.control:7} {d.kind:22} {d.name}  owner {d.owner}, "
        f"approved {d.approved}, review by {d.review_by}" + (f" ({d.problem})" if d.problem else "") + "\n"
        for d in documents
    )


def responses_list(responses: list[StoredResponse], fmt: str) -> str:
    """Management's responses to exceptions, oldest first: standing, or superseded by a later one."""
    if fmt == "json":
        rows = [
            {
                **s.response.model_dump(mode="json"),
                "sha256": s.digest,
                "run": s.run_id,
                "superseded_by": s.superseded_by,
            }
            for s in responses
        ]
        return json.dumps(rows, indent=2) + "\n"
    if not responses:
        return "no responses yet; add one with `trustctl exception respond CHECK RESOURCE`\n"
    lines = []
    for s in responses:
        r = s.response
        state = "standing" if s.superseded_by is None else "superseded"
        text = " ".join(r.text.split())
        lines.append(
            f"{state:10} {r.check} {r.resource}  owner {r.owner}, {r.responded_at}, "
            f"{len(r.findings)} finding(s), {s.digest}\n{'':11}{text}\n"
        )
    return "".join(lines)
