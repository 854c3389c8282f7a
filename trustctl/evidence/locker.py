"""A local evidence locker: content-addressed objects, one directory per run, signed manifests.

The files it keeps are described in layout.py; a run is written by writer.RunWriter (`begin_run`). The
layout's names, `utc_now` and `RunWriter` are importable from here too, where their callers import them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from trustctl import __version__
from trustctl.errors import LockerError, ManifestError, NoEvidenceError
from trustctl.evidence import index, manifests, signing
from trustctl.evidence.canonical import canonical_bytes, sha256_hex, to_jsonable
from trustctl.evidence.compress import Prepared, gunzip, gunzip_exact, gzip_bytes
from trustctl.evidence.files import write_atomic
from trustctl.evidence.layout import (
    DOCUMENTS,
    MANIFEST,
    MARKER,
    PUBLIC_KEY,
    RUNS,
    SIGNATURE,
    STARTED,
    utc_now,
)
from trustctl.evidence.packs import PackStore
from trustctl.evidence.records import Manifest
from trustctl.evidence.redact import Redactor
from trustctl.evidence.writer import RunWriter
from trustctl.timeutil import utc_iso

__all__ = [
    "DOCUMENTS",
    "MANIFEST",
    "MARKER",
    "PUBLIC_KEY",
    "RUNS",
    "SIGNATURE",
    "STARTED",
    "Locker",
    "RunEntry",
    "RunWriter",
    "utc_now",
]


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

    # Packing: once this many small objects, or this many bytes of them, are loose, they go into a pack;
    # once there are this many packs, the smaller ones are merged (up to a size), so versions of a response
    # sit together and compress as deltas.
    pack_loose_at = 256
    pack_loose_bytes = 128 * 1024
    pack_merge_at = 6
    pack_object_max = 256 * 1024  # gzip size on disk; larger objects stay loose
    pack_merge_max = 256 * 2**20  # uncompressed bytes in one merged pack

    def __init__(self, root: Path) -> None:
        self.root = root
        self.packs = PackStore(root / "objects" / "pack")

    # -- creation and opening -------------------------------------------------------------
    @classmethod
    def create(cls, root: Path, key: Ed25519PrivateKey) -> Locker:
        if (root / MARKER).exists():
            raise LockerError(f"{root}: a locker already exists here; nothing was changed.")
        for sub in ("objects", RUNS):
            (root / sub).mkdir(parents=True, exist_ok=True)
        write_atomic(root / PUBLIC_KEY, signing.public_pem(key))
        marker = {"format": 1, "created_at": utc_iso(datetime.now(UTC)), "tool": __version__}
        write_atomic(root / MARKER, canonical_bytes(marker))
        return cls(root)

    @classmethod
    def for_verify(cls, root: Path) -> Locker:
        """The locker at `root` for `verify`: one that lost its marker file but still has its runs
        directory is verified (and the loss named), not refused as "not a locker"."""
        return cls(root) if (root / RUNS).is_dir() else cls.open(root)

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

    def put_bytes(self, data: bytes, prepared: Prepared | None = None) -> str:
        """Store raw bytes (a document's file) once; return `sha256:...` of the bytes.

        `prepared`: the bytes' address and gzip stream, made ahead (`compress.prepare`, in a worker)."""
        digest, gzipped = prepared or ("sha256:" + sha256_hex(data), None)
        path = self.object_path(digest)
        if not path.exists() and self.packs.locate(digest.removeprefix("sha256:")) is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, gzipped or gzip_bytes(data, 6))
        return digest

    def read_object_bytes(self, digest: str) -> bytes:
        path = self.object_path(digest)
        try:
            return gunzip(path.read_bytes())
        except FileNotFoundError:
            packed = self.packs.read(digest.removeprefix("sha256:"))
            if packed is not None:
                return packed
            raise LockerError(
                f"{path}: evidence object {digest} is missing.", "Run `trustctl verify`."
            ) from None
        except (OSError, ValueError) as e:
            raise LockerError(
                f"{path}: evidence object is damaged ({e}).", "Run `trustctl verify`."
            ) from None

    def want(self, digests: Iterable[str]) -> None:
        """The objects about to be read (`sha256:...`): packed ones are then kept in memory alone."""
        self.packs.want(d.removeprefix("sha256:") for d in digests)

    def get_object(self, digest: str) -> Any:
        """Load an object, refusing one whose bytes no longer match its address."""
        data = self.read_object_bytes(digest)
        if "sha256:" + sha256_hex(data) != digest:
            raise LockerError(
                f"{self.object_path(digest)}: evidence object does not match its hash {digest}.",
                "Run `trustctl verify`.",
            )
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as e:  # not JSON (a file's bytes), or nested too deeply
            problem = "nested too deeply to read" if isinstance(e, RecursionError) else f"not JSON ({e})"
            raise LockerError(f"{self.object_path(digest)}: evidence object {digest} is {problem}.") from None

    def iter_object_paths(self) -> Iterator[Path]:
        """The loose objects (packed ones are in `self.packs`)."""
        yield from sorted((self.root / "objects").glob("*/*.json.gz"))

    def pack(self, force: bool = False) -> bool:
        """Move loose small objects into a new pack (when enough are loose, or `force`), then merge packs
        when there are enough; returns whether anything changed. Objects whose stored bytes or content do
        not verify are left loose for `trustctl verify` to report."""
        sizes = {p: p.stat().st_size for p in self.iter_object_paths()}
        small = [p for p, size in sizes.items() if size <= self.pack_object_max]
        enough = len(small) >= self.pack_loose_at or sum(sizes[p] for p in small) >= self.pack_loose_bytes
        changed = False
        if small and (force or enough):
            good: list[Path] = []

            def objects() -> Iterator[tuple[str, bytes]]:
                for path in small:
                    hexdigest = path.parent.name + path.name.removesuffix(".json.gz")
                    try:  # stored bytes that do not verify stay loose, for `trustctl verify` to name
                        data = gunzip_exact(path.read_bytes())
                    except (OSError, ValueError):
                        continue
                    if sha256_hex(data) == hexdigest:
                        good.append(path)
                        yield hexdigest, data

            if self.packs.write(objects()) is not None:
                for path in good:
                    path.unlink(missing_ok=True)
                changed = True
        packs = self.packs.packs()
        if force or len(packs) >= self.pack_merge_at:
            changed = self._merge(packs) or changed
        return changed

    def _merge(self, packs: list[Path]) -> bool:
        """Merge the smaller packs, smallest first, while each next one is at most twice what is chosen
        (so a large pack is rewritten rarely) and the result stays under `pack_merge_max`."""
        chosen: list[Path] = []
        total = 0
        sized = sorted((sum(self.packs.sizes(p).values()), p) for p in packs)
        for size, pack in sized:
            if chosen and ((size > 2 * total and len(chosen) >= 2) or total + size > self.pack_merge_max):
                break
            chosen.append(pack)
            total += size
        if len(chosen) < 2:
            return False
        chosen.sort(key=lambda p: p.stat().st_mtime)  # oldest first: versions of a response sit in order
        members = [
            (name.replace("/", ""), data) for pack in chosen for name, data in self.packs.members(pack)
        ]
        if any(sha256_hex(data) != hexdigest for hexdigest, data in members):
            return False  # a damaged pack stays as it is, for `trustctl verify` to name
        merged = self.packs.write(members)
        for pack in chosen:
            if pack != merged:
                self.packs.remove(pack)
        return True

    # -- runs -----------------------------------------------------------------------------
    @property
    def runs_dir(self) -> Path:
        return self.root / RUNS

    def run_dir(self, run_id: str) -> Path:
        """Where run `run_id` is (or would be): complete when it holds a manifest."""
        return self.runs_dir / run_id

    def run_entries(self) -> list[RunEntry]:
        """Every run directory. Anything else under runs/ (but hidden files) is damage: reports built from
        the runs that are left would silently drop evidence, so it is a LockerError naming the path."""
        runs = self.runs_dir
        if not runs.exists():
            return []
        try:
            found = sorted(runs.iterdir())
        except OSError as e:
            raise LockerError(f"{runs}: cannot list the runs ({e.strerror or e}).") from None
        for path in found:
            if not path.name.startswith(".") and not path.is_dir():
                raise LockerError(
                    f"{path}: a run in the locker is not a directory (the locker is damaged).",
                    "Restore the run from a backup of the locker; `trustctl verify` checks the result.",
                )
        return [RunEntry(p.name, p) for p in found if not p.name.startswith(".")]

    def public_key_pem(self) -> bytes:
        try:
            return (self.root / PUBLIC_KEY).read_bytes()
        except OSError as e:
            raise LockerError(
                f"{self.root / PUBLIC_KEY}: cannot read the locker's public key ({e})."
            ) from None

    def public_key(self) -> Ed25519PublicKey:
        """The key every manifest must be signed with; a LockerError naming the file if it is not one."""
        try:
            return signing.load_public_key(self.public_key_pem())
        except ValueError as e:
            raise LockerError(
                f"{self.root / PUBLIC_KEY}: cannot be read as the locker's Ed25519 public key ({e}).",
                "Restore it from a backup of the locker, or from an audit packet's public-key.pem.",
            ) from None

    def read_manifest(self, run_id: str) -> Manifest:
        """Parse one manifest after checking its signature; raise LockerError if it does not verify."""
        entry = self.run_dir(run_id)
        try:
            data = (entry / MANIFEST).read_bytes()
            sig = (entry / SIGNATURE).read_bytes()
        except OSError as e:
            raise LockerError(
                f"{entry}: run {run_id} cannot be read ({e}).", "Run `trustctl verify`."
            ) from None
        public = self.public_key()
        if not signing.is_valid(public, sig, data):
            raise LockerError(
                f"{entry / MANIFEST}: signature does not verify.", "Run `trustctl verify` for details."
            )
        try:
            manifest = manifests.decode(data, self.read_object_bytes)
        except ManifestError as e:
            raise LockerError(
                f"{entry / MANIFEST}: not a valid manifest ({e}).", "Run `trustctl verify`."
            ) from None
        if manifest.run_id != run_id:
            raise LockerError(f"{entry / MANIFEST}: names run {manifest.run_id}, not {run_id}.")
        return manifest

    def manifest_digest(self, run_id: str) -> str:
        path = self.run_dir(run_id) / MANIFEST
        try:
            return "sha256:" + sha256_hex(path.read_bytes())
        except OSError as e:
            raise LockerError(
                f"{path}: cannot be read ({e.strerror or e}).", "Run `trustctl verify`."
            ) from None

    def latest_by_provider(self, as_of: str | None = None) -> dict[str, str]:
        """provider -> the latest complete run that collected it (document-only runs excluded), up to
        and including the run `as_of` when given (a NoEvidenceError if that run is not in the chain)."""
        chosen: dict[str, str] = {}
        for run_id, providers in index.run_providers(self):
            chosen.update({p: run_id for p in providers if p != DOCUMENTS})
            if run_id == as_of:
                return chosen
        if as_of is not None:
            self.find_run(as_of)  # raises NoEvidenceError naming the run
            raise NoEvidenceError(
                f"{self.root}: run {as_of} is not in the locker's chain.", "Run `trustctl verify`."
            )
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
        if not (self.run_dir(run_id) / MANIFEST).exists():
            raise NoEvidenceError(f"{self.root}: no complete run named {run_id}.")
        return self.read_manifest(run_id)

    def begin_run(
        self,
        key: Ed25519PrivateKey,
        organization: str,
        config_digest: str,
        redactor: Redactor | None = None,
    ) -> RunWriter:
        return RunWriter(self, key, organization, config_digest, redactor)
