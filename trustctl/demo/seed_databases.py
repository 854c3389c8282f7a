"""Demo company: databases and keys.

Production (eu-west-1) runs a well-kept orders database and Aurora payments cluster next to a legacy
reporting database and an analytics cluster with every mistake; DynamoDB tables and KMS keys come in
good and bad pairs. The management account holds a Terraform lock table and its state key.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import boto3

PRODUCTION = [{"Key": "environment", "Value": "production"}]
PASSWORD = "Demo-only-password-123!"  # moto requires one; the demo database holds nothing
KEY_SCHEMA: dict[str, Any] = {
    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}


def _instance(rds: Any, name: str, engine: str, **settings: Any) -> None:
    rds.create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.medium",
        Engine=engine,
        MasterUsername="acme",
        MasterUserPassword=PASSWORD,
        AllocatedStorage=20,
        Tags=PRODUCTION,
        **settings,
    )


def _cluster(rds: Any, name: str, zones: tuple[str, ...], **settings: Any) -> None:
    rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-postgresql",
        MasterUsername="acme",
        MasterUserPassword=PASSWORD,
        Tags=PRODUCTION,
        **settings,
    )
    for n, zone in enumerate(zones, start=1):
        rds.create_db_instance(
            DBInstanceIdentifier=f"{name}-{n}",
            DBInstanceClass="db.r6g.large",
            Engine="aurora-postgresql",
            DBClusterIdentifier=name,
            AvailabilityZone=zone,
            Tags=PRODUCTION,
        )


def _seed_rds(rds: Any) -> None:
    common = {"StorageEncrypted": True, "DeletionProtection": True, "PubliclyAccessible": False}
    _instance(rds, "orders-db", "postgres", MultiAZ=True, BackupRetentionPeriod=14, **common)
    _instance(
        rds,
        "legacy-reporting",
        "mysql",
        MultiAZ=False,
        BackupRetentionPeriod=0,
        StorageEncrypted=False,
        DeletionProtection=False,
        PubliclyAccessible=True,
    )
    _cluster(rds, "payments", ("eu-west-1a", "eu-west-1b"), BackupRetentionPeriod=7, **common)
    _cluster(rds, "analytics", ("eu-west-1a",), BackupRetentionPeriod=3, StorageEncrypted=False)
    rds.create_db_snapshot(DBInstanceIdentifier="orders-db", DBSnapshotIdentifier="orders-db-pre-migration")
    rds.create_db_cluster_snapshot(DBClusterIdentifier="payments", DBClusterSnapshotIdentifier="payments-q3")


def _table(dynamodb: Any, name: str, pitr: bool) -> None:
    dynamodb.create_table(TableName=name, Tags=PRODUCTION, **KEY_SCHEMA)
    if pitr:
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )


def _key(kms: Any, alias: str, *, rotate: bool) -> str:
    key_id: str = kms.create_key(Description=alias, Tags=[{"TagKey": "owner", "TagValue": "platform"}])[
        "KeyMetadata"
    ]["KeyId"]
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    if rotate:
        kms.enable_key_rotation(KeyId=key_id)
    return key_id


def _age_key(account: str, region: str, key_id: str, created: datetime) -> None:
    """What no API can do: a key created long ago (moto internals, the demo only)."""
    from moto.kms.models import kms_backends

    key: Any = kms_backends[account][region].keys[key_id]
    key.creation_date = created.timestamp()


def seed(management: boto3.Session, production: boto3.Session, now: datetime) -> None:
    """Create resources in both accounts so every databases check has a passing and a failing one."""
    region = "eu-west-1"
    _seed_rds(production.client("rds", region_name=region))
    dynamodb = production.client("dynamodb", region_name=region)
    _table(dynamodb, "sessions", pitr=True)
    _table(dynamodb, "audit-events", pitr=False)
    kms = production.client("kms", region_name=region)
    _key(kms, "alias/orders-data", rotate=True)
    legacy = _key(kms, "alias/legacy-exports", rotate=False)
    retired = _key(kms, "alias/retired-2023", rotate=False)
    kms.disable_key(KeyId=retired)  # disabled: not judged
    account = production.client("sts", region_name=region).get_caller_identity()["Account"]
    _age_key(account, region, legacy, now - timedelta(days=700))

    home = "us-east-1"
    _table(management.client("dynamodb", region_name=home), "terraform-locks", pitr=True)
    _key(management.client("kms", region_name=home), "alias/terraform-state", rotate=True)
