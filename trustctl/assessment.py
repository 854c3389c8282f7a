"""The assessment: what the orchestrator (trustctl.pipeline) evaluates once and hands to every report.

Plain, immutable data: the run it judged, the results, each framework's readiness, the documents, the
leaver chain, per-tenant figures and the permissions the run actually used. Reports render it; none of
them evaluates evidence, opens the locker to judge, or imports a check or a collector.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from trustctl.controls.results import Result
from trustctl.evidence.documents import Document
from trustctl.frameworks.readiness import Readiness


@dataclass(frozen=True)
class RunFacts:
    """The run (or the latest run of each provider, merged) an assessment judged."""

    run_id: str
    completed_at: str
    sequence: int
    digest: str  # the manifest's hash: what the locker's chain names
    key: str  # fingerprint of the key that signs the locker
    providers: tuple[str, ...]
    errors: int  # requests that could not be collected
    as_of: datetime  # when the evidence was observed (the run's completion)
    # What the run actually used, per provider: IAM actions, GCP permissions, identity sources.
    permissions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class TenantFigures:
    """One tenant's compartment, as the checks judged it (no identifiers beyond the tenant's own)."""

    name: str
    regions: tuple[str, ...]
    isolation_promised: str
    stores: int  # live data stores (snapshots aside)
    cmk_stores: int
    rotating_keys: int
    dedicated_keys: bool
    backed_up: int  # stores covered by backups meeting policy (the tenant backup check's rule)
    last_recovery_point: datetime | None
    statuses: Mapping[str, str]  # check id -> status of this tenant's result


@dataclass(frozen=True)
class Assessment:
    organization: str
    run: RunFacts
    today: date  # the day documents, waivers and freshness were judged on
    results: tuple[Result, ...]
    notes: tuple[str, ...]
    readiness: Mapping[str, Readiness]  # framework id -> readiness, in the order asked for
    documents: tuple[Document, ...]
    leavers: tuple[dict[str, Any], ...]  # the deprovisioning chain, newest termination first
    tenants: Mapping[str, TenantFigures]
