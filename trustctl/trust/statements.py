"""The trust report's vocabulary: control areas, and the plain-language statement of each check.

Each check declares its own sentence (`@check(..., statement=Statement(...))`); STATEMENTS gathers them
from the registry. This is the allow-list: the report says only what these statements say, filled with
counts and a date. A check without one still counts towards its area's totals but is never quoted.
"""

from __future__ import annotations

from trustctl.controls.registry import Statement, all_checks

__all__ = ["AREAS", "FAMILY_AREA", "STATEMENTS", "Statement"]

AREAS: dict[str, str] = {
    "access": "Access control",
    "encryption": "Encryption",
    "backup": "Backup and recovery",
    "logging": "Logging and monitoring",
    "network": "Network exposure",
    "isolation": "Customer isolation and data residency",
    "people": "People and offboarding",
}
FAMILY_AREA = {
    "AC": "access",
    "IAM": "access",
    "CRY": "encryption",
    "BCK": "backup",
    "AVL": "backup",
    "LOG": "logging",
    "NET": "network",
    "ISO": "isolation",
    "HR": "people",
}


# Statements by check id, from the checks' declarations.
STATEMENTS: dict[str, Statement] = {
    check_id: spec.statement for check_id, spec in all_checks().items() if spec.statement is not None
}
