"""Management's words in the packet, as plain values: each control's narrative (or that none was given),
and each failing or waived finding management responded to. The system description is the config's own
model ([system]); nothing here is filled in beyond what management wrote and the evidence holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from trustctl.config import ControlNarrative, SystemDescription
from trustctl.controls.catalog import load_catalog
from trustctl.controls.results import Result, Status
from trustctl.evidence.responses import Responses

EXCEPTIONS = (Status.FAIL, Status.ERROR, Status.WAIVED)


@dataclass(frozen=True)
class NarrativeView:
    control: str
    name: str
    narrative: str | None  # None: no narrative provided (management to describe)
    owner: str | None


@dataclass(frozen=True)
class ResponseView:
    """A failing or waived finding at the period's end and management's standing response to it."""

    check: str
    resource: str
    status: str
    text: str
    owner: str
    responded_at: str
    sha256: str  # the response object in the locker (and in packet.zip under evidence/)
    run_id: str
    pattern: str  # the resource (or pattern) the response was given for


def narrative_views(
    controls: Sequence[str], narratives: Mapping[str, ControlNarrative]
) -> list[NarrativeView]:
    """Each control in the framework's scope with management's narrative, or None where there is none."""
    catalog = load_catalog()
    views = []
    for control in controls:
        given = narratives.get(control)
        views.append(
            NarrativeView(
                control,
                catalog.get(control).name,
                given.narrative if given else None,
                given.owner if given else None,
            )
        )
    return views


def response_views(results: Sequence[Result], responses: Responses) -> list[ResponseView]:
    """The failing, error and waived results that have a standing response, by check and resource."""
    views = []
    for r in sorted(results, key=lambda r: (r.check, r.resource)):
        if r.status not in EXCEPTIONS:
            continue
        found = responses.for_finding(r.check, r.resource)
        if found is None:
            continue
        given = found.response
        views.append(
            ResponseView(
                r.check,
                r.resource,
                r.status.value,
                given.text,
                given.owner,
                given.responded_at,
                found.digest,
                found.run_id,
                given.resource,
            )
        )
    return views


def unanswered(results: Sequence[Result], answered: Sequence[ResponseView]) -> int:
    """How many failing, error or waived findings have no management response."""
    keys = {(v.check, v.resource) for v in answered}
    return sum(r.status in EXCEPTIONS and (r.check, r.resource) not in keys for r in results)


def as_json(
    system: SystemDescription,
    narratives: Sequence[NarrativeView],
    responses: Sequence[ResponseView],
    unanswered: int,
    *,
    general_use: bool,
) -> dict[str, Any]:
    """Management's words in packet.json: the system description as given (null where not), each control's
    narrative (null: none provided) and, except in a general-use (SOC 3) packet, the responses."""
    return {
        "system": system.model_dump(mode="json"),
        "narratives": [asdict(n) for n in narratives],
        **(
            {}
            if general_use
            else {"responses": [asdict(r) for r in responses], "unanswered_exceptions": unanswered}
        ),
    }
