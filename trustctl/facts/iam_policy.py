"""Reading IAM policy documents (pure): which statements grant wildcard actions or full admin."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

SERVICE_WILDCARD = re.compile(r"^[A-Za-z0-9-]+:\*$")
ADMIN_POLICY_ARN = re.compile(r"^arn:aws[\w-]*:iam::aws:policy/AdministratorAccess$")


def document(value: Any) -> dict[str, Any]:
    """A policy document as a dict, whether it arrived parsed, as JSON text, or URL-encoded."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        text = value if value.lstrip().startswith("{") else unquote(value)
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def allow_statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _as_list(doc.get("Statement")) if isinstance(s, dict) and s.get("Effect") == "Allow"]


def _on_everything(statement: dict[str, Any]) -> bool:
    return "*" in _as_list(statement.get("Resource")) and "NotResource" not in statement


def wildcard_grants(doc: dict[str, Any]) -> list[str]:
    """Wildcard actions (`*`, `service:*`, or an Allow with NotAction) granted on every resource."""
    found: list[str] = []
    for statement in allow_statements(doc):
        if not _on_everything(statement):
            continue
        for action in _as_list(statement.get("Action")):
            if action == "*" or SERVICE_WILDCARD.match(str(action)):
                found.append(str(action))
        if "NotAction" in statement:
            found.append("NotAction " + ",".join(map(str, _as_list(statement["NotAction"]))))
    return sorted(set(found))


def grants_full_admin(doc: dict[str, Any]) -> bool:
    """True when a statement allows every action (`*` or `*:*`) on every resource."""
    return any(
        _on_everything(s) and any(a in ("*", "*:*") for a in _as_list(s.get("Action")))
        for s in allow_statements(doc)
    )


def is_admin_policy_arn(arn: str) -> bool:
    return bool(ADMIN_POLICY_ARN.match(arn))
