"""GCP facts from Cloud Asset Inventory: one table per asset type the checks read.

Every table is built from the same merged assets (see gcp_assets), from live ListAssets pages and
imported export files alike. A failed page, or a malformed line of an export, makes every table's
results for that scope `error`: an asset that could not be read is never taken for one that is not
there. Data stores carry their location in `region` (`europe-west1`, `EU`, `US`), the column the
residency check reads; every other table is `global`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustctl.facts.base import Evidence, Normalizer, frame
from trustctl.facts.gcp_assets import (
    BASE,
    PROVIDER,
    SEARCH_POLICIES,
    SOURCES,
    Asset,
    ancestor_name,
    base_row,
    bindings,
    collect_assets,
    of_type,
    region_of,
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


def _policies(ev: Evidence) -> dict[tuple[str, str], tuple[dict[str, Any], list[str], str | None, str]]:
    """Every IAM policy by (scope, resource): (policy, evidence, project, asset type)."""
    found: dict[tuple[str, str], tuple[dict[str, Any], list[str], str | None, str]] = {}
    for (scope, name), asset in collect_assets(ev).items():
        if asset.iam_policy is not None:
            found[(scope, name)] = (asset.iam_policy, list(asset.evidence), asset.project, asset.asset_type)
    for scope, name, policy, project, digest in searched_policies(ev):
        found.setdefault((scope, name), (policy, [digest], project, ""))
    return found


def build_policies(ev: Evidence) -> pd.DataFrame:
    rows: list[dict[str, Any]] = [
        {
            "provider": PROVIDER,
            "account": scope,
            "region": "global",
            "resource": name,
            "evidence": evidence,
            "project": project,
            "location": None,
            "tags": {},
            "asset_type": asset_type,
            "bindings": bindings(policy),
        }
        for (scope, name), (policy, evidence, project, asset_type) in _policies(ev).items()
    ]
    return frame(rows, [*BASE, "asset_type", "bindings"])


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
    rows = []
    for asset in of_type(ev, PROJECT):
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
        rows.append(
            {
                **base_row(asset),
                "evidence": list(dict.fromkeys(evidence)),
                "project_id": asset.data.get("projectId"),
                "policy_collected": own is not None,
                "audit_log_types": sorted(sources),
                "audit_sources": sources,
                "missing_policies": missing,
            }
        )
    columns = ["project_id", "policy_collected", "audit_log_types", "audit_sources", "missing_policies"]
    return frame(rows, [*BASE, *columns])


def _store_row(asset: Asset) -> dict[str, Any]:
    return {
        **base_row(asset, region_of(asset.location)),
        "name": asset.data.get("name") or asset.name.rsplit("/", 1)[-1],
    }


def build_buckets(ev: Evidence) -> pd.DataFrame:
    rows = []
    for asset in of_type(ev, BUCKET):
        iam = asset.data.get("iamConfiguration") or {}
        rows.append(
            {
                **_store_row(asset),
                "uniform_access": bool((iam.get("uniformBucketLevelAccess") or {}).get("enabled")),
                "public_access_prevention": str(iam.get("publicAccessPrevention") or "inherited").lower(),
                "versioning": bool((asset.data.get("versioning") or {}).get("enabled")),
            }
        )
    return frame(rows, [*BASE, "name", "uniform_access", "public_access_prevention", "versioning"])


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


def build_sql(ev: Evidence) -> pd.DataFrame:
    rows = []
    for asset in of_type(ev, SQL):
        settings = asset.data.get("settings") or {}
        backup = settings.get("backupConfiguration") or {}
        ip = settings.get("ipConfiguration") or {}
        rows.append(
            {
                **_store_row(asset),
                "database_version": str(asset.data.get("databaseVersion") or ""),
                "instance_type": str(asset.data.get("instanceType") or "CLOUD_SQL_INSTANCE"),
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
                    for a in asset.data.get("ipAddresses") or []
                    if isinstance(a, dict) and a.get("type") == "PRIMARY"
                ],
            }
        )
    return frame(rows, [*BASE, *SQL_COLUMNS])


def build_datasets(ev: Evidence) -> pd.DataFrame:
    rows = []
    for asset in of_type(ev, DATASET):
        reference = asset.data.get("datasetReference") or {}
        rows.append(
            {**_store_row(asset), "name": reference.get("datasetId") or asset.name.rsplit("/", 1)[-1]}
        )
    return frame(rows, [*BASE, "name"])


def build_disks(ev: Evidence) -> pd.DataFrame:
    return frame([_store_row(a) for a in of_type(ev, DISK)], [*BASE, "name"])


def build_datastores(ev: Evidence) -> pd.DataFrame:
    parts = [
        (kind, build(ev))
        for kind, build in zip(
            DATA_STORES, (build_buckets, build_sql, build_datasets, build_disks), strict=True
        )
    ]
    rows = [
        {**row, "store_type": kind}
        for kind, part in parts
        for row in part[[*frame([], []).columns, *BASE, "name"]].to_dict("records")
    ]
    return frame(rows, [*BASE, "name", "store_type"])


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


def build_crypto_keys(ev: Evidence) -> pd.DataFrame:
    rows = []
    for asset in of_type(ev, CRYPTO_KEY):
        seconds = _seconds(asset.data.get("rotationPeriod"))
        rows.append(
            {
                **base_row(asset),
                "purpose": str(asset.data.get("purpose") or "ENCRYPT_DECRYPT"),
                "rotation_period_days": None if seconds is None else seconds / 86400,
                "next_rotation": asset.data.get("nextRotationTime"),
                "primary_state": (asset.data.get("primary") or {}).get("state"),
            }
        )
    return frame(rows, [*BASE, "purpose", "rotation_period_days", "next_rotation", "primary_state"])


def build_firewalls(ev: Evidence) -> pd.DataFrame:
    rows = []
    for asset in of_type(ev, FIREWALL):
        data = asset.data
        rows.append(
            {
                **base_row(asset),
                "name": data.get("name") or asset.name.rsplit("/", 1)[-1],
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
        )
    return frame(rows, [*BASE, "name", "network", "direction", "disabled", "source_ranges", "allowed"])


def _member_roles(ev: Evidence) -> dict[tuple[str, str], list[dict[str, str]]]:
    """Per (scope, member): every role it holds and on which resource."""
    held: dict[tuple[str, str], list[dict[str, str]]] = {}
    for (scope, name), (policy, _, _, _) in _policies(ev).items():
        for binding in bindings(policy):
            for member in binding["members"]:
                held.setdefault((scope, member), []).append({"role": binding["role"], "resource": name})
    return held


def build_service_accounts(ev: Evidence) -> pd.DataFrame:
    held = _member_roles(ev)
    rows = []
    for asset in of_type(ev, SERVICE_ACCOUNT):
        email = str(asset.data.get("email") or asset.name.rsplit("/", 1)[-1])
        rows.append(
            {
                **base_row(asset),
                "email": email,
                "disabled": bool(asset.data.get("disabled")),
                "roles": held.get((asset.scope, f"serviceAccount:{email}"), []),
            }
        )
    return frame(rows, [*BASE, "email", "disabled", "roles"])


def build_sa_keys(ev: Evidence) -> pd.DataFrame:
    rows = []
    for asset in of_type(ev, SA_KEY):
        parts = asset.name.split("/")
        account = parts[parts.index("serviceAccounts") + 1] if "serviceAccounts" in parts[:-1] else None
        rows.append(
            {
                **base_row(asset),
                "service_account": account,
                "key_type": str(asset.data.get("keyType") or ""),
                "disabled": bool(asset.data.get("disabled")),
                "valid_after": asset.data.get("validAfterTime"),
            }
        )
    table = frame(rows, [*BASE, "service_account", "key_type", "disabled", "valid_after"])
    table["valid_after"] = pd.to_datetime(table["valid_after"], utc=True, format="ISO8601", errors="coerce")
    return table


NORMALIZERS = (
    Normalizer("gcp.iam.policy", PROVIDER, (*SOURCES, SEARCH_POLICIES), build_policies),
    Normalizer("gcp.project", PROVIDER, SOURCES, build_projects),
    Normalizer("gcp.storage.bucket", PROVIDER, SOURCES, build_buckets),
    Normalizer("gcp.sql.instance", PROVIDER, SOURCES, build_sql),
    Normalizer("gcp.bigquery.dataset", PROVIDER, SOURCES, build_datasets),
    Normalizer("gcp.compute.disk", PROVIDER, SOURCES, build_disks),
    Normalizer(DATASTORE, PROVIDER, SOURCES, build_datastores),
    Normalizer("gcp.kms.crypto_key", PROVIDER, SOURCES, build_crypto_keys),
    Normalizer("gcp.compute.firewall", PROVIDER, SOURCES, build_firewalls),
    Normalizer("gcp.iam.service_account", PROVIDER, (*SOURCES, SEARCH_POLICIES), build_service_accounts),
    Normalizer("gcp.iam.service_account_key", PROVIDER, SOURCES, build_sa_keys),
)
