"""Reading S3 bucket policies: which parts of a bucket deny every request made without TLS.

A bucket is TLS-only when its policy has a Deny for everyone, on every S3 action, under the sole
condition that `aws:SecureTransport` is false, and those statements cover both the bucket and all
of its objects. A deny narrowed by any other condition, principal or action does not count.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

ALL_ACTIONS = frozenset({"*", "s3:*"})
TLS_OPERATORS = frozenset({"bool", "boolifexists"})
SECURE_TRANSPORT = "aws:securetransport"


@dataclass(frozen=True)
class TlsDeny:
    """Whether plain-HTTP requests are denied on the bucket itself and on all of its objects."""

    bucket: bool = False
    objects: bool = False


def parse_policy(text: Any) -> dict[str, Any] | None:
    """The policy document of a GetBucketPolicy response (a JSON string), or None if unreadable."""
    if isinstance(text, dict):
        return text
    try:
        parsed = json.loads(text)
    except (TypeError, ValueError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _is_everyone(statement: dict[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return False
    principal = statement.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, dict) and set(principal) == {"AWS"} and _listed(principal["AWS"]) == ["*"]


def _is_false(value: Any) -> bool:
    return str(value).lower() == "false"


def _only_insecure_transport(condition: Any) -> bool:
    """The condition is exactly `aws:SecureTransport` = false (Bool or BoolIfExists), nothing else."""
    if not isinstance(condition, dict) or len(condition) != 1:
        return False
    [(operator, keys)] = condition.items()
    if str(operator).lower() not in TLS_OPERATORS or not isinstance(keys, dict) or len(keys) != 1:
        return False
    [(key, values)] = keys.items()
    values = _listed(values)
    return str(key).lower() == SECURE_TRANSPORT and bool(values) and all(_is_false(v) for v in values)


def _denies_insecure_transport(statement: Any) -> bool:
    if not isinstance(statement, dict) or statement.get("Effect") != "Deny" or "NotAction" in statement:
        return False
    actions = {str(a).lower() for a in _listed(statement.get("Action"))}
    return (
        _is_everyone(statement)
        and bool(actions & ALL_ACTIONS)
        and _only_insecure_transport(statement.get("Condition"))
    )


def _regex(pattern: str) -> str:
    """IAM resource matching: `*` any run of characters, `?` one character, nothing else special."""
    return re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")


def _covers_bucket(pattern: str, bucket_arn: str) -> bool:
    return re.fullmatch(_regex(pattern), bucket_arn) is not None


def _covers_every_object(pattern: str, bucket_arn: str) -> bool:
    """True when the pattern matches `bucket/KEY` for every key: it ends in `*` and what comes
    before that star matches the start of `bucket/` (so the star takes the rest and any key)."""
    if not pattern.endswith("*"):
        return False
    return re.match(_regex(pattern.rstrip("*")), f"{bucket_arn}/") is not None


def tls_deny(policy: dict[str, Any] | None, bucket_arn: str) -> TlsDeny:
    """Where `policy` denies plain-HTTP requests: on the bucket, and on every object (`bucket/*`)."""
    if not policy:
        return TlsDeny()
    resources = [
        str(resource)
        for statement in _listed(policy.get("Statement"))
        if _denies_insecure_transport(statement) and "NotResource" not in statement
        for resource in _listed(statement.get("Resource"))
    ]
    return TlsDeny(
        bucket=any(_covers_bucket(r, bucket_arn) for r in resources),
        objects=any(_covers_every_object(r, bucket_arn) for r in resources),
    )
