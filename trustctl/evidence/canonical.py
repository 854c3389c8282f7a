"""Canonical JSON and hashing for evidence, with secret-bearing fields dropped before hashing.

The same API response always produces the same bytes (sorted keys, no whitespace, UTC times), so
identical responses across runs are stored once and a hash proves what was seen.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from trustctl.timeutil import utc_iso

# Fields that may carry secret values in AWS responses. They are dropped, never stored.
SECRET_FIELDS = frozenset(
    {
        "SecretAccessKey",
        "SessionToken",
        "Password",
        "PrivateKey",
        "SecretString",
        "SecretBinary",
        "UserData",
        "Variables",  # Lambda environment values
        "MasterUserPassword",
        "AuthToken",
    }
)
# Transport metadata differs on every call (request ids, retries) and would defeat deduplication.
TRANSPORT_FIELDS = frozenset({"ResponseMetadata"})


def to_jsonable(value: Any) -> Any:
    """Turn a boto3-shaped response into plain JSON values, dropping secrets and transport data."""
    # Exact built-in types first: most values are, and isinstance against ABCs is slow at scale.
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is list:
        return [to_jsonable(v) for v in value]
    if kind is dict:
        return {
            (k if type(k) is str else str(k)): to_jsonable(v)
            for k, v in value.items()
            if k not in SECRET_FIELDS and k not in TRANSPORT_FIELDS
        }
    if isinstance(value, Mapping):
        return {
            str(k): to_jsonable(v)
            for k, v in value.items()
            if k not in SECRET_FIELDS and k not in TRANSPORT_FIELDS
        }
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def canonical_bytes(value: Any) -> bytes:
    """Canonical JSON bytes of an already JSON-able value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
