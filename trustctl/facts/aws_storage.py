"""S3 facts: one row per bucket (a data store) and one row per account-level public access block.

Tables: aws.s3.bucket (from ListBuckets and the eight per-bucket reads) and
aws.s3.account_public_access_block (from S3 Control). Each bucket row also carries its account's
block, since the account block overrides the bucket's own settings.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustctl.facts.aws_s3_policy import parse_policy, tls_deny
from trustctl.facts.base import Evidence, Normalizer, detail_errors, error_text, frame

BUCKETS = ("s3", "ListBuckets")
ACCOUNT_BLOCK = ("s3control", "GetPublicAccessBlock")
DETAILS = (
    "GetBucketLocation",
    "GetBucketEncryption",
    "GetBucketVersioning",
    "GetObjectLockConfiguration",
    "GetPublicAccessBlock",
    "GetBucketPolicy",
    "GetBucketLogging",
    "GetBucketTagging",
)
BLOCK_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
DATA_STORES: tuple[str, ...] = ("aws.s3.bucket",)
Detail = dict[str, tuple[str, Any]]  # operation -> (evidence hash, response)


def region_of(location: Any) -> str:
    """GetBucketLocation's LocationConstraint as a region: none for us-east-1, "EU" for eu-west-1."""
    if not location:
        return "us-east-1"
    return "eu-west-1" if location == "EU" else str(location)


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def _present(data: Any) -> bool:
    return isinstance(data, dict) and "Absent" not in data


def block_settings(data: Any) -> dict[str, bool]:
    """The four public access block settings of a response; all off when none is configured."""
    config = data.get("PublicAccessBlockConfiguration", {}) if _present(data) else {}
    return {setting: bool(config.get(setting)) for setting in BLOCK_SETTINGS}


def _details(ev: Evidence) -> dict[tuple[str, str], Detail]:
    found: dict[tuple[str, str], Detail] = {}
    for operation in DETAILS:
        for record, data in ev.responses("aws", "s3", operation):
            assert record.object is not None
            key = (record.call.account, str(record.call.parameters.get("Bucket")))
            found.setdefault(key, {})[operation] = (record.object, data)
    return found


def _account_blocks(ev: Evidence) -> dict[str, tuple[str | None, dict[str, bool] | None, str]]:
    """Per account: (evidence hash, settings, why it is unknown); settings None when not collected."""
    blocks: dict[str, tuple[str | None, dict[str, bool] | None, str]] = {}
    for record in ev.failures_of("aws", *ACCOUNT_BLOCK):
        blocks[record.call.account] = (None, None, error_text(record))
    for record, data in ev.responses("aws", *ACCOUNT_BLOCK):
        blocks[record.call.account] = (record.object, block_settings(data), "")
    return blocks


def _encryption(data: Any) -> dict[str, Any]:
    rules = data.get("ServerSideEncryptionConfiguration", {}).get("Rules", []) if _present(data) else []
    rule = next((r for r in rules if r.get("ApplyServerSideEncryptionByDefault")), None)
    if rule is None:
        # What S3 does for a bucket without a configuration (and what GetBucketEncryption has
        # returned for such buckets since January 2023): SSE-S3 on every new object.
        return {"sse_algorithm": "AES256", "sse_explicit": False, "kms_key": None, "bucket_key": False}
    default = rule["ApplyServerSideEncryptionByDefault"]
    return {
        "sse_algorithm": default.get("SSEAlgorithm"),
        "sse_explicit": True,
        "kms_key": default.get("KMSMasterKeyID"),
        "bucket_key": bool(rule.get("BucketKeyEnabled")),
    }


def _object_lock(data: Any) -> dict[str, Any]:
    config = data.get("ObjectLockConfiguration", {}) if _present(data) else {}
    retention = config.get("Rule", {}).get("DefaultRetention", {})
    days = retention.get("Days") or (retention.get("Years") or 0) * 365 or None
    return {
        "object_lock": config.get("ObjectLockEnabled") == "Enabled",
        "object_lock_mode": retention.get("Mode"),
        "object_lock_days": days,
    }


def _bucket_row(account: str, bucket: dict[str, Any], listing: str, detail: Detail) -> dict[str, Any]:
    def data(operation: str) -> Any:
        return detail.get(operation, ("", {}))[1]

    location = data("GetBucketLocation")
    region = (
        region_of(location.get("LocationConstraint"))
        if "GetBucketLocation" in detail
        else bucket.get("BucketRegion") or "unknown"
    )
    arn = f"arn:{partition_of(region)}:s3:::{bucket['Name']}"
    policy = parse_policy(data("GetBucketPolicy").get("Policy"))
    tls = tls_deny(policy, arn)
    versioning = data("GetBucketVersioning")
    return {
        "provider": "aws",
        "account": account,
        "region": region,
        "resource": arn,
        "evidence": [listing, *(digest for digest, _ in detail.values())],
        "name": bucket["Name"],
        "created": bucket.get("CreationDate"),
        "tags": {t["Key"]: t["Value"] for t in data("GetBucketTagging").get("TagSet", [])},
        **_encryption(data("GetBucketEncryption")),
        # S3 reports no status for a bucket whose versioning was never enabled.
        "versioning": versioning.get("Status") or "Unversioned",
        "mfa_delete": versioning.get("MFADelete") == "Enabled",
        **_object_lock(data("GetObjectLockConfiguration")),
        "public_access_block": (
            block_settings(data("GetPublicAccessBlock")) if "GetPublicAccessBlock" in detail else None
        ),
        "policy_present": "GetBucketPolicy" in detail and _present(data("GetBucketPolicy")),
        "tls_only_bucket": tls.bucket,
        "tls_only_objects": tls.objects,
        "logging_target": data("GetBucketLogging").get("LoggingEnabled", {}).get("TargetBucket"),
    }


BUCKET_COLUMNS = [
    "name",
    "created",
    "tags",
    "sse_algorithm",
    "sse_explicit",
    "kms_key",
    "bucket_key",
    "versioning",
    "mfa_delete",
    "object_lock",
    "object_lock_mode",
    "object_lock_days",
    "public_access_block",
    "account_public_access_block",
    "account_block_error",
    "policy_present",
    "tls_only_bucket",
    "tls_only_objects",
    "logging_target",
    "detail_errors",
]


def build_buckets(ev: Evidence) -> pd.DataFrame:
    details = _details(ev)
    failed = detail_errors(ev, "aws", "s3", DETAILS, key="Bucket")
    accounts = _account_blocks(ev)
    rows, seen = [], set()
    for record, data in ev.responses("aws", *BUCKETS):
        assert record.object is not None
        account = record.call.account
        block_hash, block, block_error = accounts.get(
            account, (None, None, "s3control:GetPublicAccessBlock was not collected")
        )
        for bucket in data.get("Buckets", []):
            if (account, bucket["Name"]) in seen:
                continue
            seen.add((account, bucket["Name"]))
            row = _bucket_row(account, bucket, record.object, details.get((account, bucket["Name"]), {}))
            row["evidence"] += [block_hash] if block_hash else []
            row["account_public_access_block"] = block
            row["account_block_error"] = block_error
            row["detail_errors"] = failed.get((account, bucket["Name"]), {})
            rows.append(row)
    table = frame(rows, BUCKET_COLUMNS)
    table["created"] = pd.to_datetime(table["created"], utc=True, format="ISO8601")
    return table


SETTING_COLUMNS = {
    "BlockPublicAcls": "block_public_acls",
    "IgnorePublicAcls": "ignore_public_acls",
    "BlockPublicPolicy": "block_public_policy",
    "RestrictPublicBuckets": "restrict_public_buckets",
}


def build_account_blocks(ev: Evidence) -> pd.DataFrame:
    rows = []
    for record, data in ev.responses("aws", *ACCOUNT_BLOCK):
        settings = block_settings(data)
        rows.append(
            {
                "provider": "aws",
                "account": record.call.account,
                "region": "global",
                "resource": record.call.account,
                "evidence": [record.object],
                "configured": _present(data),
                **{SETTING_COLUMNS[setting]: on for setting, on in settings.items()},
            }
        )
    return frame(rows, ["configured", *SETTING_COLUMNS.values()])


NORMALIZERS = (
    Normalizer("aws.s3.bucket", "aws", (BUCKETS,), build_buckets),
    Normalizer("aws.s3.account_public_access_block", "aws", (ACCOUNT_BLOCK,), build_account_blocks),
)
