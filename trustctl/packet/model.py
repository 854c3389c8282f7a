"""What the packet says, as plain values: built from the period's observations, readiness as of the
period's end, the documents in force, waivers, leavers and the runs behind it. The HTML, the PDF, the
workbook and packet.json all render this one model, so they cannot disagree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from trustctl.config import AddressableDecision, SystemDescription, Waiver
from trustctl.controls.catalog import load_catalog
from trustctl.controls.registry import all_checks
from trustctl.controls.results import Result, Status
from trustctl.evidence.documents import Document
from trustctl.frameworks.models import Framework
from trustctl.frameworks.readiness import DocumentState, Readiness
from trustctl.packet.management import NarrativeView, ResponseView
from trustctl.packet.period import Coverage, Observation, Period, RunPoint, as_of, in_force
from trustctl.packet.populations import Population
from trustctl.packet.request_list import RequestAnswer
from trustctl.packet.sampling import Sampling
from trustctl.packet.soa import SoaRow

FAILING_CAP = 8  # failing resources shown per requirement in the PDF; the workbook has them all
BAD = (Status.FAIL, Status.ERROR)


@dataclass(frozen=True)
class ControlView:
    id: str
    name: str
    coverage: str
    status: str
    checks: list[str]
    counts: dict[str, int]


@dataclass(frozen=True)
class DocumentView:
    kind: str
    status: str  # fresh | due | expired | missing (as of the period's end)
    name: str = ""
    sha256: str = ""
    owner: str = ""
    approved: date | None = None
    review_by: date | None = None
    days_in_force: int = 0  # days of the period the document was in force
    elsewhere: str = ""  # for a missing kind: the documents of that kind filed where this does not look


@dataclass(frozen=True)
class RequirementView:
    id: str
    name: str
    citation: str
    status: str
    reason: str
    controls: list[ControlView]
    results: int
    evidence_objects: int
    failing: list[Result]  # fail and error results, worst first (all of them)
    documents: list[DocumentView]
    basis: str | None = None  # evidenced | declared | mixed, for a met requirement
    exceptions: int = 0  # waived findings behind it (accepted exceptions, not passes)
    justification: str | None = None  # why it does not apply, as declared in [scope.FRAMEWORK]
    decision: str | None = None  # HIPAA addressable: the recorded 164.306(d)(3) decision

    @property
    def failing_shown(self) -> list[Result]:
        return self.failing[:FAILING_CAP]


@dataclass(frozen=True)
class SampleRow:
    day: date
    runs: list[str]  # runs on that day
    as_of: str | None  # the run whose evidence stands on that day (None: no run yet in the period)
    as_of_at: datetime | None
    status: dict[str, str]  # control -> status as of that day
    evidenced: list[str]  # controls evidenced by a run on that day
    evidence_objects: int

    @property
    def failing(self) -> list[str]:
        return sorted(c for c, s in self.status.items() if s in ("fail", "error"))


@dataclass(frozen=True)
class WaiverView:
    check: str
    resource: str
    owner: str
    reason: str
    expires: date
    active: bool  # at the period's end
    waived_results: int


@dataclass(frozen=True)
class RunView:
    run_id: str
    sequence: int
    at: datetime
    providers: list[str]
    requests: int
    objects: int
    errors: int
    digest: str
    in_period: bool


@dataclass(frozen=True)
class Scope:
    aws_accounts: list[str]
    regions: list[str]
    gcp_scopes: list[str]
    identity_systems: list[str]
    documents: int


@dataclass(frozen=True)
class Methodology:
    providers: dict[str, int]  # provider -> requests in the period
    services: list[str]  # provider:service read in the period
    runs: int
    median_hours_between_runs: float | None
    errors: int
    permissions: dict[str, list[str]]
    checks: int


@dataclass(frozen=True)
class Packet:
    organization: str
    framework: Framework
    period: Period
    generated_at: datetime
    tool_version: str
    locker_head: str
    key: str
    scope: Scope
    readiness: Readiness
    requirements: list[RequirementView]
    coverage: list[Coverage]
    samples: list[SampleRow]
    waivers: list[WaiverView]
    methodology: Methodology
    results: list[Result]  # the framework's results as of the period's end
    documents: list[Document]  # every document effective by the period's end
    runs: list[RunView]
    leavers: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    soa: list[SoaRow] = field(default_factory=list)  # ISO 27001: the statement of applicability
    requests: list[RequestAnswer] = field(default_factory=list)  # the request list (PBC), answered
    populations: list[Population] = field(default_factory=list)  # the period's events, per population
    sampling: Sampling | None = None  # how the samples were drawn, and which rows and dates
    # Management's words ([system], [controls.ID] narrative, `exception respond`), drafts for it to complete.
    system: SystemDescription = field(default_factory=SystemDescription)
    narratives: list[NarrativeView] = field(default_factory=list)  # each control in the framework's scope
    responses: list[ResponseView] = field(default_factory=list)  # findings with a standing response
    unanswered: int = 0  # failing, error or waived findings without a response

    @property
    def declared(self) -> list[RequirementView]:
        """Met requirements that rest on documents in whole or in part: what the auditor must read."""
        return [q for q in self.requirements if q.status == "met" and q.basis in ("declared", "mixed")]

    @property
    def not_applicable(self) -> list[RequirementView]:
        """Requirements declared not applicable, or decided so (HIPAA addressable), with the reason."""
        return [q for q in self.requirements if q.justification is not None or q.decision is not None]

    @property
    def general_use(self) -> bool:
        """SOC 3: a general-use report, without the detail of the tests."""
        return self.framework.id == "soc3" or self.framework.derived_from == "soc2"

    @property
    def request_counts(self) -> dict[str, int]:
        """Request-list items by status (evidence, document, missing), every status present."""
        counts = Counter(a.status for a in self.requests)
        return {s: counts.get(s, 0) for s in ("evidence", "document", "missing")}

    @property
    def runs_in_period(self) -> list[RunView]:
        """The collection runs in the period (runs that only added documents are left out)."""
        return [r for r in self.runs if r.in_period and r.providers != ["documents"]]

    @property
    def document_runs(self) -> list[RunView]:
        """The runs that only added documents (cited by the packet, wherever they fall)."""
        return [r for r in self.runs if r.providers == ["documents"]]

    @property
    def runs_before(self) -> list[RunView]:
        """Collection runs before the period whose evidence still stood in it."""
        return [r for r in self.runs if not r.in_period and r.providers != ["documents"]]


def _worst_first(results: list[Result]) -> list[Result]:
    return sorted(results, key=lambda r: (r.status != Status.ERROR, -r.severity.rank, r.check, r.resource))


def _documents(state_documents: list[Document], period: Period) -> list[int]:
    return [sum(in_force(d, day) for day in period.dates()) for d in state_documents]


def requirement_views(readiness: Readiness, results: list[Result], period: Period) -> list[RequirementView]:
    catalog = load_catalog()
    framework = readiness.framework.id
    by_requirement: dict[str, list[Result]] = {}
    for r in results:
        for requirement in r.requirements.get(framework, []):
            by_requirement.setdefault(requirement, []).append(r)
    views = []
    for q in readiness.requirements:
        mine = by_requirement.get(q.id, [])
        documents: list[DocumentView] = []
        for d in q.documents:
            if not d.documents:
                documents.append(
                    DocumentView(d.kind, d.status, elsewhere=_elsewhere(d, f"{framework}:{q.id}"))
                )
            for doc, days in zip(d.documents, _documents(d.documents, period), strict=True):
                documents.append(
                    DocumentView(
                        d.kind, d.status, doc.name, doc.sha256, doc.owner, doc.approved, doc.review_by, days
                    )
                )
        views.append(
            RequirementView(
                q.id,
                q.name,
                q.citation,
                q.status,
                q.reason,
                [
                    ControlView(c.id, catalog.get(c.id).name, c.coverage, c.status, c.checks, c.counts)
                    for c in q.controls
                ],
                len(mine),
                len({e for r in mine for e in r.evidence}),
                _worst_first([r for r in mine if r.status in BAD]),
                documents,
                q.basis,
                q.exceptions,
                q.justification,
                _decision(q.decision),
            )
        )
    return views


def _elsewhere(state: DocumentState, anchor: str) -> str:
    """What to do when a document of the kind exists but is filed against a control this requirement does
    not link: name it, and the command that files it for the requirement too."""
    if not state.elsewhere:
        return ""
    named = ", ".join(f"{d.name} (filed against {d.control})" for d in state.elsewhere[:3])
    more = f" and {len(state.elsewhere) - 3} more" if len(state.elsewhere) > 3 else ""
    return (
        f"{named}{more} is not linked to this requirement. If it covers it, file it for it too: "
        f"`trustctl docs add FILE --kind {state.kind} --control {state.elsewhere[0].control} "
        f"--requirement {anchor}`."
    )


def _decision(decision: AddressableDecision | None) -> str | None:
    if decision is None:
        return None
    said = {
        "implemented": "implemented",
        "alternative": "equivalent alternative",
        "not_reasonable": "not reasonable",
    }
    text = f"{said[decision.decision]}: {decision.reason}"
    return text + (f" (alternative: {decision.alternative})" if decision.alternative else "")


def sample_rows(days: list[date], observations: list[Observation], controls: list[str]) -> list[SampleRow]:
    rows = []
    for day in days:
        standing = as_of(observations, day)
        on_day = [o for o in observations if o.at.date() == day]
        evidenced = sorted({c for o in on_day for c in o.evidenced if c in controls})
        if standing is None:
            rows.append(SampleRow(day, [], None, None, {}, [], 0))
            continue
        mine = [r for r in standing.results if r.control in controls]
        rows.append(
            SampleRow(
                day,
                [o.point.run_id for o in on_day],
                standing.point.run_id,
                standing.at,
                {c: standing.status[c] for c in controls if c in standing.status},
                evidenced,
                len({e for r in mine for e in r.evidence}),
            )
        )
    return rows


def waiver_views(waivers: list[Waiver], results: list[Result], end: date) -> list[WaiverView]:
    views = []
    for w in waivers:
        waived = sum(r.status == Status.WAIVED and w.matches(r.check, r.resource) for r in results)
        views.append(WaiverView(w.check, w.resource, w.owner, w.reason, w.expires, w.expires >= end, waived))
    return views


def run_views(included: list[RunPoint], period: Period) -> list[RunView]:
    return [
        RunView(
            p.run_id,
            p.manifest.sequence,
            p.at,
            p.manifest.providers,
            len(p.manifest.requests),
            len(p.manifest.evidence),
            len(p.manifest.errors),
            p.digest,
            period.contains(p.at),
        )
        for p in included
    ]


def scope(observations: list[Observation], documents: list[Document]) -> Scope:
    calls = [r.call for o in observations for r in o.point.manifest.requests]
    last = observations[-1].results
    return Scope(
        aws_accounts=sorted({c.account for c in calls if c.provider == "aws"}),
        regions=sorted({c.region for c in calls if c.provider == "aws" and c.region != "global"}),
        gcp_scopes=sorted({c.account for c in calls if c.provider == "gcp"}),
        identity_systems=sorted(
            {r.account for r in last if r.provider == "identity"}
            | {c.account for c in calls if c.provider == "identity" and c.account not in ("hr", "settings")}
        ),
        documents=len(documents),
    )


def methodology(observations: list[Observation], permissions: Mapping[str, Sequence[str]]) -> Methodology:
    """How the evidence was gathered; `permissions`: what the runs of the period actually used."""
    requests = [r for o in observations for r in o.point.manifest.requests]
    times = sorted(o.at for o in observations)
    gaps = sorted((b - a).total_seconds() / 3600 for a, b in pairwise(times))
    providers = Counter(r.call.provider for r in requests)
    return Methodology(
        providers=dict(sorted(providers.items())),
        services=sorted({f"{r.call.provider}:{r.call.service}" for r in requests}),
        runs=len(observations),
        median_hours_between_runs=round(gaps[len(gaps) // 2], 1) if gaps else None,
        errors=sum(r.error is not None for r in requests),
        permissions={p: list(v) for p, v in sorted(permissions.items())},
        checks=len(all_checks()),
    )
