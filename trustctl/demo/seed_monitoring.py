"""Demo company: audit logging, detection and backups, so every monitoring check passes and fails.

The management account has a multi-region trail with validated, KMS-encrypted logs; production has
only a single-region application trail. AWS Config records everything in the management account's
home region and is missing, partial or stopped elsewhere; GuardDuty is off in production's
us-east-1. AWS Backup runs in production's eu-west-1 (a locked vault, a restore testing plan, one
database whose backups keep failing) and barely in the management account.

Trails, recorders, detectors, plans and vaults go through the real APIs on moto. Selections,
recovery points, restore jobs and restore testing plans, which moto lacks, go into the state that
`trustctl.demo.backup_shim` serves (the demo server must run with `backup_shim=True`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import boto3

from trustctl.demo.backup_shim import STATE

HOME = "eu-west-1"
OTHER = "us-east-1"
ALL_TYPES = {"allSupported": True, "includeGlobalResourceTypes": True}


def _account(session: boto3.Session) -> str:
    return str(session.client("sts", region_name=HOME).get_caller_identity()["Account"])


def _trail(session: boto3.Session, name: str, bucket: str, **settings: Any) -> None:
    s3: Any = session.client("s3", region_name=HOME)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": HOME})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "data", "Value": "audit-logs"}]})
    cloudtrail: Any = session.client("cloudtrail", region_name=HOME)
    cloudtrail.create_trail(Name=name, S3BucketName=bucket, **settings)
    cloudtrail.start_logging(Name=name)


def _recorder(
    session: boto3.Session, region: str, bucket: str, group: dict[str, Any], *, start: bool
) -> None:
    config: Any = session.client("config", region_name=region)
    role = (
        f"arn:aws:iam::{_account(session)}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
    )
    config.put_configuration_recorder(
        ConfigurationRecorder={"name": "default", "roleARN": role, "recordingGroup": group}
    )
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    if start:
        config.start_configuration_recorder(ConfigurationRecorderName="default")


def _seed_logging(management: boto3.Session, production: boto3.Session) -> None:
    mgmt = _account(management)
    _trail(
        management,
        "acme-audit",
        "acme-cloudtrail-logs",
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId=f"arn:aws:kms:{HOME}:{mgmt}:key/3f6a1d2e-6c1b-4f0e-9a51-cloudtrail0001",
    )
    _trail(production, "prod-app-events", "acme-prod-trail-logs")  # one region, no validation, no KMS
    _recorder(management, HOME, "acme-cloudtrail-logs", ALL_TYPES, start=True)
    only_some = {
        "allSupported": False,
        "includeGlobalResourceTypes": False,
        "resourceTypes": ["AWS::S3::Bucket", "AWS::RDS::DBInstance"],
        "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"},
    }
    _recorder(production, HOME, "acme-prod-trail-logs", only_some, start=True)
    _recorder(production, OTHER, "acme-prod-trail-logs", ALL_TYPES, start=False)  # set up once, never started
    for region in (HOME, OTHER):
        management.client("guardduty", region_name=region).create_detector(Enable=True)
    production.client("guardduty", region_name=HOME).create_detector(Enable=True)
    production.client("guardduty", region_name=OTHER).create_detector(Enable=False)


def _plan(backup: Any, name: str, vault: str) -> str:
    rule = {"RuleName": "daily", "TargetBackupVaultName": vault, "Lifecycle": {"DeleteAfterDays": 35}}
    return str(
        backup.create_backup_plan(BackupPlan={"BackupPlanName": name, "Rules": [rule]})["BackupPlanId"]
    )


@dataclass(frozen=True)
class _Shimmed:
    """One account and region's AWS Backup state that moto lacks, written where the shim serves it."""

    account: str
    region: str
    now: datetime

    def arn(self, kind: str, name: str) -> str:
        return f"arn:aws:backup:{self.region}:{self.account}:{kind}:{name}"

    def select(self, plan_id: str, selection: dict[str, Any]) -> None:
        STATE.add_selection(self.account, self.region, plan_id, selection, self.now - timedelta(days=200))

    def points(self, vault: str, resource: str, kind: str, *history: tuple[float, str]) -> None:
        """Recovery points of one resource, each (hours ago, status)."""
        for hours, status in history:
            created = self.now - timedelta(hours=hours)
            point = {
                "RecoveryPointArn": self.arn("recovery-point", str(uuid.uuid4())),
                "BackupVaultArn": self.arn("backup-vault", vault),
                "ResourceArn": resource,
                "ResourceType": kind,
                "Status": status,
                "CreationDate": created,
                "IsEncrypted": True,
            }
            if status == "COMPLETED":
                point["CompletionDate"] = created + timedelta(minutes=20)
            STATE.add_recovery_point(self.account, self.region, vault, point)

    def restore(self, days_ago: float, kind: str, testing_plan: str | None = None) -> None:
        done = self.now - timedelta(days=days_ago)
        job = {
            "RestoreJobId": str(uuid.uuid4()).upper(),
            "RecoveryPointArn": self.arn("recovery-point", str(uuid.uuid4())),
            "CreationDate": done - timedelta(minutes=40),
            "CompletionDate": done,
            "Status": "COMPLETED",
            "ResourceType": kind,
        }
        if testing_plan:
            job["CreatedBy"] = {"RestoreTestingPlanArn": testing_plan}
        STATE.add_restore_job(self.account, self.region, job)

    def testing_plan(self, name: str, schedule: str) -> str:
        arn = self.arn("restore-testing-plan", f"{name}-8c1d2e")
        STATE.add_restore_testing_plan(
            self.account,
            self.region,
            {
                "RestoreTestingPlanArn": arn,
                "RestoreTestingPlanName": name,
                "CreationTime": self.now - timedelta(days=300),
                "ScheduleExpression": schedule,
            },
        )
        return arn


def _seed_production_backups(production: boto3.Session, now: datetime) -> None:
    backup: Any = production.client("backup", region_name=HOME)
    vault = "acme-prod-vault"
    backup.create_backup_vault(BackupVaultName=vault)
    backup.put_backup_vault_lock_configuration(
        BackupVaultName=vault, MinRetentionDays=14, MaxRetentionDays=400, ChangeableForDays=3
    )
    backup.create_backup_vault(BackupVaultName="Default")  # AWS's default vault, never locked
    plan = _plan(backup, "production-daily", vault)
    shim = _Shimmed(_account(production), HOME, now)
    role = f"arn:aws:iam::{shim.account}:role/service-role/AWSBackupDefaultServiceRole"
    rds, tables = f"arn:aws:rds:{HOME}:{shim.account}", f"arn:aws:dynamodb:{HOME}:{shim.account}:table"
    databases = [f"{rds}:db:orders-db", f"{rds}:cluster:payments", f"{tables}/*"]
    shim.select(
        plan,
        {
            "SelectionName": "databases",
            "IamRoleArn": role,
            "Resources": databases,
            "NotResources": [f"{tables}/audit-events"],
        },
    )
    customer = {"ConditionType": "STRINGEQUALS", "ConditionKey": "data", "ConditionValue": "customer"}
    shim.select(plan, {"SelectionName": "customer-data", "IamRoleArn": role, "ListOfTags": [customer]})
    shim.points(vault, f"{rds}:db:orders-db", "RDS", (29, "COMPLETED"), (5, "COMPLETED"))
    shim.points(vault, f"{tables}/sessions", "DynamoDB", (20, "COMPLETED"))
    shim.points(vault, "arn:aws:s3:::acme-app-data", "S3", (8, "COMPLETED"))
    # Its backups have been failing for three days: the newest completed point is too old.
    shim.points(
        vault, f"{rds}:cluster:payments", "Aurora", (76, "COMPLETED"), (28, "PARTIAL"), (4, "PARTIAL")
    )
    drill = shim.testing_plan("quarterly_restore_drill", "cron(0 3 1 */3 ? *)")
    shim.restore(12, "RDS", drill)


def _seed_management_backups(management: boto3.Session, now: datetime) -> None:
    backup: Any = management.client("backup", region_name=OTHER)
    vault = "acme-mgmt-vault"
    backup.create_backup_vault(BackupVaultName=vault)
    backup.put_backup_vault_lock_configuration(BackupVaultName=vault, MinRetentionDays=3)  # under policy
    _plan(backup, "terraform-state", vault)
    shim = _Shimmed(_account(management), OTHER, now)
    locks = f"arn:aws:dynamodb:{OTHER}:{shim.account}:table/terraform-locks"
    shim.points(vault, locks, "DynamoDB", (2, "COMPLETED"))
    shim.restore(200, "DynamoDB")  # a one-off restore long ago, and no restore testing plan


def seed(management: boto3.Session, production: boto3.Session, now: datetime) -> None:
    """Create resources in both accounts so every monitoring check has a passing and a failing one."""
    _seed_logging(management, production)
    _seed_production_backups(production, now)
    _seed_management_backups(management, now)
