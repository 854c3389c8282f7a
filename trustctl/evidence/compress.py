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

import hashlib
import re
import struct
import zlib
from typing import Any

import orjson

LEVEL = 2
# Every object trustctl writes starts with these 10 bytes: deflate, no flags, mtime 0, no extra flags, OS
# "unknown". Fixed here rather than left to zlib (which writes its platform's OS code), so every stored
# byte of an object is either this header, the deflate stream, or the checked trailer.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# What zlib wrote on Unix before the header was fixed: still read, in lockers written until then.
LEGACY_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
# orjson writes every float with a fraction (`1.5`, `100000.0`, `1.2e+29`) or an exponent (`1e+16`), and,
# being compact, right before `,`, `}` or `]`. Two searches, each led by a literal, are faster than one.
_FRACTION = re.compile(rb"\.\d+(?:e[+-]?\d+)?[,}\]]")
_EXPONENT = re.compile(rb"e[+-]?\d+[,}\]]")


Prepared = tuple[str, bytes]
"""An object's address (`sha256:...`) and gzip stream, made ahead of storing it."""


def prepare(data: bytes) -> Prepared:
    """`data`'s address and a fast gzip stream of it (for large objects, made in a worker or thread)."""
    return "sha256:" + hashlib.sha256(data).hexdigest(), gzip_bytes(data)


def gzip_bytes(data: bytes, level: int = LEVEL) -> bytes:
    """A standard gzip stream of `data` in trustctl's one encoding: GZIP_HEADER, one raw deflate stream
    (zero padding bits, as zlib writes it), CRC-32 and size; `gzip -dc` reads it."""
    deflate = zlib.compressobj(level, zlib.DEFLATED, -15)
    body = deflate.compress(data) + deflate.flush()
    return GZIP_HEADER + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def gunzip_exact(raw: bytes) -> bytes:
    """The content of a gzip stream in trustctl's encoding; ValueError saying what differs otherwise.

    Every byte is accounted for: the header is one of the two trustctl writes, there is one deflate
    stream whose final byte's unused bits are zero, then exactly the CRC-32 and size of the content.
    What is left unchecked is a different deflate encoding of the same content, which changes no fact.
    """
    if len(raw) < 19:
        raise ValueError("truncated: too short to be a gzip stream")
    if raw[:10] not in (GZIP_HEADER, LEGACY_GZIP_HEADER):
        raise ValueError(
            "gzip header changed (flags, time, extra flags or OS differ from what trustctl writes)"
        )
    body, trailer = raw[10:-8], raw[-8:]
    inflate = zlib.decompressobj(-15)
    try:
        head = inflate.decompress(body[:-1])
        if inflate.eof:
            raise ValueError("bytes after the end of the compressed data")
        before_last = inflate.copy()
        tail = inflate.decompress(body[-1:])
    except zlib.error as e:
        raise ValueError(f"compressed data is damaged ({e})") from None
    if not inflate.eof:
        raise ValueError("truncated: the compressed data does not end")
    if inflate.unused_data:
        raise ValueError("bytes after the end of the compressed data")
    content = head + tail
    crc, size = struct.unpack("<II", trailer)
    if crc != zlib.crc32(content) or size != len(content) & 0xFFFFFFFF:
        raise ValueError("CRC-32 or size in the gzip trailer does not match the content")
    last = body[-1]
    for unused in range(1, 8):  # deflate fills a byte from its low bits: unused bits are the high ones
        cleared = last & (0xFF >> unused)
        if cleared == last:
            continue
        probe = before_last.copy()
        try:
            if probe.decompress(bytes([cleared])) == tail and probe.eof and not probe.unused_data:
                raise ValueError("unused bits after the compressed data are not zero (changed)")
        except zlib.error:
            break  # the bits are used: clearing more cannot make them unused
    return content


def gunzip(raw: bytes) -> bytes:
    """The content of a gzip stream (any encoding): for readers, whose content hash is checked anyway."""
    try:
        return zlib.decompress(raw, 31)
    except zlib.error as e:
        raise ValueError(f"compressed data is damaged ({e})") from None


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
