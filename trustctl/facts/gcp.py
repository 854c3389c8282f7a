"""GCP facts from Cloud Asset Inventory: one table per asset type the checks read.

Every table is built from the same merged assets (see gcp_assets), from live ListAssets pages and
imported export files alike. A failed page, or a malformed line of an export, makes every table's
results for that scope `error`: an asset that could not be read is never taken for one that is not
there. Data stores carry their location in `region` (`europe-west1`, `EU`, `US`), the column the
residency check reads; every other table is `global`.

What each table reads of a resource is taken once, when its chunk is parsed (EXTRACTORS); the
tables are then built column by column from those facts.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import pandas as pd

from trustctl.evidence.gcpause import gc_paused
from trustctl.facts.base import BASE_COLUMNS, Evidence, Normalizer
from trustctl.facts.gcp_assets import (
    BASE,
    PROVIDER,
    SEARCH_POLICIES,
    SOURCES,
    Asset,
    Extract,
    ancestor_name,
    as_objects,
    asset_table,
    bindings,
    collect_assets,
    region_of,
    release_assets,
    searched_policies,
)

PROJECT = "cloudresourcemanager.googleapis.com/Project"
BUCKET = "storage.googleapis.com/Bucket"
SQL = "sqladmin.googleapis.com/Instance"
CRYPTO_KEY = "cloudkms.googleapis.com/CryptoKey"
FIREWALL = "compute.googleapis.com/Firewall"
SERVICE_ACCOUNT = "iam.googleapis.com/ServiceAccount"
SA_KEY = "iam.googleapis.com/ServiceAccountKey"
DATASET = "bigquery.googleapis.com/Dataset"
DISK = "compute.googleapis.com/Disk"
DATA_STORES: tuple[str, ...] = (
    "gcp.storage.bucket",
    "gcp.sql.instance",
    "gcp.bigquery.dataset",
    "gcp.compute.disk",
)
DATASTORE = "gcp.datastore"
DATA_ACCESS = ("DATA_READ", "DATA_WRITE")

# A policy as the tables read it: (policy, evidence, project, asset type, its bindings).
Policy = tuple[dict[str, Any], list[str], str | None, str, list[dict[str, Any]]]


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _project(data: dict[str, Any], name: str) -> dict[str, Any]:
    return {"project_id": data.get("projectId")}


def _bucket(data: dict[str, Any], name: str) -> dict[str, Any]:
    iam = data.get("iamConfiguration") or {}
    return {
        "name": data.get("name") or _short(name),
        "uniform_access": bool((iam.get("uniformBucketLevelAccess") or {}).get("enabled")),
        "public_access_prevention": str(iam.get("publicAccessPrevention") or "inherited").lower(),
        "versioning": bool((data.get("versioning") or {}).get("enabled")),
    }


def _sql(data: dict[str, Any], name: str) -> dict[str, Any]:
    settings = data.get("settings") or {}
    backup = settings.get("backupConfiguration") or {}
    ip = settings.get("ipConfiguration") or {}
    return {
        "name": data.get("name") or _short(name),
        "database_version": str(data.get("databaseVersion") or ""),
        "instance_type": str(data.get("instanceType") or "CLOUD_SQL_INSTANCE"),
        "backups_enabled": bool(backup.get("enabled")),
        "pitr_enabled": bool(backup.get("pointInTimeRecoveryEnabled")),
        "binary_log_enabled": bool(backup.get("binaryLogEnabled")),
        # The API's default: an instance has a public IPv4 address unless it is turned off.
        "ipv4_enabled": ip.get("ipv4Enabled", True) is not False,
        "require_ssl": bool(ip.get("requireSsl")),
        "ssl_mode": ip.get("sslMode"),
        "authorized_networks": [
            str(n.get("value")) for n in ip.get("authorizedNetworks") or [] if isinstance(n, dict)
        ],
        "public_ips": [
            str(a.get("ipAddress"))
            for a in data.get("ipAddresses") or []
            if isinstance(a, dict) and a.get("type") == "PRIMARY"
        ],
    }


def _dataset(data: dict[str, Any], name: str) -> dict[str, Any]:
    reference = data.get("datasetReference") or {}
    return {"name": reference.get("datasetId") or _short(name)}


def _disk(data: dict[str, Any], name: str) -> dict[str, Any]:
    return {"name": data.get("name") or _short(name)}


def _seconds(duration: Any) -> float | None:
    """A protobuf Duration in JSON ("7776000s") as seconds."""
    if isinstance(duration, (int, float)):
        return float(duration)
    if isinstance(duration, str) and duration.endswith("s"):
        try:
            return float(duration[:-1])
        except ValueError:
            return None
    return None


def _crypto_key(data: dict[str, Any], name: str) -> dict[str, Any]:
    seconds = _seconds(data.get("rotationPeriod"))
    return {
        "purpose": str(data.get("purpose") or "ENCRYPT_DECRYPT"),
        "rotation_period_days": None if seconds is None else seconds / 86400,
        "next_rotation": data.get("nextRotationTime"),
        "primary_state": (data.get("primary") or {}).get("state"),
    }


def _firewall(data: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "name": data.get("name") or _short(name),
        "network": str(data.get("network") or "").rsplit("/", 1)[-1],
        "direction": str(data.get("direction") or "INGRESS"),
        "disabled": bool(data.get("disabled")),
        "source_ranges": [str(r) for r in data.get("sourceRanges") or []],
        "allowed": [
            {
                "protocol": str(a.get("IPProtocol", "")).lower(),
                "ports": [str(p) for p in a.get("ports") or []],
            }
            for a in data.get("allowed") or []
            if isinstance(a, dict)
        ],
    }


def _service_account(data: dict[str, Any], name: str) -> dict[str, Any]:
    return {"email": str(data.get("email") or _short(name)), "disabled": bool(data.get("disabled"))}


def _sa_key(data: dict[str, Any], name: str) -> dict[str, Any]:
    parts = name.split("/")
    return {
        "service_account": parts[parts.index("serviceAccounts") + 1]
        if "serviceAccounts" in parts[:-1]
        else None,
        "key_type": str(data.get("keyType") or ""),
        "disabled": bool(data.get("disabled")),
        "valid_after": data.get("validAfterTime"),
    }


EXTRACTORS: dict[str, Extract] = {
    PROJECT: _project,
    BUCKET: _bucket,
    SQL: _sql,
    DATASET: _dataset,
    DISK: _disk,
    CRYPTO_KEY: _crypto_key,
    FIREWALL: _firewall,
    SERVICE_ACCOUNT: _service_account,
    SA_KEY: _sa_key,
}


def of_type(ev: Evidence, asset_type: str) -> list[Asset]:
    """Assets of one type that have resource content (a policy alone describes no resource)."""
    return collect_assets(ev, EXTRACTORS).by_type.get(asset_type, [])


_POLICIES: weakref.WeakKeyDictionary[Evidence, dict[tuple[str, str], Policy]] = weakref.WeakKeyDictionary()


def _policies(ev: Evidence) -> dict[tuple[str, str], Policy]:
    """Every IAM policy by (scope, resource), found once per run (callers must not mutate them)."""
    if ev in _POLICIES:
        return _POLICIES[ev]
    with gc_paused():
        found = _POLICIES[ev] = _find_policies(ev)
    return found


def _find_policies(ev: Evidence) -> dict[tuple[str, str], Policy]:
    found: dict[tuple[str, str], Policy] = {}
    for (scope, name), asset in collect_assets(ev, EXTRACTORS).assets.items():
        policy = asset.iam_policy
        if policy is not None:
            found[(scope, name)] = (policy, list(asset.evidence), asset.project, asset.asset_type, [])
    for scope, name, policy, project, digest in searched_policies(ev):
        found.setdefault((scope, name), (policy, [digest], project, "", []))
    for key, (policy, evidence, project, asset_type, _) in found.items():
        found[key] = (policy, evidence, project, asset_type, bindings(policy))
    return found


def build_policies(ev: Evidence) -> pd.DataFrame:
    policies = _policies(ev)
    columns = [*BASE_COLUMNS, *BASE, "asset_type", "bindings"]
    if not policies:
        return asset_table([], ["asset_type", "bindings"])
    with gc_paused():
        return as_objects(pd.DataFrame(_policy_columns(policies), columns=columns))


def _policy_columns(policies: dict[tuple[str, str], Policy]) -> dict[str, list[Any]]:
    return {
        "provider": [PROVIDER] * len(policies),
        "account": [scope for scope, _ in policies],
        "region": ["global"] * len(policies),
        "resource": [name for _, name in policies],
        "evidence": [p[1] for p in policies.values()],
        "project": [p[2] for p in policies.values()],
        "location": [None] * len(policies),
        "tags": [{} for _ in policies],
        "asset_type": [p[3] for p in policies.values()],
        # Each row its own copy, as the rows of a policy table are read (and may be kept) one by one.
        "bindings": [bindings(p[0]) for p in policies.values()],
    }


def _log_types(policy: dict[str, Any] | None) -> set[str]:
    """Log types configured for allServices in a policy's audit configs."""
    types: set[str] = set()
    for config in (policy or {}).get("auditConfigs", []) or []:
        if isinstance(config, dict) and config.get("service") == "allServices":
            types |= {
                str(c.get("logType")) for c in config.get("auditLogConfigs", []) or [] if isinstance(c, dict)
            }
    return types


def build_projects(ev: Evidence) -> pd.DataFrame:
    policies = _policies(ev)
    assets = of_type(ev, PROJECT)
    columns: dict[str, list[Any]] = {
        "evidence": [],
        "policy_collected": [],
        "audit_log_types": [],
        "audit_sources": [],
        "missing_policies": [],
    }
    for asset in assets:
        own = policies.get((asset.scope, asset.name))
        sources: dict[str, list[str]] = {}
        missing, evidence = [], list(asset.evidence)
        chain = [(asset.name, own)] + [
            (ancestor_name(a), policies.get((asset.scope, ancestor_name(a))))
            for a in asset.ancestors
            if not a.startswith("projects/")
        ]
        for name, found in chain:
            if found is None:
                missing.append(name)
                continue
            evidence += found[1]
            for log_type in _log_types(found[0]):
                sources.setdefault(log_type, []).append(name)
        columns["evidence"].append(list(dict.fromkeys(evidence)))
        columns["policy_collected"].append(own is not None)
        columns["audit_log_types"].append(sorted(sources))
        columns["audit_sources"].append(sources)
        columns["missing_policies"].append(missing)
    names = ["project_id", "policy_collected", "audit_log_types", "audit_sources", "missing_policies"]
    return asset_table(assets, names, extra=columns)


BUCKET_COLUMNS = ["name", "uniform_access", "public_access_prevention", "versioning"]
SQL_COLUMNS = [
    "name",
    "database_version",
    "instance_type",
    "backups_enabled",
    "pitr_enabled",
    "binary_log_enabled",
    "ipv4_enabled",
    "require_ssl",
    "ssl_mode",
    "authorized_networks",
    "public_ips",
]


def _stores(assets: list[Asset], columns: list[str]) -> pd.DataFrame:
    """A data-store table: its region is the asset's location (see region_of)."""
    return asset_table(assets, columns, [region_of(a.location) for a in assets])


def build_buckets(ev: Evidence) -> pd.DataFrame:
    return _stores(of_type(ev, BUCKET), BUCKET_COLUMNS)


def build_sql(ev: Evidence) -> pd.DataFrame:
    return _stores(of_type(ev, SQL), SQL_COLUMNS)


def build_datasets(ev: Evidence) -> pd.DataFrame:
    return _stores(of_type(ev, DATASET), ["name"])


def build_disks(ev: Evidence) -> pd.DataFrame:
    return _stores(of_type(ev, DISK), ["name"])


def build_datastores(ev: Evidence) -> pd.DataFrame:
    parts = [
        (kind, of_type(ev, t)) for kind, t in zip(DATA_STORES, (BUCKET, SQL, DATASET, DISK), strict=True)
    ]
    assets = [a for _, part in parts for a in part]
    kinds = [kind for kind, part in parts for _ in part]
    return asset_table(
        assets, ["name", "store_type"], [region_of(a.location) for a in assets], {"store_type": kinds}
    )


def build_crypto_keys(ev: Evidence) -> pd.DataFrame:
    return asset_table(
        of_type(ev, CRYPTO_KEY), ["purpose", "rotation_period_days", "next_rotation", "primary_state"]
    )


def build_firewalls(ev: Evidence) -> pd.DataFrame:
    return asset_table(
        of_type(ev, FIREWALL), ["name", "network", "direction", "disabled", "source_ranges", "allowed"]
    )


def _member_roles(ev: Evidence) -> dict[tuple[str, str], list[dict[str, str]]]:
    """Per (scope, member): every role it holds and on which resource."""
    held: dict[tuple[str, str], list[dict[str, str]]] = {}
    with gc_paused():
        for (scope, name), (_, _, _, _, granted) in _policies(ev).items():
            for binding in granted:
                for member in binding["members"]:
                    held.setdefault((scope, member), []).append({"role": binding["role"], "resource": name})
    return held


def build_service_accounts(ev: Evidence) -> pd.DataFrame:
    held = _member_roles(ev)
    assets = of_type(ev, SERVICE_ACCOUNT)
    roles = [held.get((a.scope, f"serviceAccount:{a.facts['email']}"), []) for a in assets]
    return asset_table(assets, ["email", "disabled", "roles"], extra={"roles": roles})


def build_sa_keys(ev: Evidence) -> pd.DataFrame:
    table = asset_table(of_type(ev, SA_KEY), ["service_account", "key_type", "disabled", "valid_after"])
    table["valid_after"] = pd.to_datetime(table["valid_after"], utc=True, format="ISO8601", errors="coerce")
    return table


TABLES: dict[str, tuple[tuple[tuple[str, str], ...], Callable[[Evidence], pd.DataFrame]]] = {
    "gcp.iam.policy": ((*SOURCES, SEARCH_POLICIES), build_policies),
    "gcp.project": (SOURCES, build_projects),
    "gcp.storage.bucket": (SOURCES, build_buckets),
    "gcp.sql.instance": (SOURCES, build_sql),
    "gcp.bigquery.dataset": (SOURCES, build_datasets),
    "gcp.compute.disk": (SOURCES, build_disks),
    DATASTORE: (SOURCES, build_datastores),
    "gcp.kms.crypto_key": (SOURCES, build_crypto_keys),
    "gcp.compute.firewall": (SOURCES, build_firewalls),
    "gcp.iam.service_account": ((*SOURCES, SEARCH_POLICIES), build_service_accounts),
    "gcp.iam.service_account_key": (SOURCES, build_sa_keys),
}
_PENDING: weakref.WeakKeyDictionary[Evidence, dict[str, pd.DataFrame]] = weakref.WeakKeyDictionary()


def _build_all(ev: Evidence) -> dict[str, pd.DataFrame]:
    """Every GCP table in one pass, then the merged assets and policies are dropped.

    With the garbage collector paused throughout, the merged assets (a few objects per asset) are freed
    before it ever walks them; only the tables are left for it.
    """
    with gc_paused():
        try:
            return {name: build(ev) for name, (_, build) in TABLES.items()}
        finally:
            release_assets(ev)
            _POLICIES.pop(ev, None)


def _one_pass(name: str) -> Callable[[Evidence], pd.DataFrame]:
    """Build `name` from the one pass that builds every GCP table of the run (each handed out once)."""

    def build_table(ev: Evidence) -> pd.DataFrame:
        pending = _PENDING.get(ev)
        if pending is None:
            pending = _PENDING[ev] = _build_all(ev)
        elif name not in pending:  # handed out already: built again, on its own
            with gc_paused():
                try:
                    return TABLES[name][1](ev)
                finally:
                    release_assets(ev)
                    _POLICIES.pop(ev, None)
        table = pending.pop(name)
        if not pending:
            del _PENDING[ev]
        return table

    return build_table


NORMALIZERS = tuple(Normalizer(name, PROVIDER, needs, _one_pass(name)) for name, (needs, _) in TABLES.items())
