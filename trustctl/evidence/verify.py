"""Offline verification of a locker: every object hash, every signature, the whole hash chain.

Problems name the file or run that does not verify; incomplete runs (killed before their manifest
was written) are reported as notes, since they are never assessed and change nothing else.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from trustctl.evidence import signing
from trustctl.evidence.canonical import sha256_hex
from trustctl.evidence.locker import MANIFEST, SIGNATURE, Locker
from trustctl.evidence.records import Manifest


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    objects: int = 0
    runs: int = 0
    head: str | None = None
    key: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _verify_objects(locker: Locker, report: VerifyReport) -> set[str]:
    present = set()
    for path in locker.iter_object_paths():
        expected = path.parent.name + path.name.removesuffix(".json.gz")
        rel = path.relative_to(locker.root)
        try:
            actual = sha256_hex(gzip.decompress(path.read_bytes()))
        except (OSError, EOFError, gzip.BadGzipFile) as e:
            report.problems.append(f"{rel}: object cannot be read ({e})")
            continue
        report.objects += 1
        if actual != expected:
            report.problems.append(f"{rel}: content does not match its hash (changed)")
            continue
        present.add("sha256:" + expected)
    return present


def _verify_run(
    locker: Locker, run_id: str, public: Ed25519PublicKey, report: VerifyReport
) -> tuple[Manifest, str] | None:
    base = locker.root / "runs" / run_id
    data = (base / MANIFEST).read_bytes()
    try:
        sig = (base / SIGNATURE).read_bytes()
    except OSError:
        report.problems.append(f"runs/{run_id}: manifest has no signature file")
        return None
    if not signing.is_valid(public, sig, data):
        report.problems.append(
            f"runs/{run_id}: manifest signature does not verify (manifest or signature changed)"
        )
        return None
    try:
        manifest = Manifest.model_validate_json(data)
    except ValidationError:
        report.problems.append(f"runs/{run_id}: manifest is not a valid trustctl manifest")
        return None
    if manifest.run_id != run_id:
        report.problems.append(f"runs/{run_id}: manifest names run {manifest.run_id} (moved or reordered)")
        return None
    return manifest, "sha256:" + sha256_hex(data)


def _verify_chain(chain: list[tuple[Manifest, str]], report: VerifyReport) -> None:
    chain.sort(key=lambda item: item[0].sequence)
    previous: str | None = None
    for position, (manifest, digest) in enumerate(chain, start=1):
        if manifest.sequence != position:
            report.problems.append(
                f"runs/{manifest.run_id}: chain position {manifest.sequence}, expected {position} "
                "(a run is missing or the chain was reordered)"
            )
        if manifest.previous != previous:
            report.problems.append(
                f"runs/{manifest.run_id}: previous-manifest hash {manifest.previous} does not match "
                f"the run before it ({previous}) (chain broken or reordered)"
            )
        previous = digest
    report.head = previous


def verify_locker(locker: Locker) -> VerifyReport:
    report = VerifyReport()
    try:
        public = signing.load_public_key(locker.public_key_pem())
    except ValueError as e:
        report.problems.append(f"public-key.pem: not an Ed25519 public key ({e})")
        return report
    report.key = signing.fingerprint(public)
    present = _verify_objects(locker, report)
    chain: list[tuple[Manifest, str]] = []
    for entry in locker.run_entries():
        if not entry.complete:
            report.notes.append(f"runs/{entry.run_id}: incomplete run (no manifest); never assessed")
            continue
        verified = _verify_run(locker, entry.run_id, public, report)
        if verified is None:
            continue
        manifest, _ = verified
        if manifest.key != report.key:
            report.problems.append(f"runs/{entry.run_id}: signed by key {manifest.key}, not the locker's key")
        for missing in sorted(manifest.objects - present):
            report.problems.append(f"runs/{entry.run_id}: evidence object {missing} is missing or changed")
        report.runs += 1
        chain.append(verified)
    _verify_chain(chain, report)
    return report
