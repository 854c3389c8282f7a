"""Trust-center document shares: issue a signed per-recipient link and record it in the locker, check a
link, list the shares, and render the verifier page the site ships."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from trustctl.config import Config
from trustctl.errors import InputError, SigningKeyError, UsageError
from trustctl.evidence import redact, signing
from trustctl.pipeline.steps import load, open_locker, read_documents
from trustctl.trust import share


@dataclass(frozen=True)
class Shared:
    link: str
    record: share.ShareRecord
    digest: str  # the record's object in the locker
    run_id: str


def share_documents(
    config: Config,
    *,
    to: str,
    expires: str,
    nda_accepted: bool,
    documents: list[str],
    base_url: str | None,
    now: datetime | None = None,
) -> Shared:
    """Sign a link for `to` to `documents` (none given: all) and record the share as a signed run of its
    own; every value is checked first, so a refused share writes nothing and prints no link."""
    if not nda_accepted:
        raise UsageError(
            "--nda-accepted is required: documents are shared only with a recipient who accepted the NDA."
        )
    if not base_url:
        raise UsageError("--base-url is required: give the address the trust center is served from.")
    share.check_base_url(base_url)
    recipient = share.recipient(to)
    lifetime = share.parse_expires(expires)
    chosen = _documents(config, documents)
    locker = open_locker(config)
    key = signing.signing_key(config.key_path)
    if signing.public_key_pem(key.public_key()) != locker.public_key_pem():
        raise SigningKeyError(
            f"{config.key_path}: this key is not the locker's ({locker.root}); links it signs would not verify.",
            "Use the key `trustctl init` created for this locker.",
        )
    issued = share.issue(key, recipient, chosen, lifetime, now or datetime.now(UTC))
    record = share.record_of(issued, signing.fingerprint(key.public_key()))
    redactor = redact.from_environment(app.token_env for app in config.identity.scim)
    writer = locker.begin_run(key, config.organization.name, config.digest, redactor)
    try:
        digest = writer.record_response(
            share.share_call(record.id), record.model_dump(mode="json"), datetime.now(UTC)
        )
        manifest = writer.commit([share.PROVIDER])
    finally:
        writer.close()
    return Shared(share.link(base_url, issued), record, digest, manifest.run_id)


def _documents(config: Config, names: list[str]) -> list[str] | Literal["all"]:
    """The names given, each a document in the locker (`docs list`), or "all" when none is given."""
    if not names:
        return share.ALL
    known = {d.name for d in read_documents(config).documents}
    for name in names:
        if name not in known:
            listed = ", ".join(sorted(known)) or "none yet; add them with `trustctl docs add`"
            raise InputError(f"--document {name!r}: no such document in the locker; documents: {listed}.")
    return sorted(set(names))


def verify_share(
    text: str, key: Path | None, config_path: Path | None, now: datetime | None = None
) -> share.SharePayload:
    """The payload of a link or token signed by `key` (a public-key.pem), or without it by the locker's key."""
    if key is not None:
        try:
            data = key.read_bytes()
        except OSError as e:
            raise InputError(f"--key {key}: cannot be read ({e.strerror or e}).") from None
        public, name = share.public_key_file(data, f"--key {key}"), str(key)
    else:
        locker = open_locker(load(config_path))
        public, name = locker.public_key(), f"the locker's key ({locker.root})"
    return share.verify(text, public, now or datetime.now(UTC), name)


def read_shares(config: Config) -> share.Shares:
    locker = open_locker(config)
    return share.read_shares(locker, locker.document_runs())


def verifier_page(config: Config) -> str:
    """verify.html for the trust center site, carrying the locker's public key."""
    return share.verifier_page(open_locker(config).public_key(), config.organization.name)
