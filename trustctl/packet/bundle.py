"""packet.zip: the packet's documents, the evidence objects it cites, the run manifests with their
signatures, the public key, and SHA256SUMS signed with the locker's key.

Evidence objects are stored as their canonical bytes under `evidence/<sha256>`, so each file's name is
its own hash, and `sha256sum -c SHA256SUMS` plus `openssl pkeyutl -verify` check the packet by hand.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trustctl.evidence import signing
from trustctl.evidence.canonical import sha256_hex
from trustctl.evidence.locker import MANIFEST, PUBLIC_KEY, SIGNATURE, Locker

SUMS = "SHA256SUMS"
SUMS_SIGNATURE = "SHA256SUMS.sig"
EVIDENCE = "evidence/"
RUNS = "runs/"
SIGNED_APART = frozenset({SUMS, SUMS_SIGNATURE})


@dataclass(frozen=True)
class Bundle:
    path: Path
    files: int
    evidence_objects: int
    bytes: int


def sums_text(files: dict[str, bytes]) -> bytes:
    """`sha256sum` format: one `<hex>  <name>` line per file, sorted by name."""
    return "".join(f"{sha256_hex(data)}  {name}\n" for name, data in sorted(files.items())).encode()


def parse_sums(text: bytes) -> dict[str, str]:
    """name -> hex digest; raises ValueError on a malformed line."""
    found = {}
    for number, line in enumerate(text.decode("utf-8").splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            raise ValueError(f"line {number} is not '<sha256>  <file>'")
        found[name] = digest
    return found


def evidence_files(locker: Locker, digests: Iterable[str]) -> dict[str, bytes]:
    """Each object's canonical bytes under evidence/<hex>, hash-checked as they are read."""
    files = {}
    for digest in sorted(set(digests)):
        data = locker.read_object_bytes(digest)
        hexdigest = digest.removeprefix("sha256:")
        if sha256_hex(data) != hexdigest:
            from trustctl.errors import LockerError

            raise LockerError(
                f"{locker.object_path(digest)}: evidence object does not match its hash; no packet was written.",
                "Run `trustctl verify`.",
            )
        files[EVIDENCE + hexdigest] = data
    return files


def run_files(locker: Locker, run_ids: Iterable[str]) -> dict[str, bytes]:
    files = {}
    for run_id in run_ids:
        base = locker.run_dir(run_id)
        files[f"{RUNS}{run_id}/{MANIFEST}"] = (base / MANIFEST).read_bytes()
        files[f"{RUNS}{run_id}/{SIGNATURE}"] = (base / SIGNATURE).read_bytes()
    return files


def write_zip(path: Path, files: dict[str, bytes], key: Ed25519PrivateKey, at: datetime) -> Bundle:
    """Write every file, then SHA256SUMS over them and its detached Ed25519 signature."""
    if PUBLIC_KEY not in files:
        files = {**files, PUBLIC_KEY: signing.public_pem(key)}
    sums = sums_text(files)
    everything = {**files, SUMS: sums, SUMS_SIGNATURE: signing.sign(key, sums)}
    stamp = at.astimezone(UTC).timetuple()[:6]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, data in sorted(everything.items()):
            info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    tmp.replace(path)
    return Bundle(
        path,
        len(everything),
        sum(name.startswith(EVIDENCE) for name in everything),
        path.stat().st_size,
    )
