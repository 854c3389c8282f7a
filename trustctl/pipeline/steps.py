"""The steps every command is made of, free of CLI concerns: init, collect, assess, verify.

The CLI and the demo call these; each takes its inputs (config, clock, progress) as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from trustctl import __version__
from trustctl.collectors.aws.clients import ClientFactory, ClientHook
from trustctl.collectors.aws.runner import AwsSummary, collect_aws
from trustctl.collectors.base import Progress
from trustctl.collectors.gcp.assets import collect_gcp
from trustctl.collectors.gcp.exports import check_exports, import_exports
from trustctl.collectors.identity import runner as identity_runner
from trustctl.config import DEFAULT_CONFIG, Config, load_config, parse_config, render_default_config
from trustctl.controls.catalog import load_catalog
from trustctl.controls.engine import Evaluation, evaluate
from trustctl.controls.registry import Context, all_checks
from trustctl.controls.results import Result, Severity
from trustctl.errors import ConfigError, InputError, LockerError
from trustctl.evidence import documents, redact, signing
from trustctl.evidence.canonical import sha256_hex
from trustctl.evidence.documents import Document
from trustctl.evidence.locker import MARKER as LOCKER_MARKER
from trustctl.evidence.locker import Locker
from trustctl.evidence.records import Manifest
from trustctl.evidence.verify import VerifyReport, verify_locker
from trustctl.facts.base import Evidence, FactSet
from trustctl.facts.load import build_facts
from trustctl.facts.tenants import TENANT
from trustctl.frameworks.loader import get_framework, load_frameworks
from trustctl.frameworks.readiness import Readiness, readiness
from trustctl.frameworks.scope import requirement_lookup
from trustctl.identity.chain import leaver_chain
from trustctl.inputs import BoundsError, json_loads, single_line
from trustctl.reports.check_report import CheckReport, filter_severity, new_or_changed
from trustctl.trust import model as trust_model
from trustctl.trust import render as trust_render


@dataclass(frozen=True)
class Initialized:
    config: Path
    locker: Path
    key: Path
    fingerprint: str  # record it outside the locker: `verify --key` checks every run against it


def init(directory: Path, org: str, extra_config: str = "", key_file: Path | None = None) -> Initialized:
    """Write trustctl.toml, the signing key (0600) and an empty locker; refuse to overwrite anything.

    Everything is checked before anything is written: the name, the directory, and the config as every
    later command will read it."""
    try:
        single_line(org)
    except BoundsError as e:
        raise InputError(f"--org {org!r}: {e}; give the organization's name on one line.") from None
    if directory.exists() and not directory.is_dir():
        raise InputError(
            f"--dir {directory}: a file is in the way, not a directory; nothing was changed.",
            "Give a directory (it is created if missing).",
        )
    path = directory / DEFAULT_CONFIG
    if path.exists():
        raise ConfigError(
            path, "already exists; nothing was changed", "Edit it, or run init in another directory."
        )
    key_setting = str(key_file.expanduser().absolute()) if key_file else ".trustctl/signing-key.pem"
    text = render_default_config(org, key_setting) + extra_config
    config = parse_config(text, path)
    if config.key_path.exists():
        raise LockerError(f"{config.key_path}: a signing key already exists; nothing was changed.")
    if config.locker_path.exists() and not config.locker_path.is_dir():
        raise LockerError(f"{config.locker_path}: a file is in the way of the locker; nothing was changed.")
    if (config.locker_path / LOCKER_MARKER).exists():
        raise LockerError(f"{config.locker_path}: a locker already exists here; nothing was changed.")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        key = signing.create_key(config.key_path)
        fingerprint = signing.fingerprint(key.public_key())
        Locker.create(config.locker_path, key)
        path.write_text(render_default_config(org, key_setting, fingerprint) + extra_config, encoding="utf-8")
    except OSError as e:
        raise InputError(f"--dir {directory}: cannot be written ({e.strerror or e}).") from None
    return Initialized(path, config.locker_path, config.key_path, fingerprint)


def open_locker(config: Config) -> Locker:
    return Locker.open(config.locker_path)


@dataclass(frozen=True)
class Collected:
    manifest: Manifest
    aws: AwsSummary
    head: str  # the new chain head (the manifest's hash): record it outside, for `verify --head`

    @property
    def errors(self) -> int:
        return len(self.manifest.errors)


def collect(
    config: Config,
    providers: list[str],
    progress: Progress | None = None,
    hooks: list[ClientHook] | None = None,
    exports: list[Path] | None = None,
) -> Collected:
    """One run of the given providers into the locker, signed and chained."""
    if "gcp" in providers and not exports and not config.gcp.scope:
        raise ConfigError(
            config.source,
            "[gcp] scope is not set",
            'Set scope = "organizations/N" (or folders/N, projects/ID), or give --export FILE.',
        )
    # Identity files and exports are checked before the run begins: a bad file changes nothing.
    prepared = identity_runner.prepare(config) if "identity" in providers else None
    if "gcp" in providers and exports:
        check_exports(exports)
    locker = open_locker(config)
    key = signing.signing_key(config.key_path)
    # The configured tokens are known values: redacted wherever a response or error echoes one.
    redactor = redact.from_environment(app.token_env for app in config.identity.scim)
    writer = locker.begin_run(key, config.organization.name, config.digest, redactor)
    try:
        summary = AwsSummary()
        if "aws" in providers:
            summary = collect_aws(config.aws, writer, progress, factory=ClientFactory(config.aws, hooks))
        if "gcp" in providers:
            if exports:
                import_exports(exports, writer)
            else:
                collect_gcp(config.gcp, writer, progress)
        if prepared is not None:
            identity_runner.collect_identity(config, prepared, writer, progress)
        manifest = writer.commit(providers)
    finally:
        writer.close()
    return Collected(manifest, summary, locker.manifest_digest(manifest.run_id))


def latest_evidence(locker: Locker) -> Manifest:
    """The latest evidence of each provider: AWS and GCP may be collected in separate runs, and a run of
    one must not hide the other. One run: that run. Several: their requests merged under the newest id."""
    chosen = locker.latest_by_provider()
    if not chosen:
        return locker.latest_run()  # raises NoEvidenceError, saying how to collect
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


def assess(
    config: Config, manifest: Manifest, today: date | None = None, facts: FactSet | None = None
) -> Evaluation:
    """Evaluate every check over one run's evidence; results name the requirements they evidence."""
    facts = facts or build_facts(Evidence(open_locker(config), manifest), tenants=config.tenants)
    return evaluate(
        facts,
        config.policy,
        config.waiver,
        today or datetime.now(UTC).date(),
        requirements=requirement_lookup(config.frameworks),
    )


def _baseline_statuses(config: Config, baseline: str, today: date | None) -> dict[tuple[str, str], str]:
    path = Path(baseline)
    if path.is_file():
        try:
            data = json_loads(path.read_text(encoding="utf-8"))
            return {(r["check"], r["resource"]): r["status"] for r in data["results"]}
        except (OSError, ValueError, KeyError, TypeError, BoundsError) as e:
            raise InputError(f"{path}: not a `trustctl check --format json` report ({e}).") from None
    locker = open_locker(config)
    if not (locker.root / "runs" / baseline).is_dir():
        raise InputError(
            f"--baseline {baseline}: neither a file nor a run in {locker.root}.",
            "Give a run id (see `trustctl verify`) or a JSON report file.",
        )
    return {r.key: r.status.value for r in assess(config, locker.find_run(baseline), today).results}


def check_report(
    config: Config,
    *,
    run_id: str | None = None,
    min_severity: Severity = Severity.LOW,
    baseline: str | None = None,
    framework: str | None = None,
    today: date | None = None,
) -> CheckReport:
    if framework:
        get_framework(framework)  # an unknown id is an error before any work
    locker = open_locker(config)
    manifest = locker.find_run(run_id) if run_id else latest_evidence(locker)
    evaluation = assess(config, manifest, today)
    results = filter_severity(evaluation.results, min_severity)
    if framework:
        results = [r for r in results if r.requirements.get(framework)]
    if baseline:
        results = new_or_changed(results, _baseline_statuses(config, baseline, today))
    notes = list(evaluation.notes)
    if manifest.errors:
        notes.append(
            f"{len(manifest.errors)} request(s) in run {manifest.run_id} could not be collected; "
            "the checks that need them report error"
        )
    return CheckReport(
        __version__, manifest.run_id, manifest.completed_at, results, all_checks(), notes, baseline
    )


def verify(
    path: Path,
    *,
    trusted: list[str] | None = None,
    config: Config | None = None,
    head: str | None = None,
    min_runs: int | None = None,
) -> VerifyReport:
    """Verify a locker; with the `config` it belongs to, also against its trusted keys and signing key."""
    signer = None
    if config is not None:
        trusted = trusted or list(config.locker.trusted_keys) or None
        try:
            signer = signing.fingerprint(signing.signing_key(config.key_path).public_key())
        except LockerError:
            signer = None  # a verifier need not hold the signing key
    # A locker that lost its marker is still verified (and the loss named), not refused as "not a locker".
    locker = Locker(path) if (path / "runs").is_dir() else Locker.open(path)
    return verify_locker(locker, trusted=trusted, signer=signer, head=head, min_runs=min_runs)


def load(path: Path | None) -> Config:
    return load_config(path)


def add_document(
    config: Config,
    path: Path,
    *,
    kind: str,
    control: str,
    requirements: list[str],
    owner: str,
    approved: date,
    review_every: str,
) -> Document:
    """Hash a file into the locker with its metadata, as one signed run of its own."""
    catalog = load_catalog()
    if control not in catalog.ids:
        raise InputError(f"--control {control}: unknown control; see `trustctl controls list`.")
    kinds = sorted({d for c in catalog.controls for d in c.documents})
    if kind not in kinds:
        raise InputError(f"--kind {kind}: unknown document kind; one of {', '.join(kinds)}.")
    for reference in requirements:
        framework_id, _, requirement_id = reference.partition(":")
        if requirement_id not in {r.id for r in get_framework(framework_id).requirements}:
            raise InputError(
                f"--requirement {reference}: {framework_id} has no requirement {requirement_id!r}."
            )
    review_every_days = documents.parse_duration(review_every)
    documents.check_approved(approved, datetime.now(UTC).date())
    data = documents.read_file(path)
    # The document is whole and checked before the run begins: a bad value writes nothing.
    document = documents.new_document(
        path,
        "sha256:" + sha256_hex(data),
        len(data),
        kind=kind,
        control=control,
        requirements=requirements,
        owner=owner,
        approved=approved,
        review_every_days=review_every_days,
    )
    content_call, metadata_call = documents.document_calls(path.name)
    locker = open_locker(config)
    writer = locker.begin_run(signing.signing_key(config.key_path), config.organization.name, config.digest)
    try:
        now = datetime.now(UTC)
        writer.record_bytes(content_call, data, now)
        writer.record_response(metadata_call, document.model_dump(mode="json"), now)
        writer.commit([documents.PROVIDER])
    finally:
        writer.close()
    return document


def list_documents(config: Config) -> list[Document]:
    locker = open_locker(config)
    return documents.documents_in(locker, locker.document_runs())


def status(config: Config, framework_ids: list[str], today: date | None = None) -> list[Readiness]:
    """Readiness per framework from the latest run's results and every document in the locker."""
    today = today or datetime.now(UTC).date()
    locker = open_locker(config)
    results = assess(config, latest_evidence(locker), today).results
    return _readiness(config, locker, results, framework_ids, today)


def _readiness(
    config: Config, locker: Locker, results: list[Result], framework_ids: list[str], today: date
) -> list[Readiness]:
    """Readiness of each framework from these results and every document in the locker."""
    docs = documents.documents_in(locker, locker.document_runs())
    return [readiness(get_framework(f), config.frameworks, results, docs, today) for f in framework_ids]


def leavers(config: Config) -> list[dict[str, Any]]:
    """The deprovisioning chain of every leaver, from the latest evidence of each provider."""
    locker = open_locker(config)
    evidence = Evidence(locker, latest_evidence(locker))
    return leaver_chain(evidence, build_facts(evidence), config.policy.deprovision_sla_hours)


def trust_report(
    config: Config,
    out: Path,
    *,
    level: Literal["public", "nda"] = "public",
    customer: str | None = None,
    packet: Path | None = None,
) -> dict[str, Path]:
    """The trust report (trust.html, trust.pdf) in `out`, for everyone or for one tenant."""
    if customer is not None and customer not in {t.name for t in config.tenants}:
        known = ", ".join(t.name for t in config.tenants) or "none configured"
        raise InputError(f"no tenant named {customer!r} in [[tenants]] (tenants: {known}).")
    if packet is not None and not packet.is_file():
        raise InputError(f"{packet}: no such packet file.")
    locker = open_locker(config)
    manifest = latest_evidence(locker)
    evidence = Evidence(locker, manifest)
    facts = build_facts(evidence, tenants=config.tenants)
    today = evidence.as_of.date()
    results = assess(config, manifest, today, facts).results
    ready = _readiness(config, locker, results, list(load_frameworks()), today)
    view = None
    if customer is not None:
        rows = facts.table(TENANT).frame
        row = rows[rows.name == customer].iloc[0].to_dict()
        view = trust_model.customer_view(customer, row, results, Context(config.policy, evidence.as_of))
    report = trust_model.build_report(
        config,
        results,
        ready,
        as_of=evidence.as_of,
        run_id=manifest.run_id,
        run_digest=locker.manifest_digest(manifest.run_id),
        key=signing.fingerprint(signing.load_public_key(locker.public_key_pem())),
        level=level,
        packet_digest=sha256_hex(packet.read_bytes()) if packet else None,
        customer=view,
    )
    return trust_render.write(report, out)
