"""The order of a locker's runs, from their signed manifests; and index.sqlite, a derived copy of it.

Readers never believe the index: every reader's view of the chain (which runs are complete, their order,
their providers) comes from the manifests themselves, each checked against its signature. index.sqlite is
kept as a convenience for people querying a locker with SQLite tools; `trustctl verify` compares it with
the manifests, reports a difference and rebuilds it.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING

from trustctl.errors import LockerError, ManifestError
from trustctl.evidence import signing
from trustctl.evidence.canonical import sha256_hex

if TYPE_CHECKING:
    from trustctl.evidence.locker import Locker
    from trustctl.evidence.records import RunInfo

INDEX = "index.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, sequence INTEGER UNIQUE NOT NULL, digest TEXT NOT NULL,
    completed_at TEXT NOT NULL, providers TEXT NOT NULL);
"""
Row = tuple[str, int, str, str, str]


def _row(manifest: RunInfo, digest: str) -> Row:
    return (manifest.run_id, manifest.sequence, digest, manifest.completed_at, json.dumps(manifest.providers))


def chain(locker: Locker) -> list[tuple[RunInfo, str]]:
    """(signed header, manifest digest) of every complete run, in chain order. A manifest whose signature
    does not verify, or that does not decode, is a LockerError naming it: nothing is read past damage."""
    from trustctl.evidence.manifests import header_of

    public = locker.public_key()
    found: list[tuple[RunInfo, str]] = []
    for entry in locker.run_entries():
        if not entry.complete:
            continue
        path = entry.path / "manifest.json"
        try:
            data = path.read_bytes()
            signature = (entry.path / "manifest.json.sig").read_bytes()
        except OSError as e:
            raise LockerError(
                f"{path}: cannot be read ({e.strerror or e}).", "Run `trustctl verify`."
            ) from None
        if not signing.is_valid(public, signature, data):
            raise LockerError(f"{path}: signature does not verify.", "Run `trustctl verify` for details.")
        try:
            header = header_of(data)
        except ManifestError as e:
            raise LockerError(f"{path}: damaged run manifest ({e}).", "Run `trustctl verify`.") from None
        if header.run_id != entry.run_id:
            raise LockerError(
                f"{path}: names run {header.run_id}, not {entry.run_id}.", "Run `trustctl verify`."
            )
        found.append((header, "sha256:" + sha256_hex(data)))
    found.sort(key=lambda item: item[0].sequence)
    return found


def ordered_runs(locker: Locker) -> list[str]:
    """Run ids of complete runs, in chain order."""
    return [header.run_id for header, _ in chain(locker)]


def run_providers(locker: Locker) -> list[tuple[str, list[str]]]:
    """(run id, providers) of complete runs, in chain order."""
    return [(header.run_id, list(header.providers)) for header, _ in chain(locker)]


def _connect(locker: Locker) -> sqlite3.Connection:
    conn = sqlite3.connect(locker.root / INDEX, timeout=30)
    conn.executescript(SCHEMA)
    return conn


def record(locker: Locker, manifest: RunInfo, digest: str) -> None:
    """Add a committed run to the index (rebuilt whole if it cannot be written to)."""
    try:
        with closing(_connect(locker)) as conn, conn:
            conn.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?)", _row(manifest, digest))
    except sqlite3.Error:
        rebuild(locker, chain(locker))


def rebuild(locker: Locker, runs: list[tuple[RunInfo, str]]) -> None:
    """Recreate the index from these (verified) runs."""
    (locker.root / INDEX).unlink(missing_ok=True)
    with closing(_connect(locker)) as conn, conn:
        conn.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?)", [_row(h, d) for h, d in runs])


def listed(locker: Locker) -> set[str]:
    """Run ids the index holds (untrusted, but a run is listed only after its manifest was written)."""
    path = locker.root / INDEX
    if not path.exists():
        return set()
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            return {row[0] for row in conn.execute("SELECT run_id FROM runs")}
    except sqlite3.Error:
        return set()


def differences(locker: Locker, runs: list[tuple[RunInfo, str]]) -> list[str]:
    """How index.sqlite differs from these runs (empty: it agrees, or there is none yet)."""
    path = locker.root / INDEX
    if not path.exists():
        return []
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            rows = set(conn.execute("SELECT run_id, sequence, digest, completed_at, providers FROM runs"))
    except sqlite3.Error as e:
        return [f"cannot be read as the index ({e})"]
    expected = {_row(h, d) for h, d in runs}
    problems = [f"row for run {r[0]} does not match its signed manifest" for r in sorted(rows - expected)]
    listed = {r[0] for r in rows}
    problems += [f"run {h.run_id} is missing" for h, _ in runs if h.run_id not in listed]
    return problems
