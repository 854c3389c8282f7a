"""Seed a moto server with "Acme": a management account with mostly good IAM and a production
member account with the mistakes real accounts have.

Everything goes through the real AWS APIs over HTTP except what no API can do: aging credentials
and turning on root MFA, which are set on moto's in-process backend (the demo only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from trustctl.demo import seed_compute, seed_databases, seed_monitoring, seed_storage, seed_tenants

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
TRUST_ACCOUNT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass(frozen=True)
class SeededOrg:
    management: str
    production: str
    globex: str = ""  # the account dedicated to the tenant Globex


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _user(
    iam: Any,
    name: str,
    *,
    console: bool = False,
    key: bool = False,
    mfa: bool = False,
    groups: tuple[str, ...] = (),
) -> None:
    iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": "demo"}])
    if console:
        iam.create_login_profile(UserName=name, Password="Demo-only-password-123!")
    if key:
        iam.create_access_key(UserName=name)
    if mfa:
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
        iam.enable_mfa_device(
            UserName=name,
            SerialNumber=device["SerialNumber"],
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
    for group in groups:
        iam.add_user_to_group(GroupName=group, UserName=name)


def _seed_management(iam: Any) -> None:
    iam.update_account_password_policy(
        MinimumPasswordLength=16,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        PasswordReusePrevention=24,
        MaxPasswordAge=365,
    )
    engineers = iam.create_policy(
        PolicyName="EngineersAppData",
        PolicyDocument=_policy(
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": "arn:aws:s3:::acme-app-data/*",
            },
            {"Effect": "Allow", "Action": ["logs:FilterLogEvents"], "Resource": "*"},
        ),
    )["Policy"]["Arn"]
    deploy = iam.create_policy(
        PolicyName="DeployArtifacts",
        PolicyDocument=_policy(
            {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::acme-artifacts/*"}
        ),
    )["Policy"]["Arn"]
    iam.create_group(GroupName="engineers")
    iam.attach_group_policy(GroupName="engineers", PolicyArn=engineers)
    iam.create_group(GroupName="deployers")
    iam.attach_group_policy(GroupName="deployers", PolicyArn=deploy)
    _user(iam, "alice", console=True, mfa=True, groups=("engineers",))
    _user(iam, "carol", console=True, mfa=True, groups=("engineers",))
    _user(iam, "ci-deploy", key=True, groups=("deployers",))
    iam.create_role(RoleName="BreakGlassAdmin", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
    iam.attach_role_policy(RoleName="BreakGlassAdmin", PolicyArn=ADMIN)


def _seed_production(iam: Any) -> None:
    # No password policy: IAM's defaults apply.
    # AWS Organizations (and moto) create this role with the account; it holds AdministratorAccess.
    iam.attach_role_policy(RoleName="OrganizationAccountAccessRole", PolicyArn=ADMIN)
    data = iam.create_policy(
        PolicyName="DataPlatformFull",
        PolicyDocument=_policy(
            {"Effect": "Allow", "Action": ["dynamodb:*", "s3:GetObject"], "Resource": "*"}
        ),
    )["Policy"]["Arn"]
    iam.create_role(RoleName="DataPlatform", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
    iam.attach_role_policy(RoleName="DataPlatform", PolicyArn=data)
    iam.create_group(GroupName="oncall")
    iam.attach_group_policy(GroupName="oncall", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    _user(iam, "dana", console=True, mfa=True, groups=("oncall",))
    _user(iam, "bob", console=True)  # a person with a password, no MFA, and admin attached directly
    iam.attach_user_policy(UserName="bob", PolicyArn=ADMIN)
    _user(iam, "legacy-etl", key=True)  # an old pipeline's user with an old key and an inline wildcard
    iam.put_user_policy(
        UserName="legacy-etl",
        PolicyName="etl-s3",
        PolicyDocument=_policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
    )


def _age_credentials(management: str, production: str, now: datetime) -> None:
    """What no API can do: credentials that have been around, and root MFA on the management account."""
    from moto.iam.models import iam_backends

    mgmt: Any = iam_backends[management]["aws"]  # moto internals: no API ages credentials
    mgmt.account_summary._account_mfa_enabled = 1
    for user in mgmt.users.values():
        user.create_date = now - timedelta(days=300)
        user.password_last_used = now - timedelta(days=2)
    for key in mgmt.users["ci-deploy"].access_keys:
        key.create_date = now - timedelta(days=30)
        key.last_used = now - timedelta(hours=6)
    prod: Any = iam_backends[production]["aws"]
    prod.account_summary._account_access_keys_present = 1
    for user in prod.users.values():
        user.create_date = now - timedelta(days=500)
        user.password_last_used = now - timedelta(days=1)
    prod.users["bob"].password_last_used = now - timedelta(days=190)
    for key in prod.users["legacy-etl"].access_keys:
        key.create_date = now - timedelta(days=420)
        key.last_used = now - timedelta(days=97)


def seed(now: datetime | None = None) -> SeededOrg:
    """Create the organization on the moto server that AWS_ENDPOINT_URL points at (in this process)."""
    now = now or datetime.now(UTC)
    session = boto3.Session()
    management = session.client("sts").get_caller_identity()["Account"]
    org = session.client("organizations")
    org.create_organization(FeatureSet="ALL")
    status = org.create_account(Email="aws-prod@acme.example", AccountName="acme-prod")["CreateAccountStatus"]
    production = (
        status.get("AccountId")
        or org.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"][
            "AccountId"
        ]
    )
    _seed_management(session.client("iam"))
    creds = session.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{production}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
    )["Credentials"]
    prod = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    _seed_production(prod.client("iam"))
    _age_credentials(management, production, now)
    for module in (seed_storage, seed_compute, seed_databases, seed_monitoring):
        module.seed(session, prod, now)
    globex = seed_tenants.seed(session, prod)
    return SeededOrg(management, production, globex)
