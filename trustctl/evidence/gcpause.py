"""Pausing Python's cyclic garbage collector around allocation-heavy work that makes no cycles.

The collector runs after every 700 net allocations of tracked objects, and its older generations walk
every long-lived object: botocore's service models, a parsed export, a run's records. Collecting a run,
committing it and parsing a large export allocate hundreds of thousands of containers and leave almost
no cyclic garbage, so the collector's passes cost time (a quarter of `collect aws`'s CPU on a
250-resource account) and free next to nothing. Reference counting still frees everything else.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection for a while (restored after, if it was on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
