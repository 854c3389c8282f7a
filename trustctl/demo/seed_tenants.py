"""Demo company: three enterprise customers with their own compartments.

Globex has an AWS account of its own (isolation `account`) with its own KMS key; Initech's stores are
tagged `tenant=initech` in the shared production account (isolation `database`); Umbrella's archive
bucket, tagged `tenant=umbrella`, sits in us-east-1 although Umbrella was promised Ireland.
"""

from __future__ import annotations

from typing import Any

import boto3

REGION = "eu-west-1"


def _session(base: boto3.Session, account: str) -> boto3.Session:
    creds = base.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def _table(dynamodb: Any, name: str, tags: dict[str, str], key: str | None = None) -> None:
    sse = {"SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key}} if key else {}
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        **sse,
    )
    dynamodb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )


def _bucket(s3: Any, name: str, region: str, tags: dict[str, str], key: str | None = None) -> None:
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **location)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})
    rule: dict[str, Any] = (
        {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key} if key else {"SSEAlgorithm": "AES256"}
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": rule}]},
    )
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def seed(base: boto3.Session, production: boto3.Session) -> str:
    """Create the tenants' stores; returns Globex's dedicated account id."""
    org = base.client("organizations")
    status = org.create_account(Email="aws-globex@acme.example", AccountName="acme-globex")[
        "CreateAccountStatus"
    ]
    globex = (
        status.get("AccountId")
        or org.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"][
            "AccountId"
        ]
    )
    dedicated = _session(base, globex)
    kms = dedicated.client("kms", region_name=REGION)
    key = kms.create_key(Description="Globex data")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key)
    kms.create_alias(AliasName="alias/globex-data", TargetKeyId=key)
    _bucket(dedicated.client("s3", region_name=REGION), "globex-documents", REGION, {"data": "customer"}, key)
    _table(dedicated.client("dynamodb", region_name=REGION), "globex-orders", {"data": "customer"}, key)

    _bucket(production.client("s3", region_name=REGION), "initech-uploads", REGION, {"tenant": "initech"})
    _table(production.client("dynamodb", region_name=REGION), "initech-ledger", {"tenant": "initech"})
    _bucket(
        production.client("s3", region_name="us-east-1"),
        "umbrella-archive",
        "us-east-1",
        {"tenant": "umbrella"},
    )
    return str(globex)


def tenants_config(globex: str) -> str:
    return f"""
[[tenants]]
name = "globex"
display_name = "Globex Corporation"
isolation = "account"
aws_accounts = ["{globex}"]
regions = ["eu-west-1"]
require_cmk = true

[[tenants]]
name = "initech"
display_name = "Initech"
isolation = "database"
tag = "tenant=initech"
regions = ["eu-west-1"]

[[tenants]]
name = "umbrella"
display_name = "Umbrella Corp"
tag = "tenant:umbrella"
regions = ["eu-west-1"]

[trust]
contact = "security@acme.example"
in_progress = ["soc2"]  # what Acme works toward now (the roadmap's first step)
subprocessors = [
  {{ name = "Amazon Web Services", purpose = "Hosting and storage", location = "Ireland (eu-west-1)" }},
  {{ name = "Google Cloud", purpose = "Analytics", location = "Belgium (europe-west1)" }},
  {{ name = "Slack", purpose = "Internal communication", location = "United States" }},
]
"""
