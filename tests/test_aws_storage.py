"""S3: the bucket-policy reader, the checks over hand-built facts, the collectors against Stubber
(real S3's answers and denied calls) and end to end against moto through the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.conftest import Ran
from trustctl.collectors.aws.storage import (
    BUCKET_CALLS,
    S3AccountPublicAccessBlockCollector,
    S3BucketCollector,
)
from trustctl.collectors.base import Failure, Outcome, Scope, store
from trustctl.config import PolicyConfig
from trustctl.controls.engine import evaluate
from trustctl.controls.registry import Context, all_checks
from trustctl.demo import seed_storage
from trustctl.evidence import signing
from trustctl.evidence.locker import Locker
from trustctl.facts import aws_storage
from trustctl.facts.aws_s3_policy import TlsDeny, tls_deny
from trustctl.facts.base import Evidence, frame
from trustctl.facts.load import build_facts

Cli = Callable[..., Ran]
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ACCOUNT = "111111111111"
ARN = "arn:aws:s3:::data"
ALL_ON = dict.fromkeys(aws_storage.BLOCK_SETTINGS, True)
ALL_OFF = dict.fromkeys(aws_storage.BLOCK_SETTINGS, False)
KMS_POLICY = PolicyConfig(kms_required_tags=["data=customer", "class=pii"])


# --- bucket policies ---------------------------------------------------------------------------


def deny(**overrides: Any) -> dict[str, Any]:
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [ARN, f"{ARN}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    statement.update(overrides)
    return {k: v for k, v in statement.items() if v is not None}


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        ([deny()], TlsDeny(True, True)),
        ([deny(Principal={"AWS": "*"}, Action="*")], TlsDeny(True, True)),
        (
            [deny(Principal={"AWS": ["*"]}, Condition={"BoolIfExists": {"aws:securetransport": False}})],
            TlsDeny(True, True),
        ),
        ([deny(Resource=ARN), deny(Resource=f"{ARN}/*")], TlsDeny(True, True)),  # split over statements
        ([deny(Resource="*")], TlsDeny(True, True)),
        ([deny(Resource="arn:aws:s3:::da*")], TlsDeny(True, True)),
        ([deny(Resource=ARN)], TlsDeny(True, False)),
        ([deny(Resource=f"{ARN}/*")], TlsDeny(False, True)),
        ([deny(Resource=[ARN, f"{ARN}/private/*"])], TlsDeny(True, False)),  # only some keys
        ([deny(Resource=[ARN, f"{ARN}/?"])], TlsDeny(True, False)),  # one-character keys only
        ([deny(Resource=["arn:aws:s3:::other", "arn:aws:s3:::other/*"])], TlsDeny()),
        ([deny(Effect="Allow")], TlsDeny()),
        ([deny(Principal={"AWS": "arn:aws:iam::111111111111:root"})], TlsDeny()),
        ([deny(Action="s3:GetObject")], TlsDeny()),
        ([deny(Condition=None)], TlsDeny()),  # denies everything, not a TLS rule
        ([deny(Condition={"Bool": {"aws:SecureTransport": "true"}})], TlsDeny()),
        (
            [deny(Condition={"Bool": {"aws:SecureTransport": "false", "aws:ViaAWSService": "false"}})],
            TlsDeny(),
        ),
        ([deny(Condition={"NumericLessThan": {"s3:TlsVersion": "1.2"}})], TlsDeny()),
        ([deny(NotPrincipal={"AWS": "arn:aws:iam::111111111111:root"}, Principal=None)], TlsDeny()),
    ],
)
def test_tls_deny(statements: list[dict[str, Any]], expected: TlsDeny) -> None:
    assert tls_deny({"Version": "2012-10-17", "Statement": statements}, ARN) == expected


def test_tls_deny_single_statement_and_no_policy() -> None:
    assert tls_deny({"Statement": deny()}, ARN) == TlsDeny(True, True)
    assert tls_deny(None, ARN) == TlsDeny()


@pytest.mark.parametrize(
    ("location", "region"),
    [(None, "us-east-1"), ("", "us-east-1"), ("EU", "eu-west-1"), ("eu-central-1", "eu-central-1")],
)
def test_region_of(location: Any, region: str) -> None:
    assert aws_storage.region_of(location) == region


# --- checks over hand-built facts ------------------------------------------------------------


def bucket(**overrides: Any) -> dict[str, Any]:
    row = {
        "provider": "aws",
        "account": ACCOUNT,
        "region": "eu-west-1",
        "resource": ARN,
        "evidence": [],
        "name": "data",
        "created": NOW,
        "tags": {},
        "sse_algorithm": "AES256",
        "sse_explicit": False,
        "kms_key": None,
        "bucket_key": False,
        "versioning": "Enabled",
        "mfa_delete": False,
        "object_lock": False,
        "object_lock_mode": None,
        "object_lock_days": None,
        "public_access_block": ALL_ON,
        "account_public_access_block": ALL_OFF,
        "account_block_error": "",
        "policy_present": True,
        "tls_only_bucket": True,
        "tls_only_objects": True,
        "logging_target": None,
        "detail_errors": {},
    }
    row.update(overrides)
    return row


def run(
    check_id: str, rows: list[dict[str, Any]], policy: PolicyConfig | None = None
) -> list[tuple[Any, str]]:
    spec = all_checks()[check_id]
    v = spec.func(frame(rows, list(rows[0])), Context(policy=policy or PolicyConfig(), as_of=NOW))
    return list(zip(v.ok.tolist(), v.reason.tolist(), strict=True))


TAGS_DENIED = {"GetBucketTagging": "s3:GetBucketTagging could not be collected: denied"}


@pytest.mark.parametrize(
    ("row", "policy", "ok", "fragments"),
    [
        # moto-style: no configuration at all is real S3's SSE-S3 default
        (bucket(), None, True, ["SSE-S3 (AES256)", "since January 2023", "not an explicit setting"]),
        (bucket(sse_explicit=True), None, True, ["SSE-S3 (AES256)"]),
        (
            bucket(sse_algorithm="aws:kms", sse_explicit=True, kms_key="alias/k"),
            None,
            True,
            ["SSE-KMS", "alias/k"],
        ),
        (bucket(tags={"data": "customer"}), None, True, ["January 2023"]),  # no tags required by policy
        (
            bucket(tags={"data": "customer"}),
            KMS_POLICY,
            False,
            ["data=customer", "requires SSE-KMS", "January 2023"],
        ),
        (
            bucket(tags={"class": "pii"}, sse_explicit=True),
            KMS_POLICY,
            False,
            ["class=pii", "SSE-S3 (AES256)"],
        ),
        (
            bucket(tags={"data": "customer"}, sse_algorithm="aws:kms", sse_explicit=True),
            KMS_POLICY,
            True,
            ["aws/s3", "requires SSE-KMS"],
        ),
        (
            bucket(tags={"data": "customer"}, sse_algorithm="aws:kms:dsse", sse_explicit=True),
            KMS_POLICY,
            True,
            ["aws:kms:dsse"],
        ),
        (bucket(tags={"data": "internal"}), KMS_POLICY, True, ["January 2023"]),  # the value must match
        (
            bucket(detail_errors=TAGS_DENIED),
            KMS_POLICY,
            None,
            ["tags could not be read", "s3:GetBucketTagging"],
        ),
        (
            bucket(detail_errors=TAGS_DENIED, sse_algorithm="aws:kms", sse_explicit=True),
            KMS_POLICY,
            True,
            ["SSE-KMS"],
        ),
        (bucket(detail_errors=TAGS_DENIED), None, True, ["January 2023"]),
    ],
)
def test_default_encryption(
    row: dict[str, Any], policy: PolicyConfig | None, ok: Any, fragments: list[str]
) -> None:
    [(got, reason)] = run("aws.s3.default_encryption", [row], policy)
    assert got is ok, reason
    assert ARN in reason and all(f in reason for f in fragments), reason


@pytest.mark.parametrize(
    ("row", "ok", "fragment"),
    [
        (bucket(), True, "denies every request made without TLS"),
        (
            bucket(policy_present=False, tls_only_bucket=False, tls_only_objects=False),
            False,
            "has no bucket policy",
        ),
        (bucket(tls_only_objects=False), False, "on the bucket but not on its objects"),
        (bucket(tls_only_bucket=False), False, "on its objects but not on the bucket"),
        (bucket(tls_only_bucket=False, tls_only_objects=False), False, "no Deny for everyone"),
    ],
)
def test_tls_only(row: dict[str, Any], ok: bool, fragment: str) -> None:
    [(got, reason)] = run("aws.s3.tls_only", [row])
    assert got is ok and fragment in reason and ARN in reason


@pytest.mark.parametrize(
    ("status", "ok", "fragment"),
    [
        ("Enabled", True, "versioning enabled"),
        ("Suspended", False, "versioning suspended"),
        ("Unversioned", False, "never had versioning enabled"),
    ],
)
def test_versioning(status: str, ok: bool, fragment: str) -> None:
    [(got, reason)] = run("aws.s3.versioning", [bucket(versioning=status)])
    assert got is ok and fragment in reason and ARN in reason


HALF = {**ALL_OFF, "BlockPublicAcls": True, "IgnorePublicAcls": True}
OTHER_HALF = {**ALL_OFF, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
PAB_DENIED = {"GetPublicAccessBlock": "s3:GetPublicAccessBlock could not be collected: denied"}


@pytest.mark.parametrize(
    ("row", "ok", "fragment"),
    [
        (bucket(), True, "with its own public access block"),
        (bucket(account_public_access_block=ALL_ON), True, "the account-level block is also on"),
        (
            bucket(public_access_block=ALL_OFF, account_public_access_block=ALL_ON),
            True,
            "covered by the account-level public access block of 111111111111",
        ),
        (
            bucket(public_access_block=HALF, account_public_access_block=OTHER_HALF),
            True,
            "own and the account's settings together",
        ),
        (
            bucket(public_access_block=HALF),
            False,
            "BlockPublicPolicy, RestrictPublicBuckets are off both on the bucket and for account",
        ),
        (
            bucket(
                public_access_block=ALL_OFF, account_public_access_block={**ALL_ON, "IgnorePublicAcls": False}
            ),
            False,
            "IgnorePublicAcls is off",
        ),
        # one unreadable block is enough to decide when the other covers everything ...
        (
            bucket(public_access_block=None, detail_errors=PAB_DENIED, account_public_access_block=ALL_ON),
            True,
            "account-level",
        ),
        (bucket(account_public_access_block=None, account_block_error="denied"), True, "its own"),
        # ... and an error when it is not
        (
            bucket(public_access_block=None, detail_errors=PAB_DENIED, account_public_access_block=HALF),
            None,
            "s3:GetPublicAccessBlock could not be collected",
        ),
        (
            bucket(
                public_access_block=HALF,
                account_public_access_block=None,
                account_block_error="s3control denied",
            ),
            None,
            "account-level block is unknown: s3control denied",
        ),
    ],
)
def test_public_access_block(row: dict[str, Any], ok: Any, fragment: str) -> None:
    [(got, reason)] = run("aws.s3.public_access_block", [row])
    assert got is ok, reason
    assert fragment in reason and ARN in reason, reason


def account_block(configured: bool, **settings: bool) -> dict[str, Any]:
    values = dict.fromkeys(aws_storage.SETTING_COLUMNS.values(), configured) | settings
    return {
        "provider": "aws",
        "account": ACCOUNT,
        "region": "global",
        "resource": ACCOUNT,
        "evidence": [],
        "configured": configured,
        **values,
    }


@pytest.mark.parametrize(
    ("row", "ok", "fragment"),
    [
        (account_block(True), True, "all four account-level settings"),
        (account_block(False), False, "has no account-level S3 public access block"),
        (account_block(True, restrict_public_buckets=False), False, "leaves RestrictPublicBuckets off"),
    ],
)
def test_account_public_access_block(row: dict[str, Any], ok: bool, fragment: str) -> None:
    [(got, reason)] = run("aws.s3.account_public_access_block", [row])
    assert got is ok and fragment in reason and ACCOUNT in reason


def test_checks_handle_empty_tables_and_name_known_controls() -> None:
    from trustctl.controls.catalog import load_catalog

    ids = load_catalog().ids
    samples = {"aws.s3.bucket": bucket(), "aws.s3.account_public_access_block": account_block(True)}
    mine = {k: v for k, v in all_checks().items() if k.startswith("aws.s3.")}
    assert set(mine) == {
        "aws.s3.default_encryption",
        "aws.s3.tls_only",
        "aws.s3.versioning",
        "aws.s3.public_access_block",
        "aws.s3.account_public_access_block",
    }
    for spec in mine.values():
        empty = frame([], list(samples[spec.resource]))
        assert len(spec.func(empty, Context(policy=KMS_POLICY, as_of=NOW)).ok) == 0, spec.id
        assert spec.control in ids and spec.fix and spec.title


# --- collectors against Stubber: real S3's answers and denied calls ---------------------------


def client(service: str) -> Any:
    return boto3.client(
        service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x", endpoint_url=None
    )


DEFAULTS: dict[str, Any] = {
    "get_bucket_location": {"LocationConstraint": "EU"},
    # Real S3 answers with its SSE-S3 default for buckets that never set encryption.
    "get_bucket_encryption": {
        "ServerSideEncryptionConfiguration": {
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}
            ]
        }
    },
    "get_bucket_versioning": {"Status": "Enabled"},
    "get_object_lock_configuration": "ObjectLockConfigurationNotFoundError",
    "get_public_access_block": "NoSuchPublicAccessBlockConfiguration",
    "get_bucket_policy": {"Policy": json.dumps({"Statement": [deny(Resource="*")]})},
    "get_bucket_logging": {},
    "get_bucket_tagging": {"TagSet": [{"Key": "data", "Value": "customer"}]},
}


def stub_bucket(stub: Stubber, name: str, **answers: Any) -> None:
    """The eight per-bucket reads, in the collector's order; a string answer is an error code."""
    for method, _ in BUCKET_CALLS:
        answer = answers.get(method, DEFAULTS[method])
        if isinstance(answer, str):
            stub.add_client_error(method, answer, "stubbed", expected_params={"Bucket": name})
        else:
            stub.add_response(method, answer, {"Bucket": name})


def collect_stubbed(bucket_answers: dict[str, dict[str, Any]], account_answer: Any) -> list[Outcome]:
    scope = Scope("aws", ACCOUNT, "global")
    s3 = client("s3")
    names = list(bucket_answers)
    with Stubber(s3) as stub:
        # Two pages: ListBuckets is paginated with a continuation token.
        stub.add_response(
            "list_buckets", {"Buckets": [{"Name": names[0]}], "ContinuationToken": "t"}, {"MaxBuckets": 1000}
        )
        stub.add_response(
            "list_buckets",
            {"Buckets": [{"Name": n} for n in names[1:]]},
            {"ContinuationToken": "t", "MaxBuckets": 1000},
        )
        for name, answers in bucket_answers.items():
            stub_bucket(stub, name, **answers)
        outcomes = list(S3BucketCollector(workers=1).collect(s3, scope))
        stub.assert_no_pending_responses()
    s3control = client("s3control")
    with Stubber(s3control) as stub:
        if isinstance(account_answer, str):
            stub.add_client_error(
                "get_public_access_block", account_answer, "stubbed", expected_params={"AccountId": ACCOUNT}
            )
        else:
            stub.add_response("get_public_access_block", account_answer, {"AccountId": ACCOUNT})
        outcomes += list(S3AccountPublicAccessBlockCollector().collect(s3control, scope))
    return outcomes


def assess(tmp_path: Path, outcomes: list[Outcome], policy: PolicyConfig) -> dict[tuple[str, str], Any]:
    key = signing.create_key(tmp_path / "k.pem")
    locker = Locker.create(tmp_path / "locker", key)
    writer = locker.begin_run(key, "T", "sha256:c")
    for outcome in outcomes:
        store(writer, outcome)
    facts = build_facts(Evidence(locker, writer.commit(["aws"])), aws_storage.NORMALIZERS)
    checks = {k: v for k, v in all_checks().items() if k.startswith("aws.s3.")}
    results = evaluate(facts, policy, [], date.today(), checks=checks).results
    return {(r.check, r.resource): r for r in results}


def test_denied_detail_calls_are_errors_for_that_bucket_and_check_only(tmp_path: Path) -> None:
    outcomes = collect_stubbed(
        {
            "alpha": {"get_bucket_location": {}},
            "beta": {"get_bucket_encryption": "AccessDenied"},
            "gamma": {"get_public_access_block": "AccessDenied", "get_bucket_versioning": {}},
        },
        {"PublicAccessBlockConfiguration": ALL_ON},
    )
    [denied_encryption, denied_block] = [o for o in outcomes if isinstance(o, Failure)]
    # S3's IAM actions are not its operation names: the error names the action to grant.
    assert denied_encryption.error.permission == "s3:GetEncryptionConfiguration"
    assert "grant s3:GetEncryptionConfiguration" in denied_encryption.error.message
    assert denied_block.error.permission == "s3:GetBucketPublicAccessBlock"

    found = assess(tmp_path, outcomes, KMS_POLICY)
    alpha, beta, gamma = (f"arn:aws:s3:::{n}" for n in ("alpha", "beta", "gamma"))
    status = {key: r.status.value for key, r in found.items()}
    assert status[("aws.s3.default_encryption", beta)] == "error"
    assert "s3:GetEncryptionConfiguration" in found[("aws.s3.default_encryption", beta)].reason
    # ... while every other check of that bucket, and the same check elsewhere, is evaluated.
    for check_id in ("aws.s3.tls_only", "aws.s3.versioning", "aws.s3.public_access_block"):
        assert status[(check_id, beta)] == "pass", check_id
    # Real S3's reported SSE-S3 default on a customer-data bucket fails the KMS policy.
    assert status[("aws.s3.default_encryption", alpha)] == "fail"
    assert "data=customer" in found[("aws.s3.default_encryption", alpha)].reason
    # gamma's own block could not be read, but the account block covers it.
    assert status[("aws.s3.public_access_block", gamma)] == "pass"
    assert "account-level" in found[("aws.s3.public_access_block", gamma)].reason
    assert status[("aws.s3.versioning", gamma)] == "fail"
    assert status[("aws.s3.account_public_access_block", ACCOUNT)] == "pass"
    assert found[("aws.s3.tls_only", alpha)].region == "us-east-1"
    assert found[("aws.s3.tls_only", beta)].region == "eu-west-1"  # LocationConstraint "EU"
    assert sum(s == "error" for s in status.values()) == 1


def test_denied_account_block_is_an_error_where_it_matters(tmp_path: Path) -> None:
    outcomes = collect_stubbed(
        {
            "open": {"get_public_access_block": {"PublicAccessBlockConfiguration": HALF}},
            "closed": {"get_public_access_block": {"PublicAccessBlockConfiguration": ALL_ON}},
        },
        "AccessDenied",
    )
    [failure] = [o for o in outcomes if isinstance(o, Failure)]
    assert failure.error.permission == "s3:GetAccountPublicAccessBlock"
    found = assess(tmp_path, outcomes, PolicyConfig())
    account = found[("aws.s3.account_public_access_block", ACCOUNT)]
    assert account.status.value == "error" and "s3:GetAccountPublicAccessBlock" in account.reason
    unknown = found[("aws.s3.public_access_block", "arn:aws:s3:::open")]
    assert unknown.status.value == "error" and "s3:GetAccountPublicAccessBlock" in unknown.reason
    assert found[("aws.s3.public_access_block", "arn:aws:s3:::closed")].status.value == "pass"


def test_a_denied_listing_is_an_error_for_the_account(tmp_path: Path) -> None:
    s3 = client("s3")
    scope = Scope("aws", ACCOUNT, "global")
    with Stubber(s3) as stub:
        stub.add_client_error("list_buckets", "AccessDenied", "no")
        outcomes = list(S3BucketCollector(workers=1).collect(s3, scope))
    assert [o.error.permission for o in outcomes if isinstance(o, Failure)] == ["s3:ListAllMyBuckets"]
    found = assess(tmp_path, outcomes, PolicyConfig())
    for check_id in ("aws.s3.default_encryption", "aws.s3.versioning"):
        result = found[(check_id, ACCOUNT)]
        assert result.status.value == "error" and "s3:ListAllMyBuckets" in result.reason


# --- end to end against moto, through the CLI -----------------------------------------------


def test_demo_buckets_end_to_end(aws: str, project: Path, cli: Cli) -> None:
    session = boto3.Session()
    org = session.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    production = org.create_account(Email="p@example.com", AccountName="prod")["CreateAccountStatus"][
        "AccountId"
    ]
    creds = session.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{production}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
    )["Credentials"]
    prod = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    seed_storage.seed(session, prod, NOW)
    config = project / "trustctl.toml"
    config.write_text(
        config.read_text().replace("kms_required_tags = []", 'kms_required_tags = ["data=customer"]')
    )

    collected = cli("collect", "aws", "--org-role", "OrganizationAccountAccessRole")
    assert collected.code in (0, 3), collected.stderr
    # Other services may report errors moto causes; none of S3's calls may.
    errors = [line for line in collected.stderr.splitlines() if line.strip().startswith("error aws")]
    assert not [line for line in errors if " s3:" in line or " s3control:" in line], errors
    ran = cli("check", "--format", "json")
    assert ran.code in (0, 4), ran.stderr
    results = [r for r in json.loads(ran.stdout)["results"] if r["check"].startswith("aws.s3.")]
    status = {(r["check"], r["resource"].removeprefix("arn:aws:s3:::")): r["status"] for r in results}
    management = "123456789012"
    expected = {
        "aws.s3.default_encryption": {
            "acme-artifacts": "pass",
            "acme-audit-archive": "pass",
            "acme-app-data": "pass",
            "acme-customer-exports": "fail",
            "acme-scratch": "pass",
        },
        "aws.s3.tls_only": {
            "acme-artifacts": "pass",
            "acme-audit-archive": "pass",
            "acme-app-data": "pass",
            "acme-customer-exports": "fail",
            "acme-scratch": "fail",
        },
        "aws.s3.versioning": {
            "acme-artifacts": "pass",
            "acme-audit-archive": "pass",
            "acme-app-data": "pass",
            "acme-customer-exports": "fail",
            "acme-scratch": "fail",
        },
        "aws.s3.public_access_block": {
            "acme-artifacts": "pass",
            "acme-audit-archive": "pass",
            "acme-app-data": "pass",
            "acme-customer-exports": "fail",
            "acme-scratch": "fail",
        },
        "aws.s3.account_public_access_block": {management: "pass", production: "fail"},
    }
    assert status == {(c, r): s for c, by in expected.items() for r, s in by.items()}
    by = {(r["check"], r["resource"]): r for r in results}
    exports = by[("aws.s3.default_encryption", "arn:aws:s3:::acme-customer-exports")]
    assert "data=customer" in exports["reason"] and "January 2023" in exports["reason"]
    assert exports["account"] == production and exports["region"] == "us-east-1"
    assert exports["control"] == "CRY-01" and exports["evidence"]
    artifacts = by[("aws.s3.public_access_block", "arn:aws:s3:::acme-artifacts")]
    assert "account-level" in artifacts["reason"]
    assert by[("aws.s3.versioning", "arn:aws:s3:::acme-app-data")]["region"] == "eu-west-1"


def test_collectors_against_moto_in_parallel_and_in_order(aws: str) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    names = [f"bucket-{n:02d}" for n in range(12)]
    for name in names:
        s3.create_bucket(Bucket=name)
    scope = Scope("aws", "123456789012", "global")
    outcomes = list(S3BucketCollector().collect(s3, scope))
    assert not [o for o in outcomes if isinstance(o, Failure)]
    operations = [o.call.operation for o in outcomes]
    per_bucket = [s3.meta.method_to_api_mapping[method] for method, _ in BUCKET_CALLS]
    assert operations == ["ListBuckets", *per_bucket * len(names)]
    assert [o.call.parameters["Bucket"] for o in outcomes[1:]] == [n for n in names for _ in BUCKET_CALLS]
    # S3 Control reaches the local endpoint (no ACCOUNT. host prefix) and reports "no block" as evidence.
    [account] = S3AccountPublicAccessBlockCollector().collect(
        boto3.client("s3control", region_name="us-east-1"), scope
    )
    assert not isinstance(account, Failure)
    assert account.data["Absent"]["Code"] == "NoSuchPublicAccessBlockConfiguration"


def test_a_region_named_by_the_listing_saves_get_bucket_location(tmp_path: Path) -> None:
    """AWS's ListBuckets names each bucket's region (BucketRegion): GetBucketLocation is then not sent,
    and the bucket's facts take the listing's region; a bucket listed without one is still located."""
    scope = Scope("aws", ACCOUNT, "global")
    s3 = client("s3")
    listed = [{"Name": "listed", "BucketRegion": "ap-southeast-2"}, {"Name": "unlisted"}]
    with Stubber(s3) as stub:
        stub.add_response("list_buckets", {"Buckets": listed}, {"MaxBuckets": 1000})
        for method, _ in BUCKET_CALLS:
            if method != "get_bucket_location":
                answer = DEFAULTS[method]
                if isinstance(answer, str):
                    stub.add_client_error(method, answer, "stubbed", expected_params={"Bucket": "listed"})
                else:
                    stub.add_response(method, answer, {"Bucket": "listed"})
        stub_bucket(stub, "unlisted")
        outcomes = list(S3BucketCollector(workers=1).collect(s3, scope))
        stub.assert_no_pending_responses()
    located = [o.call.parameters["Bucket"] for o in outcomes if o.call.operation == "GetBucketLocation"]
    assert located == ["unlisted"]
    s3control = client("s3control")
    with Stubber(s3control) as stub:
        stub.add_response("get_public_access_block", {"PublicAccessBlockConfiguration": ALL_ON}, {"AccountId": ACCOUNT})
        outcomes += list(S3AccountPublicAccessBlockCollector().collect(s3control, scope))
    found = assess(tmp_path, outcomes, KMS_POLICY)
    assert found[("aws.s3.versioning", "arn:aws:s3:::listed")].region == "ap-southeast-2"
    assert found[("aws.s3.versioning", "arn:aws:s3:::unlisted")].region == "eu-west-1"
