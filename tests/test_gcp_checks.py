"""Table-driven tests of the GCP checks, and the demo export through a real locker run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import trustctl
from trustctl.config import PolicyConfig
from trustctl.controls.engine import evaluate
from trustctl.controls.registry import CheckSpec, Context, all_checks
from trustctl.evidence import signing
from trustctl.evidence.locker import Locker
from trustctl.evidence.records import Call, CallError
from trustctl.facts import gcp
from trustctl.facts.base import Evidence, frame
from trustctl.facts.load import build_facts

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DEMO = Path(trustctl.__file__).resolve().parent / "demo" / "gcp_export.jsonl"
NAME = "//storage.googleapis.com/b"
CHUNK = 5000


def policy(**update: Any) -> PolicyConfig:
    # model_copy skips validation: allowed_regions also takes GCP locations (europe-west1, EU).
    return PolicyConfig().model_copy(update=update)


def row(**facts: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "provider": "gcp",
        "account": "projects/p",
        "region": "global",
        "resource": NAME,
        "evidence": [],
        "project": "projects/1",
        "location": None,
        "tags": {},
    }
    return {**base, **facts}


def gcp_specs() -> dict[str, CheckSpec]:
    return {k: v for k, v in all_checks().items() if k.startswith("gcp.")}


def run(check_id: str, rows: list[dict[str, Any]], pol: PolicyConfig | None = None) -> list[tuple[Any, str]]:
    spec = gcp_specs()[check_id]
    facts = frame(rows, list(rows[0]) if rows else [])
    v = spec.func(facts, Context(policy=pol or PolicyConfig(), as_of=NOW))
    return list(zip(v.ok.tolist(), v.reason.tolist(), strict=True))


def expect(check_id: str, rows: list[dict[str, Any]], expected: list[Any], fragment: str, **pol: Any) -> None:
    out = run(check_id, rows, policy(**pol) if pol else None)
    assert [ok for ok, _ in out] == expected, out
    assert all(fragment in reason for _, reason in out), out


def binding(role: str, *members: str) -> dict[str, Any]:
    return {"role": role, "members": list(members)}


@pytest.mark.parametrize(
    ("bindings", "expected", "fragment"),
    [
        ([binding("roles/viewer", "user:a@x.com")], [True], "grants no basic role"),
        ([binding("roles/owner", "user:bob@x.com")], [False], "roles/owner to user:bob@x.com"),
        (
            [binding("roles/editor", "group:eng@x.com", "domain:x.com")],
            [False],
            "roles/editor to domain:x.com",
        ),
        (
            [binding("roles/editor", "serviceAccount:s@p.iam.gserviceaccount.com")],
            [True],
            "",
        ),  # sa_admin_roles
        ([binding("roles/owner", "deleted:user:gone@x.com?uid=1")], [True], ""),
        ([], [True], ""),
    ],
)
def test_primitive_roles(bindings: list[Any], expected: list[Any], fragment: str) -> None:
    expect("gcp.iam.primitive_roles", [row(bindings=bindings)], expected, fragment)


@pytest.mark.parametrize(
    ("bindings", "expected", "fragment"),
    [
        ([binding("roles/storage.objectViewer", "user:a@x.com")], [True], "grants nothing"),
        (
            [binding("roles/storage.objectViewer", "allUsers")],
            [False],
            "roles/storage.objectViewer to allUsers",
        ),
        ([binding("roles/run.invoker", "allAuthenticatedUsers")], [False], "allAuthenticatedUsers"),
    ],
)
def test_public_members(bindings: list[Any], expected: list[Any], fragment: str) -> None:
    expect("gcp.iam.public_members", [row(bindings=bindings)], expected, fragment)


def key(days: float | None, key_type: str = "USER_MANAGED", disabled: bool = False) -> dict[str, Any]:
    after = pd.NaT if days is None else pd.Timestamp(NOW - timedelta(days=days))
    return row(
        service_account="s@p.iam.gserviceaccount.com", key_type=key_type, disabled=disabled, valid_after=after
    )


@pytest.mark.parametrize(
    ("rows", "expected", "fragment", "pol"),
    [
        ([key(10)], [True], "created 10 days ago (policy: at most 90)", {}),
        ([key(91)], [False], "created 91 days ago", {}),
        ([key(40)], [False], "(policy: at most 30)", {"max_access_key_age_days": 30}),
        ([key(900, key_type="SYSTEM_MANAGED")], [], "", {}),  # Google rotates its own keys
        ([key(900, disabled=True)], [], "", {}),
        ([key(None)], [None], "no validAfterTime", {}),
    ],
)
def test_sa_key_age(rows: list[Any], expected: list[Any], fragment: str, pol: dict[str, Any]) -> None:
    expect("gcp.iam.sa_key_age", rows, expected, fragment, **pol)


def held(*roles: str) -> list[dict[str, str]]:
    return [{"role": r, "resource": "//cloudresourcemanager.googleapis.com/projects/1"} for r in roles]


@pytest.mark.parametrize(
    ("roles", "expected", "fragment"),
    [
        (held("roles/storage.objectViewer", "roles/cloudsql.client"), [True], "holds no Owner"),
        (held("roles/editor"), [False], "roles/editor on //cloudresourcemanager"),
        (held("roles/storage.admin"), [False], "roles/storage.admin"),
        (held("roles/iam.serviceAccountAdmin"), [False], "serviceAccountAdmin"),
        (held("projects/p/roles/customAdmin"), [True], ""),  # custom roles are judged by their permissions
        ([], [True], ""),
    ],
)
def test_sa_admin_roles(roles: list[Any], expected: list[Any], fragment: str) -> None:
    expect(
        "gcp.iam.sa_admin_roles", [row(email="s@p.iam.gserviceaccount.com", roles=roles)], expected, fragment
    )


def bucket(**facts: Any) -> dict[str, Any]:
    return row(
        **{
            "name": "b",
            "uniform_access": True,
            "public_access_prevention": "enforced",
            "versioning": True,
            **facts,
        }
    )


@pytest.mark.parametrize(
    ("check_id", "facts", "expected", "fragment"),
    [
        ("gcp.storage.uniform_access", {}, [True], "IAM only"),
        ("gcp.storage.uniform_access", {"uniform_access": False}, [False], "allows object ACLs"),
        ("gcp.storage.public_access_prevention", {}, [True], "enforces"),
        (
            "gcp.storage.public_access_prevention",
            {"public_access_prevention": "inherited"},
            [False],
            "'inherited'",
        ),
        ("gcp.storage.public_access_prevention", {"public_access_prevention": "unspecified"}, [False], ""),
        ("gcp.storage.versioning", {}, [True], "versioning enabled"),
        ("gcp.storage.versioning", {"versioning": False}, [False], "cannot be recovered"),
    ],
)
def test_storage(check_id: str, facts: dict[str, Any], expected: list[Any], fragment: str) -> None:
    expect(check_id, [bucket(**facts)], expected, fragment)


def sql(**facts: Any) -> dict[str, Any]:
    defaults = {
        "name": "db",
        "database_version": "POSTGRES_15",
        "instance_type": "CLOUD_SQL_INSTANCE",
        "backups_enabled": True,
        "pitr_enabled": True,
        "binary_log_enabled": False,
        "ipv4_enabled": False,
        "require_ssl": False,
        "ssl_mode": "ENCRYPTED_ONLY",
        "authorized_networks": [],
        "public_ips": [],
    }
    return row(**{**defaults, **facts})


@pytest.mark.parametrize(
    ("check_id", "facts", "expected", "fragment"),
    [
        ("gcp.sql.backups", {}, [True], "takes automated backups"),
        ("gcp.sql.backups", {"backups_enabled": False}, [False], "backups off"),
        ("gcp.sql.backups", {"backups_enabled": False, "instance_type": "READ_REPLICA_INSTANCE"}, [], ""),
        ("gcp.sql.pitr", {}, [True], "point-in-time recovery enabled"),
        ("gcp.sql.pitr", {"pitr_enabled": False}, [False], "last backup"),
        (
            "gcp.sql.pitr",
            {"database_version": "MYSQL_8_0", "binary_log_enabled": True, "pitr_enabled": False},
            [True],
            "",
        ),
        ("gcp.sql.pitr", {"database_version": "MYSQL_8_0", "binary_log_enabled": False}, [False], ""),
        ("gcp.sql.ssl_required", {}, [True], "ENCRYPTED_ONLY"),
        ("gcp.sql.ssl_required", {"ssl_mode": "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"}, [True], ""),
        (
            "gcp.sql.ssl_required",
            {"ssl_mode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED", "require_ssl": True},
            [False],
            "",
        ),
        ("gcp.sql.ssl_required", {"ssl_mode": None, "require_ssl": True}, [True], "requireSsl=True"),
        ("gcp.sql.ssl_required", {"ssl_mode": None, "require_ssl": False}, [False], "unencrypted"),
        ("gcp.sql.public_ip", {}, [True], "no public IPv4"),
        (
            "gcp.sql.public_ip",
            {"ipv4_enabled": True, "authorized_networks": ["203.0.113.0/24"]},
            [True],
            "authorized",
        ),
        (
            "gcp.sql.public_ip",
            {"ipv4_enabled": True, "authorized_networks": ["0.0.0.0/0"]},
            [False],
            "0.0.0.0/0",
        ),
        ("gcp.sql.public_ip", {"ipv4_enabled": False, "authorized_networks": ["0.0.0.0/0"]}, [True], ""),
    ],
)
def test_sql(check_id: str, facts: dict[str, Any], expected: list[Any], fragment: str) -> None:
    expect(check_id, [sql(**facts)], expected, fragment)


def crypto_key(
    days: float | None, purpose: str = "ENCRYPT_DECRYPT", state: str = "ENABLED"
) -> dict[str, Any]:
    return row(purpose=purpose, rotation_period_days=days, next_rotation=None, primary_state=state)


@pytest.mark.parametrize(
    ("rows", "expected", "fragment"),
    [
        ([crypto_key(90)], [True], "rotates every 90 days"),
        ([crypto_key(30)], [True], ""),
        ([crypto_key(365)], [False], "every 365 days"),
        ([crypto_key(None)], [False], "no automatic rotation"),
        ([crypto_key(None, purpose="ASYMMETRIC_SIGN")], [], ""),
        ([crypto_key(None, state="DESTROYED")], [], ""),
    ],
)
def test_kms_rotation(rows: list[Any], expected: list[Any], fragment: str) -> None:
    expect("gcp.kms.rotation", rows, expected, fragment)


def firewall(ranges: list[str], allowed: list[dict[str, Any]], **facts: Any) -> dict[str, Any]:
    defaults = {"name": "fw", "network": "default", "direction": "INGRESS", "disabled": False}
    return row(**{**defaults, "source_ranges": ranges, "allowed": allowed, **facts})


def allow(protocol: str, *ports: str) -> dict[str, Any]:
    return {"protocol": protocol, "ports": list(ports)}


@pytest.mark.parametrize(
    ("rule", "expected", "fragment"),
    [
        (firewall(["0.0.0.0/0"], [allow("tcp", "443")]), [True], "opens no admin"),
        (firewall(["10.0.0.0/8"], [allow("tcp", "22")]), [True], ""),
        (firewall(["0.0.0.0/0"], [allow("tcp", "22", "3389")]), [False], "tcp:22, tcp:3389 from 0.0.0.0/0"),
        (firewall(["0.0.0.0/0"], [allow("tcp", "5000-5500")]), [False], "tcp:5432"),
        (firewall(["::/0"], [allow("all")]), [False], "all:22"),
        (firewall(["0.0.0.0/0"], [allow("tcp")]), [False], "tcp:3306"),  # no ports: every port
        (firewall(["0.0.0.0/0"], [allow("icmp")]), [True], ""),
        (firewall(["0.0.0.0/0"], [allow("tcp", "22")], direction="EGRESS"), [True], ""),
        (firewall(["0.0.0.0/0"], [allow("tcp", "22")], disabled=True), [True], ""),
    ],
)
def test_open_admin_ports(rule: dict[str, Any], expected: list[Any], fragment: str) -> None:
    expect("gcp.compute.open_admin_ports", [rule], expected, fragment)


def test_open_admin_ports_follows_policy() -> None:
    rule = firewall(["0.0.0.0/0"], [allow("tcp", "8080")])
    expect("gcp.compute.open_admin_ports", [rule], [False], "tcp:8080", admin_ports=[8080])


def project(types: dict[str, list[str]], missing: list[str] | None = None) -> dict[str, Any]:
    return row(
        project_id="p",
        policy_collected=True,
        audit_log_types=sorted(types),
        audit_sources=types,
        missing_policies=missing or [],
    )


@pytest.mark.parametrize(
    ("facts", "expected", "fragment"),
    [
        (
            project({"DATA_READ": ["org"], "DATA_WRITE": ["proj"]}),
            [True],
            "DATA_READ on org; DATA_WRITE on proj",
        ),
        (project({"DATA_READ": ["org"]}), [False], "does not record DATA_WRITE"),
        (project({"ADMIN_READ": ["org"]}), [False], "DATA_READ, DATA_WRITE"),
        (
            project({}, missing=["//cloudresourcemanager.googleapis.com/organizations/1"]),
            [None],
            "not in the evidence",
        ),
        (project({"DATA_READ": ["p"], "DATA_WRITE": ["p"]}, missing=["o"]), [True], ""),
    ],
)
def test_audit_logs(facts: dict[str, Any], expected: list[Any], fragment: str) -> None:
    expect("gcp.logging.audit_logs", [facts], expected, fragment)


@pytest.mark.parametrize(
    ("region", "allowed", "expected", "fragment"),
    [
        ("europe-west1", ["europe-west1", "EU"], [True], "an allowed location"),
        ("EU", ["eu-west-1", "EU"], [True], ""),
        ("US", ["europe-west1", "EU"], [False], "is in US, outside"),
        ("us-central1", ["us-east-1"], [False], ""),
        ("unknown", ["EU"], [None], "not in the evidence"),
        ("US", [], [], ""),
    ],
)
def test_residency(region: str, allowed: list[str], expected: list[Any], fragment: str) -> None:
    stores = [row(region=region, name="b", store_type="gcp.storage.bucket")]
    expect("gcp.residency.allowed_regions", stores, expected, fragment, allowed_regions=allowed)


def test_residency_empty_policy_is_not_applicable() -> None:
    spec = gcp_specs()["gcp.residency.allowed_regions"]
    v = spec.func(frame([row(region="US")], ["region"]), Context(policy=PolicyConfig(), as_of=NOW))
    assert v.not_applicable and "allowed_regions is empty" in v.not_applicable


# -- the demo export, through a real locker run ------------------------------------------------

CAMEL = {"assetType": "asset_type", "iamPolicy": "iam_policy", "updateTime": "update_time"}


def _snake(asset: dict[str, Any]) -> dict[str, Any]:
    out = {CAMEL.get(k, k): v for k, v in asset.items()}
    if isinstance(out.get("resource"), dict):
        out["resource"] = {
            ("discovery_name" if k == "discoveryName" else k): v for k, v in out["resource"].items()
        }
    return out


def import_export(locker: Locker, key: Any, path: Path, extra: bytes = b"") -> Evidence:
    """Store an export file as the evidence contract says the importer does."""
    writer = locker.begin_run(key, "Acme", "sha256:c")
    now, name, data = datetime.now(UTC), path.name, path.read_bytes() + extra
    scope = f"export:{name}"

    def call(operation: str, **parameters: Any) -> Call:
        return Call(
            provider="gcp",
            account=scope,
            region="global",
            service="cloudasset",
            operation=operation,
            parameters={"file": name, **parameters},
        )

    writer.record_bytes(call("ExportFile"), data, now)
    lines = data.decode().splitlines()
    for page, start in enumerate(range(0, len(lines), CHUNK), start=1):
        assets = []
        for number, text in enumerate(lines[start : start + CHUNK], start=start + 1):
            if not text.strip():
                continue
            try:
                assets.append(_snake(json.loads(text)))
            except json.JSONDecodeError as e:
                error = CallError(code="MalformedLine", message=f"{name} line {number}: {e}")
                writer.record_error(call("ImportExport", line=number), error, now)
        last = min(start + CHUNK, len(lines))
        chunk = call("ImportExport", first_line=start + 1, last_line=last).model_copy(update={"page": page})
        writer.record_response(chunk, {"assets": assets}, now)
    return Evidence(locker, writer.commit(["gcp"]))


@pytest.fixture
def locker(tmp_path: Path) -> tuple[Locker, Any]:
    key = signing.create_key(tmp_path / "k.pem")
    return Locker.create(tmp_path / "locker", key), key


def _demo_policy() -> PolicyConfig:
    # The fresh demo key dates from 2026-11-01: the age limit follows today so that it stays fresh.
    fresh = (datetime.now(UTC) - datetime(2026, 11, 1, tzinfo=UTC)).days
    return policy(allowed_regions=["europe-west1", "EU"], max_access_key_age_days=max(90, fresh + 30))


def test_demo_export_has_a_pass_and_a_fail_for_every_gcp_check(locker: tuple[Locker, Any]) -> None:
    evidence = import_export(*locker, DEMO)
    facts = build_facts(evidence, gcp.NORMALIZERS)
    results = evaluate(facts, _demo_policy(), [], evidence.as_of.date(), checks=gcp_specs()).results
    assert len(gcp_specs()) == 15
    for check_id in gcp_specs():
        statuses = {r.status.value for r in results if r.check == check_id}
        assert {"pass", "fail"} <= statuses, (check_id, statuses)
        assert "error" not in statuses, check_id
    ssh = next(r for r in results if r.resource.endswith("firewalls/allow-ssh-rdp-anywhere"))
    assert ssh.status.value == "fail" and ssh.account == "export:gcp_export.jsonl" and ssh.evidence
    # camelCase and snake_case lines, and an asset split over a resource line and a policy line, all load.
    buckets = facts.table("gcp.storage.bucket").frame
    assert set(buckets.region) == {"europe-west1", "US"}
    prod = facts.table("gcp.project").frame.set_index("project_id").loc["acme-prod"]
    assert prod.audit_sources == {
        "ADMIN_READ": ["//cloudresourcemanager.googleapis.com/organizations/678"],
        "DATA_READ": ["//cloudresourcemanager.googleapis.com/organizations/678"],
        "DATA_WRITE": ["//cloudresourcemanager.googleapis.com/projects/111"],
    }


def test_a_malformed_line_makes_the_export_scope_error(locker: tuple[Locker, Any]) -> None:
    evidence = import_export(*locker, DEMO, extra=b'{"name": "//storage.googleapis.com/x", \n')
    facts = build_facts(evidence, gcp.NORMALIZERS)
    results = evaluate(facts, _demo_policy(), [], evidence.as_of.date(), checks=gcp_specs()).results
    assert {r.status.value for r in results} == {"error"}
    assert all("gcp_export.jsonl line 29" in r.reason for r in results)


def test_live_pages_merge_resource_and_policy_content(locker: tuple[Locker, Any]) -> None:
    store, key = locker
    writer = store.begin_run(key, "Acme", "sha256:c")
    now = datetime.now(UTC)
    asset = {
        "name": NAME,
        "asset_type": "storage.googleapis.com/Bucket",
        "ancestors": ["projects/9", "organizations/1"],
    }
    resource = {"location": "us-east1", "data": {"name": "b", "versioning": {"enabled": True}}}
    pages = [
        ("RESOURCE", {**asset, "resource": resource}),
        ("IAM_POLICY", {**asset, "iam_policy": {"bindings": [binding("roles/owner", "user:bob@x.com")]}}),
    ]
    for content, item in pages:
        call = Call(
            provider="gcp",
            account="organizations/1",
            region="global",
            service="cloudasset",
            operation="ListAssets",
            parameters={"content_type": content, "asset_types": ["storage.googleapis.com/Bucket"]},
        )
        writer.record_response(call, {"assets": [item]}, now)
    denied = Call(
        provider="gcp", account="folders/2", region="global", service="cloudasset", operation="ListAssets"
    )
    writer.record_error(
        denied, CallError(code="PermissionDenied", message="cloudasset.assets.listResource"), now
    )
    facts = build_facts(Evidence(store, writer.commit(["gcp"])), gcp.NORMALIZERS)
    bucket_row = facts.table("gcp.storage.bucket").frame.iloc[0]
    assert (bucket_row.region, bucket_row.project, bool(bucket_row.versioning)) == (
        "us-east1",
        "projects/9",
        True,
    )
    assert len(bucket_row.evidence) == 2
    assert facts.table("gcp.iam.policy").frame.bindings.iloc[0][0]["role"] == "roles/owner"
    assert ("gcp", "folders/2", "global") in facts.table("gcp.storage.bucket").errors
