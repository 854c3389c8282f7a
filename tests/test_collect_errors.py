"""Fail closed: evidence that could not be collected becomes `error` results naming the call and the
permission, the rest of the run completes, and a killed run never damages what was stored."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.stub import Stubber

from tests.conftest import Ran
from trustctl.collectors.aws.iam import IamAccountCollector
from trustctl.collectors.base import Failure, Response, Scope, store
from trustctl.config import PolicyConfig
from trustctl.controls.engine import evaluate
from trustctl.evidence import signing
from trustctl.evidence.locker import Locker
from trustctl.facts.base import Evidence
from trustctl.facts.load import build_facts

Cli = Callable[..., Ran]


def check_json(cli: Cli, env: dict[str, str] | None = None) -> dict[str, Any]:
    ran = cli("check", "--format", "json", env=env)
    assert ran.code in (0, 4), ran.stderr
    return json.loads(ran.stdout)  # type: ignore[no-any-return]


def stubbed_iam() -> tuple[Any, Stubber]:
    client = boto3.client(
        "iam",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=BotoConfig(retries={"mode": "adaptive", "max_attempts": 3}),
    )
    return client, Stubber(client)


def test_denied_and_throttled_calls_become_error_results(tmp_path: Path) -> None:
    client, stub = stubbed_iam()
    stub.add_client_error("get_account_authorization_details", "AccessDenied", "User is not authorized")
    stub.add_client_error("get_account_summary", "Throttling", "Rate exceeded")
    stub.add_response("get_account_password_policy", {"PasswordPolicy": {"MinimumPasswordLength": 20}})
    stub.add_response("list_virtual_mfa_devices", {"VirtualMFADevices": [], "IsTruncated": False})
    scope = Scope("aws", "111111111111", "global")
    with stub:
        outcomes = list(IamAccountCollector().collect(client, scope))
    failures = [o for o in outcomes if isinstance(o, Failure)]
    assert [f.call.operation for f in failures] == ["GetAccountAuthorizationDetails", "GetAccountSummary"]
    denied, throttled = (f.error for f in failures)
    assert denied.code == "AccessDenied" and denied.permission == "iam:GetAccountAuthorizationDetails"
    assert "grant iam:GetAccountAuthorizationDetails" in denied.message
    assert throttled.code == "Throttling" and "still throttled" in throttled.message
    assert sum(isinstance(o, Response) for o in outcomes) == 2

    key = signing.create_key(tmp_path / "k.pem")
    locker = Locker.create(tmp_path / "locker", key)
    writer = locker.begin_run(key, "T", "sha256:c")
    for outcome in outcomes:
        store(writer, outcome)
    manifest = writer.commit(["aws"])
    facts = build_facts(Evidence(locker, manifest))
    found = {(r.check, r.status.value): r for r in evaluate(facts, PolicyConfig(), [], date.today()).results}
    # Checks that need the denied or throttled call are errors for the account, naming the call ...
    for check_id in (
        "aws.iam.admin_access",
        "aws.iam.wildcard_policy",
        "aws.iam.user_console_mfa",
        "aws.iam.root_mfa",
        "aws.iam.root_access_keys",
    ):
        result = found[(check_id, "error")]
        assert result.resource == "111111111111"
        assert "could not be collected" in result.reason
    assert "iam:GetAccountAuthorizationDetails" in found[("aws.iam.admin_access", "error")].reason
    # ... and the check whose evidence arrived is evaluated: it passes on its own evidence only.
    assert found[("aws.iam.password_policy", "pass")].resource == "111111111111"


@pytest.fixture
def hanging_endpoint() -> Iterator[str]:
    """A TCP server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for s in held:
        s.close()
    server.close()


def _fast_failing(config: Path) -> None:
    text = config.read_text().replace(
        "max_workers = 16", "max_workers = 4\nmax_attempts = 1\nread_timeout = 1\nconnect_timeout = 1"
    )
    config.write_text(text)


def test_timeouts_are_errors_and_exit_3(aws: str, project: Path, cli: Cli, hanging_endpoint: str) -> None:
    _fast_failing(project / "trustctl.toml")
    ran = cli("collect", "aws", env={"AWS_ENDPOINT_URL": hanging_endpoint})
    assert ran.code == 3, ran.stderr
    assert "GetCallerIdentity timed out" in ran.stderr
    report = check_json(cli)
    assert report["summary"]["error"] == len(report["results"]) > 0
    assert all("timed out" in r["reason"] for r in report["results"])
    assert cli("check").code == 4  # errors gate CI under the default --fail-on fail
    assert cli("check", "--fail-on", "none").code == 0


def test_unreachable_endpoint_is_an_error_not_a_pass(aws: str, project: Path, cli: Cli) -> None:
    _fast_failing(project / "trustctl.toml")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ran = cli("collect", "aws", env={"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"})
    assert ran.code == 3
    assert "cannot reach the endpoint" in ran.stderr
    report = check_json(cli)
    assert report["summary"]["pass"] == 0 and report["summary"]["error"] > 0
    assert cli("check", "--fail-on", "error").code == 4


def _seed() -> None:
    iam = boto3.client("iam")
    for name in ("a", "b", "c"):
        iam.create_user(UserName=name)


@pytest.mark.parametrize("point", ["object:2", "object:5", "before-signature", "before-manifest"])
def test_killed_collect_leaves_earlier_runs_intact(aws: str, project: Path, cli: Cli, point: str) -> None:
    _seed()
    assert cli("collect", "aws").code == 0
    first = json.loads(cli("check", "--format", "json").stdout)["run"]["id"]
    killed = cli("collect", "aws", env={"TRUSTCTL_CRASH_AT": point})
    assert killed.code == -signal.SIGKILL
    verified = cli("verify")
    assert verified.code == 0, verified.stdout
    assert "incomplete run (no manifest); never assessed" in verified.stderr
    assert json.loads(cli("check", "--format", "json").stdout)["run"]["id"] == first
    # The next run chains to the last complete run, and the whole locker still verifies.
    assert cli("collect", "aws").code == 0
    assert cli("verify").code == 0


def test_killed_at_a_random_moment(aws: str, project: Path) -> None:
    _seed()
    env = {**os.environ}
    for delay in (0.3, 0.9, 1.5):
        proc = subprocess.Popen(
            [sys.executable, "-m", "trustctl.cli", "collect", "aws"],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    ran = subprocess.run(
        [sys.executable, "-m", "trustctl.cli", "verify"], cwd=project, env=env, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_no_evidence_is_one_clear_line(project: Path, cli: Cli) -> None:
    ran = cli("check")
    assert ran.code == 1
    assert ran.stderr.strip().count("\n") == 0
    assert "holds no complete run" in ran.stderr and "Traceback" not in ran.stderr


def test_damaged_locker_is_one_clear_line_and_loses_nothing(aws: str, project: Path, cli: Cli) -> None:
    _seed()
    assert cli("collect", "aws").code == 0
    runs = project / ".trustctl" / "locker" / "runs"
    [run] = list(runs.iterdir())
    manifest = run / "manifest.json"
    original = manifest.read_bytes()
    manifest.write_bytes(original[:-20])
    before = sorted(p.name for p in (project / ".trustctl" / "locker").rglob("*"))
    ran = cli("check")
    assert ran.code == 1 and "signature does not verify" in ran.stderr and "Traceback" not in ran.stderr
    verified = cli("verify")
    assert verified.code == 5 and f"runs/{run.name}" in verified.stdout
    assert sorted(p.name for p in (project / ".trustctl" / "locker").rglob("*")) == before
    assert (run / "manifest.json").read_bytes() == original[:-20]


def test_a_run_in_progress_blocks_a_second_writer(aws: str, project: Path) -> None:
    key = signing.load_private_key(project / ".trustctl" / "signing-key.pem")
    locker = Locker.open(project / ".trustctl" / "locker")
    writer = locker.begin_run(key, "T", "sha256:c")
    ran = subprocess.run(
        [sys.executable, "-m", "trustctl.cli", "collect", "aws"], cwd=project, capture_output=True, text=True
    )
    writer.close()
    assert ran.returncode == 1 and "another trustctl run is writing" in ran.stderr


def test_a_disabled_opt_in_region_is_an_error_for_that_region_only(aws: str, tmp_path: Path) -> None:
    from botocore.awsrequest import AWSResponse

    from trustctl import pipeline
    from trustctl.config import AwsConfig

    boto3.client("ec2", region_name="us-east-1").create_volume(AvailabilityZone="us-east-1a", Size=8)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="trail-logs")
    trails = boto3.client("cloudtrail", region_name="us-east-1")
    trails.create_trail(Name="org", S3BucketName="trail-logs", IsMultiRegionTrail=True)
    trails.start_logging(Name="org")
    config = pipeline.load(pipeline.init(tmp_path, "T").config)
    config = config.model_copy(update={"aws": AwsConfig(regions=["us-east-1", "ap-east-1"])})

    def refuse(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        # What AWS answers in an opt-in region the account has not enabled.
        error = {
            "Code": "UnrecognizedClientException",
            "Message": "The security token included in the request is invalid",
        }
        return AWSResponse("https://ap-east-1", 400, {}, None), {"Error": error, "ResponseMetadata": {}}

    def disabled_region(client: Any) -> None:
        if client.meta.region_name == "ap-east-1":
            client.meta.events.register("before-call", refuse)

    collected = pipeline.collect(config, ["aws"], hooks=[disabled_region])
    failed = {(r.call.region, r.call.service) for r in collected.manifest.errors}
    assert failed and {region for region, _ in failed} == {"ap-east-1"}
    results = pipeline.assess(config, collected.manifest).results
    errors = [r for r in results if r.status.value == "error"]
    assert errors and all(r.region == "ap-east-1" and r.resource.endswith("/ap-east-1") for r in errors)
    # The multi-region trail seen from us-east-1 proves the account is logged, whatever ap-east-1 hides.
    [trail] = [r for r in results if r.check == "aws.cloudtrail.multi_region"]
    assert trail.status.value == "pass"
    assert all("UnrecognizedClientException" in r.reason or "denied" in r.reason for r in errors)
    volume = [r for r in results if r.check == "aws.ebs.volume_encrypted"]
    assert [r.status.value for r in volume if r.region == "us-east-1"] == ["fail"]
    assert {r.status.value for r in results if r.check.startswith("aws.iam.")} <= {
        "pass",
        "fail",
        "not_applicable",
    }


def test_an_empty_body_is_an_error_and_an_empty_document_is_not() -> None:
    import botocore.session

    from trustctl.collectors.aws.calls import EmptyResponse, refuse_empty_document

    models = botocore.session.get_session()
    versioning = models.get_service_model("s3").operation_model("GetBucketVersioning")
    selection = models.get_service_model("backup").operation_model("GetBackupSelection")
    # A bucket that never had versioning answers an empty document: that is an answer.
    document = b'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'
    refuse_empty_document(versioning, {"status_code": 200, "body": document})
    refuse_empty_document(selection, {"status_code": 200, "body": b"{}"})
    refuse_empty_document(selection, {"status_code": 503, "body": b""})  # an error: botocore's to raise
    for operation in (versioning, selection):
        with pytest.raises(EmptyResponse, match="empty response where the API returns a document"):
            refuse_empty_document(operation, {"status_code": 200, "body": b""})


@pytest.mark.parametrize("broken", ["generation denied", "empty report"])
def test_a_credential_report_that_never_arrives_is_an_error_for_the_account(
    tmp_path: Path, broken: str
) -> None:
    """Without the report the users' keys and last use are unknown: error, never fewer users."""
    from trustctl.collectors.aws.iam import IamCredentialReportCollector

    client, stub = stubbed_iam()
    if broken == "generation denied":
        stub.add_client_error("generate_credential_report", "AccessDenied", "not authorized")
    else:
        stub.add_response("generate_credential_report", {"State": "COMPLETE"})
        stub.add_response("get_credential_report", {"Content": b"", "ReportFormat": "text/csv"})
    scope = Scope("aws", "111111111111", "global")
    with stub:
        outcomes = list(IamCredentialReportCollector(sleep=lambda _: None).collect(client, scope))
    stub.assert_no_pending_responses()
    [failure] = [o for o in outcomes if isinstance(o, Failure)]
    assert failure.error.code == ("AccessDenied" if broken == "generation denied" else "EmptyResponse")

    key = signing.create_key(tmp_path / "k.pem")
    locker = Locker.create(tmp_path / "locker", key)
    writer = locker.begin_run(key, "T", "sha256:c")
    for outcome in outcomes:
        store(writer, outcome)
    facts = build_facts(Evidence(locker, writer.commit(["aws"])))
    found = {(r.check, r.status.value) for r in evaluate(facts, PolicyConfig(), [], date.today()).results}
    for check_id in ("aws.iam.access_key_age", "aws.iam.unused_credentials", "aws.iam.root_access_keys"):
        assert (check_id, "error") in found, check_id
