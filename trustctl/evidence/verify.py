"""Offline verification of a locker: every stored byte, every signature, the whole hash chain, the layout,
the derived index, and the anchors kept outside the locker (trusted keys, a recorded head).

What covers what:
- an object's content: its SHA-256 (its name); its stored bytes: trustctl's one gzip encoding, checked
  byte for byte (`compress.gunzip_exact`), or, in a pack, the exact tar stream trustctl writes, inside
  an xz stream whose own CRCs are checked (`packs.unpack_exact`);
- a run: the Ed25519 signature over its manifest's bytes, which name (by hash) its request list and times,
  and hence every evidence object; `started.json` must say what the signed manifest says; nothing else may
  sit in a run directory;
- the chain: each manifest names the previous one's hash and its position; the marker's hash is signed too;
- anything no signed manifest accounts for (an object, a file, a run directory) is a finding;
- outside the locker: `trusted` keys (a re-signed locker is signed by another key), and a `head` or a
  `min_runs` recorded elsewhere (a rollback removes runs from the end of the chain).

Every problem names the file or run. Damaged input is a finding, never a crash. The stored bytes are
checked in verify_store.py; the key, the runs, the chain and the accounting here.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from trustctl.errors import LockerError, ManifestError
from trustctl.evidence import index, manifests, signing
from trustctl.evidence.canonical import canonical_bytes, sha256_hex
from trustctl.evidence.layout import MANIFEST, MARKER, PUBLIC_KEY, RUNS, SIGNATURE, STARTED
from trustctl.evidence.locker import Locker
from trustctl.evidence.records import ManifestHeader, RunInfo
from trustctl.evidence.verify_store import (
    Found,
    VerifyReport,
    is_temporary,
    verify_layout,
    verify_loose,
    verify_packs,
    verify_run_files,
)
from trustctl.timeutil import parse_iso

__all__ = ["VerifyReport", "verify_locker"]

MARKER_KEYS = {"format", "created_at", "tool"}


def _verify_key(
    locker: Locker, report: VerifyReport, trusted: Collection[str] | None, signer: str | None
) -> Ed25519PublicKey | None:
    try:
        pem = locker.public_key_pem()
        public = signing.load_public_key(pem)
    except (LockerError, ValueError) as e:
        report.problems.append(
            f"{PUBLIC_KEY}: not the locker's Ed25519 public key ({getattr(e, 'message', e)})"
        )
        return None
    report.key = signing.fingerprint(public)
    if signing.public_key_pem(public) != pem:
        report.problems.append(f"{PUBLIC_KEY}: not in the exact form trustctl writes (changed)")
    if trusted is not None and report.key not in trusted:
        report.problems.append(
            f"{PUBLIC_KEY}: key {report.key} is not a trusted key ({', '.join(sorted(trusted)) or 'none given'}); "
            "the locker may have been re-signed"
        )
    if signer is not None and signer != report.key:
        report.problems.append(
            f"{PUBLIC_KEY}: key {report.key} is not the configured signing key's ({signer}); "
            "new runs would not verify against it"
        )
    return public


def _marker_digest(locker: Locker, report: VerifyReport) -> str | None:
    try:
        data = (locker.root / MARKER).read_bytes()
        marker = json.loads(data)
    except (OSError, ValueError, RecursionError) as e:
        report.problems.append(f"{MARKER}: cannot be read as the locker marker ({e})")
        return None
    if not isinstance(marker, dict) or set(marker) != MARKER_KEYS or canonical_bytes(marker) != data:
        report.problems.append(f"{MARKER}: not in the form trustctl writes (changed)")
    return "sha256:" + sha256_hex(data)


def _verify_run(
    locker: Locker,
    run_id: str,
    public: Ed25519PublicKey,
    report: VerifyReport,
    marker: str | None,
    present: Collection[str],
) -> tuple[RunInfo, str, set[str], bool] | None:
    """The run's signed header, manifest digest, the objects it names and whether that is all of them (not
    when its request list cannot be read); its problems added to `report`."""
    base = locker.run_dir(run_id)
    try:
        data = (base / MANIFEST).read_bytes()
        sig = (base / SIGNATURE).read_bytes()
    except OSError as e:
        report.problems.append(f"runs/{run_id}: manifest or signature cannot be read ({e.strerror or e})")
        return None
    if not signing.is_valid(public, sig, data):
        report.problems.append(
            f"runs/{run_id}: manifest signature does not verify (manifest or signature changed)"
        )
        with contextlib.suppress(ManifestError):
            claimed = manifests.header_of(data).key
            if claimed != report.key:
                report.problems.append(
                    f"{PUBLIC_KEY}: runs/{run_id} says it was signed by key {claimed}, but this file holds "
                    f"{report.key} (the key was replaced or changed)"
                )
        return None
    try:
        header = manifests.header_of(data)
    except ManifestError as e:
        report.problems.append(f"runs/{run_id}: manifest is not a valid trustctl manifest ({e})")
        return None
    if header.run_id != run_id:
        report.problems.append(f"runs/{run_id}: manifest names run {header.run_id} (moved or reordered)")
        return None
    if header.key != report.key:
        report.problems.append(f"runs/{run_id}: signed by key {header.key}, not the locker's key")
    started = canonical_bytes({"run_id": header.run_id, "started_at": header.started_at})
    try:
        if (base / STARTED).read_bytes() != started:
            report.problems.append(
                f"runs/{run_id}/{STARTED}: does not say what the signed manifest says (changed)"
            )
    except OSError:
        report.problems.append(f"runs/{run_id}/{STARTED}: missing or unreadable")
    if header.marker is not None and header.marker != marker:
        report.problems.append(
            f"runs/{run_id}: the signed manifest names another {MARKER} (the marker changed)"
        )
    lists = {header.requests, header.times} if isinstance(header, ManifestHeader) else set()
    objects = set(lists)
    known = lists <= set(present)  # a missing list is reported as a missing object, below
    if known:
        try:
            objects |= manifests.expand(header, locker.read_object_bytes).evidence
        except (ManifestError, LockerError) as e:
            known = False
            report.problems.append(
                f"runs/{run_id}: request list or times do not decode ({getattr(e, 'message', e)})"
            )
    return header, "sha256:" + sha256_hex(data), objects, known


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


def _verify_anchors(
    chain: list[tuple[RunInfo, str]], report: VerifyReport, head: str | None, min_runs: int | None
) -> None:
    if head is not None:
        wanted = head if head.startswith("sha256:") else f"sha256:{head}"
        if wanted not in {digest for _, digest in chain}:
            report.problems.append(
                f"runs: the recorded head {wanted} is not in the chain (runs were removed or replaced: a rollback)"
            )
    if min_runs is not None and len(chain) < min_runs:
        report.problems.append(
            f"runs: {len(chain)} complete runs, fewer than the {min_runs} recorded (a rollback)"
        )


def _started_at(base: Path) -> str | None:
    """When an incomplete run started, if its started.json is exactly what trustctl writes."""
    try:
        data = (base / STARTED).read_bytes()
        started = json.loads(data)
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(started, dict) or set(started) != {"run_id", "started_at"}:
        return None
    moment = started["started_at"]
    if started["run_id"] != base.name or not isinstance(moment, str) or canonical_bytes(started) != data:
        return None
    try:
        aware = parse_iso(moment).tzinfo is not None
    except ValueError:
        return None
    return moment if aware else None


def verify_locker(
    locker: Locker,
    *,
    trusted: Collection[str] | None = None,
    signer: str | None = None,
    head: str | None = None,
    min_runs: int | None = None,
) -> VerifyReport:
    """Verify everything stored in `locker`. `trusted`: key fingerprints the locker must be signed with;
    `signer`: the configured signing key's fingerprint; `head`/`min_runs`: anchors recorded elsewhere."""
    report = VerifyReport()
    found = Found(locker.root)
    verify_layout(locker, report, found)
    public = _verify_key(locker, report, trusted, signer)
    marker = _marker_digest(locker, report)
    verify_loose(locker, report, found)
    verify_packs(locker, report, found)
    runs_dir = locker.runs_dir
    chain: list[tuple[RunInfo, str]] = []
    named: dict[str, str] = {}  # object -> the first run naming it
    incomplete: list[tuple[str, str | None]] = []  # run id, started_at (None: started.json is not valid)
    unreadable = 0  # complete runs that did not verify: which objects they name is unknown
    entries = sorted(runs_dir.iterdir()) if runs_dir.is_dir() else []
    if not runs_dir.is_dir():
        report.problems.append("runs: missing or not a directory")
    for base in entries:
        if is_temporary(base.name):
            found.stray.append(f"runs/{base.name}")
            continue
        if not base.is_dir():
            report.problems.append(f"runs/{base.name}: not a run directory (added or replaced)")
            continue
        verify_run_files(base, report, found)
        if not (base / MANIFEST).exists():
            incomplete.append((base.name, _started_at(base)))
            continue
        if public is None:
            continue
        verified = _verify_run(locker, base.name, public, report, marker, found.objects)
        if verified is None:
            unreadable += 1
            continue
        header, digest, objects, known = verified
        report.runs += 1
        chain.append((header, digest))
        unreadable += not known
        for name in objects:
            named.setdefault(name, base.name)
        if trusted is not None and header.key not in trusted:
            report.problems.append(f"runs/{base.name}: signed by key {header.key}, not a trusted key")
    _verify_chain(chain, report)
    _verify_anchors(chain, report, head, min_runs)
    if public is None:
        unreadable += 1
    listed = index.listed(locker) if incomplete else set()
    _verify_accounting(chain, incomplete, listed, named, found, report, unreadable)
    if public is not None and report.ok:  # the index is never read; a difference matters on its own
        _verify_index(locker, chain, report)
    if found.stray:
        report.notes.append(
            f"{len(found.stray)} leftover temporary file(s) of interrupted writes: {', '.join(found.stray[:5])}"
        )
    return report


def _verify_accounting(
    chain: list[tuple[RunInfo, str]],
    incomplete: list[tuple[str, str | None]],
    listed: set[str],
    named: dict[str, str],
    found: Found,
    report: VerifyReport,
    unreadable: int,
) -> None:
    """Every run directory and object is accounted for by a signed manifest, or is the trace of a run that
    was interrupted (recorded as abandoned by the next run, or newer than the head). `listed`: run ids the
    index holds; the index is written after a run's manifest, so one listed without it lost its manifest."""
    # Runs hold the locker's lock from start to commit, so an interrupted run started after the head
    # completed; run ids only have second resolution, started.json has microseconds.
    head = max((parse_iso(h.completed_at) for h, _ in chain), default=datetime.min.replace(tzinfo=UTC))
    abandoned = {run for h, _ in chain for run in (h.abandoned or [])}
    recorded = any(h.abandoned is not None for h, _ in chain)
    runs_dir = found.root / RUNS
    for run_id, started in incomplete:
        if started is None:
            report.problems.append(f"runs/{run_id}/{STARTED}: missing, or not in the form trustctl writes")
        elif run_id in abandoned:
            report.notes.append(
                f"runs/{run_id}: interrupted run (no manifest), recorded by the next run; never assessed"
            )
        elif run_id in listed:
            report.problems.append(
                f"runs/{run_id}: its manifest is missing, though {index.INDEX} lists the run as complete"
                " (removed after the run committed)"
            )
        elif parse_iso(started) >= head:
            # Killed between writing its signature and its manifest, or its manifest was removed since:
            # only a head recorded elsewhere (`--head`) tells the two apart.
            signed = (
                " (its signature was written: compare the head with one recorded elsewhere)"
                if (runs_dir / run_id / SIGNATURE).exists()
                else ""
            )
            report.notes.append(f"runs/{run_id}: incomplete run (no manifest); never assessed{signed}")
        elif not recorded:
            report.notes.append(
                f"runs/{run_id}: incomplete run from before runs recorded interrupted ones; never assessed"
            )
        else:
            report.problems.append(
                f"runs/{run_id}: a run directory without a manifest that no signed run accounts for (added)"
            )
    for digest in sorted(set(named) - set(found.objects)):
        report.problems.append(f"runs/{named[digest]}: evidence object {digest} is missing or changed")
    unnamed = sorted(set(found.objects) - set(named))
    if unreadable:
        return  # runs that did not verify may name them; those runs are findings already
    if unnamed and incomplete:
        report.notes.append(f"{len(unnamed)} object(s) no signed run names, written by interrupted runs")
    else:
        report.problems += [
            f"{found.objects[d]}: object {d} that no signed run names (added, or its run was removed)"
            for d in unnamed
        ]


def _verify_index(locker: Locker, chain: list[tuple[RunInfo, str]], report: VerifyReport) -> None:
    """A derived index that disagrees with the manifests is a finding, and is rebuilt from them (only
    called when nothing else is wrong: from a damaged chain it would copy the damage)."""
    differences = index.differences(locker, chain)
    if differences:
        report.problems += [f"{index.INDEX}: {d} (rebuilt from the signed manifests)" for d in differences]
        index.rebuild(locker, chain)
