"""The locker's SQLite index: complete runs in chain order, with their providers.

The index is derived data. It is rebuilt from the run manifests whenever it is missing, unreadable,
or disagrees with the run directories on disk, so deleting it never loses anything.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING

from trustctl.errors import LockerError
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


def _connect(locker: Locker) -> sqlite3.Connection:
    conn = sqlite3.connect(locker.root / INDEX, timeout=30)
    conn.executescript(SCHEMA)
    return conn


def _insert(conn: sqlite3.Connection, manifest: RunInfo, digest: str) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?)",
        (manifest.run_id, manifest.sequence, digest, manifest.completed_at, json.dumps(manifest.providers)),
    )


def record(locker: Locker, manifest: RunInfo, digest: str) -> None:
    try:
        with closing(_connect(locker)) as conn, conn:
            _insert(conn, manifest, digest)
    except sqlite3.Error:
        rebuild(locker)


def rebuild(locker: Locker) -> None:
    """Recreate the index from the manifests on disk."""
    from trustctl.evidence.manifests import ManifestError, header_of

    path = locker.root / INDEX
    path.unlink(missing_ok=True)
    with closing(_connect(locker)) as conn, conn:
        for entry in locker.run_entries():
            if not entry.complete:
                continue
            data = (entry.path / "manifest.json").read_bytes()
            try:
                _insert(conn, header_of(data), "sha256:" + sha256_hex(data))
            except (ManifestError, sqlite3.IntegrityError) as e:
                raise LockerError(
                    f"{entry.path / 'manifest.json'}: damaged run manifest ({str(e).splitlines()[0]}).",
                    "Run `trustctl verify`; nothing was changed.",
                ) from None


def ordered_runs(locker: Locker) -> list[str]:
    """Run ids of complete runs, in chain order (sequence)."""
    on_disk = {e.run_id for e in locker.run_entries() if e.complete}
    try:
        with closing(_connect(locker)) as conn:
            rows = conn.execute("SELECT run_id FROM runs ORDER BY sequence").fetchall()
    except sqlite3.Error:
        rows = None
    if rows is None or {r[0] for r in rows} != on_disk:
        rebuild(locker)
        with closing(_connect(locker)) as conn:
            rows = conn.execute("SELECT run_id FROM runs ORDER BY sequence").fetchall()
    return [r[0] for r in rows]


def run_providers(locker: Locker) -> list[tuple[str, list[str]]]:
    """(run id, providers) of complete runs in chain order, read from the index, not the manifests."""
    ordered_runs(locker)  # rebuilds the index first if it is stale
    with closing(_connect(locker)) as conn:
        rows = conn.execute("SELECT run_id, providers FROM runs ORDER BY sequence").fetchall()
    return [(run_id, list(json.loads(providers))) for run_id, providers in rows]
