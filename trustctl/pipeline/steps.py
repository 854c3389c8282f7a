"""The steps that write or check the locker: init, collect, verify, documents, exception responses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trustctl.collectors.aws.clients import ClientFactory, ClientHook
from trustctl.collectors.aws.runner import AwsSummary, collect_aws
from trustctl.collectors.base import Progress
from trustctl.collectors.gcp.assets import collect_gcp
from trustctl.collectors.gcp.exports import check_exports, import_exports
from trustctl.collectors.identity import runner as identity_runner
from trustctl.config import DEFAULT_CONFIG, Config, load_config, parse_config, render_default_config
from trustctl.controls.catalog import load_catalog
from trustctl.errors import ConfigError, InputError, LockerError, UsageError
from trustctl.evidence import documents, redact, responses, signing
from trustctl.evidence.canonical import sha256_hex
from trustctl.evidence.documents import Document
from trustctl.evidence.locker import MARKER as LOCKER_MARKER
from trustctl.evidence.locker import Locker
from trustctl.evidence.records import Manifest
from trustctl.evidence.verify import VerifyReport, verify_locker
from trustctl.frameworks.loader import get_framework
from trustctl.frameworks.rules import review_limits
from trustctl.frameworks.rules import validate as validate_rules
from trustctl.inputs import BoundsError, single_line
from trustctl.packet import request_list

if TYPE_CHECKING:
    from trustctl.packet.verify import PacketReport


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


FINGERPRINT = re.compile(r"^sha256:[0-9a-f]{64}$")


def key_fingerprint(key: str) -> str:
    """`--key` as a fingerprint: given as one (sha256:HEX), or read from a public key file."""
    if FINGERPRINT.match(key):
        return key
    path = Path(key)
    try:
        return signing.fingerprint(signing.load_public_key(path.read_bytes()))
    except OSError as e:
        raise UsageError(f"--key {key}: cannot be read ({e.strerror or e}).") from None
    except ValueError as e:
        raise UsageError(f"--key {key}: {e}; give a public key file or a fingerprint (sha256:HEX).") from None


def check_head(head: str | None) -> None:
    if head is not None and not FINGERPRINT.match(head if head.startswith("sha256:") else f"sha256:{head}"):
        raise UsageError(f"--head {head}: give the head as `collect` printed it (sha256:HEX).")


def verify_packet(path: Path, key: str | None, config: Config | None) -> tuple[PacketReport, str]:
    """Verify a packet against --key (a fingerprint or a PEM file), else the configured locker's key."""
    from trustctl.packet.verify import verify_packet as verify_zip

    trusted: bytes | str | None = None
    source = ""
    if key is not None and FINGERPRINT.match(key):
        trusted, source = key, "--key"
    elif key is not None:
        try:
            trusted, source = Path(key).read_bytes(), key
        except OSError as e:
            raise UsageError(f"--key {key}: cannot be read ({e.strerror or e}).") from None
    elif config is not None:
        locker = open_locker(config)
        trusted, source = locker.public_key_pem(), f"the locker {locker.root}"
    return verify_zip(path, trusted, source), source


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
    locker = Locker.for_verify(path)
    return verify_locker(locker, trusted=trusted, signer=signer, head=head, min_runs=min_runs)


def load(path: Path | None) -> Config:
    """The config, with what it says about the catalogs (scope, document review periods) checked."""
    config = load_config(path)
    validate_rules(config)
    request_list.validate(config)
    return config


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
    kinds = sorted(catalog.document_kinds)
    if kind not in kinds:
        raise InputError(f"--kind {kind}: unknown document kind; one of {', '.join(kinds)}.")
    for reference in requirements:
        framework_id, _, requirement_id = reference.partition(":")
        if requirement_id not in {r.id for r in get_framework(framework_id).requirements}:
            raise InputError(
                f"--requirement {reference}: {framework_id} has no requirement {requirement_id!r}."
            )
    review_every_days = documents.check_review_limit(
        kind, documents.parse_duration(review_every), review_limits(config).get(kind), review_every
    )
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


def read_documents(config: Config) -> documents.Found:
    """Every document with what could not be read of them (an earlier version's out-of-bounds values)."""
    locker = open_locker(config)
    return documents.read_documents(locker, locker.document_runs(), review_limits(config))


def add_response(config: Config, response: responses.ExceptionResponse) -> str:
    """Store a management response to an exception as one signed run of its own (like a document);
    returns the response object's hash. The text was checked for credentials (`responses.new_response`),
    and the run redacts the configured ones besides."""
    locker = open_locker(config)
    redactor = redact.from_environment(app.token_env for app in config.identity.scim)
    writer = locker.begin_run(
        signing.signing_key(config.key_path), config.organization.name, config.digest, redactor
    )
    try:
        digest = writer.record_response(
            responses.response_call(response.check), response.model_dump(mode="json"), datetime.now(UTC)
        )
        writer.commit([responses.PROVIDER])
    finally:
        writer.close()
    return digest


def read_responses(config: Config) -> responses.Responses:
    """Every management response to an exception, oldest first, each marked when a later one superseded it."""
    locker = open_locker(config)
    return responses.read_responses(locker, locker.document_runs())


def providers_to_collect(config: Config, providers: list[str]) -> list[str]:
    """The providers given, or by default aws, plus gcp when [gcp] scope is set and identity when
    [identity] has sources (a roster, IdP exports, SCIM apps or people records)."""
    identity = config.identity
    has_identity = bool(identity.roster or identity.scim or identity.idp or identity.records)
    return list(providers) or ["aws", *(["gcp"] if config.gcp.scope else []), *(["identity"] * has_identity)]


def with_aws_overrides(config: Config, regions: str | None, org_role: str | None) -> Config:
    """The config with --regions (comma-separated) and --org-role applied to [aws]."""
    overrides: dict[str, Any] = {}
    if regions:
        overrides["regions"] = [r.strip() for r in regions.split(",") if r.strip()]
    if org_role:
        overrides["org_role"] = org_role
    if not overrides:
        return config
    aws = config.aws.model_validate({**config.aws.model_dump(), **overrides})
    return config.model_copy(update={"aws": aws})
