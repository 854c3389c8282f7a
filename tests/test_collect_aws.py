"""`collect aws` end to end against a real moto server over HTTP, through the real CLI."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import Ran
from trustctl import pipeline
from trustctl.collectors.aws.clients import ClientFactory, _guard, is_allowed
from trustctl.collectors.aws.runner import declared_operations
from trustctl.config import AwsConfig
from trustctl.demo.seed import seed
from trustctl.errors import ReadOnlyViolation

Cli = Callable[..., Ran]


def seed_single_account() -> None:
    iam = boto3.client("iam")
    iam.create_user(UserName="bob")
    iam.create_login_profile(UserName="bob", Password="Password-123-long!")
    iam.attach_user_policy(UserName="bob", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.create_group(GroupName="devs")
    iam.create_user(UserName="svc")
    iam.add_user_to_group(GroupName="devs", UserName="svc")
    iam.create_access_key(UserName="svc")


def results(cli: Cli, *args: str) -> tuple[int, dict[str, Any]]:
    ran = cli("check", "--format", "json", *args)
    assert ran.code in (0, 4), ran.stderr
    return ran.code, json.loads(ran.stdout)


def test_collect_check_verify_one_account(aws: str, project: Path, cli: Cli) -> None:
    seed_single_account()
    collected = cli("collect", "aws")
    assert collected.code == 0, collected.stderr
    assert "0 errors" in collected.stdout and "123456789012" in collected.stdout
    code, report = results(cli)
    assert code == 4
    assert set(report) == {"tool", "run", "results", "summary"}
    assert report["tool"]["name"] == "trustctl" and report["run"]["completed_at"].endswith("Z")
    by = {(r["check"], r["resource"]): r for r in report["results"]}
    bob = "arn:aws:iam::123456789012:user/bob"
    assert by[("aws.iam.user_console_mfa", bob)]["status"] == "fail"
    assert by[("aws.iam.admin_access", bob)]["status"] == "fail"
    assert by[("aws.iam.admin_access", "arn:aws:iam::123456789012:user/svc")]["status"] == "pass"
    assert by[("aws.iam.password_policy", "123456789012")]["status"] == "fail"
    first = by[("aws.iam.user_console_mfa", bob)]
    assert set(first) == {
        "check",
        "control",
        "status",
        "severity",
        "provider",
        "account",
        "region",
        "resource",
        "reason",
        "requirements",
        "evidence",
    }
    assert first["control"] == "AC-02" and first["severity"] == "high" and first["region"] == "global"
    assert first["evidence"] and all(e.startswith("sha256:") for e in first["evidence"])
    assert sum(report["summary"].values()) == len(report["results"])
    verified = cli("verify")
    assert verified.code == 0 and "1 runs" in verified.stdout


def test_organization_member_accounts_through_org_role(aws: str, project: Path, cli: Cli) -> None:
    org = seed()
    collected = cli("collect", "aws", "--org-role", "OrganizationAccountAccessRole", "--regions", "eu-west-1")
    assert collected.code == 0, collected.stderr
    _, report = results(cli)
    accounts = {r["account"] for r in report["results"]}
    assert accounts == {org.management, org.production, org.globex}
    status = {(r["check"], r["resource"]): r["status"] for r in report["results"]}
    assert status[("aws.iam.root_mfa", org.management)] == "pass"
    assert status[("aws.iam.root_mfa", org.production)] == "fail"
    assert status[("aws.iam.access_key_age", f"arn:aws:iam::{org.production}:user/legacy-etl")] == "fail"
    assert (
        status[("aws.iam.wildcard_policy", f"arn:aws:iam::{org.production}:user/legacy-etl#inline/etl-s3")]
        == "fail"
    )


def test_collectors_only_make_read_calls(aws: str, tmp_path: Path) -> None:
    seed()
    made = pipeline.init(tmp_path, "Acme")
    config = pipeline.load(made.config)
    config = config.model_copy(update={"aws": AwsConfig(org_role="OrganizationAccountAccessRole")})
    seen: set[str] = set()
    lock = threading.Lock()

    def record(model: Any, **_: Any) -> None:
        with lock:
            seen.add(f"{model.service_model.signing_name}:{model.name}")

    def hook(client: Any) -> None:
        client.meta.events.register("before-call", record)

    collected = pipeline.collect(config, ["aws"], hooks=[hook])
    assert collected.errors == 0
    assert {op.split(":")[1] for op in seen} >= {
        "GetCredentialReport",
        "GetAccountAuthorizationDetails",
        "ListAccounts",
        "AssumeRole",
        "DescribeRegions",
    }
    # Every operation sent is declared by a collector (the guard's allow-list) ...
    assert sorted(op for op in seen if not is_allowed(op, declared_operations())) == []
    # ... and every declared operation is a read that returns no secret values.
    for op in declared_operations():
        name = op.split(":")[1]
        assert name.startswith(("Get", "List", "Describe")) or name in (
            "GenerateCredentialReport",
            "AssumeRole",
        )


def test_clients_refuse_mutating_and_secret_calls(aws: str) -> None:
    sent: list[str] = []

    def watch(client: Any) -> None:
        client.meta.events.register("before-send", lambda request, **_: sent.append(request.url))

    factory = ClientFactory(AwsConfig(), hooks=[watch])
    session = factory.base_session()
    boto3.client("s3").create_bucket(Bucket="secret-bucket")
    boto3.client("s3").put_object(Bucket="secret-bucket", Key="k", Body=b"secret")
    refused = [
        ("iam", lambda c: c.create_user(UserName="x")),
        ("secretsmanager", lambda c: c.get_secret_value(SecretId="x")),
        # Named like reads, but they return secrets: object content, parameter values, a function's
        # environment, an instance's user data. Refused because no collector declares them.
        ("s3", lambda c: c.get_object(Bucket="secret-bucket", Key="k")),
        ("ssm", lambda c: c.get_parameter_history(Name="p", WithDecryption=True)),
        ("lambda", lambda c: c.get_function(FunctionName="f")),
        ("ec2", lambda c: c.describe_instance_attribute(InstanceId="i-1", Attribute="userData")),
        # A read no collector declares is refused too: the allow-list is what collectors declare.
        ("iam", lambda c: c.list_users()),
    ]
    guard = _guard(declared_operations())
    for service, send in refused:
        # The client's model holds the declared operations only (models.py): no such method at all.
        with pytest.raises(AttributeError, match="object has no attribute"):
            send(factory.client(session, service, "us-east-1"))
        # The guard is the second line: a client whose model has the operation still never sends it.
        complete = boto3.client(service, region_name="us-east-1")
        complete.meta.events.register("before-call", guard)
        complete.meta.events.register("before-send", lambda request, **_: sent.append(request.url))
        with pytest.raises(ReadOnlyViolation, match="no trustctl collector declares it"):
            send(complete)
    assert sent == []  # refused before anything reached the endpoint
    assert boto3.client("iam").list_users()["Users"] == []
    # A declared read goes through.
    assert "Buckets" in factory.client(session, "s3", "us-east-1").list_buckets()
    assert len(sent) == 1


def test_profile_from_config_uses_the_standard_credential_chain(aws: str, project: Path, cli: Cli) -> None:
    boto3.client("iam").create_user(UserName="bob")
    credentials = project / "aws-credentials"
    credentials.write_text("[audit]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    config = project / "trustctl.toml"
    config.write_text(config.read_text().replace('# profile = "audit"', 'profile = "audit"'))
    env = {
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
        "AWS_SESSION_TOKEN": "",
    }
    ran = cli("collect", "aws", env=env)
    assert ran.code == 0, ran.stderr
    missing = config.read_text().replace('profile = "audit"', 'profile = "nope"')
    config.write_text(missing)
    ran = cli("collect", "aws", env=env)
    assert ran.code == 1 and "Traceback" not in ran.stderr
    assert "AWS profile 'nope' was not found" in ran.stderr


def test_worker_processes_collect_the_same_evidence(aws: str, tmp_path: Path) -> None:
    seed()
    config = pipeline.load(pipeline.init(tmp_path, "Acme").config)
    runs = []
    for processes in (1, 2):
        aws_settings = AwsConfig(
            org_role="OrganizationAccountAccessRole", regions=["eu-west-1"], processes=processes
        )
        runs.append(pipeline.collect(config.model_copy(update={"aws": aws_settings}), ["aws"]).manifest)
    # The same requests (moto's own clock changes a few answers between runs, e.g. EFS sizes).
    one, two = (
        {
            (r.call.account, r.call.region, r.call.service, r.call.operation, r.call.page)
            for r in m.requests
            if r.call.operation != "GenerateCredentialReport"
        }
        for m in runs
    )
    assert one == two and len(one) > 50
    assert runs[1].errors == [] and runs[1].previous == pipeline.open_locker(config).manifest_digest(
        runs[0].run_id
    )


def test_long_tasks_start_first_and_the_collector_is_restored(aws: str, tmp_path: Path) -> None:
    """S3's reads per bucket are most of an account's requests: its task starts before the others, so
    it does not run alone at the end; the garbage collector, paused while collecting, is on after."""
    import gc

    seed_single_account()
    boto3.client("s3").create_bucket(Bucket="first-bucket")
    made = pipeline.init(tmp_path, "Acme")
    config = pipeline.load(made.config)
    config = config.model_copy(update={"aws": AwsConfig(regions=["us-east-1"], max_workers=1)})
    created: list[str] = []

    def hook(client: Any) -> None:
        created.append(client.meta.service_model.service_name)

    collected = pipeline.collect(config, ["aws"], hooks=[hook])
    assert collected.errors == 0
    assert created[:2] == ["sts", "s3"]  # the caller's identity, then the long task on the one worker
    assert gc.isenabled()
