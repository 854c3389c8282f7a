"""`trustctl permissions aws` is enough, and nothing more is needed: proven with moto's IAM
enforcement on, by a user who holds only the printed policy."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import Ran
from trustctl.collectors.aws.storage import ACCOUNT_BLOCK_ACTION, IAM_ACTIONS

Cli = Callable[..., Ran]
# AWS authorizes S3 by IAM action (ListBuckets needs s3:ListAllMyBuckets); moto's IAM enforcement
# (5.2.6 on) by `signing-name:Operation`, the operation its router matched (s3:ListBuckets). The
# test user holds the printed policy plus, for each S3 action it grants, moto's name for it; a
# policy without an action therefore lacks both names.
MOTO_S3_NAMES = {
    **{action: f"s3:{operation}" for operation, action in IAM_ACTIONS.items()},
    ACCOUNT_BLOCK_ACTION: "s3:GetPublicAccessBlock",  # S3 Control signs as s3
}
# With enforcement on, moto rejects every EFS, AWS Backup and GuardDuty request with
# SignatureDoesNotMatch, whatever the policy (even Action "*"): for a request without a body it
# hashes the query parameters (or, when there are none, the headers) as the payload, where the SDK
# hashed an empty one. S3 is spared because its SDK sends the payload hash in a header. Those
# services cannot be judged here.
MOTO_UNVERIFIABLE = "SignatureDoesNotMatch"


def judged(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in results if MOTO_UNVERIFIABLE not in r["reason"]]


@pytest.fixture
def enforced(aws: str, post: Callable[..., Any]) -> Iterator[Callable[[dict[str, Any]], dict[str, str]]]:
    """Returns a function: policy -> environment of a new user holding only that policy, with IAM enforced."""

    def user_with(policy: dict[str, Any]) -> dict[str, str]:
        policy = in_moto_names(policy)
        iam = boto3.client("iam")
        iam.create_user(UserName="auditor")
        arn = iam.create_policy(PolicyName="trustctl", PolicyDocument=json.dumps(policy))["Policy"]["Arn"]
        iam.attach_user_policy(UserName="auditor", PolicyArn=arn)
        key = iam.create_access_key(UserName="auditor")["AccessKey"]
        iam.create_user(UserName="bob")
        _enforce(aws)
        return {
            "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
            "AWS_SESSION_TOKEN": "",
        }

    yield user_with
    _relax(aws)


def in_moto_names(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy with moto's name beside each S3 action it grants."""

    def statement(s: dict[str, Any]) -> dict[str, Any]:
        actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
        return {**s, "Action": [*actions, *(MOTO_S3_NAMES[a] for a in actions if a in MOTO_S3_NAMES)]}

    return {**policy, "Statement": [statement(s) for s in policy["Statement"]]}


def _reset_auth(endpoint: str, unauthenticated_calls: bytes) -> None:
    """moto's IAM enforcement: only the first N calls after this one go unchecked."""
    request = urllib.request.Request(
        endpoint + "/moto-api/reset-auth",
        data=unauthenticated_calls,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=30).read()


def _enforce(endpoint: str) -> None:
    _reset_auth(endpoint, b"0")


def _relax(endpoint: str) -> None:
    _reset_auth(endpoint, b"1e9")


def printed_policy(cli: Cli) -> dict[str, Any]:
    ran = cli("permissions", "aws")
    assert ran.code == 0
    return json.loads(ran.stdout)  # type: ignore[no-any-return]


def test_printed_policy_is_read_only(cli: Cli) -> None:
    policy = printed_policy(cli)
    actions = [a for s in policy["Statement"] for a in s["Action"]]
    assert "iam:GetCredentialReport" in actions and "iam:GetAccountAuthorizationDetails" in actions
    for action in actions:
        name = action.split(":")[1]
        assert name.startswith(("Get", "List", "Describe", "Generate")) or action == "sts:AssumeRole", action
    assert not any("Secret" in a for a in actions)


def test_a_user_with_only_the_printed_policy_collects_without_errors(
    project: Path, cli: Cli, enforced: Callable[[dict[str, Any]], dict[str, str]]
) -> None:
    boto3.client("s3").create_bucket(Bucket="audit-logs")  # so the eight per-bucket reads are sent
    env = enforced(printed_policy(cli))
    ran = cli("collect", "aws", env=env)
    failed_calls = [line for line in ran.stderr.splitlines() if line.strip().startswith("error ")]
    assert all(MOTO_UNVERIFIABLE in line for line in failed_calls), failed_calls
    report = json.loads(cli("check", "--format", "json", env=env).stdout)
    assert [r for r in judged(report["results"]) if r["status"] == "error"] == []
    checks = {r["check"] for r in report["results"] if r["status"] != "error"}
    assert {
        "aws.iam.user_console_mfa",
        "aws.s3.account_public_access_block",
        "aws.s3.default_encryption",
        "aws.rds.public_access",
        "aws.ec2.open_admin_ports",
        "aws.cloudtrail.multi_region",
        "aws.kms.key_rotation",
    } <= checks
    assert any(r["resource"].endswith(":user/bob") for r in report["results"])


def test_a_missing_permission_is_named(
    project: Path, cli: Cli, enforced: Callable[[dict[str, Any]], dict[str, str]]
) -> None:
    policy = printed_policy(cli)
    policy["Statement"][0]["Action"].remove("iam:GetCredentialReport")
    env = enforced(policy)
    ran = cli("collect", "aws", env=env)
    assert ran.code == 3
    assert "grant iam:GetCredentialReport" in ran.stderr
    report = json.loads(cli("check", "--format", "json", env=env).stdout)
    errors = [r for r in judged(report["results"]) if r["status"] == "error"]
    assert {r["check"] for r in errors} >= {"aws.iam.user_console_mfa", "aws.iam.root_mfa"}
    assert all("iam:GetCredentialReport" in r["reason"] for r in errors)
    # Checks that do not need the credential report still run.
    assert any(r["check"] == "aws.iam.wildcard_policy" and r["status"] != "error" for r in report["results"])
