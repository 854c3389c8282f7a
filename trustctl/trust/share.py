"""Per-recipient signed links to the trust center's documents, and the record of every share.

A token is `PAYLOAD.SIGNATURE`: PAYLOAD is the base64url (unpadded) of a JSON object naming the recipient,
the documents (names, or "all"), when it was issued and when it expires, the NDA acceptance, a random id
and the signing key's short id; SIGNATURE is the base64url (unpadded) raw Ed25519 signature, by the
locker's key, over PAYLOAD's ASCII text exactly as it stands in the token (as a JWS signs its header and
payload). So anyone with the locker's public key checks a link with `trustctl trust-share verify`, the
site's verify.html (WebCrypto), or `openssl pkeyutl -verify -rawin` over two files, with no trustctl.

Each share is stored as a signed run of its own (provider "documents", like an exception response): the
recipient, documents, times and token id, never the token, so the locker can say who was given what
without holding a key to the documents.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import parse_qs, quote, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trustctl.errors import InputError, LinkNotValid, UsageError
from trustctl.evidence import signing
from trustctl.evidence.locker import DOCUMENTS, Locker
from trustctl.evidence.records import Call, Manifest
from trustctl.evidence.stored import stored_records
from trustctl.inputs import email_address
from trustctl.render.templates import render
from trustctl.timeutil import parse_utc, utc_iso

PROVIDER = DOCUMENTS  # management's material, never read as collected evidence
SERVICE = "trust"
SHARE = "ShareDocuments"
VERSION: Literal[1] = 1
MAX_DAYS = 90  # a link outlives its purpose after a quarter; share again rather than for longer
EXPIRES = re.compile(r"^(?P<n>\d{1,3})(?P<unit>[hdw])$")
UNIT_HOURS = {"h": 1, "d": 24, "w": 24 * 7}
SKEW = timedelta(minutes=5)  # a verifier's clock a little behind the issuer's still accepts a new link
SIGNATURE_CHARS = 86  # 64 bytes in unpadded base64url
MAX_TOKEN = 8192
ALL: Literal["all"] = "all"


class SharePayload(BaseModel):
    """What a token says; `docs` is a list of document names or "all"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Literal[1]
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{16,64}$")
    to: str = Field(min_length=3, max_length=200)
    docs: list[str] | Literal["all"]
    iat: str
    exp: str
    nda: Literal[True]
    kid: str = Field(pattern=r"^[0-9a-f]{16}$")

    @property
    def expires_at(self) -> datetime:
        return parse_utc(self.exp)

    @property
    def issued_at(self) -> datetime:
        return parse_utc(self.iat)


class ShareRecord(BaseModel):
    """A share as the locker holds it: everything but the token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    recipient: str
    documents: list[str] | Literal["all"]
    issued_at: str
    expires_at: str
    nda_accepted: Literal[True]
    key: str  # the signing key's fingerprint (sha256:HEX)


@dataclass(frozen=True)
class Issued:
    token: str
    payload: SharePayload


@dataclass(frozen=True)
class StoredShare:
    record: ShareRecord
    digest: str
    run_id: str


@dataclass(frozen=True)
class Shares:
    """Every share, oldest first, and what could not be read (each naming its run)."""

    shares: list[StoredShare]
    problems: list[str] = field(default_factory=list)


def parse_expires(text: str) -> timedelta:
    """'30d', '2w', '12h' -> the link's lifetime: positive, at most MAX_DAYS."""
    match = EXPIRES.match(text.strip())
    if not match or int(match["n"]) == 0:
        raise UsageError(f"--expires {text!r}: give a number of hours, days or weeks (e.g. 12h, 30d, 2w).")
    lifetime = timedelta(hours=int(match["n"]) * UNIT_HOURS[match["unit"]])
    if lifetime > timedelta(days=MAX_DAYS):
        raise UsageError(
            f"--expires {text}: at most {MAX_DAYS} days; share again when a longer look is needed."
        )
    return lifetime


def recipient(value: str) -> str:
    address = email_address(value)
    if address is None or len(value) > 200:
        raise UsageError(f"--to {value!r}: give the recipient's email address.")
    return address


def key_id(public: Ed25519PublicKey) -> str:
    return signing.fingerprint(public).removeprefix("sha256:")[:16]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def unb64url(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(
    key: Ed25519PrivateKey, to: str, documents: list[str] | Literal["all"], lifetime: timedelta, now: datetime
) -> Issued:
    """A signed token for `to`, valid from `now` for `lifetime` (already checked by parse_expires)."""
    payload = SharePayload(
        v=VERSION,
        id=b64url(secrets.token_bytes(16)),
        to=to,
        docs=documents,
        iat=utc_iso(now.replace(microsecond=0)),
        exp=utc_iso((now + lifetime).replace(microsecond=0)),
        nda=True,
        kid=key_id(key.public_key()),
    )
    body = json.dumps(payload.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    part = b64url(body.encode())
    return Issued(f"{part}.{b64url(signing.sign(key, part.encode('ascii')))}", payload)


def link(base_url: str, issued: Issued) -> str:
    """BASE_URL/documents/NAME?token=T for one document, BASE_URL/documents/?token=T for several."""
    docs = issued.payload.docs
    name = quote(docs[0]) if isinstance(docs, list) and len(docs) == 1 else ""
    return f"{base_url.rstrip('/')}/documents/{name}?token={issued.token}"


def check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise UsageError(
            f"--base-url {base_url!r}: give the address the trust center is served from "
            "(e.g. https://trust.example.com)."
        )
    return base_url


def token_of(text: str) -> str:
    """The token in a link (its `token` parameter) or the token itself."""
    text = text.strip()
    if "?" in text or "://" in text:
        found = parse_qs(urlsplit(text).query).get("token")
        if not found:
            raise LinkNotValid(f"{text[:80]!r}: the link carries no token= parameter.")
        return found[0]
    return text


def verify(text: str, public: Ed25519PublicKey, now: datetime, key_name: str) -> SharePayload:
    """The payload of a link or token that `public` signed and that has not expired; LinkNotValid saying
    which of the two failed (a changed token and another key read alike: the signature does not hold)."""
    token = token_of(text)
    part, dot, signature = token.partition(".")
    try:
        if len(token) > MAX_TOKEN or not dot or len(signature) != SIGNATURE_CHARS:
            raise ValueError("not PAYLOAD.SIGNATURE")
        raw = unb64url(signature)
        unb64url(part)
    except (ValueError, binascii.Error):
        raise LinkNotValid(
            "the token is not a trustctl share token (PAYLOAD.SIGNATURE in base64url); copy the whole link."
        ) from None
    if not signing.is_valid(public, raw, part.encode("ascii")):
        raise LinkNotValid(
            f"the signature does not verify with {key_name}: the link was changed, or another key signed it."
        )
    try:
        payload = SharePayload.model_validate(json.loads(unb64url(part)))
        expires, issued = payload.expires_at, payload.issued_at
    except (ValueError, ValidationError):
        raise LinkNotValid(
            "the signature holds but the payload is not a share this trustctl reads."
        ) from None
    if now > expires:
        raise LinkNotValid(f"the link expired at {payload.exp} (signature valid; shared with {payload.to}).")
    if issued - SKEW > now:
        raise LinkNotValid(f"the link is issued at {payload.iat}, in the future: check this machine's clock.")
    return payload


def public_key_file(data: bytes, name: str) -> Ed25519PublicKey:
    try:
        return signing.load_public_key(data)
    except ValueError as e:
        raise InputError(f"{name}: {e}; give the locker's public-key.pem.") from None


def record_of(issued: Issued, fingerprint: str) -> ShareRecord:
    p = issued.payload
    return ShareRecord(
        id=p.id,
        recipient=p.to,
        documents=p.docs,
        issued_at=p.iat,
        expires_at=p.exp,
        nda_accepted=p.nda,
        key=fingerprint,
    )


def share_call(share_id: str) -> Call:
    return Call(
        provider=PROVIDER,
        account="management",
        region="global",
        service=SERVICE,
        operation=SHARE,
        parameters={"id": share_id},
    )


def read_shares(locker: Locker, manifests: list[Manifest]) -> Shares:
    """Every share recorded in these runs, oldest first; one that cannot be read is left out and
    described in `problems` (a signed run cannot be changed; it must not stop the list)."""
    records, problems = stored_records(
        locker, manifests, PROVIDER, SHARE, ShareRecord, lambda call: f"share {call.parameters.get('id')!r}"
    )
    stored = [StoredShare(r.value, r.digest, r.run_id) for r in records]
    return Shares(stored, problems)


def shares_list(shares: list[StoredShare], now: datetime, fmt: str) -> str:
    """The shares, oldest first, each active or expired at `now`."""
    state = {s.digest: "active" if now <= parse_utc(s.record.expires_at) else "expired" for s in shares}
    if fmt == "json":
        rows = [
            {
                **s.record.model_dump(mode="json"),
                "state": state[s.digest],
                "sha256": s.digest,
                "run": s.run_id,
            }
            for s in shares
        ]
        return json.dumps(rows, indent=2) + "\n"
    if not shares:
        return "no shares yet; share with `trustctl trust-share --to EMAIL --expires 30d --nda-accepted`\n"
    lines = []
    for s in shares:
        r = s.record
        docs = r.documents if r.documents == ALL else ", ".join(r.documents)
        lines.append(
            f"{state[s.digest]:8} {r.recipient}  {docs}  issued {r.issued_at}, expires {r.expires_at}, "
            f"id {r.id}\n"
        )
    return "".join(lines)


def verifier_page(public: Ed25519PublicKey, organization: str) -> str:
    """verify.html: checks a link's token in the browser (WebCrypto Ed25519), else says how with openssl."""
    return render("trust_verify.html.j2", **verifier_context(public, organization))


def verifier_context(public: Ed25519PublicKey, organization: str) -> dict[str, str]:
    """What a page or edge function needs to check a token: the key in every form, and whose it is."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {
        "organization": organization,
        "public_key_b64url": b64url(raw),
        "public_key_pem": signing.public_key_pem(public).decode("ascii"),
        "fingerprint": signing.fingerprint(public),
        "key_id": key_id(public),
    }
