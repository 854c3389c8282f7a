"""RDS, DynamoDB and KMS: checks over hand-built facts, collectors against stubbed clients (what moto
lacks, and errors), and the whole path against a moto server through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.conftest import Ran
from trustctl.collectors.aws.clients import is_allowed
from trustctl.collectors.aws.databases import COLLECTORS, DynamoDbCollector, KmsCollector, RdsCollector
from trustctl.collectors.aws.runner import declared_operations, operations_of
from trustctl.collectors.base import Outcome, Scope, store
from trustctl.config import PolicyConfig
from trustctl.controls.checks import aws_databases  # noqa: F401  (registers the checks)
from trustctl.controls.engine import evaluate
from trustctl.controls.registry import REGISTRY, Context
from trustctl.controls.results import Result
from trustctl.demo import seed_databases
from trustctl.evidence import signing
from trustctl.evidence.locker import Locker
from trustctl.facts.aws_databases import DATA_STORES, DATABASE_COLUMNS, INSTANCE_COLUMNS, NORMALIZERS
from trustctl.facts.base import Evidence, FactSet, frame, normalize

Cli = Callable[..., Ran]
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ACCOUNT = "111111111111"
REGION = "eu-west-1"
SCOPE = Scope("aws", ACCOUNT, REGION)
IDS = (
    "aws.rds.storage_encrypted",
    "aws.rds.backup_retention",
    "aws.rds.deletion_protection",
    "aws.rds.multi_az",
    "aws.rds.public_access",
    "aws.dynamodb.pitr",
    "aws.kms.key_rotation",
)


def base(resource: str) -> dict[str, Any]:
    return {
        "provider": "aws",
        "account": ACCOUNT,
        "region": REGION,
        "resource": resource,
        "evidence": ["sha256:0"],
    }


def database(**facts: Any) -> dict[str, Any]:
    kind = facts.get("kind", "instance")
    return {
        **base(f"arn:aws:rds:{REGION}:{ACCOUNT}:{'db' if kind == 'instance' else 'cluster'}:x"),
        "kind": kind,
        "name": "x",
        "engine": "postgres",
        "status": "available",
        "storage_encrypted": True,
        "kms_key": None,
        "backup_retention_days": 7,
        "deletion_protection": True,
        "multi_az": True,
        "zones": ["eu-west-1a", "eu-west-1b"],
        "read_replica_of": None,
        "tags": {},
        "members": ["x-1", "x-2"] if kind == "cluster" else None,
        "cluster": None,
        "publicly_accessible": False,
        **facts,
    }


def table(**facts: Any) -> dict[str, Any]:
    return {
        **base(f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t"),
        "pitr_status": "ENABLED",
        "pitr_days": 35,
        "tags": {},
        "detail_errors": {},
        **facts,
    }


def key(**facts: Any) -> dict[str, Any]:
    return {
        **base(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"),
        "aliases": ["alias/app"],
        "manager": "CUSTOMER",
        "spec": "SYMMETRIC_DEFAULT",
        "origin": "AWS_KMS",
        "state": "Enabled",
        "created": NOW - timedelta(days=700),
        "rotation_enabled": True,
        "rotation_period_days": 365,
        **facts,
    }


COLUMNS = {
    "aws.rds.database": DATABASE_COLUMNS,
    "aws.rds.db_instance": INSTANCE_COLUMNS,
    "aws.dynamodb.table": ["pitr_status", "pitr_days", "tags", "detail_errors"],
    "aws.kms.key": [
        "aliases",
        "manager",
        "spec",
        "origin",
        "state",
        "created",
        "rotation_enabled",
        "rotation_period_days",
    ],
}


def judge(check_id: str, row: dict[str, Any], policy: PolicyConfig | None = None) -> tuple[Any, str] | None:
    """The check's verdict on one row: (True/False/None, reason), or None when the row is not judged."""
    spec = REGISTRY[check_id]
    facts = frame([row], COLUMNS[spec.resource])
    verdicts = spec.func(facts, Context(policy=policy or PolicyConfig(), as_of=NOW))
    if verdicts.ok.empty:
        return None
    return verdicts.ok.iloc[0], verdicts.reason.iloc[0]


TAGS_DENIED = {"ListTagsOfResource": "dynamodb:ListTagsOfResource could not be collected: denied"}
CASES = [
    # check, facts, policy, expected (True pass / False fail / None error / "skip" not judged), reason contains
    ("aws.rds.storage_encrypted", database(), {}, True, "the DB instance"),
    ("aws.rds.storage_encrypted", database(kind="cluster", storage_encrypted=False), {}, False, "DB cluster"),
    ("aws.rds.backup_retention", database(backup_retention_days=7), {}, True, "7 days (policy: at least 7)"),
    ("aws.rds.backup_retention", database(backup_retention_days=6), {}, False, "6 days (policy: at least 7)"),
    (
        "aws.rds.backup_retention",
        database(backup_retention_days=0),
        {},
        False,
        "automated backups turned off",
    ),
    (
        "aws.rds.backup_retention",
        database(backup_retention_days=7),
        {"min_backup_retention_days": 14},
        False,
        "at least 14",
    ),
    ("aws.rds.backup_retention", database(backup_retention_days=0, read_replica_of="src"), {}, "skip", ""),
    (
        "aws.rds.backup_retention",
        database(kind="cluster", backup_retention_days=1, read_replica_of="src"),
        {},
        False,
        "1 days",
    ),
    (
        "aws.rds.backup_retention",
        database(backup_retention_days=0),
        {"production_tag": "env=prod"},
        "skip",
        "",
    ),
    (
        "aws.rds.backup_retention",
        database(backup_retention_days=0, tags={"env": "prod"}),
        {"production_tag": "env=prod"},
        False,
        "off",
    ),
    ("aws.rds.deletion_protection", database(), {}, True, "deletion protection on"),
    (
        "aws.rds.deletion_protection",
        database(kind="cluster", deletion_protection=False),
        {},
        False,
        "protection is off",
    ),
    ("aws.rds.multi_az", database(), {}, True, "primary in eu-west-1a, standby in eu-west-1b"),
    (
        "aws.rds.multi_az",
        database(multi_az=False, zones=["eu-west-1c"]),
        {},
        False,
        "one Availability Zone (eu-west-1c)",
    ),
    ("aws.rds.multi_az", database(kind="cluster"), {}, True, "2 Availability Zones"),
    (
        "aws.rds.multi_az",
        database(kind="cluster", multi_az=False, zones=["eu-west-1a"]),
        {},
        False,
        "2 DB instance(s), all in eu-west-1a",
    ),
    (
        "aws.rds.multi_az",
        database(kind="cluster", multi_az=False, zones=[], members=[]),
        {},
        False,
        "no DB instances",
    ),
    ("aws.rds.public_access", database(), {}, True, "only from within its VPC"),
    (
        "aws.rds.public_access",
        database(publicly_accessible=True, cluster="c"),
        {},
        False,
        "publicly accessible",
    ),
    ("aws.dynamodb.pitr", table(), {}, True, "enabled (35 days)"),
    ("aws.dynamodb.pitr", table(pitr_status="DISABLED", pitr_days=None), {}, False, "recovery disabled"),
    ("aws.dynamodb.pitr", table(pitr_status=None, pitr_days=None), {}, None, "were not collected"),
    ("aws.dynamodb.pitr", table(pitr_status="DISABLED"), {"production_tag": "env=prod"}, "skip", ""),
    (
        "aws.dynamodb.pitr",
        table(pitr_status="DISABLED", tags={"env": "prod"}),
        {"production_tag": "env=prod"},
        False,
        "disabled",
    ),
    # Tags unreadable: off could be a production failure or nothing at all; on passes either way.
    (
        "aws.dynamodb.pitr",
        table(pitr_status="DISABLED", detail_errors=TAGS_DENIED),
        {"production_tag": "env=prod"},
        None,
        "tags could not be read",
    ),
    ("aws.dynamodb.pitr", table(detail_errors=TAGS_DENIED), {"production_tag": "env=prod"}, True, "enabled"),
    ("aws.dynamodb.pitr", table(pitr_status="DISABLED", detail_errors=TAGS_DENIED), {}, False, "disabled"),
    ("aws.kms.key_rotation", key(), {}, True, "every 365 days; the key is 700 days old"),
    # Age counts from creation, not from last use: a key never used for 700 days is still 700 days old.
    (
        "aws.kms.key_rotation",
        key(rotation_enabled=False),
        {},
        False,
        "rotation off; the key is 700 days old (created 2024-12-24)",
    ),
    ("aws.kms.key_rotation", key(rotation_enabled=None), {}, None, "rotation status was not collected"),
    ("aws.kms.key_rotation", key(manager="AWS", rotation_enabled=None), {}, "skip", ""),
    ("aws.kms.key_rotation", key(spec="RSA_2048", rotation_enabled=None), {}, "skip", ""),
    ("aws.kms.key_rotation", key(aliases=["alias/aws/ebs"], rotation_enabled=False), {}, "skip", ""),
    ("aws.kms.key_rotation", key(origin="EXTERNAL", rotation_enabled=None), {}, "skip", ""),
    ("aws.kms.key_rotation", key(state="Disabled", rotation_enabled=False), {}, "skip", ""),
    ("aws.kms.key_rotation", key(state="PendingDeletion", rotation_enabled=False), {}, "skip", ""),
]


@pytest.mark.parametrize(("check_id", "facts", "policy", "expected", "reason"), CASES)
def test_check(
    check_id: str, facts: dict[str, Any], policy: dict[str, Any], expected: Any, reason: str
) -> None:
    verdict = judge(check_id, facts, PolicyConfig(**policy))
    if expected == "skip":
        assert verdict is None
        return
    assert verdict is not None
    ok, text = verdict
    assert ok is expected or (expected is None and ok is None), text
    assert reason in text and (expected is None or facts["resource"] in text)


def test_checks_are_registered_with_their_controls() -> None:
    controls = {i: REGISTRY[i].control for i in IDS}
    assert controls == {
        "aws.rds.storage_encrypted": "CRY-01",
        "aws.rds.backup_retention": "BCK-01",
        "aws.rds.deletion_protection": "AVL-01",
        "aws.rds.multi_az": "AVL-01",
        "aws.rds.public_access": "NET-03",
        "aws.dynamodb.pitr": "BCK-01",
        "aws.kms.key_rotation": "CRY-03",
    }
    assert set(DATA_STORES) <= {n.resource_type for n in NORMALIZERS}
    operations = [p for c in COLLECTORS for p in operations_of(c)]
    assert all(is_allowed(p, declared_operations()) for p in operations)


def facts_of(tmp_path: Path, outcomes: Iterable[Outcome]) -> FactSet:
    """Outcomes stored as one signed run, and this family's fact tables built from it."""
    signing_key = signing.create_key(tmp_path / "k.pem")
    locker = Locker.create(tmp_path / "locker", signing_key)
    writer = locker.begin_run(signing_key, "T", "sha256:c")
    for outcome in outcomes:
        store(writer, outcome)
    evidence = Evidence(locker, writer.commit(["aws"]))
    return FactSet(evidence.as_of, {n.resource_type: normalize(evidence, n) for n in NORMALIZERS})


def results_of(facts: FactSet) -> dict[tuple[str, str], Result]:
    checks = {i: REGISTRY[i] for i in IDS}
    return {
        (r.check, r.resource): r
        for r in evaluate(facts, PolicyConfig(), [], date.today(), checks=checks).results
    }


def stubbed(service: str) -> tuple[Any, Stubber]:
    client = boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def test_aurora_members_are_judged_at_their_cluster(tmp_path: Path) -> None:
    client, stub = stubbed("rds")
    arn = f"arn:aws:rds:{REGION}:{ACCOUNT}"
    member = {
        "StorageEncrypted": True,
        "BackupRetentionPeriod": 7,
        "MultiAZ": False,
        "PubliclyAccessible": False,
    }
    instances = [
        {
            "DBInstanceIdentifier": "a-1",
            "DBInstanceArn": f"{arn}:db:a-1",
            "DBClusterIdentifier": "a",
            "AvailabilityZone": "eu-west-1a",
            **member,
        },
        {
            "DBInstanceIdentifier": "a-2",
            "DBInstanceArn": f"{arn}:db:a-2",
            "DBClusterIdentifier": "a",
            "AvailabilityZone": "eu-west-1b",
            **member,
        },
        {
            "DBInstanceIdentifier": "b-1",
            "DBInstanceArn": f"{arn}:db:b-1",
            "DBClusterIdentifier": "b",
            "AvailabilityZone": "eu-west-1a",
            **member,
        },
        {
            "DBInstanceIdentifier": "solo",
            "DBInstanceArn": f"{arn}:db:solo",
            "MultiAZ": True,
            "PubliclyAccessible": True,
            "TagList": [{"Key": "team", "Value": "data"}],
        },
    ]
    cluster = {
        "StorageEncrypted": True,
        "BackupRetentionPeriod": 7,
        "DeletionProtection": True,
        "MultiAZ": False,
    }
    clusters = [
        # Members in two zones make a cluster Multi-AZ even when the MultiAZ flag says otherwise.
        {
            "DBClusterIdentifier": "a",
            "DBClusterArn": f"{arn}:cluster:a",
            "DBClusterMembers": [{"DBInstanceIdentifier": "a-1"}, {"DBInstanceIdentifier": "a-2"}],
            **cluster,
        },
        {
            "DBClusterIdentifier": "b",
            "DBClusterArn": f"{arn}:cluster:b",
            "DBClusterMembers": [{"DBInstanceIdentifier": "b-1"}],
            **cluster,
        },
        {
            "DBClusterIdentifier": "c",
            "DBClusterArn": f"{arn}:cluster:c",
            "DBClusterMembers": [],
            **cluster,
            "MultiAZ": True,
        },
    ]
    snapshot = {
        "DBSnapshotIdentifier": "s",
        "DBSnapshotArn": f"{arn}:snapshot:s",
        "Encrypted": False,
        "SnapshotCreateTime": NOW,
        "TagList": [{"Key": "k", "Value": "v"}],
    }
    stub.add_response("describe_db_instances", {"DBInstances": instances})
    stub.add_response("describe_db_clusters", {"DBClusters": clusters})
    stub.add_response("describe_db_snapshots", {"DBSnapshots": [snapshot]})
    stub.add_response("describe_db_cluster_snapshots", {"DBClusterSnapshots": []})
    with stub:
        facts = facts_of(tmp_path, RdsCollector().collect(client, SCOPE))
    found = results_of(facts)
    status = {k: r.status.value for k, r in found.items()}
    assert status[("aws.rds.multi_az", f"{arn}:cluster:a")] == "pass"
    assert status[("aws.rds.multi_az", f"{arn}:cluster:b")] == "fail"
    assert status[("aws.rds.multi_az", f"{arn}:cluster:c")] == "pass"
    assert status[("aws.rds.multi_az", f"{arn}:db:solo")] == "pass"
    assert status[("aws.rds.public_access", f"{arn}:db:solo")] == "fail"
    assert status[("aws.rds.public_access", f"{arn}:db:a-1")] == "pass"
    assert status[("aws.rds.backup_retention", f"{arn}:db:solo")] == "fail"
    assert not [k for k in found if k[0] != "aws.rds.public_access" and k[1].endswith(("a-1", "a-2", "b-1"))]
    # Data stores carry their region and tags for the residency and backup-coverage checks.
    stores = facts.table("aws.rds.database").frame.set_index("resource")
    assert set(stores.index) == {f"{arn}:db:solo", f"{arn}:cluster:a", f"{arn}:cluster:b", f"{arn}:cluster:c"}
    assert stores.loc[f"{arn}:db:solo", "tags"] == {"team": "data"}
    assert stores.loc[f"{arn}:db:solo", "region"] == REGION
    snap = facts.table("aws.rds.db_snapshot").frame.iloc[0]
    assert (snap.resource, snap.tags, bool(snap.encrypted)) == (f"{arn}:snapshot:s", {"k": "v"}, False)
    cluster_a = facts.table("aws.rds.database").frame.set_index("resource").loc[f"{arn}:cluster:a"]
    assert cluster_a.zones == ["eu-west-1a", "eu-west-1b"] and len(cluster_a.evidence) == 2


def table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def test_dynamodb_denied_detail_call_is_an_error_for_that_table_only(tmp_path: Path) -> None:
    client, stub = stubbed("dynamodb")
    orders, gone, events = table_arn("orders"), table_arn("gone"), table_arn("events")
    enabled = {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED"},
    }
    stub.add_response("list_tables", {"TableNames": ["orders", "gone", "events"]})
    stub.add_response("describe_table", {"Table": {"TableArn": orders}}, {"TableName": orders})
    stub.add_response(
        "describe_continuous_backups", {"ContinuousBackupsDescription": enabled}, {"TableName": orders}
    )
    # A denied tag read does not hide the backup settings that were collected.
    denied = "AccessDeniedException"
    stub.add_client_error("list_tags_of_resource", denied, expected_params={"ResourceArn": orders})
    # Deleted between listing and describing: nothing to judge, and no error.
    stub.add_client_error("describe_table", "ResourceNotFoundException", expected_params={"TableName": gone})
    stub.add_response("describe_table", {"Table": {"TableArn": events}}, {"TableName": events})
    stub.add_client_error("describe_continuous_backups", denied, expected_params={"TableName": events})
    stub.add_response(
        "list_tags_of_resource", {"Tags": [{"Key": "a", "Value": "b"}]}, {"ResourceArn": events}
    )
    with stub:
        outcomes = list(DynamoDbCollector().collect(client, SCOPE))
    stub.assert_no_pending_responses()
    facts = facts_of(tmp_path, outcomes)
    pitr = {r: v for (c, r), v in results_of(facts).items() if c == "aws.dynamodb.pitr"}
    assert set(pitr) == {orders, events}
    assert pitr[orders].status.value == "pass"
    assert pitr[events].status.value == "error"
    assert "dynamodb:DescribeContinuousBackups" in pitr[events].reason and events in pitr[events].reason
    tables = facts.table("aws.dynamodb.table").frame.set_index("resource")
    assert tables.loc[events, "tags"] == {"a": "b"} and tables.loc[events, "region"] == REGION
    assert list(tables.loc[orders, "detail_errors"]) == ["ListTagsOfResource"]


def test_dynamodb_denied_listing_is_an_error_for_the_region(tmp_path: Path) -> None:
    client, stub = stubbed("dynamodb")
    stub.add_client_error("list_tables", "AccessDeniedException", "no")
    with stub:
        found = results_of(facts_of(tmp_path, DynamoDbCollector().collect(client, SCOPE)))
    result = found[("aws.dynamodb.pitr", f"{ACCOUNT}/{REGION}")]
    assert result.status.value == "error" and "dynamodb:ListTables" in result.reason


def kms_key(key_id: str, created: datetime, **metadata: Any) -> dict[str, Any]:
    return {
        "KeyId": key_id,
        "Arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}",
        "CreationDate": created,
        "KeyManager": "CUSTOMER",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "Origin": "AWS_KMS",
        "KeyState": "Enabled",
        **metadata,
    }


def test_kms_rotation_from_stubbed_responses(tmp_path: Path) -> None:
    """What moto lacks: AWS managed keys in ListKeys, RotationPeriodInDays, imported key material."""
    client, stub = stubbed("kms")
    old = datetime.now(UTC) - timedelta(days=700)
    keys = {
        "rotating": kms_key("rotating", old),
        "stale": kms_key("stale", old),
        "aws-managed": kms_key("aws-managed", old, KeyManager="AWS"),
        "imported": kms_key("imported", old, Origin="EXTERNAL"),
        "denied": kms_key("denied", old),
    }
    arn = {k: v["Arn"] for k, v in keys.items()}
    stub.add_response(
        "list_aliases",
        {"Aliases": [{"AliasName": "alias/exports", "TargetKeyId": "stale"}], "Truncated": False},
    )
    stub.add_response(
        "list_keys", {"Keys": [{"KeyId": k, "KeyArn": arn[k]} for k in keys], "Truncated": False}
    )
    for name, metadata in keys.items():
        if name == "denied":
            stub.add_client_error(
                "describe_key", "AccessDeniedException", "no", expected_params={"KeyId": arn[name]}
            )
            continue
        stub.add_response("describe_key", {"KeyMetadata": metadata}, {"KeyId": arn[name]})
        if name in ("rotating", "stale"):
            status = {"KeyRotationEnabled": name == "rotating"}
            if name == "rotating":
                status["RotationPeriodInDays"] = 180
            stub.add_response("get_key_rotation_status", status, {"KeyId": arn[name]})
    with stub:
        outcomes = list(KmsCollector().collect(client, SCOPE))
    stub.assert_no_pending_responses()  # and no rotation call for AWS managed or imported keys
    found = {
        r: v for (c, r), v in results_of(facts_of(tmp_path, outcomes)).items() if c == "aws.kms.key_rotation"
    }
    assert set(found) == {arn["rotating"], arn["stale"], arn["denied"]}
    assert found[arn["rotating"]].status.value == "pass"
    assert "every 180 days; the key is 700 days old" in found[arn["rotating"]].reason
    stale = found[arn["stale"]]
    assert stale.status.value == "fail"
    assert "(alias/exports) has automatic rotation off; the key is 700 days old" in stale.reason
    assert found[arn["denied"]].status.value == "error" and "kms:DescribeKey" in found[arn["denied"]].reason


def test_kms_aliases_denied_leaves_rotation_unknown(tmp_path: Path) -> None:
    """moto makes its aws/ebs key CUSTOMER-managed; only its alias says AWS manages it. Without the
    aliases no key can be told apart from an AWS managed one, so none fails rotation (issue 14)."""
    client, stub = stubbed("kms")
    ebs = kms_key("ebs", datetime.now(UTC) - timedelta(days=10))
    stub.add_client_error("list_aliases", "AccessDeniedException", "not authorized")
    stub.add_response("list_keys", {"Keys": [{"KeyId": "ebs", "KeyArn": ebs["Arn"]}], "Truncated": False})
    stub.add_response("describe_key", {"KeyMetadata": ebs}, {"KeyId": ebs["Arn"]})
    stub.add_response("get_key_rotation_status", {"KeyRotationEnabled": False}, {"KeyId": ebs["Arn"]})
    with stub:
        outcomes = list(KmsCollector().collect(client, SCOPE))
    found = results_of(facts_of(tmp_path, outcomes))[("aws.kms.key_rotation", ebs["Arn"])]
    assert found.status.value == "error" and "grant kms:ListAliases" in found.reason


def test_demo_databases_end_to_end(aws: str, project: Path, cli: Cli) -> None:
    session = boto3.Session()
    seed_databases.seed(session, session, datetime.now(UTC))
    config = project / "trustctl.toml"
    config.write_text(
        config.read_text().replace('regions = ["us-east-1"]', 'regions = ["eu-west-1", "us-east-1"]')
    )
    collected = cli("collect", "aws")
    assert collected.code in (0, 3), collected.stderr  # other families' calls moto lacks may error
    ran = cli("check", "--format", "json")
    assert ran.code in (0, 4), ran.stderr
    report = [r for r in json.loads(ran.stdout)["results"] if r["check"] in IDS]
    assert not [r for r in report if r["status"] == "error"]
    status = {(r["check"], r["resource"].rsplit(":", 1)[-1].rsplit("/", 1)[-1]): r["status"] for r in report}
    reason = {(r["check"], r["resource"].rsplit(":", 1)[-1].rsplit("/", 1)[-1]): r["reason"] for r in report}
    for check in (
        "aws.rds.storage_encrypted",
        "aws.rds.backup_retention",
        "aws.rds.deletion_protection",
        "aws.rds.multi_az",
    ):
        assert status[(check, "orders-db")] == "pass" and status[(check, "payments")] == "pass"
        assert status[(check, "legacy-reporting")] == "fail" and status[(check, "analytics")] == "fail"
        assert (check, "payments-1") not in status  # Aurora members are judged at their cluster
    assert "automated backups turned off" in reason[("aws.rds.backup_retention", "legacy-reporting")]
    assert status[("aws.rds.public_access", "legacy-reporting")] == "fail"
    assert status[("aws.rds.public_access", "orders-db")] == "pass"
    assert status[("aws.rds.public_access", "payments-1")] == "pass"
    assert status[("aws.rds.public_access", "us-east-1")] == "not_applicable"
    assert status[("aws.dynamodb.pitr", "sessions")] == "pass"
    assert status[("aws.dynamodb.pitr", "terraform-locks")] == "pass"
    assert status[("aws.dynamodb.pitr", "audit-events")] == "fail"
    rotation = {
        r["reason"].split("(")[1].split(")")[0]: r for r in report if r["check"] == "aws.kms.key_rotation"
    }
    assert set(rotation) == {
        "alias/orders-data",
        "alias/legacy-exports",
        "alias/terraform-state",
    }  # not the disabled key
    assert rotation["alias/orders-data"]["status"] == "pass"
    assert rotation["alias/legacy-exports"]["status"] == "fail"
    assert "the key is 700 days old" in rotation["alias/legacy-exports"]["reason"]
    assert all(r["evidence"] for r in report if r["status"] in ("pass", "fail"))
