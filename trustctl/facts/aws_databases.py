"""RDS, DynamoDB and KMS facts.

Tables: aws.rds.db_instance (every DB instance, Aurora members included, for exposure),
aws.rds.database (DB clusters and the DB instances outside a cluster: what holds data, what AWS Backup
protects, and what durability is judged on), aws.rds.db_snapshot (instance and cluster snapshots),
aws.dynamodb.table and aws.kms.key.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pandas as pd

from trustctl.evidence.records import RequestRecord
from trustctl.facts.base import DETAIL_ERRORS, Evidence, Normalizer, detail_errors, error_text, frame

INSTANCES = ("rds", "DescribeDBInstances")
CLUSTERS = ("rds", "DescribeDBClusters")
SNAPSHOTS = ("rds", "DescribeDBSnapshots")
CLUSTER_SNAPSHOTS = ("rds", "DescribeDBClusterSnapshots")
TABLES = ("dynamodb", "ListTables")
TABLE = ("dynamodb", "DescribeTable")
BACKUPS = ("dynamodb", "DescribeContinuousBackups")
TABLE_TAGS = ("dynamodb", "ListTagsOfResource")
KEYS = ("kms", "ListKeys")
ALIASES = ("kms", "ListAliases")
KEY = ("kms", "DescribeKey")
ROTATION = ("kms", "GetKeyRotationStatus")
# The runner records a collector that crashed under its class name: what it had not yet fetched is
# missing, so the whole (account, region) is an error rather than a shorter list.
CRASHED_RDS = ("rds", "RdsCollector")
CRASHED_DYNAMODB = ("dynamodb", "DynamoDbCollector")
CRASHED_KMS = ("kms", "KmsCollector")

# Not aws.rds.db_instance: an Aurora member holds no data of its own (its cluster does) and no backup
# plan can select it, so it would read as an unprotected store.
DATA_STORES: tuple[str, ...] = ("aws.rds.database", "aws.rds.db_snapshot", "aws.dynamodb.table")
DURABILITY = [
    "kind",
    "name",
    "engine",
    "status",
    "storage_encrypted",
    "kms_key",
    "backup_retention_days",
    "deletion_protection",
    "multi_az",
    "zones",
    "read_replica_of",
    "tags",
]
INSTANCE_COLUMNS = [*DURABILITY, "cluster", "publicly_accessible"]
DATABASE_COLUMNS = [*DURABILITY, "members"]


def tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in items or []}


def _items(ev: Evidence, operation: tuple[str, str], key: str) -> Iterator[tuple[RequestRecord, Any]]:
    for record, data in ev.responses("aws", *operation):
        for item in data.get(key, []):
            yield record, item


def _base(record: RequestRecord, resource: str) -> dict[str, Any]:
    c = record.call
    return {
        "provider": "aws",
        "account": c.account,
        "region": c.region,
        "resource": resource,
        "evidence": [record.object],
    }


def _durability(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "engine": item.get("Engine", ""),
        "storage_encrypted": bool(item.get("StorageEncrypted")),
        "kms_key": item.get("KmsKeyId"),
        "backup_retention_days": int(item.get("BackupRetentionPeriod") or 0),
        "deletion_protection": bool(item.get("DeletionProtection")),
        "tags": tags(item.get("TagList")),
    }


def _instance_rows(ev: Evidence) -> list[dict[str, Any]]:
    rows = []
    for record, db in _items(ev, INSTANCES, "DBInstances"):
        zones = [db.get("AvailabilityZone"), db.get("SecondaryAvailabilityZone")]
        rows.append(
            {
                **_base(record, db["DBInstanceArn"]),
                **_durability(db),
                "kind": "instance",
                "name": db["DBInstanceIdentifier"],
                "status": db.get("DBInstanceStatus"),
                "multi_az": bool(db.get("MultiAZ")),
                "zones": list(dict.fromkeys(z for z in zones if z)),  # primary first, then standby
                "read_replica_of": db.get("ReadReplicaSourceDBInstanceIdentifier")
                or db.get("ReadReplicaSourceDBClusterIdentifier"),
                "cluster": db.get("DBClusterIdentifier"),
                "publicly_accessible": bool(db.get("PubliclyAccessible")),
            }
        )
    return rows


def _cluster_rows(ev: Evidence, instances: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Clusters, with the Availability Zones their member instances run in."""
    members: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for db in instances:
        if db["cluster"]:
            members[(db["account"], db["region"], db["cluster"])].append(db)
    rows = []
    for record, cluster in _items(ev, CLUSTERS, "DBClusters"):
        row = _base(record, cluster["DBClusterArn"])
        mine = members[(row["account"], row["region"], cluster["DBClusterIdentifier"])]
        zones = sorted({z for db in mine for z in db["zones"]})
        evidence = [record.object, *(h for db in mine for h in db["evidence"])]
        rows.append(
            {
                **row,
                **_durability(cluster),
                "evidence": list(dict.fromkeys(evidence)),
                "kind": "cluster",
                "name": cluster["DBClusterIdentifier"],
                "status": cluster.get("Status"),
                # Aurora reports MultiAZ from its members; Multi-AZ DB clusters always span zones.
                "multi_az": bool(cluster.get("MultiAZ")) or len(zones) >= 2,
                "zones": zones,
                "read_replica_of": cluster.get("ReplicationSourceIdentifier"),
                "members": [m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers", [])],
            }
        )
    return rows


def build_instances(ev: Evidence) -> pd.DataFrame:
    return frame(_instance_rows(ev), INSTANCE_COLUMNS)


def build_databases(ev: Evidence) -> pd.DataFrame:
    """Cluster members share their cluster's storage, backups and protection: judged once, at the cluster."""
    instances = _instance_rows(ev)
    standalone = [db for db in instances if not db["cluster"]]
    return frame(standalone + _cluster_rows(ev, instances), DATABASE_COLUMNS)


def build_snapshots(ev: Evidence) -> pd.DataFrame:
    rows = []
    sources = (
        (SNAPSHOTS, "DBSnapshots", "instance", "DBSnapshot", "DBInstanceIdentifier", "Encrypted"),
        (
            CLUSTER_SNAPSHOTS,
            "DBClusterSnapshots",
            "cluster",
            "DBClusterSnapshot",
            "DBClusterIdentifier",
            "StorageEncrypted",
        ),
    )
    for operation, key, kind, prefix, source, encrypted in sources:
        for record, snap in _items(ev, operation, key):
            rows.append(
                {
                    **_base(record, snap[f"{prefix}Arn"]),
                    "kind": kind,
                    "name": snap[f"{prefix}Identifier"],
                    "source": snap.get(source),
                    "snapshot_type": snap.get("SnapshotType"),
                    "encrypted": bool(snap.get(encrypted)),
                    "kms_key": snap.get("KmsKeyId"),
                    "created": snap.get("SnapshotCreateTime"),
                    "tags": tags(snap.get("TagList")),
                }
            )
    table = frame(
        rows, ["kind", "name", "source", "snapshot_type", "encrypted", "kms_key", "created", "tags"]
    )
    table["created"] = pd.to_datetime(table["created"], utc=True, format="ISO8601")
    return table


def _by_parameter(ev: Evidence, operation: tuple[str, str], key: str) -> dict[tuple[str, Any], list[Any]]:
    """Successful responses of a per-resource call, by (account, the resource it named): pages in order."""
    found: dict[tuple[str, Any], list[Any]] = defaultdict(list)
    for record, data in ev.responses("aws", *operation):
        found[(record.call.account, record.call.parameters.get(key))].append((record, data))
    return found


def build_tables(ev: Evidence) -> pd.DataFrame:
    """One row per table described (or that could not be described), keyed by the ARN each call named."""
    errors = detail_errors(ev, "aws", "dynamodb", (TABLE[1], BACKUPS[1]), key="TableName")
    for target, failed in detail_errors(ev, "aws", "dynamodb", (TABLE_TAGS[1],), key="ResourceArn").items():
        errors.setdefault(target, {}).update(failed)
    described = {
        (r.call.account, r.call.parameters["TableName"]): (r, d.get("Table", {}))
        for r, d in ev.responses("aws", *TABLE)
        if "Absent" not in d  # deleted between listing and describing
    }
    for record in ev.failures_of("aws", *TABLE):
        described[(record.call.account, record.call.parameters["TableName"])] = (record, {})
    backups, tag_pages = _by_parameter(ev, BACKUPS, "TableName"), _by_parameter(ev, TABLE_TAGS, "ResourceArn")
    rows = []
    for (account, arn), (record, table) in described.items():
        pages = backups.get((account, arn), []) + tag_pages.get((account, arn), [])
        backup = next((d for r, d in backups.get((account, arn), []) if "Absent" not in d), None)
        pitr = ((backup or {}).get("ContinuousBackupsDescription") or {}).get(
            "PointInTimeRecoveryDescription"
        )
        table_tags = [t for _, d in tag_pages.get((account, arn), []) for t in d.get("Tags", [])]
        rows.append(
            {
                **_base(record, arn),
                "evidence": [h for h in (record.object, *(r.object for r, _ in pages)) if h],
                "name": arn.split("/", 1)[-1],
                "status": table.get("TableStatus"),
                "pitr_status": (pitr or {}).get("PointInTimeRecoveryStatus"),
                "pitr_days": (pitr or {}).get("RecoveryPeriodInDays"),
                "deletion_protection": table.get("DeletionProtectionEnabled"),
                "kms_key": (table.get("SSEDescription") or {}).get("KMSMasterKeyArn"),
                "created": table.get("CreationDateTime"),
                "tags": tags(table_tags),
                DETAIL_ERRORS: errors.get((account, arn), {}),
            }
        )
    columns = [
        "name",
        "status",
        "pitr_status",
        "pitr_days",
        "deletion_protection",
        "kms_key",
        "created",
        "tags",
    ]
    result = frame(rows, [*columns, DETAIL_ERRORS])
    result["created"] = pd.to_datetime(result["created"], utc=True, format="ISO8601")
    return result


def build_keys(ev: Evidence) -> pd.DataFrame:
    """KMS keys as listed, with their metadata, aliases and (where KMS can rotate them) rotation status."""
    errors = detail_errors(ev, "aws", "kms", (KEY[1], ROTATION[1]), key="KeyId")
    metadata = _by_parameter(ev, KEY, "KeyId")
    rotation = _by_parameter(ev, ROTATION, "KeyId")
    # Aliases tell AWS managed keys (alias/aws/...) from customer keys: where they could not be listed,
    # no key of that account and region can be judged as a customer key.
    unlisted = {(r.call.account, r.call.region): error_text(r) for r in ev.failures_of("aws", *ALIASES)}
    aliases: dict[tuple[str, str, str], list[tuple[str, str | None]]] = defaultdict(list)
    for record, alias in _items(ev, ALIASES, "Aliases"):
        if alias.get("TargetKeyId"):
            key = (record.call.account, record.call.region, alias["TargetKeyId"])
            aliases[key].append((alias["AliasName"], record.object))
    rows = []
    for record, listed in _items(ev, KEYS, "Keys"):
        account, arn = record.call.account, listed["KeyArn"]
        described = metadata.get((account, arn), [])
        if any("Absent" in d for _, d in described):
            continue  # deleted between listing and describing
        meta = described[0][1].get("KeyMetadata", {}) if described else {}
        status = rotation.get((account, arn), [])
        rotates = status[0][1] if status and "Absent" not in status[0][1] else {}
        named = aliases.get((account, record.call.region, listed["KeyId"]), [])
        evidence = [record.object, *(r.object for r, _ in described + status), *(h for _, h in named)]
        failed = dict(errors.get((account, arn), {}))
        if (account, record.call.region) in unlisted:
            failed[ALIASES[1]] = unlisted[(account, record.call.region)]
        rows.append(
            {
                **_base(record, arn),
                "evidence": list(dict.fromkeys(h for h in evidence if h)),
                "key_id": listed["KeyId"],
                "aliases": sorted(name for name, _ in named),
                "manager": meta.get("KeyManager"),
                "spec": meta.get("KeySpec", meta.get("CustomerMasterKeySpec")),
                "origin": meta.get("Origin"),
                "state": meta.get("KeyState"),
                "created": meta.get("CreationDate"),
                "multi_region": bool(meta.get("MultiRegion")),
                "rotation_enabled": rotates.get("KeyRotationEnabled"),
                "rotation_period_days": rotates.get("RotationPeriodInDays"),
                DETAIL_ERRORS: failed,
            }
        )
    columns = ["key_id", "aliases", "manager", "spec", "origin", "state", "created", "multi_region"]
    result = frame(rows, [*columns, "rotation_enabled", "rotation_period_days", DETAIL_ERRORS])
    result["created"] = pd.to_datetime(result["created"], utc=True, format="ISO8601")
    return result


NORMALIZERS = (
    Normalizer("aws.rds.db_instance", "aws", (INSTANCES, CRASHED_RDS), build_instances, regional=True),
    Normalizer("aws.rds.database", "aws", (INSTANCES, CLUSTERS, CRASHED_RDS), build_databases, regional=True),
    Normalizer(
        "aws.rds.db_snapshot",
        "aws",
        (SNAPSHOTS, CLUSTER_SNAPSHOTS, CRASHED_RDS),
        build_snapshots,
        regional=True,
    ),
    Normalizer("aws.dynamodb.table", "aws", (TABLES, CRASHED_DYNAMODB), build_tables, regional=True),
    Normalizer("aws.kms.key", "aws", (KEYS, CRASHED_KMS), build_keys, regional=True),
)
