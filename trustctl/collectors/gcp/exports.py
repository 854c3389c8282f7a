"""Import Cloud Asset Inventory exports (`gcloud asset export` output) into a run, as evidence.

An export is newline-delimited JSON, one asset per line, with top-level fields in snake_case (as
exported) or camelCase (as the API and `gcloud --format=json` print). Each file's bytes are stored once;
its assets are stored in chunks of up to 5,000 lines, normalized to the snake_case shape live collection
stores. Lines are parsed with `json`, not protobuf's `from_json` (about 20x slower on large exports).

Into a run writer, each chunk is parsed, made canonical JSON and compressed in a worker process (two to
four of them for a large export) while this process compresses the file itself on a thread and writes
the objects. Lines are parsed and chunks serialized by orjson (3-5x faster) wherever its values and
bytes are provably json's (see trustctl.evidence.compress), by `json` elsewhere: the stored objects, and
so their hashes, are the same either way.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from functools import lru_cache
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

from trustctl.collectors.base import EvidenceSink, now
from trustctl.errors import InputError
from trustctl.evidence.canonical import (
    SECRET_FIELDS,
    TRANSPORT_FIELDS,
    canonical_bytes,
    to_jsonable,
)
from trustctl.evidence.compress import Prepared, fast_canonical, fast_loads, holds_float, prepare
from trustctl.evidence.locker import RunWriter
from trustctl.evidence.records import Call, CallError
from trustctl.inputs import MAX_DEPTH, too_deep

CHUNK_LINES = 5000
_UPPER = re.compile(r"(?<!^)(?=[A-Z])")
# Inside an IAM policy the contract keeps the API's JSON (camelCase) names, whatever the export used.
_POLICY_CAMEL = {
    "audit_configs": "auditConfigs",
    "audit_log_configs": "auditLogConfigs",
    "log_type": "logType",
    "exempted_members": "exemptedMembers",
}
# to_jsonable drops these keys wherever they are; in canonical JSON a key is `"name":`.
_DROPPED_KEY = re.compile(
    rb'"(?:' + b"|".join(re.escape(f.encode()) for f in sorted(SECRET_FIELDS | TRANSPORT_FIELDS)) + rb')":'
)
POOL_MIN_CHUNKS = 4  # fewer chunks are parsed in this process: starting workers would cost more
MAX_WORKERS = 4


@lru_cache(maxsize=256)
def snake(key: str) -> str:
    """`assetType` -> `asset_type`; snake_case keys are returned unchanged."""
    return _UPPER.sub("_", key).lower()


def _snake_keys(value: dict[str, Any]) -> dict[str, Any]:
    return {snake(k): v for k, v in value.items()}


def _camel_policy(policy: dict[str, Any]) -> dict[str, Any]:
    out = {_POLICY_CAMEL.get(k, k): v for k, v in policy.items()}
    configs = out.get("auditConfigs")
    if isinstance(configs, list):
        out["auditConfigs"] = [_camel_audit_config(c) if isinstance(c, dict) else c for c in configs]
    return out


def _camel_audit_config(config: dict[str, Any]) -> dict[str, Any]:
    out = {_POLICY_CAMEL.get(k, k): v for k, v in config.items()}
    logs = out.get("auditLogConfigs")
    if isinstance(logs, list):
        out["auditLogConfigs"] = [
            {_POLICY_CAMEL.get(k, k): v for k, v in log.items()} if isinstance(log, dict) else log
            for log in logs
        ]
    return out


def normalize_asset(asset: dict[str, Any]) -> dict[str, Any]:
    """Snake_case top-level and `resource` keys; `resource.data` (the resource's REST form) as is."""
    out = _snake_keys(asset)
    resource = out.get("resource")
    if isinstance(resource, dict):
        out["resource"] = _snake_keys(resource)
    policy = out.get("iam_policy")
    if isinstance(policy, dict):
        out["iam_policy"] = _camel_policy(policy)
    return out


def _check_readable(path: Path) -> None:
    if not path.is_file():
        raise InputError(f"{path}: no such export file.", "Give the path of a `gcloud asset export` file.")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the export file is empty.", "Re-run `gcloud asset export`.")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read the export file ({e.strerror or e}).") from None


def _normalize_parsed(value: dict[str, Any], names: _Names) -> dict[str, Any]:
    """normalize_asset for a freshly parsed asset, which it may update in place."""
    out = _snake_keys_cached(value, names)
    resource = out.get("resource")
    if isinstance(resource, dict):
        out["resource"] = _snake_keys_cached(resource, names)
    policy = out.get("iam_policy")
    if isinstance(policy, dict):
        out["iam_policy"] = _camel_policy(policy)
    return out


_Names = dict[tuple[str, ...], tuple[str, ...] | None]
"""The snake_case names of each key sequence seen (None: the keys are their own), one map per chunk."""


def _snake_keys_cached(value: dict[str, Any], names: _Names) -> dict[str, Any]:
    """_snake_keys(value), but `value` itself where its keys are snake_case already."""
    keys = tuple(value)
    try:
        snaked = names[keys]
    except KeyError:
        snaked = tuple(snake(k) for k in keys)
        snaked = names[keys] = None if snaked == keys else snaked
    return value if snaked is None else dict(zip(snaked, value.values(), strict=True))


def _parse(line: bytes, fast: bool, names: _Names) -> tuple[dict[str, Any] | str, bool]:
    """(the normalized asset, or why the line is not one; whether orjson parsed it).

    `fast`: try orjson first; `json` has the say on whatever orjson does not read as an object.
    """
    value: Any = None
    if fast:
        try:
            value = fast_loads(line)
        except ValueError:  # NaN, a BOM, a lone surrogate, not JSON...
            value = None
    parsed_fast = isinstance(value, dict)
    if not parsed_fast:
        try:
            value = json.loads(line)
        except RecursionError:
            return f"not valid JSON (nested more than {MAX_DEPTH} levels deep)", True
        except ValueError as e:  # JSONDecodeError and UnicodeDecodeError
            return f"not valid JSON ({e})", True
        if not isinstance(value, dict):
            return f"not a JSON object (a {type(value).__name__})", True
    # Deeper values could not be stored or read back without overflowing the stack. Only a line with
    # that many brackets can be that deep, and counting them costs next to nothing.
    if line.count(b"[") + line.count(b"{") > MAX_DEPTH and too_deep(value):
        return f"not valid JSON (nested more than {MAX_DEPTH} levels deep)", True
    asset = _normalize_parsed(value, names)
    if not isinstance(asset.get("name"), str) or not isinstance(asset.get("asset_type"), str):
        return "not an asset (no name or asset_type)", True
    return asset, parsed_fast


def _chunks(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(first line, last line, the chunk's bytes) per CHUNK_LINES lines."""
    start, first, size = 0, 1, len(data)
    while start < size:
        end, count = start, 0
        while count < CHUNK_LINES and end < size:
            found = data.find(b"\n", end)
            end = size if found < 0 else found + 1
            count += 1
        yield first, first + count - 1, data[start:end]
        start, first = end, first + count


def _parse_chunk(
    chunk: bytes, first: int, fast: bool
) -> tuple[list[tuple[int, str]], list[dict[str, Any]], bool]:
    """(malformed lines: number and why; the assets; whether orjson parsed every one of them)."""
    names: _Names = {}
    malformed: list[tuple[int, str]] = []
    assets: list[dict[str, Any]] = []
    lines = chunk.split(b"\n")
    tail = lines.pop()  # the file's last line when it has no line end, else empty
    numbered = [(first + i, line + b"\n") for i, line in enumerate(lines)]  # json counts the line end
    numbered.append((first + len(lines), tail))
    for number, line in numbered:
        if line.strip():
            parsed, parsed_fast = _parse(line, fast, names)
            if isinstance(parsed, str):
                malformed.append((number, parsed))
            else:
                assets.append(parsed)
                fast = fast and parsed_fast
    return malformed, assets, fast


def _fast_page(assets: list[dict[str, Any]]) -> bytes | None:
    """canonical_bytes(to_jsonable({"assets": assets})) of assets orjson parsed, or None where orjson's
    values may not be json's (a float or a big integer in them)."""
    page = {"assets": assets}
    try:
        data = fast_canonical(page)
    except TypeError:  # an integer beyond 64 bits or a lone surrogate
        return None
    if holds_float(data):
        return None
    # Without floats orjson's values are json's: to_jsonable changes them only where it drops secret and
    # transport fields, and in canonical JSON each key is written `"name":`.
    return canonical_bytes(to_jsonable(page)) if _DROPPED_KEY.search(data) else data


def _canonical_page(
    chunk: bytes, first: int
) -> tuple[list[tuple[int, str]], bytes | None, tuple[str, bytes] | None]:
    """(malformed lines; the chunk's assets page as canonical JSON, and its address and gzip stream;
    None, None if it has no assets).

    Parsed by orjson, or by json where orjson's values may differ. Pure, so that it runs in a worker.
    """
    malformed, assets, fast = _parse_chunk(chunk, first, fast=True)
    if not assets:
        return malformed, None, None
    data = _fast_page(assets) if fast else None
    if data is None:
        malformed, assets, _ = _parse_chunk(chunk, first, fast=False)
        data = canonical_bytes(to_jsonable({"assets": assets}))
    return malformed, data, prepare(data)


def _workers(data: bytes) -> int:
    """Worker processes for the chunks of `data`: none (all in this process) for a few chunks, where
    starting them would cost more than it saves, or where processes cannot be forked."""
    if data.count(b"\n") < POOL_MIN_CHUNKS * CHUNK_LINES or "fork" not in get_all_start_methods():
        return 0
    cpus = os.cpu_count() or 1
    return min(cpus, MAX_WORKERS) if cpus > 1 else 0


def import_export(path: Path, sink: EvidenceSink) -> int:
    """One export file into the run; returns the number of malformed lines (each recorded as an error)."""
    _check_readable(path)
    data = _read(path)
    if data.isspace():
        raise InputError(f"{path}: the export file holds no assets (only blank lines).")
    name = path.name

    def record(operation: str, parameters: dict[str, Any], page: int = 1) -> Call:
        return Call(
            provider="gcp",
            account=f"export:{name}",
            region="global",
            service="cloudasset",
            operation=operation,
            parameters=parameters,
            page=page,
        )

    def malformed_line(number: int, why: str) -> None:
        sink.record_error(
            record("ImportExport", {"file": name, "line": number}),
            CallError(code="MalformedLine", message=f"{path} line {number}: {why}"),
            now(),
        )

    if not isinstance(sink, RunWriter):  # a sink that wants the parsed values
        sink.record_bytes(record("ExportFile", {"file": name}), data, now())
        malformed = 0
        for page, (first, last, chunk) in enumerate(_chunks(data), start=1):
            errors, assets, _ = _parse_chunk(chunk, first, fast=False)
            for number, why in errors:
                malformed_line(number, why)
            malformed += len(errors)
            if assets:
                parameters = {"file": name, "first_line": first, "last_line": last}
                sink.record_response(record("ImportExport", parameters, page), {"assets": assets}, now())
        return malformed
    return _import_canonical(data, name, sink, record, malformed_line)


def _import_canonical(
    data: bytes,
    name: str,
    writer: RunWriter,
    record: Callable[..., Call],
    malformed_line: Callable[[int, str], None],
) -> int:
    """The export into a run writer: each chunk parsed, made canonical and compressed in worker processes
    (large exports) while this process compresses the file itself on a thread and writes the objects."""
    file_call, file_seen = record("ExportFile", {"file": name}), now()
    workers = _workers(data)
    malformed = 0
    # Forked, not spawned: a worker starts in milliseconds and needs no importable `__main__`. Forked before
    # this function starts its thread (ProcessPoolExecutor forks every worker at the first submit).
    with contextlib.ExitStack() as stack:
        pool = (
            stack.enter_context(ProcessPoolExecutor(workers, mp_context=get_context("fork")))
            if workers
            else None
        )
        thread = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="trustctl-import"))
        file_prepared: Future[Prepared] | None = None
        pending: deque[tuple[int, int, int, Future[Any]]] = deque()

        def finish() -> None:
            nonlocal malformed
            page, first, last, result = pending.popleft()
            errors, page_data, prepared = result.result()
            for number, why in errors:
                malformed_line(number, why)
            malformed += len(errors)
            if page_data is not None:
                parameters = {"file": name, "first_line": first, "last_line": last}
                writer.record_bytes(record("ImportExport", parameters, page), page_data, now(), prepared)

        for page, (first, last, chunk) in enumerate(_chunks(data), start=1):
            if pool is not None:
                result = pool.submit(_canonical_page, chunk, first)
            else:
                result = Future()
                result.set_result(_canonical_page(chunk, first))
            pending.append((page, first, last, result))
            if file_prepared is None:  # the file is hashed and compressed on a thread (both release the GIL)
                file_prepared = thread.submit(prepare, data)
            if len(pending) > 2 * max(workers, 1):
                finish()
        while pending:
            finish()
        prepared = file_prepared.result() if file_prepared is not None else prepare(data)
        writer.record_bytes(file_call, data, file_seen, prepared)
    return malformed


def check_exports(paths: list[Path]) -> None:
    """A missing or empty export file is an InputError: checked before a run is begun."""
    for path in paths:
        _check_readable(path)


def import_exports(paths: list[Path], sink: EvidenceSink) -> int:
    """Every export file into the run; returns the number of malformed lines across them.

    A missing, unreadable or empty file is an InputError (checked for all files before any is read).
    """
    check_exports(paths)
    return sum(import_export(path, sink) for path in paths)
