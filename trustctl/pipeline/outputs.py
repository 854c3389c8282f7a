"""Every output from one assessment: status, leavers, the trust report, OSCAL, the roadmap, the packet.

Each takes an Assessment when the caller already has one (the demo evaluates once for all of them).
The report modules are imported where they are used: every command imports the pipeline, and the
packet, OSCAL, roadmap and trust report modules cost most of a second to load."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from trustctl import __version__
from trustctl.assessment import Assessment
from trustctl.collectors.permissions import used_permissions
from trustctl.config import Config
from trustctl.errors import InputError, NoEvidenceError
from trustctl.evidence.canonical import sha256_hex
from trustctl.evidence.locker import Locker
from trustctl.frameworks.loader import load_frameworks
from trustctl.frameworks.readiness import Readiness
from trustctl.pipeline.assess import assessment
from trustctl.pipeline.reuse import PeriodEvaluator
from trustctl.pipeline.steps import open_locker

if TYPE_CHECKING:
    from trustctl.packet import period
    from trustctl.packet.build import BuiltPacket
    from trustctl.packet.model import Packet
    from trustctl.roadmap.build import Roadmap


def status(
    config: Config, framework_ids: list[str], today: date | None = None, assessed: Assessment | None = None
) -> list[Readiness]:
    """Readiness per framework from the latest evidence and every document in the locker."""
    assessed = assessed or assessment(config, framework_ids, today=today)
    return [assessed.readiness[f] for f in framework_ids]


def leavers(config: Config, assessed: Assessment | None = None) -> list[dict[str, Any]]:
    """The deprovisioning chain of every leaver, from the latest evidence of each provider."""
    return list((assessed or assessment(config, [])).leavers)


def trust_report(
    config: Config,
    out: Path,
    *,
    level: Literal["public", "nda"] = "public",
    customer: str | None = None,
    packet: Path | None = None,
    assessed: Assessment | None = None,
) -> dict[str, Path]:
    """The trust report (trust.html, trust.pdf) in `out`, for everyone or for one tenant. Documents and
    waivers are judged on the day the evidence was observed, the date the report states."""
    if customer is not None and customer not in {t.name for t in config.tenants}:
        known = ", ".join(t.name for t in config.tenants) or "none configured"
        raise InputError(f"no tenant named {customer!r} in [[tenants]] (tenants: {known}).")
    if packet is not None and not packet.is_file():
        raise InputError(f"{packet}: no such packet file.")
    assessed = _on_evidence_day(config, assessed)
    from trustctl.trust import model as trust_model
    from trustctl.trust import render as trust_render

    report = trust_model.build_report(
        config,
        assessed,
        level=level,
        packet_digest=sha256_hex(packet.read_bytes()) if packet else None,
        customer=customer,
    )
    return trust_render.write(report, out)


def _on_evidence_day(config: Config, assessed: Assessment | None) -> Assessment:
    """The assessment of every framework, judged on the day the evidence was observed."""
    complete = assessed is not None and set(load_frameworks()) <= set(assessed.readiness)
    if assessed is None or not complete or assessed.today != assessed.run.as_of.date():
        assessed = assessment(config, judge_on_evidence_day=True)
    return assessed


def trust_site(
    config: Config, out: Path, *, packet: Path | None = None, assessed: Assessment | None = None
) -> list[Path]:
    """The static trust center (public level) in `out`: every file written, index.html first."""
    if packet is not None and not packet.is_file():
        raise InputError(f"{packet}: no such packet file.")
    from trustctl.trust import model as trust_model
    from trustctl.trust import share as trust_share
    from trustctl.trust import site as trust_site_pages

    trust_site_pages.check_target(out)
    assessed = _on_evidence_day(config, assessed)

    report = trust_model.build_report(config, assessed)  # no site page shows a packet's hash: not read
    site = trust_site_pages.build_site(
        report,
        trust_model.library(assessed),
        list(assessed.readiness.values()),
        list(assessed.results),
        trust_share.verifier_context(open_locker(config).public_key(), config.organization.name),
    )
    return trust_site_pages.write(site, out)


def export_oscal(config: Config, framework_id: str, assessed: Assessment | None = None) -> str:
    """OSCAL assessment results for one framework, from one evaluation."""
    if assessed is None or framework_id not in assessed.readiness:
        assessed = assessment(config, [framework_id])
    from trustctl.reports import oscal

    return oscal.render(
        assessed.readiness[framework_id],
        list(assessed.results),
        run_id=assessed.run.run_id,
        completed_at=assessed.run.completed_at,
        tool_version=__version__,
        organization=config.organization.name,
    )


def roadmap(
    config: Config,
    pipeline_path: Path,
    *,
    costs_path: Path | None = None,
    preset: str = "default",
    columns: dict[str, str] | None = None,
    horizon_months: int = 24,
    currency: str = "USD",
    as_of: date | None = None,
    assessed: Assessment | None = None,
    closed_deals_path: Path | None = None,
) -> Roadmap:
    """The roadmap: the sales pipeline, closed deals and costs are read and checked first, then the gap is
    measured; the roster (when configured) sizes the recurring operating costs."""
    from trustctl.collectors.identity.roster import configured_roster
    from trustctl.roadmap import build as roadmap_build
    from trustctl.roadmap.costs import SHIPPED, load_costs
    from trustctl.roadmap.gap import frameworks_needed
    from trustctl.roadmap.history import load_history
    from trustctl.roadmap.pipeline_csv import load_pipeline

    deals = load_pipeline(pipeline_path, preset, columns)
    history = load_history(closed_deals_path) if closed_deals_path else None
    costs = load_costs(costs_path)
    source = str(costs_path) if costs_path else SHIPPED
    roadmap_build.check_currency(costs, currency, source)
    needed = list(frameworks_needed())
    if assessed is None or any(f not in assessed.readiness for f in needed):
        assessed = assessment(config, needed)
    team = None
    roster = configured_roster(config)
    if roster is not None:
        team = roadmap_build.team_from_roster(roster[1], as_of or assessed.today, str(config.identity.roster))
    return roadmap_build.assemble(
        deals,
        costs,
        [assessed.readiness[f] for f in needed],
        config.certifications.held(),
        horizon_months=horizon_months,
        currency=currency,
        as_of=as_of or assessed.today,
        costs_source=source,
        history=history,
        team=team,
    )


def _period_evaluator(config: Config, open_run: Locker) -> period.Evaluate:
    """Each run of the period evaluated exactly as `check` evaluates one; the facts of unchanged
    evidence and the results of checks that do not read the observation time are shared (reuse.py)."""
    return PeriodEvaluator(config, open_run)


def packet_model(
    config: Config,
    framework_id: str,
    *,
    period_text: str | None = None,
    sample: int = 0,
    sample_seed: str | None = None,
    samples_file: Path | None = None,
    sampled_by: str | None = None,
    now: datetime | None = None,
    assessed: Assessment | None = None,
    locker: Locker | None = None,
    stage: Callable[[str], None] | None = None,
) -> tuple[Packet, list[period.RunPoint]]:
    """The packet's model and the runs it draws on, without writing anything. Samples: `sample` rows per
    population and dates, from the auditor's `sample_seed` (or derived by trustctl), or the auditor's
    selection in `samples_file`; `sampled_by` names who supplied the seed or file."""
    from trustctl.packet import sampling

    request = sampling.check_request(sampling.Request(sample, sample_seed, samples_file, sampled_by))
    locker = locker or open_locker(config)
    # The leaver chain goes in when identity evidence exists (an empty chain adds no section).
    try:
        chain = list((assessed or assessment(config, [])).leavers)
    except NoEvidenceError:
        chain = []  # the packet says what is missing
    from trustctl.packet import build as packet_build

    return packet_build.build_model(
        config,
        framework_id,
        locker,
        _period_evaluator(config, locker),
        used_permissions,
        period_text=period_text,
        leavers=chain,
        now=now,
        stage=stage,
        request=request,
    )


def packet(
    config: Config,
    framework_id: str,
    *,
    period_text: str | None = None,
    sample: int = 0,
    sample_seed: str | None = None,
    samples_file: Path | None = None,
    sampled_by: str | None = None,
    out: Path | None = None,
    now: datetime | None = None,
    assessed: Assessment | None = None,
    stage: Callable[[str], None] | None = None,
) -> BuiltPacket:
    """The audit packet for one framework and period, signed with the locker's own key."""
    locker = open_locker(config)
    from trustctl.packet import build as packet_build

    key = packet_build.signing_key(config, locker)
    model, included = packet_model(
        config,
        framework_id,
        period_text=period_text,
        sample=sample,
        sample_seed=sample_seed,
        samples_file=samples_file,
        sampled_by=sampled_by,
        now=now,
        assessed=assessed,
        locker=locker,
        stage=stage,
    )
    return packet_build.write_packet(model, locker, included, key, out, stage)
