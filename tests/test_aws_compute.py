"""EBS, security group, ELBv2 listener and EFS evidence: checks over hand-built facts, collectors
against a stubbed client (calls moto lacks, denied detail calls), and the whole path against moto."""

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
from trustctl.collectors.aws.calls import permission_for
from trustctl.collectors.aws.compute import COLLECTORS, Ec2Collector, Elbv2Collector
from trustctl.collectors.aws.runner import required_permissions
from trustctl.collectors.base import Outcome, Response, Scope, store
from trustctl.config import PolicyConfig
from trustctl.controls.engine import evaluate
from trustctl.controls.registry import Context, all_checks
from trustctl.controls.results import Result
from trustctl.demo import seed_compute
from trustctl.evidence import signing
from trustctl.evidence.locker import Locker
from trustctl.facts.aws_compute import DATA_STORES, is_world, world_ingress
from trustctl.facts.base import Evidence, frame
from trustctl.facts.load import build_facts

Cli = Callable[..., Ran]
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ACCOUNT = "111111111111"
CHECKS = (
    "aws.ebs.default_encryption",
    "aws.ebs.volume_encrypted",
    "aws.ebs.snapshot_encrypted",
    "aws.ec2.open_admin_ports",
    "aws.elb.tls_policy",
    "aws.efs.encrypted",
)


def run(
    check_id: str, rows: list[dict[str, Any]], policy: PolicyConfig | None = None
) -> list[tuple[Any, str]]:
    facts = frame(rows, list(rows[0]) if rows else [])
    v = all_checks()[check_id].func(facts, Context(policy=policy or PolicyConfig(), as_of=NOW))
    return list(zip(v.ok.tolist(), v.reason.tolist(), strict=True))


def row(resource: str, **facts: Any) -> dict[str, Any]:
    return {
        "provider": "aws",
        "account": ACCOUNT,
        "region": "eu-west-1",
        "resource": resource,
        "evidence": [],
        **facts,
    }


# --- checks over hand-built facts -------------------------------------------------------------


@pytest.mark.parametrize(
    ("check_id", "facts", "ok", "fragment"),
    [
        (
            "aws.ebs.default_encryption",
            {"enabled": True, "default_kms_key": "alias/aws/ebs", "default_kms_key_unread": None},
            True,
            "alias/aws/ebs",
        ),
        (
            "aws.ebs.default_encryption",
            {"enabled": False, "default_kms_key": None, "default_kms_key_unread": None},
            False,
            "is off",
        ),
        # The key only names what encrypts; its failed read is said in the reason, the verdict stands.
        (
            "aws.ebs.default_encryption",
            {
                "enabled": True,
                "default_kms_key": None,
                "default_kms_key_unread": "ec2:GetEbsDefaultKmsKeyId could not be collected: denied",
            },
            True,
            "encrypted by default (with which KMS key is unknown: ec2:GetEbsDefaultKmsKeyId could not",
        ),
        (
            "aws.ebs.volume_encrypted",
            {"encrypted": True, "kms_key_id": "k1", "size_gib": 8},
            True,
            "with KMS key k1",
        ),
        (
            "aws.ebs.volume_encrypted",
            {"encrypted": False, "kms_key_id": None, "size_gib": 8},
            False,
            "(8 GiB) is not",
        ),
        (
            "aws.ebs.snapshot_encrypted",
            {"encrypted": True, "kms_key_id": None, "volume_id": "vol-1"},
            True,
            "is encrypted",
        ),
        (
            "aws.ebs.snapshot_encrypted",
            {"encrypted": False, "kms_key_id": None, "volume_id": "vol-1"},
            False,
            "vol-1",
        ),
        ("aws.efs.encrypted", {"encrypted": True, "kms_key_id": "k2"}, True, "at rest with KMS key k2"),
        ("aws.efs.encrypted", {"encrypted": False, "kms_key_id": None}, False, "not encrypted at rest"),
    ],
)
def test_encryption_checks(check_id: str, facts: dict[str, Any], ok: bool, fragment: str) -> None:
    [(got, reason)] = run(check_id, [row("R", **facts)])
    assert got is ok and reason.startswith("R") and fragment in reason


def rule(protocol: str, low: int | None, high: int | None, cidr: str = "0.0.0.0/0") -> dict[str, Any]:
    return {"protocol": protocol, "from_port": low, "to_port": high, "cidr": cidr}


ALL_ADMIN = "22, 1433, 1521, 3306, 3389, 5432, 5439, 6379, 9200, 11211, 27017"


@pytest.mark.parametrize(
    ("rules", "ok", "fragment"),
    [
        ([], True, "opens no admin or database port"),
        ([rule("tcp", 443, 443), rule("tcp", 80, 80, "::/0")], True, "opens no admin"),
        ([rule("tcp", 22, 22)], False, "22 to 0.0.0.0/0 (tcp 22)"),
        ([rule("-1", None, None, "::/0")], False, f"{ALL_ADMIN} to ::/0 (all protocols and ports)"),
        ([rule("tcp", 3000, 3400)], False, "3306, 3389 to 0.0.0.0/0 (tcp 3000-3400)"),
        ([rule("tcp", 0, 65535)], False, f"{ALL_ADMIN} to 0.0.0.0/0 (tcp, all ports)"),
        ([rule("udp", 11211, 11211)], False, "11211 to 0.0.0.0/0 (udp 11211)"),
        ([rule("6", 5432, 5432, "::/0")], False, "5432 to ::/0 (tcp 5432)"),
        ([rule("icmp", -1, -1)], True, "opens no admin"),  # ICMP has no ports
        ([rule("tcp", 23, 1432)], True, "opens no admin"),  # a range between admin ports
        (
            [rule("tcp", 22, 22), rule("tcp", 3389, 3389, "::/0")],
            False,
            "22 to 0.0.0.0/0 (tcp 22); 3389 to ::/0 (tcp 3389)",
        ),
    ],
)
def test_open_admin_ports(rules: list[dict[str, Any]], ok: bool, fragment: str) -> None:
    [(got, reason)] = run("aws.ec2.open_admin_ports", [row("sg-0123", name="web", world_ingress=rules)])
    assert got is ok and fragment in reason and reason.startswith("sg-0123 (web)")


def test_open_admin_ports_follows_policy() -> None:
    rules = [rule("tcp", 22, 22), rule("tcp", 8443, 8443)]
    [(got, reason)] = run(
        "aws.ec2.open_admin_ports",
        [row("sg-1", name="x", world_ingress=rules)],
        PolicyConfig(admin_ports=[8443]),
    )
    assert got is False and "8443 to 0.0.0.0/0" in reason and "22" not in reason


def test_only_rules_open_to_every_address_count() -> None:
    assert [is_world(c) for c in ("0.0.0.0/0", "::/0", "0::/0", "10.0.0.0/8", "1.2.3.4/32", "pl-123")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    permissions = [
        {
            "IpProtocol": "tcp",
            "FromPort": 22,
            "ToPort": 22,
            "IpRanges": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "0.0.0.0/0"}],
            "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            "UserIdGroupPairs": [{"GroupId": "sg-9"}],
        },
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-9"}], "IpRanges": [], "Ipv6Ranges": []},
    ]
    assert world_ingress(permissions) == [rule("tcp", 22, 22, "0.0.0.0/0"), rule("tcp", 22, 22, "::/0")]


def listener(protocol: str, **facts: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "load_balancer": "arn:lb",
        "load_balancer_name": "shop",
        "scheme": "internet-facing",
        "protocol": protocol,
        "port": 443,
        "ssl_policy": None,
        "ssl_protocols": None,
        "min_protocol": None,
        "redirects_to_https": False,
        "detail_errors": {},
    }
    return row("arn:listener", **{**values, **facts})


def tls(min_protocol: str | None, protocol: str = "HTTPS") -> dict[str, Any]:
    return listener(
        protocol,
        ssl_policy="P",
        ssl_protocols=[min_protocol] if min_protocol else None,
        min_protocol=min_protocol,
    )


@pytest.mark.parametrize(
    ("facts", "policy", "expected", "fragment"),
    [
        (
            tls("TLSv1.2"),
            "TLSv1.2",
            [True],
            "uses P, which allows TLSv1.2 and above (policy: at least TLSv1.2)",
        ),
        (tls("TLSv1.3"), "TLSv1.2", [True], "TLSv1.3 and above"),
        (tls("TLSv1"), "TLSv1.2", [False], "uses P, which allows TLSv1 (policy: at least TLSv1.2)"),
        (tls("TLSv1.1", protocol="TLS"), "TLSv1.2", [False], "(TLS:443 on shop)"),
        (tls("TLSv1.2"), "TLSv1.3", [False], "allows TLSv1.2 (policy: at least TLSv1.3)"),
        (tls("TLSv1.3"), "TLSv1.3", [True], "TLSv1.3 and above"),
        (tls(None), "TLSv1.2", [None], "SSL policy P were not described"),
        (
            listener("HTTP", port=80, redirects_to_https=True),
            "TLSv1.2",
            [True],
            "(HTTP:80 on shop) redirects to HTTPS",
        ),
        (listener("HTTP", port=80), "TLSv1.2", [False], "serves plain HTTP without redirecting"),
        (listener("TCP", port=5432), "TLSv1.2", [], ""),  # other protocols: not applicable
        (listener("GENEVE", port=6081), "TLSv1.2", [], ""),
    ],
)
def test_elb_tls_policy(facts: dict[str, Any], policy: str, expected: list[Any], fragment: str) -> None:
    out = run("aws.elb.tls_policy", [facts], PolicyConfig(min_tls_version=policy))  # type: ignore[arg-type]
    assert [ok for ok, _ in out] == expected
    assert all(fragment in reason for _, reason in out)


def test_every_compute_check_handles_an_empty_table_and_is_registered() -> None:
    checks = all_checks()
    columns = {
        "aws.ebs.encryption_default": ["enabled", "default_kms_key", "default_kms_key_unread"],
        "aws.ebs.volume": ["encrypted", "kms_key_id", "size_gib"],
        "aws.ebs.snapshot": ["encrypted", "kms_key_id", "volume_id"],
        "aws.efs.file_system": ["encrypted", "kms_key_id"],
        "aws.ec2.security_group": ["name", "world_ingress"],
        "aws.elb.listener": list(listener("HTTP")),
    }
    for check_id in CHECKS:
        spec = checks[check_id]
        assert len(spec.func(frame([], columns[spec.resource]), Context(PolicyConfig(), NOW)).ok) == 0
    assert {checks[c].control for c in CHECKS} == {"CRY-01", "CRY-02", "NET-02"}


def test_permissions_name_every_operation_called() -> None:
    needed = set(required_permissions(COLLECTORS, organization=False))
    assert {
        "ec2:GetEbsDefaultKmsKeyId",
        "ec2:DescribeSnapshots",
        "elasticloadbalancing:DescribeSSLPolicies",
        "elasticloadbalancing:DescribeListeners",
        "elasticfilesystem:DescribeFileSystems",
    } <= needed
    for collector in COLLECTORS:
        client = boto3.client(
            collector.service, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        for permission in collector.permissions:
            operation = permission.split(":")[1]
            method = next(m for m, api in client.meta.method_to_api_mapping.items() if api == operation)
            assert permission_for(client, method) == permission


# --- collectors against a stubbed client ------------------------------------------------------


def stubbed(service: str) -> tuple[Any, Stubber]:
    client = boto3.client(service, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def assess(tmp_path: Path, outcomes: list[Outcome]) -> tuple[Any, list[Result]]:
    key = signing.create_key(tmp_path / "k.pem")
    locker = Locker.create(tmp_path / "locker", key)
    writer = locker.begin_run(key, "T", "sha256:c")
    for outcome in outcomes:
        store(writer, outcome)
    facts = build_facts(Evidence(locker, writer.commit(["aws"])))
    return facts, evaluate(facts, PolicyConfig(), [], date.today()).results


SCOPE = Scope("aws", ACCOUNT, "eu-west-1")


def ec2_stubbed(default: bool) -> tuple[Any, Stubber]:
    client, stub = stubbed("ec2")
    stub.add_response("get_ebs_encryption_by_default", {"EbsEncryptionByDefault": default})
    if default:  # moto does not implement GetEbsDefaultKmsKeyId
        stub.add_response(
            "get_ebs_default_kms_key_id", {"KmsKeyId": "arn:aws:kms:eu-west-1:111111111111:key/k"}
        )
    volume = {
        "VolumeId": "vol-1",
        "Encrypted": False,
        "Size": 8,
        "Tags": [{"Key": "data", "Value": "customer"}],
    }
    stub.add_response("describe_volumes", {"Volumes": [volume]})
    snapshot = {"SnapshotId": "snap-1", "VolumeId": "vol-1", "Encrypted": True, "KmsKeyId": "k"}
    stub.add_response(
        "describe_snapshots", {"Snapshots": [snapshot]}, {"OwnerIds": ["self"], "MaxResults": 1000}
    )
    group = {
        "GroupId": "sg-0123",
        "GroupName": "db",
        "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    }
    stub.add_response("describe_security_groups", {"SecurityGroups": [group]})
    return client, stub


@pytest.mark.parametrize("default", [True, False])
def test_ec2_collector_reads_the_default_key_only_where_encryption_by_default_is_on(
    tmp_path: Path, default: bool
) -> None:
    client, stub = ec2_stubbed(default)
    with stub:
        outcomes = list(Ec2Collector().collect(client, SCOPE))
    stub.assert_no_pending_responses()
    assert all(isinstance(o, Response) for o in outcomes)
    facts, results = assess(tmp_path, outcomes)
    status = {(r.check, r.resource): (r.status.value, r.reason) for r in results}
    state, reason = status[("aws.ebs.default_encryption", f"{ACCOUNT}/eu-west-1")]
    assert state == ("pass" if default else "fail")
    assert ("key/k" in reason) is default
    assert status[("aws.ebs.volume_encrypted", f"arn:aws:ec2:eu-west-1:{ACCOUNT}:volume/vol-1")][0] == "fail"
    assert status[("aws.ebs.snapshot_encrypted", "arn:aws:ec2:eu-west-1::snapshot/snap-1")][0] == "pass"
    state, reason = status[("aws.ec2.open_admin_ports", "sg-0123")]
    assert state == "fail" and "5432 to 0.0.0.0/0 (tcp 5432)" in reason
    assert facts.table("aws.ebs.volume").frame.iloc[0].tags == {"data": "customer"}


LB = "arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/{}/1"


def balancer(name: str) -> dict[str, Any]:
    return {
        "LoadBalancerArn": LB.format(name),
        "LoadBalancerName": name,
        "Scheme": "internet-facing",
        "Type": "application",
    }


def elb_listener(name: str, n: int, protocol: str, port: int, **extra: Any) -> dict[str, Any]:
    arn = LB.format(name).replace(":loadbalancer/", ":listener/") + f"/{n}"
    return {
        "ListenerArn": arn,
        "LoadBalancerArn": LB.format(name),
        "Protocol": protocol,
        "Port": port,
        **extra,
    }


REDIRECT = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "StatusCode": "HTTP_301"}}]


def test_denied_listeners_are_an_error_for_that_load_balancer_only(tmp_path: Path) -> None:
    client, stub = stubbed("elbv2")
    stub.add_response("describe_load_balancers", {"LoadBalancers": [balancer("shop"), balancer("admin")]})
    shop = [
        elb_listener("shop", 1, "HTTPS", 443, SslPolicy="ELBSecurityPolicy-2016-08"),
        elb_listener("shop", 2, "HTTP", 80, DefaultActions=REDIRECT),
        elb_listener("shop", 3, "TCP", 9000),
    ]
    stub.add_response("describe_listeners", {"Listeners": shop}, {"LoadBalancerArn": LB.format("shop")})
    stub.add_client_error(
        "describe_listeners",
        "AccessDenied",
        "not authorized",
        expected_params={"LoadBalancerArn": LB.format("admin")},
    )
    policy = {"Name": "ELBSecurityPolicy-2016-08", "SslProtocols": ["TLSv1", "TLSv1.1", "TLSv1.2"]}
    stub.add_response(
        "describe_ssl_policies", {"SslPolicies": [policy]}, {"Names": ["ELBSecurityPolicy-2016-08"]}
    )
    with stub:
        outcomes = list(Elbv2Collector().collect(client, SCOPE))
    stub.assert_no_pending_responses()
    _, results = assess(tmp_path, outcomes)
    tls = {r.resource: r for r in results if r.check == "aws.elb.tls_policy"}
    assert {r: v.status.value for r, v in tls.items()} == {
        LB.format("admin"): "error",
        shop[0]["ListenerArn"]: "fail",
        shop[1]["ListenerArn"]: "pass",
    }
    assert "grant elasticloadbalancing:DescribeListeners" in tls[LB.format("admin")].reason
    assert "allows TLSv1 (policy: at least TLSv1.2)" in tls[shop[0]["ListenerArn"]].reason
    # Other checks in the same run are unaffected.
    compute = ("aws.ebs.", "aws.ec2.", "aws.efs.", "aws.elb.")
    assert not [
        r
        for r in results
        if r.status.value == "error" and r.check.startswith(compute) and r.check != "aws.elb.tls_policy"
    ]


def test_denied_ssl_policies_make_only_tls_listeners_errors(tmp_path: Path) -> None:
    client, stub = stubbed("elbv2")
    stub.add_response("describe_load_balancers", {"LoadBalancers": [balancer("shop")]})
    shop = [
        elb_listener("shop", 1, "HTTPS", 443, SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06"),
        elb_listener("shop", 2, "HTTP", 80, SslPolicy="ELBSecurityPolicy-2016-08"),
    ]
    stub.add_response("describe_listeners", {"Listeners": shop})
    stub.add_client_error("describe_ssl_policies", "AccessDenied", "not authorized")
    with stub:
        outcomes = list(Elbv2Collector().collect(client, SCOPE))
    _, results = assess(tmp_path, outcomes)
    tls = {r.resource: r for r in results if r.check == "aws.elb.tls_policy"}
    assert tls[shop[0]["ListenerArn"]].status.value == "error"
    assert "DescribeSSLPolicies" in tls[shop[0]["ListenerArn"]].reason
    assert tls[shop[1]["ListenerArn"]].status.value == "fail"  # plain HTTP, no redirect


# --- end to end against moto ------------------------------------------------------------------


def named(session: boto3.Session) -> dict[str, str]:
    """The demo's resources by name, as each check names them."""
    region = "eu-west-1"
    ec2 = session.client("ec2", region_name=region)
    account = session.client("sts").get_caller_identity()["Account"]
    found = {}
    for v in ec2.describe_volumes()["Volumes"]:
        name = {t["Key"]: t["Value"] for t in v["Tags"]}["Name"]
        found[f"volume:{name}"] = f"arn:aws:ec2:{region}:{account}:volume/{v['VolumeId']}"
    for r in ("eu-west-1", "us-east-1"):
        for s in session.client("ec2", region_name=r).describe_snapshots(OwnerIds=["self"])["Snapshots"]:
            name = {t["Key"]: t["Value"] for t in s.get("Tags", [])}.get("Name", s["SnapshotId"])
            found[f"snapshot:{name}"] = f"arn:aws:ec2:{r}::snapshot/{s['SnapshotId']}"
    for g in ec2.describe_security_groups()["SecurityGroups"]:
        found[f"sg:{g['GroupName']}"] = g["GroupId"]
    elb = session.client("elbv2", region_name=region)
    for lb in elb.describe_load_balancers()["LoadBalancers"]:
        for li in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            found[f"listener:{lb['LoadBalancerName']}:{li['Port']}"] = li["ListenerArn"]
    for fs in session.client("efs", region_name=region).describe_file_systems()["FileSystems"]:
        found[f"efs:{fs['CreationToken']}"] = fs["FileSystemArn"]
    return found


def test_demo_seed_end_to_end(aws: str, project: Path, cli: Cli) -> None:
    # One account plays both of the demo's parts: a second moto account costs seconds to create.
    session = boto3.Session()
    seed_compute.seed(session, session, NOW)
    account = session.client("sts").get_caller_identity()["Account"]
    m = p = named(session)
    collected = cli("collect", "aws", "--regions", "eu-west-1,us-east-1")
    assert collected.code in (0, 3), collected.stderr  # other families may lack moto support
    ran = cli("check", "--format", "json")
    assert ran.code in (0, 4), ran.stderr
    results = [r for r in json.loads(ran.stdout)["results"] if r["check"] in CHECKS]
    status = {(r["check"], r["resource"]): r["status"] for r in results}
    expected = {
        ("aws.ebs.default_encryption", f"{account}/eu-west-1"): "pass",
        ("aws.ebs.default_encryption", f"{account}/us-east-1"): "fail",
        ("aws.ebs.volume_encrypted", m["volume:portal-db"]): "pass",
        ("aws.ebs.volume_encrypted", p["volume:scratch"]): "pass",
        ("aws.ebs.volume_encrypted", p["volume:orders-db"]): "fail",
        ("aws.ebs.snapshot_encrypted", m["snapshot:portal-db-nightly"]): "pass",
        ("aws.ebs.snapshot_encrypted", p["snapshot:orders-db-nightly"]): "fail",
        ("aws.ebs.snapshot_encrypted", p["snapshot:orders-db-dr"]): "fail",
        ("aws.ec2.open_admin_ports", m["sg:portal-web"]): "pass",
        ("aws.ec2.open_admin_ports", p["sg:shop-web"]): "pass",
        ("aws.ec2.open_admin_ports", p["sg:default"]): "pass",
        ("aws.ec2.open_admin_ports", p["sg:bastion"]): "fail",
        ("aws.ec2.open_admin_ports", p["sg:reporting"]): "fail",
        ("aws.ec2.open_admin_ports", p["sg:analytics-db"]): "fail",
        ("aws.elb.tls_policy", m["listener:portal:443"]): "pass",
        ("aws.elb.tls_policy", m["listener:portal:80"]): "pass",
        ("aws.elb.tls_policy", p["listener:shop:443"]): "fail",
        ("aws.elb.tls_policy", p["listener:shop:80"]): "fail",
        ("aws.efs.encrypted", m["efs:portal-shared"]): "pass",
        ("aws.efs.encrypted", p["efs:media"]): "fail",
    }
    assert {k: status.get(k) for k in expected} == expected
    assert {(c, s) for c in CHECKS for s in ("pass", "fail")} <= {(r["check"], r["status"]) for r in results}
    assert not [r for r in results if r["status"] == "error"]
    by = {(r["check"], r["resource"]): r for r in results}
    reporting = by[("aws.ec2.open_admin_ports", p["sg:reporting"])]
    assert (
        "3306, 3389 to 0.0.0.0/0 (tcp 3000-3400)" in reporting["reason"]
        and reporting["region"] == "eu-west-1"
    )
    assert by[("aws.elb.tls_policy", p["listener:shop:443"])]["control"] == "CRY-02"

    # Every request of these collectors succeeded, and data stores carry their tags and region.
    manifest = Locker.open(project / ".trustctl" / "locker").latest_run()
    mine = [
        r
        for r in manifest.requests
        if r.call.service in ("ec2", "elbv2", "efs") and r.call.operation != "DescribeRegions"
    ]
    assert mine and not [r for r in mine if r.error]
    facts = build_facts(Evidence(Locker.open(project / ".trustctl" / "locker"), manifest))
    for resource_type in DATA_STORES:
        table = facts.table(resource_type).frame
        assert len(table) and {"resource", "region", "tags"} <= set(table.columns)
        assert all(isinstance(t, dict) and t.get("data") == "customer" for t in table.tags)
    snapshots = facts.table("aws.ebs.snapshot").frame.set_index("resource")
    assert snapshots.loc[p["snapshot:orders-db-dr"], "region"] == "us-east-1"
