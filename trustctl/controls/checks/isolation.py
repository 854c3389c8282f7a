"""Per-tenant checks: each configured customer's data is isolated at the level promised, under keys no
other customer shares, in its regions, and backed up. Resource: `tenant:NAME`; reasons count stores and
name regions and compartments' owners, never resource names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd

from trustctl.controls.registry import Context, Statement, Verdicts, check, judge_rows

Judge = Callable[[Any, Context], tuple[bool | None, str]]


def _apply(rows: pd.DataFrame, ctx: Context, judge: Judge, not_applicable: str | None = None) -> Verdicts:
    return judge_rows(rows, lambda row: judge(row, ctx), not_applicable)


def _data(row: Any) -> list[dict[str, Any]]:
    return [s for s in row.stores if not s["snapshot"]]


def _none_found(row: Any) -> tuple[None, str]:
    return None, (
        f"{row.resource}: no data store was recognised as this tenant's; check its aws_accounts, tag, "
        "gcp_projects or gcp_labels in [[tenants]]"
    )


def _dedicated(row: Any, ctx: Context) -> tuple[bool | None, str]:
    stores = row.stores
    if not stores:
        return _none_found(row)
    n = len(stores)
    if row.isolation == "shared":
        return (
            True,
            f"{row.resource}: isolation level shared (logical, in the application); {n} data store(s) found",
        )
    if row.isolation == "database":
        shared = [s for s in stores if len(s["tenants"]) > 1]
        if shared:
            others = sorted({t for s in shared for t in s["tenants"]} - {row.name})
            return False, (
                f"{row.resource}: {len(shared)} of {n} data stores also hold data of {', '.join(others)} "
                "(isolation level database promised)"
            )
        return (
            True,
            f"{row.resource}: all {n} data stores hold this tenant's data only (isolation level database)",
        )
    outside = [s for s in stores if s["compartment"] not in row.declared_accounts]
    problems = []
    if row.claimed:
        others = sorted({t for names in row.claimed.values() for t in names})
        problems.append(f"{len(row.claimed)} of its accounts/projects also hold data of {', '.join(others)}")
    if outside:
        problems.append(f"{len(outside)} of {n} data stores are outside its own accounts/projects")
    if problems:
        return False, f"{row.resource}: " + "; ".join(problems) + " (isolation level account promised)"
    compartments = len({s["compartment"] for s in stores})
    return True, (
        f"{row.resource}: all {n} data stores are in {compartments} account(s)/project(s) no other tenant uses"
    )


@check(
    "isolation.tenant_dedicated",
    resource="isolation.tenant",
    control="ISO-02",
    severity="high",
    title="Each tenant's data is isolated at the level promised (shared, database, account)",
    fix="Move the tenant's data into the compartments promised (its own databases or its own accounts), "
    "or correct the isolation level in [[tenants]] to what the contract says.",
    statement=Statement("isolation", "customers", "are isolated at the level promised to them"),
)
def tenant_dedicated(rows: pd.DataFrame, ctx: Context) -> Verdicts:
    return _apply(rows, ctx, _dedicated)


def _cmk(row: Any, ctx: Context) -> tuple[bool | None, str]:
    stores = _data(row)
    if not stores:
        return _none_found(row)
    n = len(stores)
    unknown = [s for s in stores if s["cmk"] is None]
    not_cmk = [s for s in stores if s["cmk"] is False]
    shared_keys = sorted({t for s in stores for t in s.get("key_shared_with", [])})
    if not_cmk:
        return (
            False,
            f"{row.resource}: {len(not_cmk)} of {n} data stores are not encrypted with a customer-managed key",
        )
    if shared_keys:
        return False, f"{row.resource}: its keys also encrypt data of {', '.join(shared_keys)}"
    if unknown:
        return None, f"{row.resource}: for {len(unknown)} of {n} data stores the key is not in the evidence"
    keys = len({s["key"] for s in stores})
    return (
        True,
        f"{row.resource}: all {n} data stores use {keys} customer-managed key(s) no other tenant uses",
    )


@check(
    "isolation.tenant_cmk",
    resource="isolation.tenant",
    control="CRY-03",
    severity="high",
    title="Tenants that require it have their data encrypted with customer-managed keys of their own",
    fix="Create a KMS key per tenant and re-encrypt the tenant's stores with it (snapshot and restore for "
    "volumes and databases, a copy for buckets).",
    statement=Statement("encryption", "customers requiring their own keys", "have keys of their own"),
)
def tenant_cmk(rows: pd.DataFrame, ctx: Context) -> Verdicts:
    wanted = rows[rows.require_cmk.astype(bool)]
    return _apply(
        wanted, ctx, _cmk, "the tenant does not require customer-managed keys (require_cmk = false)"
    )


def _allowed(row: Any, ctx: Context) -> list[str]:
    return list(row.regions) or list(ctx.policy.allowed_regions)


def _residency(row: Any, ctx: Context) -> tuple[bool | None, str]:
    if not row.stores:
        return _none_found(row)
    allowed = _allowed(row, ctx)
    lowered = {a.lower() for a in allowed}
    outside = [s for s in row.stores if s["region"].lower() not in lowered]
    regions = sorted({s["region"] for s in row.stores})
    if outside:
        where = sorted({s["region"] for s in outside})
        return False, (
            f"{row.resource}: {len(outside)} of {len(row.stores)} data stores are in {', '.join(where)}, "
            f"outside {', '.join(allowed)}"
        )
    return True, f"{row.resource}: all {len(row.stores)} data stores are in {', '.join(regions)}"


@check(
    "isolation.tenant_residency",
    resource="isolation.tenant",
    control="ISO-01",
    severity="high",
    title="Each tenant's data stays in the regions promised to it",
    fix="Move the stores outside the tenant's regions (or their replicas) back into them, and restrict "
    "the tenant's accounts with a region-deny SCP.",
    statement=Statement("isolation", "customers", "have their data in their own regions"),
)
def tenant_residency(rows: pd.DataFrame, ctx: Context) -> Verdicts:
    wanted = rows[[bool(_allowed(r, ctx)) for r in rows.itertuples(index=False)]]
    return _apply(wanted, ctx, _residency, "no regions are set for the tenant nor in policy.allowed_regions")


def backed_up(store: dict[str, Any], ctx: Context) -> tuple[bool, str]:
    """Whether one store is covered by backups meeting policy, and how."""
    policy = ctx.policy
    newest = store.get("newest_recovery_point")
    if newest:
        age = (pd.Timestamp(ctx.as_of) - pd.Timestamp(newest)).total_seconds() / 3600
        if age <= policy.max_recovery_point_age_hours:
            return True, "AWS Backup recovery point"
    if store["backup_selections"] and not newest:
        return True, "AWS Backup plan"
    retention = store.get("retention_days")
    if retention is not None and retention >= policy.min_backup_retention_days:
        return True, "automated backups"
    if store.get("pitr") == "ENABLED":
        return True, "point-in-time recovery"
    if store.get("gcp_backups"):
        return True, "automated backups"
    return False, "none meeting policy"


def _backups(row: Any, ctx: Context) -> tuple[bool | None, str]:
    stores = _data(row)
    if not stores:
        return _none_found(row)
    missing = [s for s in stores if not backed_up(s, ctx)[0]]
    if missing:
        return False, (
            f"{row.resource}: {len(missing)} of {len(stores)} data stores have no backup meeting policy "
            f"(recovery point within {ctx.policy.max_recovery_point_age_hours} h, or retention of "
            f"{ctx.policy.min_backup_retention_days} days)"
        )
    return True, f"{row.resource}: all {len(stores)} data stores are backed up as policy requires"


@check(
    "isolation.tenant_backups",
    resource="isolation.tenant",
    control="BCK-01",
    severity="high",
    title="Each tenant's data stores are covered by backups meeting policy",
    fix="Assign the tenant's stores to an AWS Backup plan (by tag), or enable automated backups and "
    "point-in-time recovery with the policy's retention.",
    statement=Statement("backup", "customers", "have every data store backed up"),
)
def tenant_backups(rows: pd.DataFrame, ctx: Context) -> Verdicts:
    return _apply(rows, ctx, _backups)


def newest_recovery_point(stores: list[dict[str, Any]]) -> datetime | None:
    times = [pd.Timestamp(s["newest_recovery_point"]) for s in stores if s.get("newest_recovery_point")]
    return max(times).to_pydatetime() if times else None
