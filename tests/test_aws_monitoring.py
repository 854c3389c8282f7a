"""CloudTrail, AWS Config, GuardDuty and AWS Backup: checks over hand-built facts, collectors over
Stubber (for what moto lacks and for errors), and the whole pipeline over a moto server with the
demo's AWS Backup shim."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.stub import Stubber

from tests.conftest import Ran
from trustctl.collectors.aws.backup import BackupCollector
from trustctl.collectors.aws.monitoring import CloudTrailCollector
from trustctl.collectors.base import Outcome, Response, Scope, store
from trustctl.config import PolicyConfig
from trustctl.controls.engine import evaluate
from trustctl.controls.registry import Context, all_checks
from trustctl.controls.results import Result
from trustctl.demo import backup_shim, seed_monitoring
from trustctl.demo.server import moto_server
from trustctl.evidence import signing
from trustctl.evidence.locker import Locker
from trustctl.evidence.records import Call
from trustctl.facts.aws_monitoring import management_events
from trustctl.facts.base import Evidence, frame
from trustctl.facts.load import build_facts

Cli = Callable[..., Ran]
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ACCOUNT = "111111111111"
MEMBER = "222222222222"


def ago(**delta: float) -> pd.Timestamp:
    return pd.Timestamp(NOW - timedelta(**delta))


def run(
    check_id: str, rows: list[dict[str, Any]], policy: PolicyConfig | None = None
) -> list[tuple[Any, str]]:
    spec = all_checks()[check_id]
    facts = frame(rows, list(rows[0]))
    v = spec.func(facts, Context(policy=policy or PolicyConfig(), as_of=NOW))
    return list(zip(v.ok.tolist(), v.reason.tolist(), strict=True))


def row(resource: str, region: str = "eu-west-1", **facts: Any) -> dict[str, Any]:
    return {
        "provider": "aws",
        "account": ACCOUNT,
        "region": region,
        "resource": resource,
        "evidence": [],
        **facts,
    }


# --- checks over hand-built facts -------------------------------------------------------------------


def account(covering: list[str], unknown: list[str] = [], shortfalls: list[str] = []) -> dict[str, Any]:  # noqa: B006
    return row(
        ACCOUNT,
        "global",
        regions_scanned=["eu-west-1"],
        trails=[],
        covering=covering,
        unknown=unknown,
        shortfalls=shortfalls,
    )


@pytest.mark.parametrize(
    ("facts", "ok", "fragment"),
    [
        (account(["trail/a is multi-region, logging"]), True, "trail/a is multi-region"),
        (
            account([], shortfalls=["trail/b is single-region"]),
            False,
            "in eu-west-1: trail/b is single-region",
        ),
        (account([]), False, "it has no trails there"),
        (account([], unknown=["whether trail/c is logging could not be read"]), None, "trail/c is logging"),
        # A trail that qualifies wins over one whose status could not be read.
        (account(["trail/a ok"], unknown=["trail/c: denied"]), True, "trail/a ok"),
    ],
)
def test_cloudtrail_multi_region(facts: dict[str, Any], ok: bool | None, fragment: str) -> None:
    [(got, reason)] = run("aws.cloudtrail.multi_region", [facts])
    assert got is ok and fragment in reason and ACCOUNT in reason


def trail(**overrides: Any) -> dict[str, Any]:
    facts = {
        "name": "t",
        "multi_region": True,
        "organization_trail": False,
        "log_validation": True,
        "kms_key_id": "arn:aws:kms:eu-west-1:111111111111:key/k",
        "s3_bucket": "logs",
        "is_logging": True,
        "management_events": "All",
        "detail_errors": {},
    }
    return row("arn:aws:cloudtrail:eu-west-1:111111111111:trail/t", **{**facts, **overrides})


@pytest.mark.parametrize(
    ("check_id", "facts", "ok", "fragment"),
    [
        ("aws.cloudtrail.log_validation", trail(), True, "signed digest files"),
        ("aws.cloudtrail.log_validation", trail(log_validation=False), False, "validation disabled"),
        ("aws.cloudtrail.encrypted", trail(), True, "KMS key arn:aws:kms:eu-west-1:111111111111:key/k"),
        ("aws.cloudtrail.encrypted", trail(kms_key_id=None), False, "S3-managed keys"),
        ("aws.cloudtrail.encrypted", trail(kms_key_id=""), False, "no KMS key"),
    ],
)
def test_cloudtrail_trail_checks(check_id: str, facts: dict[str, Any], ok: bool, fragment: str) -> None:
    [(got, reason)] = run(check_id, [facts])
    assert got is ok and fragment in reason and "trail/t" in reason


def recorder(**overrides: Any) -> dict[str, Any]:
    facts = {
        "recorders": ["default"],
        "recorder": "default",
        "recording": True,
        "all_supported": True,
        "included_types": [],
        "excluded_types": [],
    }
    return row(f"{ACCOUNT}/eu-west-1", **{**facts, **overrides})


@pytest.mark.parametrize(
    ("facts", "ok", "fragment"),
    [
        (recorder(), True, "recording every supported resource type"),
        (
            recorder(recorders=[], recorder=None, recording=False, all_supported=False),
            False,
            "has no AWS Config",
        ),
        (recorder(recording=False), False, "recorder default is not recording"),
        (
            recorder(all_supported=False, included_types=["AWS::S3::Bucket"]),
            False,
            "records only 1 resource type(s) (AWS::S3::Bucket), not every supported type",
        ),
        (
            recorder(recording=False, all_supported=False, excluded_types=["AWS::EC2::Instance"]),
            False,
            "is not recording and excludes AWS::EC2::Instance",
        ),
    ],
)
def test_config_recorder(facts: dict[str, Any], ok: bool, fragment: str) -> None:
    [(got, reason)] = run("aws.config.recorder", [facts])
    assert got is ok and fragment in reason and f"{ACCOUNT}/eu-west-1" in reason


@pytest.mark.parametrize(
    ("statuses", "ok", "fragment"),
    [
        ({"d1": "ENABLED"}, True, "detector d1 is enabled"),
        ({"d1": "DISABLED"}, False, "d1 is DISABLED"),
        ({}, False, "has no GuardDuty detector"),
    ],
)
def test_guardduty_enabled(statuses: dict[str, str], ok: bool, fragment: str) -> None:
    [(got, reason)] = run(
        "aws.guardduty.enabled", [row(f"{ACCOUNT}/eu-west-1", statuses=statuses, detail_errors={})]
    )
    assert got is ok and fragment in reason


def protected(newest: pd.Timestamp | None, latest_status: str = "COMPLETED") -> dict[str, Any]:
    return row(
        "arn:aws:rds:eu-west-1:111111111111:db:orders",
        resource_type="RDS",
        vaults=["eu-west-1/v"],
        recovery_points=3,
        newest_completed=pd.NaT if newest is None else newest,
        newest_completed_arn=None,
        latest_status=latest_status,
    )


@pytest.mark.parametrize(
    ("facts", "ok", "fragment"),
    [
        (protected(ago(hours=5)), True, "5 hours old (policy: at most 26 hours)"),
        (protected(ago(hours=26)), True, "26 hours old"),
        (protected(ago(hours=27)), False, "27 hours old, from 2026-11-23 (policy: at most 26 hours)"),
        (protected(None, "PARTIAL"), False, "no completed recovery point among 3 (latest is PARTIAL"),
    ],
)
def test_recent_recovery_point(facts: dict[str, Any], ok: bool, fragment: str) -> None:
    [(got, reason)] = run("aws.backup.recent_recovery_point", [facts])
    assert got is ok and fragment in reason and "db:orders" in reason


def test_recent_recovery_point_follows_policy() -> None:
    [(got, reason)] = run(
        "aws.backup.recent_recovery_point",
        [protected(ago(hours=30))],
        PolicyConfig(max_recovery_point_age_hours=48),
    )
    assert got is True and "at most 48 hours" in reason


def vault(locked: bool | None, days: int | None, lock_date: pd.Timestamp | None = None) -> dict[str, Any]:
    return row(
        "arn:aws:backup:eu-west-1:111111111111:backup-vault:v",
        name="v",
        vault_type="BACKUP_VAULT",
        locked=locked,
        min_retention_days=days,
        max_retention_days=None,
        lock_date=pd.NaT if lock_date is None else lock_date,
        recovery_points=0,
        detail_errors={},
    )


@pytest.mark.parametrize(
    ("facts", "ok", "fragment"),
    [
        (vault(True, 7), True, "minimum retention of 7 days (policy: at least 7; governance mode"),
        (vault(True, 30, ago(days=10)), True, "compliance mode, immutable since 2026-11-14"),
        (vault(True, 30, ago(days=-3)), True, "compliance mode, changeable until 2026-11-27"),
        (vault(True, 6), False, "minimum retention of 6 days (policy: at least 7)"),
        (vault(True, None), False, "locked without a minimum retention"),
        (vault(False, None), False, "has no vault lock"),
    ],
)
def test_vault_lock(facts: dict[str, Any], ok: bool, fragment: str) -> None:
    [(got, reason)] = run("aws.backup.vault_lock", [facts])
    assert got is ok and fragment in reason and "backup-vault:v" in reason


def restores(
    test: pd.Timestamp | None, last: pd.Timestamp | None, plans: list[str] | None = None
) -> dict[str, Any]:
    return row(
        f"{ACCOUNT}/eu-west-1",
        recovery_points=4,
        testing_plans=plans or [],
        last_restore_completed=pd.NaT if last is None else last,
        last_restore_job="J1" if last is not None else None,
        last_restore_type="RDS" if last is not None else None,
        last_test_completed=pd.NaT if test is None else test,
        last_test_plan="drill" if test is not None else None,
    )


@pytest.mark.parametrize(
    ("facts", "ok", "fragment"),
    [
        (
            restores(ago(days=12), ago(days=2)),
            True,
            "restore testing plan drill completed a restore on 2026-11-12",
        ),
        (restores(None, ago(days=30)), True, "restore job J1 (RDS, not from a restore testing plan)"),
        # An old test plan run does not hide a recent manual restore, and is not preferred over it.
        (restores(ago(days=120), ago(days=30)), True, "restore job J1"),
        (restores(ago(days=91), ago(days=91), ["drill"]), False, "91 days ago; restore testing plans: drill"),
        (
            restores(None, None),
            False,
            "holds 4 recovery point(s) but no restore completed in the last 90 days",
        ),
    ],
)
def test_restore_tested(facts: dict[str, Any], ok: bool, fragment: str) -> None:
    [(got, reason)] = run("aws.backup.restore_tested", [facts])
    assert got is ok and fragment in reason and f"{ACCOUNT}/eu-west-1" in reason


@pytest.mark.parametrize(
    ("selectors", "expected"),
    [
        ({"EventSelectors": [], "AdvancedEventSelectors": []}, "All"),  # moto; AWS sends its default
        ({"EventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]}, "WriteOnly"),
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": False}]}, None),
        (
            {
                "EventSelectors": [
                    {"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True},
                    {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True},
                ]
            },
            "All",
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}
                ]
            },
            None,
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "readOnly", "Equals": ["false"]},
                        ]
                    }
                ]
            },
            "WriteOnly",
        ),
    ],
)
def test_management_events(selectors: dict[str, Any], expected: str | None) -> None:
    assert management_events(selectors) == expected


# --- collectors over Stubber, evaluated through the locker -------------------------------------------


def client(service: str, region: str) -> tuple[Any, Stubber]:
    made = boto3.client(service, region_name=region, aws_access_key_id="x", aws_secret_access_key="x")
    return made, Stubber(made)


def results(tmp_path: Path, outcomes: Iterable[Outcome]) -> dict[tuple[str, str], Result]:
    key = signing.create_key(tmp_path / "k.pem")
    locker = Locker.create(tmp_path / "locker", key)
    writer = locker.begin_run(key, "T", "sha256:c")
    for outcome in outcomes:
        store(writer, outcome)
    facts = build_facts(Evidence(locker, writer.commit(["aws"])))
    return {(r.check, r.resource): r for r in evaluate(facts, PolicyConfig(), [], date.today()).results}


def describe_trails(*trails: dict[str, Any]) -> dict[str, Any]:
    return {"trailList": list(trails)}


def trail_listing(name: str, account: str, home: str, **settings: Any) -> dict[str, Any]:
    arn = f"arn:aws:cloudtrail:{home}:{account}:trail/{name}"
    return {"Name": name, "TrailARN": arn, "HomeRegion": home, "S3BucketName": "logs", **settings}


def collect_trails(account: str, region: str, stub_calls: Callable[[Stubber], None]) -> list[Outcome]:
    cloudtrail, stub = client("cloudtrail", region)
    stub_calls(stub)
    with stub:
        outcomes = list(CloudTrailCollector().collect(cloudtrail, Scope("aws", account, region)))
    stub.assert_no_pending_responses()
    return outcomes


@pytest.mark.parametrize("multi_region", [True, False])
def test_describe_trails_failing_in_one_region(tmp_path: Path, multi_region: bool) -> None:
    """A covering trail seen from any region proves the account is logged; without one, a region whose
    trails could not be read leaves the account unknown (error), never a fail."""
    good = trail_listing(
        "org", ACCOUNT, "eu-west-1", IsMultiRegionTrail=multi_region, LogFileValidationEnabled=True
    )

    def eu(stub: Stubber) -> None:
        stub.add_response("describe_trails", describe_trails(good), {"includeShadowTrails": False})
        stub.add_response("get_trail_status", {"IsLogging": True}, {"Name": good["TrailARN"]})
        stub.add_response(
            "get_event_selectors", {"TrailARN": good["TrailARN"]}, {"TrailName": good["TrailARN"]}
        )

    def us(stub: Stubber) -> None:
        stub.add_client_error("describe_trails", "AccessDeniedException", "no")

    found = results(
        tmp_path, [*collect_trails(ACCOUNT, "eu-west-1", eu), *collect_trails(ACCOUNT, "us-east-1", us)]
    )
    multi = found[("aws.cloudtrail.multi_region", ACCOUNT)]
    if multi_region:
        assert multi.status.value == "pass"
    else:
        assert multi.status.value == "error" and "cloudtrail:DescribeTrails" in multi.reason
    # The per-trail checks are regional: the trail in eu-west-1 is still judged.
    assert found[("aws.cloudtrail.log_validation", good["TrailARN"])].status.value == "pass"
    assert found[("aws.cloudtrail.log_validation", f"{ACCOUNT}/us-east-1")].status.value == "error"


def test_trail_status_denied_is_an_error_for_that_trail_only(tmp_path: Path) -> None:
    """AccessDenied on a detail call: error for the check that needs it, everything else evaluated."""
    multi = trail_listing("audit", ACCOUNT, "eu-west-1", IsMultiRegionTrail=True, KmsKeyId="k")
    single = trail_listing("app", MEMBER, "eu-west-1", LogFileValidationEnabled=True)

    def denied(stub: Stubber) -> None:
        stub.add_response("describe_trails", describe_trails(multi))
        stub.add_client_error("get_trail_status", "AccessDeniedException", "not authorized")
        stub.add_response("get_event_selectors", {"EventSelectors": []})

    def member(stub: Stubber) -> None:
        stub.add_response("describe_trails", describe_trails(single))
        stub.add_response("get_trail_status", {"IsLogging": True})
        stub.add_response("get_event_selectors", {"EventSelectors": []})

    def member_us(stub: Stubber) -> None:
        stub.add_response("describe_trails", describe_trails())

    found = results(
        tmp_path,
        [
            *collect_trails(ACCOUNT, "eu-west-1", denied),
            *collect_trails(MEMBER, "eu-west-1", member),
            *collect_trails(MEMBER, "us-east-1", member_us),
        ],
    )
    result = found[("aws.cloudtrail.multi_region", ACCOUNT)]
    assert result.status.value == "error"
    assert (
        "whether multi-region arn:aws:cloudtrail:eu-west-1:111111111111:trail/audit is logging"
        in result.reason
    )
    assert "grant cloudtrail:GetTrailStatus" in result.reason
    assert found[("aws.cloudtrail.encrypted", multi["TrailARN"])].status.value == "pass"
    assert found[("aws.cloudtrail.log_validation", multi["TrailARN"])].status.value == "fail"
    # One region scanned, one single-region trail: no pass for the member account.
    member_result = found[("aws.cloudtrail.multi_region", MEMBER)]
    assert member_result.status.value == "fail" and "trail/app is single-region" in member_result.reason
    assert found[("aws.cloudtrail.log_validation", single["TrailARN"])].status.value == "pass"


def test_an_organization_trail_covers_member_accounts(tmp_path: Path) -> None:
    org = trail_listing("org", ACCOUNT, "us-east-1", IsMultiRegionTrail=True, IsOrganizationTrail=True)

    def management(stub: Stubber) -> None:
        stub.add_response("describe_trails", describe_trails(org))
        stub.add_response("get_trail_status", {"IsLogging": True})
        stub.add_response("get_event_selectors", {"EventSelectors": []})

    def member(stub: Stubber) -> None:
        stub.add_response("describe_trails", describe_trails())  # shadow copies are not listed

    found = results(
        tmp_path,
        [*collect_trails(ACCOUNT, "us-east-1", management), *collect_trails(MEMBER, "us-east-1", member)],
    )
    assert found[("aws.cloudtrail.multi_region", ACCOUNT)].status.value == "pass"
    covered = found[("aws.cloudtrail.multi_region", MEMBER)]
    assert covered.status.value == "pass" and f"owned by account {ACCOUNT}" in covered.reason


def stub_backup(stub: Stubber, region: str, now: datetime) -> dict[str, str]:
    """Every AWS Backup call of one region, in the collector's order; vault `cold` is denied."""
    arn = f"arn:aws:backup:{region}:{ACCOUNT}"
    plan = {"BackupPlanId": "p1", "BackupPlanArn": f"{arn}:backup-plan:p1", "BackupPlanName": "daily"}
    stub.add_response("list_backup_plans", {"BackupPlansList": [plan]})
    rules = [{"RuleName": "r", "TargetBackupVaultName": "hot", "Lifecycle": {"DeleteAfterDays": 35}}]
    stub.add_response(
        "get_backup_plan",
        {
            "BackupPlanId": "p1",
            "BackupPlanArn": plan["BackupPlanArn"],
            "BackupPlan": {"BackupPlanName": "daily", "Rules": rules},
        },
        {"BackupPlanId": "p1"},
    )
    stub.add_response(
        "list_backup_selections",
        {"BackupSelectionsList": [{"SelectionId": "s1", "BackupPlanId": "p1", "SelectionName": "dbs"}]},
        {"BackupPlanId": "p1"},
    )
    tags = [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "daily"}]
    selection = {
        "SelectionName": "dbs",
        "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/backup",
        "Resources": [f"arn:aws:rds:{region}:{ACCOUNT}:db:*"],
        "NotResources": [f"arn:aws:rds:{region}:{ACCOUNT}:db:scratch"],
        "ListOfTags": tags,
        "Conditions": {"StringEquals": [{"ConditionKey": "aws:ResourceTag/env", "ConditionValue": "prod"}]},
    }
    stub.add_response(
        "get_backup_selection",
        {"SelectionId": "s1", "BackupPlanId": "p1", "BackupSelection": selection},
        {"BackupPlanId": "p1", "SelectionId": "s1"},
    )
    vaults = {
        name: {"BackupVaultName": name, "BackupVaultArn": f"{arn}:backup-vault:{name}"}
        for name in ("hot", "cold")
    }
    stub.add_response("list_backup_vaults", {"BackupVaultList": list(vaults.values())})
    stub.add_response(
        "describe_backup_vault",
        {**vaults["hot"], "Locked": True, "MinRetentionDays": 30},
        {"BackupVaultName": "hot"},
    )
    db = f"arn:aws:rds:{region}:{ACCOUNT}:db:orders"
    table = f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/t"
    points = [
        {"RecoveryPointArn": f"{arn}:recovery-point:1", "ResourceArn": db, "ResourceType": "RDS",
         "Status": "COMPLETED", "CreationDate": now - timedelta(hours=50), "CompletionDate": now - timedelta(hours=49)},
        {"RecoveryPointArn": f"{arn}:recovery-point:2", "ResourceArn": db, "ResourceType": "RDS",
         "Status": "COMPLETED", "CreationDate": now - timedelta(hours=3), "CompletionDate": now - timedelta(hours=2)},
        {"RecoveryPointArn": f"{arn}:recovery-point:3", "ResourceArn": table, "ResourceType": "DynamoDB",
         "Status": "COMPLETED", "CreationDate": now - timedelta(hours=40)},
        {"RecoveryPointArn": f"{arn}:recovery-point:4", "ResourceArn": table, "ResourceType": "DynamoDB",
         "Status": "PARTIAL", "CreationDate": now - timedelta(hours=1)},
    ]  # fmt: skip
    stub.add_response(
        "list_recovery_points_by_backup_vault", {"RecoveryPoints": points}, {"BackupVaultName": "hot"}
    )
    stub.add_client_error("describe_backup_vault", "AccessDeniedException", "not authorized")
    stub.add_response(
        "list_recovery_points_by_backup_vault", {"RecoveryPoints": []}, {"BackupVaultName": "cold"}
    )
    drill = f"{arn}:restore-testing-plan:drill-abc"
    jobs = [
        {"RestoreJobId": "J1", "Status": "COMPLETED", "CompletionDate": now - timedelta(days=40),
         "CreatedBy": {"RestoreTestingPlanArn": drill}, "ResourceType": "RDS"},
        {"RestoreJobId": "J2", "Status": "FAILED", "CreationDate": now - timedelta(days=1),
         "CreatedBy": {"RestoreTestingPlanArn": drill}},
    ]  # fmt: skip
    stub.add_response("list_restore_jobs", {"RestoreJobs": jobs})
    stub.add_response(
        "list_restore_testing_plans",
        {
            "RestoreTestingPlans": [
                {
                    "RestoreTestingPlanArn": drill,
                    "RestoreTestingPlanName": "drill",
                    "CreationTime": now - timedelta(days=100),
                    "ScheduleExpression": "cron(0 1 ? * * *)",
                }
            ]
        },
    )
    return {
        "db": db,
        "table": table,
        "hot": vaults["hot"]["BackupVaultArn"],
        "cold": vaults["cold"]["BackupVaultArn"],
    }


def test_backup_collector_over_stubber(tmp_path: Path) -> None:
    """Selections, recovery points, restore jobs and restore testing plans are not in moto."""
    now = datetime.now(UTC)
    backup, stub = client("backup", "eu-west-1")
    arns = stub_backup(stub, "eu-west-1", now)
    with stub:
        outcomes = list(BackupCollector().collect(backup, Scope("aws", ACCOUNT, "eu-west-1")))
    stub.assert_no_pending_responses()
    assert {o.call.operation for o in outcomes} == {p.split(":")[1] for p in BackupCollector.permissions}
    found = results(tmp_path, outcomes)
    status = {key: r.status.value for key, r in found.items()}
    assert status[("aws.backup.vault_lock", arns["hot"])] == "pass"
    cold = found[("aws.backup.vault_lock", arns["cold"])]
    assert cold.status.value == "error" and "grant backup:DescribeBackupVault" in cold.reason
    assert status[("aws.backup.recent_recovery_point", arns["db"])] == "pass"
    table = found[("aws.backup.recent_recovery_point", arns["table"])]
    assert table.status.value == "fail" and "40 hours old" in table.reason
    restored = found[("aws.backup.restore_tested", f"{ACCOUNT}/eu-west-1")]
    assert (
        restored.status.value == "pass"
        and "restore testing plan drill completed a restore" in restored.reason
    )


def test_backup_selection_facts(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    backup, stub = client("backup", "eu-west-1")
    stub_backup(stub, "eu-west-1", now)
    with stub:
        outcomes = list(BackupCollector().collect(backup, Scope("aws", ACCOUNT, "eu-west-1")))
    key = signing.create_key(tmp_path / "k.pem")
    locker = Locker.create(tmp_path / "locker", key)
    writer = locker.begin_run(key, "T", "sha256:c")
    for outcome in outcomes:
        store(writer, outcome)
    selections = build_facts(Evidence(locker, writer.commit(["aws"]))).table("aws.backup.selection").frame
    [selection] = selections.to_dict("records")
    assert selection["resource"] == f"arn:aws:backup:eu-west-1:{ACCOUNT}:backup-plan:p1#selection/s1"
    assert selection["selection"] == "daily/dbs" and selection["plan_id"] == "p1"
    assert selection["iam_role_arn"] == f"arn:aws:iam::{ACCOUNT}:role/backup"
    assert selection["resources"] == [f"arn:aws:rds:eu-west-1:{ACCOUNT}:db:*"]
    assert selection["not_resources"] == [f"arn:aws:rds:eu-west-1:{ACCOUNT}:db:scratch"]
    assert selection["list_of_tags"][0]["ConditionKey"] == "backup"
    assert selection["conditions"]["StringEquals"][0]["ConditionValue"] == "prod"
    assert selection["plan_rules"][0]["TargetBackupVaultName"] == "hot"
    assert selection["region"] == "eu-west-1" and selection["detail_errors"] == {}


def test_a_selection_answered_without_its_document_is_unknown_not_everything(tmp_path: Path) -> None:
    """A selection with no resources, tags or conditions selects everything: an answer that lacks the
    BackupSelection document must not read as one (issue 14: 6 fails became passes)."""

    def answer(service: str, operation: str, data: dict[str, Any], **parameters: Any) -> Response:
        call = Call(
            provider="aws",
            account=ACCOUNT,
            region="eu-west-1",
            service=service,
            operation=operation,
            parameters=parameters,
        )
        return Response(call, data, NOW)

    table = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders"
    plan = {"BackupPlanId": "p1", "BackupPlanName": "daily"}
    listed = {"SelectionId": "s1", "BackupPlanId": "p1", "SelectionName": "all"}
    found = results(
        tmp_path,
        [
            answer("backup", "ListBackupPlans", {"BackupPlansList": [plan]}),
            answer("backup", "ListBackupSelections", {"BackupSelectionsList": [listed]}, BackupPlanId="p1"),
            answer(
                "backup", "GetBackupSelection", {"BackupPlanId": "p1"}, BackupPlanId="p1", SelectionId="s1"
            ),
            answer("dynamodb", "ListTables", {"TableNames": ["orders"]}),
            answer(
                "dynamodb",
                "DescribeTable",
                {"Table": {"TableArn": table, "TableName": "orders"}},
                TableName=table,
            ),
            answer("dynamodb", "ListTagsOfResource", {"Tags": []}, ResourceArn=table),
        ],
    )
    coverage = found[("aws.backup.plan_coverage", table)]
    assert coverage.status.value == "error", coverage.reason
    assert "without a selection document for daily selection s1" in coverage.reason


def test_stores_hidden_by_errors_never_read_as_an_account_with_nothing(tmp_path: Path) -> None:
    """A bucket whose region is unknown cannot be matched to its region's backup plans, and an account
    whose every region errored has not "nothing this check applies to" (S3 is listed account-wide)."""
    from trustctl.facts.aws_datastores import DATASTORE, derive_datastores
    from trustctl.facts.base import FactSet, FactTable

    def bucket(account: str, name: str, region: str, **errors: str) -> dict[str, Any]:
        facts = row(f"arn:aws:s3:::{name}", region, name=name, tags={}, detail_errors=errors)
        return {**facts, "account": account}

    buckets = frame(
        [
            bucket(ACCOUNT, "logs", "eu-west-1"),  # hidden by the region's error
            bucket(MEMBER, "lost", "unknown", GetBucketLocation="s3:GetBucketLocation denied"),
        ],
        ["name", "tags", "detail_errors"],
    )
    s3_scopes = [("aws", ACCOUNT, "global"), ("aws", MEMBER, "global")]
    tables = {
        "aws.s3.bucket": FactTable("aws.s3.bucket", buckets, s3_scopes),
        "aws.dynamodb.table": FactTable(
            "aws.dynamodb.table",
            frame([], ["name", "tags"]),
            [("aws", ACCOUNT, "eu-west-1")],
            {("aws", ACCOUNT, "eu-west-1"): ["dynamodb:ListTables could not be collected: denied"]},
        ),
    }
    derived = derive_datastores(tables, ("aws.s3.bucket", "aws.dynamodb.table"))
    facts = FactSet(NOW, {DATASTORE: derived})
    checks = {i: all_checks()[i] for i in ("aws.backup.plan_coverage", "aws.residency.allowed_regions")}
    results = evaluate(
        facts, PolicyConfig(allowed_regions=["eu-west-1"]), [], NOW.date(), checks=checks
    ).results
    found = {(r.check, r.resource): r.status.value for r in results}
    for check_id in checks:
        assert found[(check_id, f"{ACCOUNT}/eu-west-1")] == "error"
        assert (check_id, ACCOUNT) not in found  # not "nothing this check applies to"
        assert found[(check_id, "arn:aws:s3:::lost")] == "error"


# --- the whole pipeline over moto, with the demo's AWS Backup shim ------------------------------------


@pytest.fixture(scope="module")
def shim_endpoint(moto_endpoint: str) -> Iterator[str]:
    """A second server on the same in-process moto backends, with the AWS Backup shim in front."""
    with moto_server(backup_shim=True) as endpoint:
        yield endpoint


@pytest.fixture
def shimmed(aws: str, shim_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", shim_endpoint)
    backup_shim.STATE.reset()
    yield shim_endpoint
    backup_shim.STATE.reset()


def organization() -> tuple[boto3.Session, boto3.Session, str]:
    management = boto3.Session()
    org = management.client("organizations")
    org.create_organization(FeatureSet="ALL")
    production = org.create_account(Email="prod@acme.example", AccountName="prod")["CreateAccountStatus"][
        "AccountId"
    ]
    creds = management.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{production}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
    )["Credentials"]
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    return management, session, production


def test_demo_monitoring_end_to_end(shimmed: str, project: Path, cli: Cli) -> None:
    management, production, prod = organization()
    seed_monitoring.seed(management, production, datetime.now(UTC))
    collected = cli(
        "collect", "aws", "--org-role", "OrganizationAccountAccessRole", "--regions", "eu-west-1,us-east-1"
    )
    assert collected.code == 0, collected.stderr
    ran = cli("check", "--format", "json")
    assert ran.code == 4, ran.stderr
    status = {(r["check"], r["resource"]): r["status"] for r in json.loads(ran.stdout)["results"]}
    mgmt, eu, us = "123456789012", "eu-west-1", "us-east-1"
    expected = {
        ("aws.cloudtrail.multi_region", mgmt): "pass",
        ("aws.cloudtrail.multi_region", prod): "fail",
        ("aws.cloudtrail.log_validation", f"arn:aws:cloudtrail:{eu}:{mgmt}:trail/acme-audit"): "pass",
        ("aws.cloudtrail.log_validation", f"arn:aws:cloudtrail:{eu}:{prod}:trail/prod-app-events"): "fail",
        ("aws.cloudtrail.encrypted", f"arn:aws:cloudtrail:{eu}:{mgmt}:trail/acme-audit"): "pass",
        ("aws.cloudtrail.encrypted", f"arn:aws:cloudtrail:{eu}:{prod}:trail/prod-app-events"): "fail",
        ("aws.config.recorder", f"{mgmt}/{eu}"): "pass",
        ("aws.config.recorder", f"{mgmt}/{us}"): "fail",
        ("aws.config.recorder", f"{prod}/{eu}"): "fail",
        ("aws.config.recorder", f"{prod}/{us}"): "fail",
        ("aws.guardduty.enabled", f"{mgmt}/{us}"): "pass",
        ("aws.guardduty.enabled", f"{prod}/{eu}"): "pass",
        ("aws.guardduty.enabled", f"{prod}/{us}"): "fail",
        ("aws.backup.vault_lock", f"arn:aws:backup:{eu}:{prod}:backup-vault:acme-prod-vault"): "pass",
        ("aws.backup.vault_lock", f"arn:aws:backup:{eu}:{prod}:backup-vault:Default"): "fail",
        ("aws.backup.vault_lock", f"arn:aws:backup:{us}:{mgmt}:backup-vault:acme-mgmt-vault"): "fail",
        ("aws.backup.recent_recovery_point", f"arn:aws:rds:{eu}:{prod}:db:orders-db"): "pass",
        ("aws.backup.recent_recovery_point", "arn:aws:s3:::acme-app-data"): "pass",
        ("aws.backup.recent_recovery_point", f"arn:aws:rds:{eu}:{prod}:cluster:payments"): "fail",
        ("aws.backup.restore_tested", f"{prod}/{eu}"): "pass",
        ("aws.backup.restore_tested", f"{mgmt}/{us}"): "fail",
        ("aws.backup.restore_tested", f"{prod}/{us}"): "not_applicable",
    }
    assert {key: status.get(key) for key in expected} == expected
    monitoring = [k for k in status if k[0].split(".")[1] in ("cloudtrail", "config", "guardduty")]
    assert all(status[k] != "error" for k in monitoring)


def test_shim_pages_and_leaves_other_calls_to_moto(shimmed: str) -> None:
    backup = boto3.client("backup", region_name="eu-west-1")
    backup.create_backup_vault(BackupVaultName="v")  # moto
    for n in range(5):
        backup_shim.STATE.add_recovery_point(
            "123456789012", "eu-west-1", "v", {"RecoveryPointArn": f"rp-{n}", "Status": "COMPLETED"}
        )
    pages = backup.get_paginator("list_recovery_points_by_backup_vault").paginate(
        BackupVaultName="v", PaginationConfig={"PageSize": 2}
    )
    assert [[p["RecoveryPointArn"] for p in page["RecoveryPoints"]] for page in pages] == [
        ["rp-0", "rp-1"],
        ["rp-2", "rp-3"],
        ["rp-4"],
    ]
    assert [v["BackupVaultName"] for v in backup.list_backup_vaults()["BackupVaultList"]] == ["v"]
    # Another region sees nothing; a selection nobody seeded is not found.
    assert boto3.client("backup", region_name="us-east-1").list_restore_jobs()["RestoreJobs"] == []
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.get_backup_selection(BackupPlanId="p", SelectionId="s")


def test_every_check_runs_on_an_account_without_evidence(tmp_path: Path) -> None:
    identity = Call(
        provider="aws", account=ACCOUNT, region="global", service="sts", operation="GetCallerIdentity"
    )
    found = results(tmp_path, [Response(identity, {"Account": ACCOUNT}, datetime.now(UTC))])
    mine = {
        k: r
        for k, r in found.items()
        if k[0].split(".")[1] in ("cloudtrail", "config", "guardduty", "backup")
    }
    # No region was read: the account-level trail check cannot pass or be "not applicable".
    assert mine[("aws.cloudtrail.multi_region", ACCOUNT)].status.value == "error"
    assert all(r.status.value in ("not_applicable", "error") for r in mine.values())
