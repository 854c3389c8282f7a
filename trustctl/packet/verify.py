"""Offline verification of packet.zip: SHA256SUMS and its signature, every file's hash, every manifest's
signature and chain link, every evidence object against its name; and, given a trusted public key, that
the packet was signed with it. Each problem names the file: changed, added or removed.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from trustctl.evidence import manifests, signing
from trustctl.evidence.canonical import sha256_hex
from trustctl.evidence.locker import MANIFEST, PUBLIC_KEY, SIGNATURE
from trustctl.evidence.records import Manifest, ManifestHeader, RunInfo
from trustctl.packet.bundle import EVIDENCE, RUNS, SIGNED_APART, SUMS, SUMS_SIGNATURE, parse_sums


@dataclass
class PacketReport:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: int = 0
    evidence: int = 0
    runs: int = 0
    key: str | None = None
    trusted: bool = False  # the key was checked against a trusted one

    @property
    def ok(self) -> bool:
        return not self.problems


def _read(path: Path, report: PacketReport) -> dict[str, bytes] | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            for name, n in Counter(names).items():
                if n > 1:
                    report.problems.append(f"{name}: appears {n} times in the archive (added)")
            return {name: archive.read(name) for name in names if not name.endswith("/")}
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile) as e:
        report.problems.append(f"{path}: not a readable zip archive ({e})")
        return None


def _public_key(files: dict[str, bytes], report: PacketReport) -> Ed25519PublicKey | None:
    if PUBLIC_KEY not in files:
        report.problems.append(f"{PUBLIC_KEY}: removed; no signature can be checked")
        return None
    try:
        public = signing.load_public_key(files[PUBLIC_KEY])
    except ValueError as e:
        report.problems.append(f"{PUBLIC_KEY}: not an Ed25519 public key ({e}) (changed)")
        return None
    report.key = signing.fingerprint(public)
    return public


def _check_sums(files: dict[str, bytes], public: Ed25519PublicKey | None, report: PacketReport) -> None:
    if SUMS not in files:
        report.problems.append(f"{SUMS}: removed; the packet's files cannot be checked")
        return
    if SUMS_SIGNATURE not in files:
        report.problems.append(f"{SUMS_SIGNATURE}: removed; {SUMS} is unsigned")
    elif public is not None and not signing.is_valid(public, files[SUMS_SIGNATURE], files[SUMS]):
        report.problems.append(
            f"{SUMS}: signature does not verify with {PUBLIC_KEY} ({SUMS}, {SUMS_SIGNATURE} or the key changed)"
        )
    try:
        listed = parse_sums(files[SUMS])
    except (ValueError, UnicodeDecodeError) as e:
        report.problems.append(f"{SUMS}: malformed ({e}) (changed)")
        return
    for name, digest in sorted(listed.items()):
        if name not in files:
            report.problems.append(f"{name}: removed (listed in {SUMS}, not in the packet)")
        elif sha256_hex(files[name]) != digest:
            report.problems.append(f"{name}: changed (its SHA-256 differs from {SUMS})")
    for name in sorted(set(files) - set(listed) - SIGNED_APART):
        report.problems.append(f"{name}: added (not listed in {SUMS})")
    report.files = len(files)


def _cited(
    header: ManifestHeader | Manifest,
    files: dict[str, bytes],
    present: set[str],
    name: str,
    report: PacketReport,
) -> set[str]:
    """The objects a run cites: its request list and times, and (when those are here) its evidence."""
    if isinstance(header, Manifest):
        return header.objects
    lists = {header.requests, header.times}
    if any(d.removeprefix("sha256:") not in present for d in lists):
        return lists
    try:
        return manifests.expand(header, lambda d: files[EVIDENCE + d.removeprefix("sha256:")]).objects
    except manifests.ManifestError as e:
        report.problems.append(f"{name}: its request list or times do not decode ({e}) (changed)")
        return lists


def _check_runs(files: dict[str, bytes], public: Ed25519PublicKey | None, report: PacketReport) -> None:
    present = {name.removeprefix(EVIDENCE) for name in files if name.startswith(EVIDENCE)}
    chain: dict[int, tuple[RunInfo, str]] = {}
    for name in sorted(n for n in files if n.startswith(RUNS) and n.endswith("/" + MANIFEST)):
        run_id = name.removeprefix(RUNS).removesuffix("/" + MANIFEST)
        data = files[name]
        signature = files.get(f"{RUNS}{run_id}/{SIGNATURE}")
        if signature is None:
            report.problems.append(f"{RUNS}{run_id}/{SIGNATURE}: removed; the manifest is unsigned")
            continue
        if public is not None and not signing.is_valid(public, signature, data):
            report.problems.append(
                f"{name}: signature does not verify (the manifest or its signature changed)"
            )
            continue
        try:
            manifest = manifests.header_of(data)
        except manifests.ManifestError:
            report.problems.append(f"{name}: not a valid trustctl manifest (changed)")
            continue
        if manifest.run_id != run_id:
            report.problems.append(f"{name}: names run {manifest.run_id} (moved)")
        if report.key and manifest.key != report.key:
            report.problems.append(
                f"{name}: records signing key {manifest.key}, not the packet's {report.key}"
            )
        for digest in sorted(_cited(manifest, files, present, name, report)):
            if digest.removeprefix("sha256:") not in present:
                report.problems.append(
                    f"{EVIDENCE}{digest.removeprefix('sha256:')}: removed (cited by run {run_id})"
                )
        chain[manifest.sequence] = (manifest, "sha256:" + sha256_hex(data))
        report.runs += 1
    for sequence, (run, _) in sorted(chain.items()):
        before = chain.get(sequence - 1)
        if before is not None and run.previous != before[1]:
            report.problems.append(
                f"{RUNS}{run.run_id}/{MANIFEST}: does not chain to run {before[0].run_id} (reordered or changed)"
            )


def _check_evidence(files: dict[str, bytes], report: PacketReport) -> None:
    for name in sorted(n for n in files if n.startswith(EVIDENCE)):
        report.evidence += 1
        if sha256_hex(files[name]) != name.removeprefix(EVIDENCE):
            report.problems.append(f"{name}: content does not match its name (changed)")


def verify_packet(path: Path, trusted_key: bytes | None = None, trusted_from: str = "") -> PacketReport:
    """Check a packet.zip offline; `trusted_key` (PEM) is the key it must have been signed with."""
    report = PacketReport()
    files = _read(path, report)
    if files is None:
        return report
    public = _public_key(files, report)
    _check_sums(files, public, report)
    _check_runs(files, public, report)
    _check_evidence(files, report)
    if trusted_key is not None and report.key is not None:
        try:
            expected = signing.fingerprint(signing.load_public_key(trusted_key))
        except ValueError as e:
            report.problems.append(f"{trusted_from}: the trusted key is not an Ed25519 public key ({e})")
            return report
        report.trusted = True
        if expected != report.key:
            report.problems.append(
                f"{PUBLIC_KEY}: the packet is signed by another key ({report.key}), not the trusted key "
                f"{expected} from {trusted_from}: it comes from another locker or was re-signed"
            )
    elif report.key is not None:
        report.notes.append(
            f"the packet's key {report.key} was not compared with a trusted key: pass --key PEM (the "
            "organization's public key obtained out of band) or run where trustctl.toml names its locker"
        )
    return report
