"""AWS database and key checks: RDS encryption, backups, resilience and exposure; DynamoDB point-in-time
recovery; KMS key rotation.

Durability checks (backups, Multi-AZ, deletion protection) judge production data stores only when
policy.production_tag is set; encryption, exposure and key rotation apply to everything.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustctl.controls.registry import Context, Statement, Verdicts, check, verdicts
from trustctl.facts.base import DETAIL_ERRORS


def tags_unknown(stores: pd.DataFrame) -> pd.Series:
    """Stores whose tags could not be read (DynamoDB reads them per table; RDS lists them)."""
    if DETAIL_ERRORS not in stores:
        return pd.Series(False, index=stores.index, dtype=bool)
    return stores[DETAIL_ERRORS].map(lambda e: any(op.startswith("ListTags") for op in e or {})).astype(bool)


def production(stores: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """The data stores policy.production_tag marks as production (all of them when it is empty), and
    those whose tags could not be read: they may be production, so they are not passed over."""
    if not ctx.policy.production_tag:
        return stores
    key, value = ctx.policy.production_tag.split("=", 1)
    marked = stores.tags.map(lambda t: t.get(key) == value).astype(bool)
    return stores[marked | tags_unknown(stores)]


def _what(row: Any) -> str:
    return f"the DB {row.kind} {row.resource}"


@check(
    "aws.rds.storage_encrypted",
    resource="aws.rds.database",
    control="CRY-01",
    severity="high",
    title="RDS storage is encrypted",
    fix="Encryption cannot be turned on in place: copy a snapshot with a KMS key, restore it, and "
    "switch the application to the encrypted copy.",
    statement=Statement("encryption", "production databases", "are encrypted at rest"),
)
def rds_storage_encrypted(db: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        db,
        db.storage_encrypted.astype(bool),
        passed=lambda r: f"{_what(r)} encrypts its storage at rest",
        failed=lambda r: f"{_what(r)} stores its data unencrypted (StorageEncrypted is false)",
    )


@check(
    "aws.rds.backup_retention",
    resource="aws.rds.database",
    control="BCK-01",
    severity="high",
    title="RDS automated backups are kept long enough",
    fix="Set BackupRetentionPeriod to at least policy.min_backup_retention_days (modify-db-instance or "
    "modify-db-cluster --backup-retention-period).",
    statement=Statement("backup", "production databases", "keep automated backups as policy requires"),
)
def rds_backup_retention(db: pd.DataFrame, ctx: Context) -> Verdicts:
    minimum = ctx.policy.min_backup_retention_days
    # A read replica's data is backed up at its source (PostgreSQL replicas cannot have backups at all).
    judged = production(db, ctx)
    judged = judged[~(judged.kind.eq("instance") & judged.read_replica_of.notna())]

    def failed(r: Any) -> str:
        if r.backup_retention_days == 0:
            return (
                f"{_what(r)} has automated backups turned off (retention 0 days; policy: at least {minimum})"
            )
        return f"{_what(r)} keeps automated backups for {r.backup_retention_days} days (policy: at least {minimum})"

    return verdicts(
        judged,
        judged.backup_retention_days >= minimum,
        passed=lambda r: (
            f"{_what(r)} keeps automated backups for {r.backup_retention_days} days "
            f"(policy: at least {minimum})"
        ),
        failed=failed,
    )


@check(
    "aws.rds.deletion_protection",
    resource="aws.rds.database",
    control="AVL-01",
    severity="medium",
    title="RDS databases have deletion protection",
    fix="Turn on DeletionProtection (modify-db-instance or modify-db-cluster --deletion-protection).",
)
def rds_deletion_protection(db: pd.DataFrame, ctx: Context) -> Verdicts:
    judged = production(db, ctx)
    return verdicts(
        judged,
        judged.deletion_protection.astype(bool),
        passed=lambda r: f"{_what(r)} has deletion protection on",
        failed=lambda r: f"{_what(r)} can be deleted by a single call: deletion protection is off",
    )


def _zones(r: Any) -> str:
    if r.kind == "cluster":
        if len(r.zones) >= 2:
            return f"{_what(r)} has DB instances in {len(r.zones)} Availability Zones ({', '.join(r.zones)})"
        return f"{_what(r)} is Multi-AZ"
    if len(r.zones) >= 2:
        return f"{_what(r)} runs Multi-AZ: primary in {r.zones[0]}, standby in {r.zones[1]}"
    return f"{_what(r)} runs Multi-AZ, with a standby in another Availability Zone"


def _single_zone(r: Any) -> str:
    zones = ", ".join(r.zones) or "no Availability Zone"
    if r.kind == "cluster":
        if not r.members:
            return f"{_what(r)} has no DB instances, so nothing serves it if a zone fails"
        return f"{_what(r)} has {len(r.members)} DB instance(s), all in {zones}"
    return f"{_what(r)} runs in one Availability Zone ({zones}); MultiAZ is off"


@check(
    "aws.rds.multi_az",
    resource="aws.rds.database",
    control="AVL-01",
    severity="medium",
    title="RDS databases survive the loss of an Availability Zone",
    fix="Turn on MultiAZ for the instance; for an Aurora cluster, add a reader in another Availability Zone.",
    statement=Statement("backup", "production databases", "run across availability zones"),
)
def rds_multi_az(db: pd.DataFrame, ctx: Context) -> Verdicts:
    judged = production(db, ctx)
    return verdicts(
        judged,
        judged.multi_az.astype(bool),
        passed=_zones,
        failed=_single_zone,
    )


@check(
    "aws.rds.public_access",
    resource="aws.rds.db_instance",
    control="NET-03",
    severity="high",
    title="RDS instances are not publicly accessible",
    fix="Set PubliclyAccessible to false (modify-db-instance --no-publicly-accessible) and reach the "
    "database through the VPC.",
    statement=Statement("network", "databases", "are not publicly accessible"),
)
def rds_public_access(db: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        db,
        ~db.publicly_accessible.astype(bool),
        passed="the DB instance {resource} is reachable only from within its VPC",
        failed="the DB instance {resource} is publicly accessible: its endpoint resolves to a public IP address",
    )


@check(
    "aws.dynamodb.pitr",
    resource="aws.dynamodb.table",
    control="BCK-01",
    severity="high",
    title="DynamoDB tables have point-in-time recovery",
    fix="Turn on point-in-time recovery (update-continuous-backups "
    "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true).",
    needs=("DescribeContinuousBackups",),
    statement=Statement("backup", "tables", "have point-in-time recovery"),
)
def dynamodb_pitr(tables: pd.DataFrame, ctx: Context) -> Verdicts:
    judged = production(tables, ctx)
    enabled = judged.pitr_status.eq("ENABLED")
    # Off on a table whose tags are unknown: a failure only if it is production, which cannot be told.
    undecided = ~enabled & tags_unknown(judged) & bool(ctx.policy.production_tag)
    known = judged.pitr_status.notna() & ~undecided

    def unknown(r: Any) -> str:
        if pd.isna(r.pitr_status):
            return f"the DynamoDB table {r.resource}: its continuous backups settings were not collected"
        return (
            f"the DynamoDB table {r.resource} has point-in-time recovery {str(r.pitr_status).lower()}, and "
            f"its tags could not be read to tell whether it is production ({ctx.policy.production_tag})"
        )

    return verdicts(
        judged,
        enabled.where(known, None),
        passed=lambda r: (
            f"the DynamoDB table {r.resource} has point-in-time recovery enabled"
            + (f" ({int(r.pitr_days)} days)" if pd.notna(r.pitr_days) else "")
        ),
        failed=lambda r: (
            f"the DynamoDB table {r.resource} has point-in-time recovery {str(r.pitr_status).lower()}"
        ),
        unknown=unknown,
    )


def _key(r: Any) -> str:
    return f"the KMS key {r.resource}" + (f" ({', '.join(r.aliases)})" if r.aliases else "")


def _age(r: Any, ctx: Context) -> str:
    # Age counts from creation: a key never used for 700 days is still 700 days old.
    if pd.isna(r.created):
        return "its creation date was not reported"
    days = (pd.Timestamp(ctx.as_of) - r.created).days
    return f"the key is {days} days old (created {r.created:%Y-%m-%d})"


@check(
    "aws.kms.key_rotation",
    resource="aws.kms.key",
    control="CRY-03",
    severity="medium",
    title="Customer-managed KMS keys rotate automatically",
    fix="Turn on automatic key rotation (enable-key-rotation); old material stays available to decrypt.",
    needs=("DescribeKey", "GetKeyRotationStatus", "ListAliases"),
    statement=Statement("encryption", "encryption keys", "rotate automatically"),
)
def kms_key_rotation(keys: pd.DataFrame, ctx: Context) -> Verdicts:
    # AWS managed keys are rotated by AWS; imported and custom key store material cannot rotate
    # automatically; disabled and pending-deletion keys encrypt nothing new.
    # alias/aws/ is reserved for AWS managed keys (moto creates its aws/ebs key as CUSTOMER).
    reserved = keys.aliases.map(lambda names: any(n.startswith("alias/aws/") for n in names)).astype(bool)
    judged = keys[
        keys.manager.eq("CUSTOMER")
        & ~reserved
        & keys.spec.eq("SYMMETRIC_DEFAULT")
        & keys.origin.eq("AWS_KMS")
        & keys.state.eq("Enabled")
    ]

    def passed(r: Any) -> str:
        every = f" every {int(r.rotation_period_days)} days" if pd.notna(r.rotation_period_days) else ""
        return f"{_key(r)} rotates its key material automatically{every}; {_age(r, ctx)}"

    return verdicts(
        judged,
        judged.rotation_enabled.where(judged.rotation_enabled.notna(), None),
        passed=passed,
        failed=lambda r: f"{_key(r)} has automatic rotation off; {_age(r, ctx)}",
        unknown="{resource}: its rotation status was not collected",
    )
