"""A local evidence locker: content-addressed objects, one directory per run, signed manifests.

Layout (nothing is modified or deleted in place):

    LOCKER                      marker: format and creation time
    public-key.pem              verifies every manifest signature
    objects/ab/cdef....json.gz  canonical JSON of one raw response, addressed by its SHA-256
    runs/RUN/started.json       written first; a run with no manifest is incomplete, never assessed
    runs/RUN/manifest.json      written last (atomic rename), after its detached signature
    runs/RUN/manifest.json.sig  raw Ed25519 signature of the manifest bytes
    index.sqlite                a derived index, rebuilt from the files whenever it is missing or stale
"""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import secrets
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from trustctl import __version__
from trustctl.errors import LockerError, NoEvidenceError
from trustctl.evidence import index, signing
from trustctl.evidence.canonical import canonical_bytes, sha256_hex, to_jsonable, utc_iso
from trustctl.evidence.records import Call, CallError, Manifest, RequestRecord, Tool

MARKER = "LOCKER"
PUBLIC_KEY = "public-key.pem"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
STARTED = "started.json"
DOCUMENTS = "documents"  # the provider name of runs that add document evidence


def _crash_point(name: str) -> None:
    """Test hook: TRUSTCTL_CRASH_AT=NAME kills this process with SIGKILL at that point of a run."""
    if os.environ.get("TRUSTCTL_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def utc_now() -> datetime:
    """The clock of every run; TRUSTCTL_NOW=ISO-TIME fixes it (tests and benchmarks that build history)."""
    fixed = os.environ.get("TRUSTCTL_NOW")
    if fixed:
        moment = datetime.fromisoformat(fixed.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True)
class RunEntry:
    """A run directory: complete when its manifest exists."""

    run_id: str
    path: Path

    @property
    def complete(self) -> bool:
        return (self.path / MANIFEST).exists()


class Locker:
    """Read and write one local locker directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # -- creation and opening -------------------------------------------------------------
    @classmethod
    def create(cls, root: Path, key: Ed25519PrivateKey) -> Locker:
        if (root / MARKER).exists():
            raise LockerError(f"{root}: a locker already exists here; nothing was changed.")
        for sub in ("objects", "runs"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        _write_atomic(root / PUBLIC_KEY, signing.public_pem(key))
        marker = {"format": 1, "created_at": utc_iso(datetime.now(UTC)), "tool": __version__}
        _write_atomic(root / MARKER, canonical_bytes(marker))
        return cls(root)

    @classmethod
    def open(cls, root: Path) -> Locker:
        if not (root / MARKER).is_file():
            raise LockerError(
                f"{root}: not a trustctl locker (no {MARKER} file).",
                "Run `trustctl init`, or point [locker] path in trustctl.toml at an existing locker.",
            )
        return cls(root)

    # -- objects --------------------------------------------------------------------------
    def object_path(self, digest: str) -> Path:
        hexdigest = digest.removeprefix("sha256:")
        return self.root / "objects" / hexdigest[:2] / f"{hexdigest[2:]}.json.gz"

    def put_object(self, value: Any) -> str:
        """Store a response once; return `sha256:...` of its canonical JSON."""
        return self.put_bytes(canonical_bytes(to_jsonable(value)))

    def put_bytes(self, data: bytes) -> str:
        """Store raw bytes (a document's file) once; return `sha256:...` of the bytes."""
        digest = "sha256:" + sha256_hex(data)
        path = self.object_path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(path, gzip.compress(data, compresslevel=6, mtime=0))
        return digest

    def read_object_bytes(self, digest: str) -> bytes:
        path = self.object_path(digest)
        try:
            return gzip.decompress(path.read_bytes())
        except FileNotFoundError:
            raise LockerError(
                f"{path}: evidence object {digest} is missing.", "Run `trustctl verify`."
            ) from None
        except (OSError, EOFError, gzip.BadGzipFile) as e:
            raise LockerError(
                f"{path}: evidence object is damaged ({e}).", "Run `trustctl verify`."
            ) from None

    def get_object(self, digest: str) -> Any:
        """Load an object, refusing one whose bytes no longer match its address."""
        data = self.read_object_bytes(digest)
        if "sha256:" + sha256_hex(data) != digest:
            raise LockerError(
                f"{self.object_path(digest)}: evidence object does not match its hash {digest}.",
                "Run `trustctl verify`.",
            )
        return json.loads(data)

    def iter_object_paths(self) -> Iterator[Path]:
        yield from sorted((self.root / "objects").glob("*/*.json.gz"))

    # -- runs -----------------------------------------------------------------------------
    def run_entries(self) -> list[RunEntry]:
        runs = self.root / "runs"
        return [RunEntry(p.name, p) for p in sorted(runs.iterdir()) if p.is_dir()] if runs.is_dir() else []

    def public_key_pem(self) -> bytes:
        try:
            return (self.root / PUBLIC_KEY).read_bytes()
        except OSError as e:
            raise LockerError(
                f"{self.root / PUBLIC_KEY}: cannot read the locker's public key ({e})."
            ) from None

    def read_manifest(self, run_id: str) -> Manifest:
        """Parse one manifest after checking its signature; raise LockerError if it does not verify."""
        entry = self.root / "runs" / run_id
        try:
            data = (entry / MANIFEST).read_bytes()
            sig = (entry / SIGNATURE).read_bytes()
        except OSError as e:
            raise LockerError(
                f"{entry}: run {run_id} cannot be read ({e}).", "Run `trustctl verify`."
            ) from None
        public = signing.load_public_key(self.public_key_pem())
        if not signing.is_valid(public, sig, data):
            raise LockerError(
                f"{entry / MANIFEST}: signature does not verify.", "Run `trustctl verify` for details."
            )
        try:
            manifest = Manifest.model_validate_json(data)
        except ValidationError as e:
            raise LockerError(f"{entry / MANIFEST}: not a valid manifest ({e.errors()[0]['msg']}).") from None
        if manifest.run_id != run_id:
            raise LockerError(f"{entry / MANIFEST}: names run {manifest.run_id}, not {run_id}.")
        return manifest

    def manifest_digest(self, run_id: str) -> str:
        return "sha256:" + sha256_hex((self.root / "runs" / run_id / MANIFEST).read_bytes())

    def latest_by_provider(self) -> dict[str, str]:
        """provider -> the latest complete run that collected it (document-only runs excluded)."""
        chosen: dict[str, str] = {}
        for run_id, providers in index.run_providers(self):
            chosen.update({p: run_id for p in providers if p != DOCUMENTS})
        return chosen

    def document_runs(self) -> list[Manifest]:
        """Every run that added documents, oldest first."""
        return [self.read_manifest(r) for r, providers in index.run_providers(self) if DOCUMENTS in providers]

    def latest_run(self) -> Manifest:
        """The latest complete collection run (runs that only add documents are skipped)."""
        for run_id, providers in reversed(index.run_providers(self)):
            if providers != [DOCUMENTS]:
                return self.read_manifest(run_id)
        raise NoEvidenceError(
            f"{self.root}: the locker holds no complete run.", "Run `trustctl collect aws` first."
        )

    def find_run(self, run_id: str) -> Manifest:
        if not (self.root / "runs" / run_id / MANIFEST).exists():
            raise NoEvidenceError(f"{self.root}: no complete run named {run_id}.")
        return self.read_manifest(run_id)

    def begin_run(self, key: Ed25519PrivateKey, organization: str, config_digest: str) -> RunWriter:
        return RunWriter(self, key, organization, config_digest)


class RunWriter:
    """One run being written: objects as they arrive (thread-safe), the manifest last.

    Holds an exclusive lock on the locker so two runs never fork the hash chain.
    """

    def __init__(self, locker: Locker, key: Ed25519PrivateKey, organization: str, config_digest: str) -> None:
        self.locker = locker
        self._key = key
        self._organization = organization
        self._config = config_digest
        self._records: list[RequestRecord] = []
        self._mutex = threading.Lock()
        self._lock_file = open(locker.root / ".lock", "a+")  # noqa: SIM115 - held for the run
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise LockerError(
                f"{locker.root}: another trustctl run is writing to this locker.",
                "Wait for it to finish; nothing was changed.",
            ) from None
        self.started_at = utc_now()
        self.run_id = self.started_at.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)
        self.path = locker.root / "runs" / self.run_id
        self.path.mkdir(parents=True)
        _write_atomic(
            self.path / STARTED,
            canonical_bytes({"run_id": self.run_id, "started_at": utc_iso(self.started_at)}),
        )
        self._objects_written = 0

    def record_response(self, call: Call, data: Any, observed_at: datetime) -> str:
        digest = self.locker.put_object(data)
        with self._mutex:
            self._records.append(RequestRecord(call=call, observed_at=utc_iso(observed_at), object=digest))
            self._objects_written += 1
            count = self._objects_written
        _crash_point(f"object:{count}")
        return digest

    def record_bytes(self, call: Call, data: bytes, observed_at: datetime) -> str:
        digest = self.locker.put_bytes(data)
        with self._mutex:
            self._records.append(RequestRecord(call=call, observed_at=utc_iso(observed_at), object=digest))
        return digest

    def record_error(self, call: Call, error: CallError, observed_at: datetime) -> None:
        with self._mutex:
            self._records.append(RequestRecord(call=call, observed_at=utc_iso(observed_at), error=error))

    @property
    def records(self) -> list[RequestRecord]:
        with self._mutex:
            return list(self._records)

    def commit(self, providers: list[str]) -> Manifest:
        """Sign and write the manifest, chained to the previous complete run."""
        previous_runs = index.ordered_runs(self.locker)
        previous = self.locker.manifest_digest(previous_runs[-1]) if previous_runs else None
        sequence = len(previous_runs) + 1
        records = sorted(
            self.records,
            key=lambda r: (
                r.call.provider,
                r.call.account,
                r.call.region,
                r.call.service,
                r.call.operation,
                canonical_bytes(r.call.parameters),
                r.call.page,
            ),
        )
        manifest = Manifest(
            run_id=self.run_id,
            sequence=sequence,
            previous=previous,
            tool=Tool(version=__version__),
            organization=self._organization,
            config=self._config,
            key=signing.fingerprint(self._key.public_key()),
            started_at=utc_iso(self.started_at),
            completed_at=utc_iso(utc_now()),
            providers=sorted(providers),
            requests=records,
        )
        data = canonical_bytes(manifest.model_dump(mode="json"))
        _crash_point("before-signature")
        _write_atomic(self.path / SIGNATURE, signing.sign(self._key, data))
        _crash_point("before-manifest")
        _write_atomic(self.path / MANIFEST, data)
        index.record(self.locker, manifest, "sha256:" + sha256_hex(data))
        self.close()
        return manifest

    def close(self) -> None:
        if not self._lock_file.closed:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
