"""Encode a run's manifest for the locker, and decode one from its bytes (format 2 or the older format 1).

Format 2 splits a run into a signed header and two content-addressed objects: the request list (calls
with their evidence objects or errors, in a fixed order, no times) and the times (microseconds from the
run's start, one per request, so a run whose requests took as long as the last one's shares it). Decoding checks that each object matches the hash the signed header names,
so a verified signature covers every request and time, as it did when they were inline.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from trustctl.errors import ManifestError
from trustctl.evidence.canonical import canonical_bytes, sha256_hex
from trustctl.evidence.records import Manifest, ManifestHeader, RequestEntry, RequestRecord
from trustctl.timeutil import parse_iso, utc_iso

ObjectReader = Callable[[str], bytes]


def _order(record: RequestRecord) -> tuple[Any, ...]:
    c = record.call
    return (c.provider, c.account, c.region, c.service, c.operation, canonical_bytes(c.parameters), c.page)


def split(header: dict[str, Any], records: list[RequestRecord]) -> tuple[bytes, dict[str, bytes]]:
    """(header bytes, {address: canonical bytes} of the request list and times objects) for `records`;
    `header` lacks the lists' addresses."""
    ordered = sorted(records, key=_order)
    entries = [r.model_dump(mode="json", exclude={"observed_at"}, exclude_none=True) for r in ordered]
    base = parse_iso(header["started_at"])
    offsets = [(parse_iso(r.observed_at) - base) // timedelta(microseconds=1) for r in ordered]
    lists = [canonical_bytes(entries), canonical_bytes({"offsets_us": offsets})]
    requests, times = ("sha256:" + sha256_hex(data) for data in lists)
    full = {**header, "format": 2, "request_count": len(ordered), "requests": requests, "times": times}
    ManifestHeader.model_validate(full)
    return canonical_bytes(full), dict(zip((requests, times), lists, strict=True))


def _load(read: ObjectReader, digest: str, what: str) -> Any:
    data = read(digest)
    if "sha256:" + sha256_hex(data) != digest:
        raise ManifestError(f"its {what} object {digest} does not match its hash")
    try:
        return json.loads(data)
    except ValueError as e:
        raise ManifestError(f"its {what} object {digest} is not JSON ({e})") from None


def header_of(data: bytes) -> ManifestHeader | Manifest:
    """The signed part of a manifest: a format 2 header, or a whole format 1 manifest."""
    try:
        raw = json.loads(data)
    except ValueError as e:
        raise ManifestError(f"not JSON ({e})") from None
    try:
        if isinstance(raw, dict) and raw.get("format") == 1:
            return Manifest.model_validate(raw)
        return ManifestHeader.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        raise ManifestError(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None


def decode(data: bytes, read: ObjectReader) -> Manifest:
    """The manifest in `data`, its request list and times read through `read` and checked."""
    return expand(header_of(data), read)


def expand(header: ManifestHeader | Manifest, read: ObjectReader) -> Manifest:
    """A header with its request list and times read through `read` and checked (format 1: as it is)."""
    if isinstance(header, Manifest):
        return header
    raw_entries = _load(read, header.requests, "request list")
    times = _load(read, header.times, "times")
    try:
        entries = [RequestEntry.model_validate(e) for e in raw_entries]
        base = parse_iso(header.started_at)
        offsets = [int(o) for o in times["offsets_us"]]
    except (ValidationError, TypeError, KeyError, ValueError) as e:
        raise ManifestError(f"its request list or times do not decode ({str(e).splitlines()[0]})") from None
    if not len(entries) == len(offsets) == header.request_count:
        raise ManifestError(
            f"{header.request_count} requests in the header, {len(entries)} in the list, {len(offsets)} times"
        )
    records = [
        RequestRecord(
            call=e.call,
            object=e.object,
            error=e.error,
            observed_at=utc_iso(base + timedelta(microseconds=o)),
        )
        for e, o in zip(entries, offsets, strict=True)
    ]
    fields = header.model_dump(exclude={"requests", "times", "request_count"})
    return Manifest(**fields, requests=records, request_list=header.requests, times=header.times)
