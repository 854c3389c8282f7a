"""Tenants: which data stores hold each customer's data, and what protects them.

A store belongs to a tenant when it is in one of the tenant's AWS accounts or GCP projects, or carries
its tag or label. One row per configured tenant (resource `tenant:NAME`) lists its stores with their
compartment (account or project), region, key (customer-managed or not, rotating or not), backup
selections, native backups and newest recovery point, and the other tenants that share the same
compartments, stores or keys. Checks judge the row; the trust report's customer view reads it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from trustctl.config import TenantConfig
from trustctl.facts.aws_datastores import DATASTORE
from trustctl.facts.base import DETAIL_ERRORS, GLOBAL, MEMBERS, FactTable, ScopeKey, present

TENANT = "isolation.tenant"
PROVIDER = "isolation"
SNAPSHOTS = frozenset({"aws.ebs.snapshot", "aws.rds.db_snapshot"})
COLUMNS = ["name", "isolation", "require_cmk", "regions", "stores", "claimed"]
KEY_COLUMNS = ("kms_key", "kms_key_id")


def _split_tag(text: str) -> tuple[str, str]:
    for separator in ("=", ":"):
        if separator in text:
            key, _, value = text.partition(separator)
            return key.strip(), value.strip()
    return text, ""


def _value(row: Mapping[str, Any], column: str) -> Any:
    return present(row.get(column))


def _keys(tables: Mapping[str, FactTable]) -> dict[tuple[str, str], dict[str, Any]]:
    """KMS keys by (account, key id) and by (account, alias name)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    table = tables.get("aws.kms.key")
    if table is None:
        return found
    for key in table.frame.to_dict("records"):
        found[(key["account"], key["key_id"])] = key
        for alias in key.get("aliases") or []:
            found[(key["account"], alias)] = key
    return found


def _key_of(
    row: Mapping[str, Any], keys: dict[tuple[str, str], dict[str, Any]]
) -> tuple[str, str, dict[str, Any] | None] | None:
    """(as recorded, key id, the key's facts if KMS listed it) of the store's KMS key; None if it has none."""
    raw = next((_value(row, c) for c in KEY_COLUMNS if _value(row, c)), None)
    if raw is None:
        return None
    text = str(raw)
    key_id = text.split("key/", 1)[1] if "key/" in text else text.split(":", 5)[-1]
    return text, key_id, keys.get((str(row["account"]), key_id)) or keys.get((str(row["account"]), text))


def _key_facts(row: Mapping[str, Any], keys: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    """The store's key: id (for sharing between tenants), managed by the customer or AWS, rotating."""
    found = _key_of(row, keys)
    if found is None:  # no KMS key recorded: SSE-S3, DynamoDB's AWS-owned key, or not encrypted at all
        return {"key": None, "cmk": False, "key_rotation": None}
    text, key_id, key = found
    if key is None and text.startswith(("alias/aws/", "arn:aws:kms")) and "alias/aws/" in text:
        return {"key": text, "cmk": False, "key_rotation": True}
    if key is None:  # a key in another account, or one KMS did not list: not provably the customer's own
        return {"key": key_id, "cmk": None, "key_rotation": None}
    return {
        "key": key["key_id"],
        "cmk": key.get("manager") == "CUSTOMER",
        "key_rotation": key.get("rotation_enabled"),
    }


def _stores(tables: Mapping[str, FactTable], types: Sequence[str]) -> list[dict[str, Any]]:
    keys = _keys(tables)
    selections: dict[str, list[str]] = {}
    derived = tables.get(DATASTORE)
    if derived is not None:
        selections = {
            str(r.resource): list(r.backup_selections) for r in derived.frame.itertuples(index=False)
        }
    points: dict[str, Any] = {}
    protected = tables.get("aws.backup.protected_resource")
    if protected is not None:
        points = {str(r.resource): r.newest_completed for r in protected.frame.itertuples(index=False)}
    stores = []
    for store_type in types:
        table = tables.get(store_type)
        if table is None:
            continue
        for row in table.frame.to_dict("records"):
            provider = str(row["provider"])
            tags = row.get("tags") if isinstance(row.get("tags"), dict) else {}
            newest = points.get(str(row["resource"]))
            stores.append(
                {
                    "store": str(row["resource"]),
                    "type": store_type,
                    "provider": provider,
                    "compartment": str(_value(row, "project") or row["account"]),
                    "region": str(_value(row, "location") or row["region"]).lower()
                    if provider == "gcp"
                    else str(row["region"]),
                    "tags": {str(k): str(v) for k, v in tags.items()},
                    "snapshot": store_type in SNAPSHOTS,
                    **(
                        _key_facts(row, keys)
                        if provider == "aws"
                        else {"key": None, "cmk": None, "key_rotation": None}
                    ),
                    "backup_selections": selections.get(str(row["resource"]), []),
                    "retention_days": _value(row, "backup_retention_days"),
                    "pitr": _value(row, "pitr_status"),
                    "gcp_backups": _value(row, "backups_enabled"),
                    "newest_recovery_point": None
                    if newest is None or pd.isna(newest)
                    else pd.Timestamp(newest).isoformat(),
                    "unknown": _unknown(row, keys),
                }
            )
    return stores


# Detail calls whose failure leaves a store's tags unknown: a tenant recognised by tag may own it.
TAG_CALLS = frozenset({"GetBucketTagging", "ListTagsOfResource", "ListTagsForResource"})


def _unknown(row: Mapping[str, Any], keys: dict[tuple[str, str], dict[str, Any]]) -> dict[str, str]:
    """What could not be read about a store (operation -> why): its own detail calls, and its KMS key's.
    A tenant's facts built on a store with a gap are unknown, never judged on the missing fact."""
    found = dict(row[DETAIL_ERRORS]) if isinstance(row.get(DETAIL_ERRORS), dict) else {}
    key = _key_of(row, keys) if str(row.get("provider")) == "aws" else None
    if key is not None and key[2] is not None and isinstance(key[2].get(DETAIL_ERRORS), dict):
        found.update(key[2][DETAIL_ERRORS])
    return found


def _claims(store: dict[str, Any], tenant: TenantConfig) -> bool:
    if store["provider"] == "aws":
        if store["compartment"] in tenant.aws_accounts:
            return True
        if tenant.tag:
            key, value = _split_tag(tenant.tag)
            return bool(store["tags"].get(key) == value)
        return False
    if store["compartment"] in tenant.gcp_projects:
        return True
    return any(store["tags"].get(k) == v for k, v in map(_split_tag, tenant.gcp_labels))


def _errors(tables: Mapping[str, FactTable], types: Sequence[str], tenant: TenantConfig) -> list[str]:
    """Listing failures that could hide one of the tenant's stores."""
    reasons: list[str] = []
    for store_type in types:
        table = tables.get(store_type)
        for (provider, account, region), found in table.errors.items() if table else []:
            # Unlisted member accounts may be the tenant's own accounts.
            unlisted = region == MEMBERS and bool(tenant.aws_accounts)
            own = unlisted or account in tenant.aws_accounts or account in tenant.gcp_projects
            by_tag = (provider == "aws" and bool(tenant.tag)) or (
                provider == "gcp" and bool(tenant.gcp_labels)
            )
            if own or by_tag:
                reasons += found
    return list(dict.fromkeys(reasons))


def derive_tenants(
    tables: Mapping[str, FactTable], tenants: Sequence[TenantConfig], types: Sequence[str]
) -> FactTable:
    """One row per tenant; empty with no scopes when no tenants are configured."""
    stores = _stores(tables, types)
    owners: dict[str, list[str]] = defaultdict(list)
    for store in stores:
        for tenant in tenants:
            if _claims(store, tenant):
                owners[store["store"]].append(tenant.name)
    key_users: dict[str, set[str]] = defaultdict(set)  # key id -> tenants whose stores it encrypts
    for store in stores:
        if store["key"]:
            key_users[store["key"]] |= set(owners[store["store"]])
    rows, scopes, errors = [], [], {}
    for tenant in tenants:
        scope: ScopeKey = (PROVIDER, f"tenant:{tenant.name}", GLOBAL)
        scopes.append(scope)
        hidden = _errors(tables, types, tenant)
        for store in stores:
            gaps = store["unknown"]
            mine = tenant.name in owners[store["store"]]
            # A store whose tags are unknown may be a tagged tenant's, in a compartment it shares.
            maybe = bool(tenant.tag) and store["provider"] == "aws" and bool(TAG_CALLS & set(gaps))
            if mine or maybe:
                hidden += [f"{store['store']}: {why}" for why in gaps.values()]
        hidden = list(dict.fromkeys(hidden))
        if hidden:
            errors[scope] = hidden
        own = [
            {
                **s,
                "tenants": owners[s["store"]],
                "key_shared_with": sorted(key_users[s["key"]] - {tenant.name}) if s["key"] else [],
            }
            for s in stores
            if tenant.name in owners[s["store"]]
        ]
        claimed: dict[str, list[str]] = {}  # compartment -> other tenants with stores there or claiming it
        compartments = {s["compartment"] for s in own}
        for other in tenants:
            if other.name == tenant.name:
                continue
            for compartment in compartments:
                theirs = (
                    compartment in other.aws_accounts
                    or compartment in other.gcp_projects
                    or any(
                        other.name in owners[s["store"]] for s in stores if s["compartment"] == compartment
                    )
                )
                if theirs:
                    claimed.setdefault(compartment, []).append(other.name)
        rows.append(
            {
                "provider": PROVIDER,
                "account": f"tenant:{tenant.name}",
                "region": GLOBAL,
                "resource": f"tenant:{tenant.name}",
                "evidence": [],
                "name": tenant.name,
                "isolation": tenant.isolation,
                "require_cmk": tenant.require_cmk,
                "regions": list(tenant.regions),
                "stores": own,
                "claimed": claimed,
                "declared_accounts": list(tenant.aws_accounts) + list(tenant.gcp_projects),
            }
        )
    frame = pd.DataFrame(
        rows, columns=["provider", "account", "region", "resource", "evidence", *COLUMNS, "declared_accounts"]
    )
    return FactTable(TENANT, frame, scopes, errors)
