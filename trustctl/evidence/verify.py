"""Offline verification of a locker: every object hash, every signature, the whole hash chain.

Problems name the file or run that does not verify; incomplete runs (killed before their manifest
was written) are reported as notes, since they are never assessed and change nothing else.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from trustctl.errors import LockerError
from trustctl.evidence import manifests, signing
from trustctl.evidence.canonical import sha256_hex
from trustctl.evidence.locker import MANIFEST, SIGNATURE, Locker
from trustctl.evidence.packs import member_name
from trustctl.evidence.records import ManifestHeader, RunInfo


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
    for pack in locker.packs.packs():
        rel = pack.relative_to(locker.root)
        listed: dict[str, int] = {}
        try:
            for name, data in locker.packs.members(pack):
                report.objects += 1
                actual = sha256_hex(data)
                if member_name(actual) != name:
                    report.problems.append(f"{rel}: member {name} does not match its hash (changed)")
                    continue
                listed[actual] = len(data)
                present.add("sha256:" + actual)
        except LockerError as e:
            report.problems.append(f"{rel}: pack cannot be read ({e.message})")
            continue
        if locker.packs.sizes(pack) != listed:
            report.problems.append(
                f"{locker.packs.index_path(pack).relative_to(locker.root)}: does not list its pack's objects "
                "(delete it; it is rebuilt from the pack)"
            )
    return present


def _verify_run(
    locker: Locker, run_id: str, public: Ed25519PublicKey, present: set[str], report: VerifyReport
) -> tuple[RunInfo, str] | None:
    """The run's signed header and manifest digest (for the chain), its problems added to `report`."""
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
        header = manifests.header_of(data)
    except manifests.ManifestError as e:
        report.problems.append(f"runs/{run_id}: manifest is not a valid trustctl manifest ({e})")
        return None
    if header.run_id != run_id:
        report.problems.append(f"runs/{run_id}: manifest names run {header.run_id} (moved or reordered)")
        return None
    if header.key != report.key:
        report.problems.append(f"runs/{run_id}: signed by key {header.key}, not the locker's key")
    lists = [header.requests, header.times] if isinstance(header, ManifestHeader) else []
    missing = [d for d in lists if d not in present]
    if not missing:
        try:
            objects = manifests.expand(header, locker.read_object_bytes).evidence
        except (manifests.ManifestError, LockerError) as e:
            report.problems.append(f"runs/{run_id}: request list or times do not decode ({e})")
            objects = set()
        missing = sorted(objects - present)
    for digest in missing:
        report.problems.append(f"runs/{run_id}: evidence object {digest} is missing or changed")
    return header, "sha256:" + sha256_hex(data)


def _verify_chain(chain: list[tuple[RunInfo, str]], report: VerifyReport) -> None:
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
    chain: list[tuple[RunInfo, str]] = []
    for entry in locker.run_entries():
        if not entry.complete:
            report.notes.append(f"runs/{entry.run_id}: incomplete run (no manifest); never assessed")
            continue
        verified = _verify_run(locker, entry.run_id, public, present, report)
        if verified is None:
            continue
        report.runs += 1
        chain.append(verified)
    _verify_chain(chain, report)
    return report
