"""GCP logging checks: data-access audit logs on every project."""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustctl.controls.registry import Context, Statement, Verdicts, check, verdicts


@check(
    "gcp.logging.audit_logs",
    resource="gcp.project",
    control="LOG-01",
    severity="high",
    title="Projects record data-access audit logs for all services",
    fix="Enable DATA_READ and DATA_WRITE audit logs for allServices in the organization's (or the "
    "project's) IAM policy auditConfigs.",
    statement=Statement("logging", "GCP projects", "keep data-access audit logs"),
)
def logging_audit_logs(projects: pd.DataFrame, ctx: Context) -> Verdicts:
    def verdict(r: Any) -> bool | None:
        if all(t in r.audit_log_types for t in ("DATA_READ", "DATA_WRITE")):
            return True
        return None if r.missing_policies else False

    ok = pd.Series([verdict(r) for r in projects.itertuples(index=False)], index=projects.index, dtype=object)

    def where(r: Any) -> str:
        return "; ".join(f"{t} on {', '.join(r.audit_sources[t])}" for t in ("DATA_READ", "DATA_WRITE"))

    def missing(r: Any) -> str:
        return ", ".join(t for t in ("DATA_READ", "DATA_WRITE") if t not in r.audit_log_types)

    return verdicts(
        projects,
        ok,
        passed=lambda r: f"{r.resource} records data-access audit logs for allServices ({where(r)})",
        failed=lambda r: (
            f"{r.resource} does not record {missing(r)} audit logs for allServices, on the "
            "project or any ancestor"
        ),
        unknown=lambda r: (
            f"{r.resource} does not record {missing(r)} audit logs itself, and the IAM policy "
            f"of {', '.join(r.missing_policies)} is not in the evidence"
        ),
    )
