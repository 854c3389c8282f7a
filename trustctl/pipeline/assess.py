"""Evaluate once: the latest evidence (or one run) into an Assessment every report is rendered from; and
management's response to an exception, checked against the latest evidence's results."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from trustctl import __version__
from trustctl.assessment import Assessment, RunFacts, TenantFigures
from trustctl.collectors.permissions import used_permissions
from trustctl.config import Config
from trustctl.controls.checks.isolation import backed_up, newest_recovery_point
from trustctl.controls.engine import Evaluation, evaluate
from trustctl.controls.registry import Context, all_checks
from trustctl.controls.results import Result, Severity
from trustctl.errors import InputError
from trustctl.evidence import documents, redact, responses, signing
from trustctl.evidence.gcpause import gc_paused
from trustctl.evidence.locker import Locker
from trustctl.evidence.records import Manifest
from trustctl.facts.base import Evidence, FactSet
from trustctl.facts.load import build_facts
from trustctl.facts.tenants import TENANT
from trustctl.frameworks.loader import get_framework, load_frameworks
from trustctl.frameworks.readiness import readiness
from trustctl.frameworks.rules import rules_of
from trustctl.frameworks.scope import requirement_lookup
from trustctl.inputs import BoundsError, json_loads
from trustctl.pipeline.steps import add_response, open_locker, read_responses
from trustctl.reports.check_report import Baseline, CheckReport, filter_severity
from trustctl.reports.leavers import leaver_chain


def latest_evidence(locker: Locker, as_of: str | None = None) -> Manifest:
    """The latest evidence of each provider: AWS and GCP may be collected in separate runs, and a run of
    one must not hide the other. One run: that run. Several: their requests merged under the newest id.

    `as_of`: the same state as it stood when that run was complete (runs after it are ignored), so the
    run id a report names gives back the very evidence that report was made from."""
    chosen = locker.latest_by_provider(as_of)
    if not chosen:
        return locker.latest_run() if as_of is None else locker.find_run(as_of)
    manifests = {run_id: locker.read_manifest(run_id) for run_id in set(chosen.values())}
    latest = max(manifests.values(), key=lambda m: m.sequence)
    if len(manifests) == 1:
        return latest
    requests = [
        r
        for provider, run_id in chosen.items()
        for r in manifests[run_id].requests
        if r.call.provider == provider
    ]
    return latest.model_copy(update={"requests": requests, "providers": sorted(chosen)})


def respond_to_exception(
    config: Config, check: str, resource: str, *, text: str, owner: str
) -> tuple[responses.StoredResponse, list[responses.StoredResponse]]:
    """Store management's response to the failing or waived results of CHECK whose resource matches
    RESOURCE (a resource or a pattern) in the latest evidence; returns it and the responses it supersedes.
    An unknown check, or a resource matching no failing or waived result, is refused: nothing is written."""
    if check not in all_checks():
        raise InputError(f"CHECK {check}: no such check; see `trustctl controls list` for the check ids.")
    locker = open_locker(config)
    manifest = latest_evidence(locker)
    results = [r for r in assess(config, manifest).results if r.check == check]
    matched = [r for r in results if fnmatch.fnmatchcase(r.resource, resource)]
    findings = [
        responses.Finding(resource=r.resource, status=r.status.value)
        for r in matched
        if r.status.value in responses.EXCEPTION_STATUSES
    ]
    if not findings:
        said = (
            f"matches only results that are not exceptions ({', '.join(sorted({r.status.value for r in matched}))})"
            if matched
            else f"matches none of its {len(results)} result(s)"
        )
        raise InputError(
            f"{check} {resource}: {said} in the latest evidence (run {manifest.run_id}); nothing was written.",
            "Respond to a failing or waived result: give its resource as `trustctl check` lists it, "
            "or a pattern (*, ?) that matches one.",
        )
    redactor = redact.from_environment(app.token_env for app in config.identity.scim)
    response = responses.new_response(check, resource, text, owner, findings, redactor)
    digest = add_response(config, response)
    found = read_responses(config)
    [stored] = [s for s in found.responses if s.digest == digest][-1:]
    replaced = [s for s in found.responses if s.superseded_by == digest]
    return stored, replaced


def evaluate_run(config: Config, facts: FactSet, today: date) -> Evaluation:
    """Every check over one run's facts; results name the requirements they evidence."""
    return evaluate(
        facts, config.policy, config.waiver, today, requirements=requirement_lookup(config.frameworks)
    )


def assess(
    config: Config, manifest: Manifest, today: date | None = None, facts: FactSet | None = None
) -> Evaluation:
    """Evaluate every check over one run's evidence (the packet's period evaluates each run this way)."""
    facts = facts or build_facts(Evidence(open_locker(config), manifest), tenants=config.tenants)
    return evaluate_run(config, facts, today or datetime.now(UTC).date())


def assessment(
    config: Config,
    framework_ids: Sequence[str] | None = None,
    *,
    run_id: str | None = None,
    today: date | None = None,
    judge_on_evidence_day: bool = False,
) -> Assessment:
    """Open the locker once, evaluate once, and gather what every report needs.

    `today` (default: now) is the day documents, waivers and freshness are judged on;
    `judge_on_evidence_day` judges them on the day the evidence was observed (the trust report's date)."""
    with gc_paused():  # fact tables, results and readiness: many allocations, next to no cyclic garbage
        return _assessment(config, framework_ids, run_id, today, judge_on_evidence_day)


def _assessment(
    config: Config,
    framework_ids: Sequence[str] | None,
    run_id: str | None,
    today: date | None,
    judge_on_evidence_day: bool,
) -> Assessment:
    for framework_id in framework_ids or ():
        get_framework(framework_id)  # an unknown id is an error before any work
    locker = open_locker(config)
    manifest = latest_evidence(locker, as_of=run_id)  # as of a run: what `check` saw then
    locker.want(r.object for r in manifest.requests if r.object)  # not a whole pack of history
    evidence = Evidence(locker, manifest)
    facts = build_facts(evidence, tenants=config.tenants)
    if judge_on_evidence_day:
        today = evidence.as_of.date()
    today = today or datetime.now(UTC).date()
    evaluation = evaluate_run(config, facts, today)
    results = evaluation.results
    rules = rules_of(config)
    docs = documents.documents_in(locker, locker.document_runs(), rules.review_limits)
    ids = list(framework_ids) if framework_ids is not None else list(load_frameworks())
    ctx = Context(config.policy, evidence.as_of)
    return Assessment(
        organization=config.organization.name,
        run=RunFacts(
            run_id=manifest.run_id,
            completed_at=manifest.completed_at,
            sequence=manifest.sequence,
            digest=locker.manifest_digest(manifest.run_id),
            key=signing.fingerprint(locker.public_key()),
            providers=tuple(manifest.providers),
            errors=len(manifest.errors),
            as_of=evidence.as_of,
            permissions=used_permissions(manifest.requests),
        ),
        today=today,
        results=tuple(results),
        notes=tuple(evaluation.notes),
        readiness={f: readiness(get_framework(f), rules, results, docs, today) for f in ids},
        documents=tuple(docs),
        leavers=tuple(leaver_chain(evidence, facts, results, config.policy.deprovision_sla_hours)),
        tenants=_tenants(facts, results, ctx),
    )


def _tenants(facts: FactSet, results: list[Result], ctx: Context) -> dict[str, TenantFigures]:
    if TENANT not in facts.tables:
        return {}
    return {
        str(row["name"]): tenant_figures(str(row["name"]), row, results, ctx)
        for row in facts.table(TENANT).frame.to_dict("records")
    }


def tenant_figures(tenant: str, row: dict[str, Any], results: list[Result], ctx: Context) -> TenantFigures:
    """One tenant's compartment with its backups judged by the tenant backup check's own rule."""
    stores = [s for s in row["stores"] if not s["snapshot"]]
    return TenantFigures(
        name=tenant,
        regions=tuple(sorted({s["region"] for s in row["stores"]})),
        isolation_promised=str(row["isolation"]),
        stores=len(stores),
        cmk_stores=sum(s["cmk"] is True for s in stores),
        rotating_keys=len({s["key"] for s in stores if s["cmk"] and s["key_rotation"]}),
        dedicated_keys=all(not s["key_shared_with"] for s in stores) and all(s["cmk"] for s in stores),
        backed_up=sum(backed_up(s, ctx)[0] for s in stores),
        last_recovery_point=newest_recovery_point(stores),
        statuses={r.check: r.status.value for r in results if r.resource == f"tenant:{tenant}"},
    )


def _baseline(config: Config, ref: str, today: date | None) -> Baseline:
    """A previous `check --format json` report, or the full state as of a run (every provider's latest
    evidence at that run, as `check` assesses the latest), evaluated on the same day as the current one."""
    path = Path(ref)
    if path.is_file():
        try:
            data = json_loads(path.read_text(encoding="utf-8"))
            fields = set(Result.model_fields)
            results = [
                Result.model_validate({k: v for k, v in r.items() if k in fields}) for r in data["results"]
            ]
            return Baseline(ref, str(data["run"]["id"]), results)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, BoundsError) as e:
            raise InputError(
                f"{path}: not a `trustctl check --format json` report ({str(e).splitlines()[0]}).",
                "Give the JSON file a previous `trustctl check --format json --output FILE` wrote, or a run id.",
            ) from None
    locker = open_locker(config)
    if not locker.run_dir(ref).is_dir():
        raise InputError(
            f"--baseline {ref}: neither a file nor a run in {locker.root}.",
            "Give a run id (the `run.id` of a `check --format json` report, or see `trustctl verify`) "
            "or a JSON report file.",
        )
    manifest = latest_evidence(locker, as_of=ref)
    return Baseline(ref, manifest.run_id, assess(config, manifest, today).results)


def _in_scope(results: list[Result], min_severity: Severity, framework: str | None) -> list[Result]:
    results = filter_severity(results, min_severity)
    return [r for r in results if r.requirements.get(framework)] if framework else results


def check_report(
    config: Config,
    *,
    run_id: str | None = None,
    min_severity: Severity = Severity.LOW,
    baseline: str | None = None,
    framework: str | None = None,
    today: date | None = None,
    assessed: Assessment | None = None,
) -> CheckReport:
    assessed = assessed or assessment(config, [framework] if framework else [], run_id=run_id, today=today)
    results = _in_scope(list(assessed.results), min_severity, framework)
    compared = None
    if baseline:
        before = _baseline(config, baseline, today or assessed.today)
        compared = Baseline(before.ref, before.run_id, _in_scope(before.results, min_severity, framework))
    notes = list(assessed.notes)
    if assessed.run.errors:
        notes.append(
            f"{assessed.run.errors} request(s) in run {assessed.run.run_id} could not be collected; "
            "the checks that need them report error"
        )
    return CheckReport(
        __version__,
        assessed.run.run_id,
        assessed.run.completed_at,
        results,
        all_checks(),
        notes,
        compared,
        assessed.run.errors,
    )
