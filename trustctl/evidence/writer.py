"""Writing one run into a locker: its objects as they arrive, then its request list, times and signed
manifest, chained to the previous run (the files are described in layout.py)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import signal
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trustctl import __version__
from trustctl.errors import LockerError
from trustctl.evidence import index, manifests, redact, signing
from trustctl.evidence.canonical import canonical_bytes, sha256_hex, to_jsonable
from trustctl.evidence.compress import Prepared
from trustctl.evidence.files import write_atomic
from trustctl.evidence.gcpause import gc_paused
from trustctl.evidence.layout import MANIFEST, MARKER, SIGNATURE, STARTED, utc_now
from trustctl.evidence.records import Call, CallError, Manifest, RequestRecord, Tool
from trustctl.evidence.redact import Redactor
from trustctl.timeutil import utc_iso

if TYPE_CHECKING:
    from trustctl.evidence.locker import Locker


def _crash_point(name: str) -> None:
    """Test hook: TRUSTCTL_CRASH_AT=NAME kills this process with SIGKILL at that point of a run."""
    if os.environ.get("TRUSTCTL_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


class RunWriter:
    """One run being written: objects as they arrive (thread-safe), the manifest last.

    Holds an exclusive lock on the locker so two runs never fork the hash chain. Every response and
    error passes through the redactor before it is hashed: the one door credentials could enter by.
    """

    def __init__(
        self,
        locker: Locker,
        key: Ed25519PrivateKey,
        organization: str,
        config_digest: str,
        redactor: Redactor | None = None,
    ) -> None:
        self.locker = locker
        self._redactor = redactor or redact.from_environment()
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
        self.path = locker.run_dir(self.run_id)
        try:
            self.path.mkdir(parents=True)
        except OSError as e:
            self._lock_file.close()
            raise LockerError(
                f"{self.path.parent}: a run cannot be started here ({e.strerror or e}).",
                "Run `trustctl verify`.",
            ) from None
        write_atomic(
            self.path / STARTED,
            canonical_bytes({"run_id": self.run_id, "started_at": utc_iso(self.started_at)}),
        )
        self._objects_written = 0

    def record_response(self, call: Call, data: Any, observed_at: datetime) -> str:
        digest = self.locker.put_bytes(self._redactor.json_bytes(canonical_bytes(to_jsonable(data))))
        call = self._redactor.call(call)
        with self._mutex:
            self._records.append(RequestRecord(call=call, observed_at=utc_iso(observed_at), object=digest))
            self._objects_written += 1
            count = self._objects_written
        _crash_point(f"object:{count}")
        return digest

    def record_bytes(
        self, call: Call, data: bytes, observed_at: datetime, prepared: Prepared | None = None
    ) -> str:
        digest = self.locker.put_bytes(data, prepared)  # a file as given: its hash is the proof
        call = self._redactor.call(call)
        with self._mutex:
            self._records.append(RequestRecord(call=call, observed_at=utc_iso(observed_at), object=digest))
        return digest

    def record_error(self, call: Call, error: CallError, observed_at: datetime) -> None:
        call = self._redactor.call(call)
        error = error.model_copy(
            update={"code": self._redactor.text(error.code), "message": self._redactor.text(error.message)}
        )
        with self._mutex:
            self._records.append(RequestRecord(call=call, observed_at=utc_iso(observed_at), error=error))

    @property
    def records(self) -> list[RequestRecord]:
        with self._mutex:
            return list(self._records)

    def commit(self, providers: list[str]) -> Manifest:
        """Store the request list and times, then sign and write the manifest, chained to the previous
        complete run; finally pack loose objects if enough have gathered."""
        with gc_paused():  # after a collection: many records to order and read back, a large heap
            return self._commit(providers)

    def _commit(self, providers: list[str]) -> Manifest:
        chain = index.chain(self.locker)
        previous = chain[-1][1] if chain else None
        # Runs interrupted before their manifest are recorded here, so `verify` can tell the trace of an
        # interrupted run from a run directory added later; the marker's hash ties it to this locker.
        abandoned = sorted(
            e.run_id for e in self.locker.run_entries() if not e.complete and e.run_id != self.run_id
        )
        header = {
            "run_id": self.run_id,
            "sequence": len(chain) + 1,
            "previous": previous,
            "tool": Tool(version=__version__).model_dump(),
            "organization": self._organization,
            "config": self._config,
            "key": signing.fingerprint(self._key.public_key()),
            "started_at": utc_iso(self.started_at),
            "completed_at": utc_iso(utc_now()),
            "providers": sorted(providers),
            "marker": "sha256:" + sha256_hex((self.locker.root / MARKER).read_bytes()),
            "abandoned": abandoned,
        }
        data, lists = manifests.split(header, self.records)
        for content in lists.values():
            self.locker.put_bytes(content)
        manifest = manifests.decode(data, lists.__getitem__)
        _crash_point("before-signature")
        write_atomic(self.path / SIGNATURE, signing.sign(self._key, data))
        _crash_point("before-manifest")
        write_atomic(self.path / MANIFEST, data)
        index.record(self.locker, manifest, "sha256:" + sha256_hex(data))
        with contextlib.suppress(OSError, LockerError):
            self.locker.pack()  # the run is committed; a pack that cannot be written loses nothing
        self.close()
        return manifest

    def close(self) -> None:
        if not self._lock_file.closed:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
