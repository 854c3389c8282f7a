"""Fast, exact encodings for large evidence objects: gzip streams, and orjson where it equals `json`.

Evidence objects are stored as standard gzip streams of their exact bytes (`gzip -dc | sha256sum`
recovers the address), so the compression level only trades size for time: level 2 compresses a large
export about 2.3x faster than level 6, for objects about 1.5x larger.

orjson parses and serializes several times faster than `json`, and gives the same values and the same
canonical bytes for JSON without floating-point numbers or integers beyond 64 bits (it reads big
integers as floats, and writes floats in its own notation). Its compact output shows whether any float
came of a parse (`holds_float`); anything with one goes through `json` as before.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from typing import Any

import orjson

LEVEL = 2
# orjson writes every float with a fraction (`1.5`, `100000.0`, `1.2e+29`) or an exponent (`1e+16`), and,
# being compact, right before `,`, `}` or `]`. Two searches, each led by a literal, are faster than one.
_FRACTION = re.compile(rb"\.\d+(?:e[+-]?\d+)?[,}\]]")
_EXPONENT = re.compile(rb"e[+-]?\d+[,}\]]")


Prepared = tuple[str, bytes]
"""An object's address (`sha256:...`) and gzip stream, made ahead of storing it."""


def prepare(data: bytes) -> Prepared:
    """`data`'s address and a fast gzip stream of it (for large objects, made in a worker or thread)."""
    return "sha256:" + hashlib.sha256(data).hexdigest(), gzip_bytes(data)


def gzip_bytes(data: bytes) -> bytes:
    """A standard gzip stream of `data` (no file name, mtime 0: the same bytes give the same stream)."""
    return gzip.compress(data, compresslevel=LEVEL, mtime=0)


def holds_float(compact: bytes) -> bool:
    """Whether orjson's output `compact` may hold a float: never False when it does (a string that looks
    like the end of one, `"v1.5]"`, is a false alarm, which only costs the slower, exact path)."""
    return _FRACTION.search(compact) is not None or _EXPONENT.search(compact) is not None


def fast_loads(text: bytes) -> Any:
    """orjson's parse of `text`: json's value where `fast_canonical` of it does not `holds_float`.

    Raises orjson.JSONDecodeError (a ValueError) for what orjson does not read: NaN, a BOM, a lone
    surrogate, nesting deeper than 1024, besides text that is not JSON.
    """
    return orjson.loads(text)


def fast_canonical(value: Any) -> bytes:
    """orjson's compact JSON of `value`, keys sorted: `canonical_bytes(value)` when it does not
    `holds_float` (dicts, lists, str, int, bool and None are written alike, non-ASCII as UTF-8).

    Raises TypeError for what orjson refuses (an integer beyond 64 bits, a lone surrogate).
    """
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
