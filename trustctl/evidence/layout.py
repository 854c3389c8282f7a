"""The layout of a locker on disk: the names its reader, its writer and verify share, and the clock
of runs.

Layout (nothing is modified in place; loose objects are removed only once a pack holds them):

    LOCKER                      marker: format and creation time
    public-key.pem              verifies every manifest signature
    objects/ab/cdef....json.gz  one object (a raw response as canonical JSON, a document, a run's request
                                list or times), gzip-compressed, addressed by the SHA-256 of its bytes
    objects/pack/pack-*.tar.xz  many small objects packed together once enough are loose (see packs.py)
    runs/RUN/started.json       written first; a run with no manifest is incomplete, never assessed
    runs/RUN/manifest.json      written last (atomic rename), after its detached signature; names the
                                run's request list and times objects by hash (see manifests.py)
    runs/RUN/manifest.json.sig  raw Ed25519 signature of the manifest bytes
    index.sqlite                a derived index, rebuilt from the files whenever it is missing or stale
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from trustctl.timeutil import parse_iso

MARKER = "LOCKER"
PUBLIC_KEY = "public-key.pem"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
STARTED = "started.json"
RUNS = "runs"  # one directory per run under it
DOCUMENTS = "documents"  # the provider name of runs that add document evidence


def utc_now() -> datetime:
    """The clock of every run; TRUSTCTL_NOW=ISO-TIME fixes it (tests and benchmarks that build history)."""
    fixed = os.environ.get("TRUSTCTL_NOW")
    if fixed:
        return parse_iso(fixed, UTC)
    return datetime.now(UTC)
