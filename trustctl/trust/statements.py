"""The trust report's vocabulary: control areas, and one plain-language statement per check.

This is the allow-list: the report says only what these statements say, filled with counts and a date.
A check absent here still counts towards its area's totals but is never quoted.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Statement:
    area: str
    noun: str  # plural, what was counted
    predicate: str  # what holds for the passing ones


STATEMENTS: dict[str, Statement] = {
    "aws.iam.root_mfa": Statement("access", "cloud accounts", "protect their root user with MFA"),
    "aws.iam.root_access_keys": Statement("access", "cloud accounts", "have no root access keys"),
    "aws.iam.user_console_mfa": Statement("access", "console users", "sign in with MFA"),
    "identity.mfa_enrolled": Statement(
        "access", "staff members", "have multi-factor authentication enrolled"
    ),
    "identity.sso_enforced": Statement("access", "sign-in paths", "go through single sign-on"),
    "aws.iam.access_key_age": Statement("access", "access keys", "are rotated within policy"),
    "aws.iam.wildcard_policy": Statement("access", "permission policies", "avoid unrestricted wildcards"),
    "aws.iam.admin_access": Statement("access", "identities", "hold no unrestricted administrator access"),
    "gcp.iam.primitive_roles": Statement(
        "access", "GCP resources", "grant no basic Owner/Editor roles to people"
    ),
    "aws.s3.default_encryption": Statement("encryption", "storage buckets", "are encrypted at rest"),
    "aws.ebs.volume_encrypted": Statement("encryption", "disk volumes", "are encrypted at rest"),
    "aws.ebs.snapshot_encrypted": Statement("encryption", "disk snapshots", "are encrypted at rest"),
    "aws.rds.storage_encrypted": Statement("encryption", "production databases", "are encrypted at rest"),
    "aws.efs.encrypted": Statement("encryption", "file systems", "are encrypted at rest"),
    "aws.s3.tls_only": Statement("encryption", "storage buckets", "refuse unencrypted connections"),
    "aws.elb.tls_policy": Statement("encryption", "load balancer listeners", "require TLS 1.2 or later"),
    "gcp.sql.ssl_required": Statement("encryption", "GCP databases", "require encrypted connections"),
    "aws.kms.key_rotation": Statement("encryption", "encryption keys", "rotate automatically"),
    "gcp.kms.rotation": Statement("encryption", "GCP encryption keys", "rotate at least every 90 days"),
    "isolation.tenant_cmk": Statement(
        "encryption", "customers requiring their own keys", "have keys of their own"
    ),
    "aws.rds.backup_retention": Statement(
        "backup", "production databases", "keep automated backups as policy requires"
    ),
    "aws.dynamodb.pitr": Statement("backup", "tables", "have point-in-time recovery"),
    "aws.backup.plan_coverage": Statement("backup", "production data stores", "are covered by a backup plan"),
    "aws.backup.recent_recovery_point": Statement(
        "backup", "backed-up resources", "have a recent recovery point"
    ),
    "aws.backup.vault_lock": Statement("backup", "backup vaults", "are locked against deletion"),
    "aws.backup.restore_tested": Statement("backup", "regions with backups", "had a successful restore test"),
    "gcp.sql.backups": Statement("backup", "GCP databases", "have automated backups"),
    "aws.rds.multi_az": Statement("backup", "production databases", "run across availability zones"),
    "aws.cloudtrail.multi_region": Statement(
        "logging", "cloud accounts", "record administrative activity in every region"
    ),
    "aws.cloudtrail.log_validation": Statement("logging", "audit trails", "are tamper-evident"),
    "aws.guardduty.enabled": Statement("logging", "regions", "have threat detection on"),
    "aws.config.recorder": Statement("logging", "regions", "record configuration changes"),
    "gcp.logging.audit_logs": Statement("logging", "GCP projects", "keep data-access audit logs"),
    "aws.s3.public_access_block": Statement("network", "storage buckets", "block public access"),
    "aws.ec2.open_admin_ports": Statement(
        "network", "firewall groups", "keep administrative ports closed to the internet"
    ),
    "gcp.compute.open_admin_ports": Statement(
        "network", "GCP firewall rules", "keep administrative ports closed to the internet"
    ),
    "aws.rds.public_access": Statement("network", "databases", "are not publicly accessible"),
    "gcp.storage.public_access_prevention": Statement("network", "GCP buckets", "prevent public access"),
    "aws.residency.allowed_regions": Statement("isolation", "data stores", "are in the regions we promise"),
    "gcp.residency.allowed_regions": Statement(
        "isolation", "GCP data stores", "are in the regions we promise"
    ),
    "isolation.tenant_dedicated": Statement(
        "isolation", "customers", "are isolated at the level promised to them"
    ),
    "isolation.tenant_residency": Statement("isolation", "customers", "have their data in their own regions"),
    "isolation.tenant_backups": Statement("backup", "customers", "have every data store backed up"),
    "identity.leaver_access_removed": Statement(
        "people", "leaver accounts", "were removed within our deprovisioning SLA"
    ),
    "identity.orphan_accounts": Statement("people", "active accounts", "belong to a current staff member"),
}
