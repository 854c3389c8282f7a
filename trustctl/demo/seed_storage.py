"""Demo company: S3 buckets in both accounts, so every S3 check has passing and failing buckets.

The management account blocks public access account-wide and keeps tidy buckets; production has
no account-level block and carries the usual mistakes: customer data on the SSE-S3 default,
versioning suspended or never enabled, no TLS-only policy, a half-configured bucket block.
The demo config sets policy.kms_required_tags = ["data=customer"].
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import boto3

from trustctl.collectors.aws.clients import honour_host_prefix_setting

ALL_BLOCKED = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def tls_only_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def _bucket(
    session: boto3.Session,
    name: str,
    region: str,
    *,
    tags: dict[str, str] | None = None,
    sse: str | None = None,
    versioning: str | None = None,
    tls_only: bool = False,
    block: dict[str, bool] | None = None,
    object_lock: bool = False,
) -> None:
    s3: Any = session.client("s3", region_name=region)
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=object_lock, **location)
    if tags:
        s3.put_bucket_tagging(
            Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
        )
    if sse:
        default: dict[str, str] = {"SSEAlgorithm": sse}
        if sse == "aws:kms":
            default["KMSMasterKeyID"] = "alias/acme-data"
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": sse == "aws:kms"}
                ]
            },
        )
    if versioning:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
    if tls_only:
        s3.put_bucket_policy(Bucket=name, Policy=tls_only_policy(name))
    if block:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)


def _block_account(session: boto3.Session, account: str) -> None:
    s3control: Any = session.client("s3control", region_name="us-east-1")
    honour_host_prefix_setting(s3control)  # the demo's moto server listens on 127.0.0.1
    s3control.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration=ALL_BLOCKED)


def seed(management: boto3.Session, production: boto3.Session, now: datetime) -> None:
    """Create resources in both accounts so every storage check has a passing and a failing one."""
    management_id = management.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
    _block_account(management, management_id)
    # Passes every check, public access blocked only through the account-level block.
    _bucket(management, "acme-artifacts", "us-east-1", sse="AES256", versioning="Enabled", tls_only=True)
    _bucket(
        management,
        "acme-audit-archive",
        "eu-west-1",
        tags={"data": "audit"},
        sse="aws:kms",
        object_lock=True,  # Object Lock turns versioning on
        tls_only=True,
        block=ALL_BLOCKED,
    )
    # Production: no account-level block.
    _bucket(
        production,
        "acme-app-data",
        "eu-west-1",
        tags={"data": "customer", "environment": "production"},
        sse="aws:kms",
        versioning="Enabled",
        tls_only=True,
        block=ALL_BLOCKED,
    )
    _bucket(
        production,
        "acme-customer-exports",
        "us-east-1",
        tags={"data": "customer", "environment": "production"},
        versioning="Suspended",
        block={**dict.fromkeys(ALL_BLOCKED, False), "BlockPublicAcls": True},
    )
    _bucket(production, "acme-scratch", "eu-west-1", tags={"team": "data"})
