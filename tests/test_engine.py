"""The engine: collection errors become `error` per scope, empty scopes `not_applicable`, rows pass or fail."""

from __future__ import annotations

from datetime import UTC, date, datetime

from trustctl.config import PolicyConfig
from trustctl.controls.engine import evaluate
from trustctl.controls.registry import all_checks
from trustctl.controls.results import Status
from trustctl.facts.base import FactSet, FactTable, frame


def principals(
    rows: list[dict[str, object]],
    scopes: list[tuple[str, str, str]],
    errors: dict[tuple[str, str, str], list[str]] | None = None,
) -> FactSet:
    table = FactTable("aws.iam.principal", frame(rows, ["kind", "name", "admin_via"]), scopes, errors or {})
    return FactSet(datetime(2026, 11, 24, tzinfo=UTC), {"aws.iam.principal": table})


def row(account: str, name: str, admin_via: list[str]) -> dict[str, object]:
    return {
        "provider": "aws",
        "account": account,
        "region": "global",
        "resource": f"arn:aws:iam::{account}:role/{name}",
        "evidence": ["sha256:b", "sha256:a", "sha256:a"],
        "kind": "role",
        "name": name,
        "admin_via": admin_via,
    }


def run(facts: FactSet) -> list[tuple[str, str, str]]:
    checks = {"aws.iam.admin_access": all_checks()["aws.iam.admin_access"]}
    results = evaluate(facts, PolicyConfig(), [], date(2026, 11, 24), checks=checks).results
    return [(r.account, r.resource, r.status.value) for r in results]


def test_rows_scopes_and_errors() -> None:
    facts = principals(
        [
            row("111111111111", "ok", []),
            row("111111111111", "admin", ["AdministratorAccess attached"]),
            row("333333333333", "stale", []),
        ],
        scopes=[("aws", a, "global") for a in ("111111111111", "222222222222", "333333333333")],
        errors={("aws", "333333333333", "global"): ["sts:AssumeRole could not be collected: AccessDenied"]},
    )
    assert run(facts) == [
        ("111111111111", "arn:aws:iam::111111111111:role/admin", "fail"),
        ("111111111111", "arn:aws:iam::111111111111:role/ok", "pass"),
        ("222222222222", "222222222222", "not_applicable"),
        # Rows from an account whose evidence is incomplete are not evaluated: the account is an error.
        ("333333333333", "333333333333", "error"),
    ]


def test_results_cite_their_evidence_once() -> None:
    facts = principals([row("111111111111", "ok", [])], [("aws", "111111111111", "global")])
    checks = {"aws.iam.admin_access": all_checks()["aws.iam.admin_access"]}
    [result] = evaluate(facts, PolicyConfig(), [], date(2026, 11, 24), checks=checks).results
    assert result.evidence == ["sha256:a", "sha256:b"] and result.status is Status.PASS


def test_an_error_in_every_scope_is_never_a_pass() -> None:
    facts = principals(
        [],
        [("aws", "unknown", "global")],
        {("aws", "unknown", "global"): ["sts:GetCallerIdentity could not be collected: no creds"]},
    )
    assert run(facts) == [("unknown", "unknown", "error")]


def test_regional_scopes_and_per_resource_detail_errors() -> None:
    from trustctl.controls.registry import CheckSpec, Context, Verdicts, verdicts
    from trustctl.controls.results import Severity

    def encrypted(rows: object, ctx: Context) -> Verdicts:
        import pandas as pd

        assert isinstance(rows, pd.DataFrame)
        return verdicts(rows, rows.encrypted.astype(bool), passed="{resource} ok", failed="{resource} bad")

    spec = CheckSpec(
        "aws.test.encrypted",
        "aws.test.store",
        "CRY-01",
        Severity.HIGH,
        "t",
        "f",
        encrypted,
        needs=("GetEncryption",),
    )
    rows = [
        {
            "provider": "aws",
            "account": "1",
            "region": "eu-west-1",
            "resource": "a",
            "evidence": [],
            "encrypted": True,
            "detail_errors": {},
        },
        {
            "provider": "aws",
            "account": "1",
            "region": "eu-west-1",
            "resource": "b",
            "evidence": [],
            "encrypted": None,
            "detail_errors": {"GetEncryption": "s3:GetEncryption could not be collected: denied"},
        },
        {
            "provider": "aws",
            "account": "1",
            "region": "eu-west-1",
            "resource": "c",
            "evidence": [],
            "encrypted": False,
            "detail_errors": {"GetTags": "tags denied"},
        },  # not needed by this check
        {
            "provider": "aws",
            "account": "1",
            "region": "us-east-1",
            "resource": "d",
            "evidence": [],
            "encrypted": True,
            "detail_errors": {},
        },
    ]
    table = FactTable(
        "aws.test.store",
        frame(rows, ["encrypted", "detail_errors"]),
        [
            ("aws", "1", "eu-west-1"),
            ("aws", "1", "us-east-1"),
            ("aws", "1", "ap-south-1"),
            ("aws", "2", "eu-west-1"),
        ],
        {("aws", "1", "us-east-1"): ["ListStores denied"], ("aws", "2", "global"): ["AssumeRole"]},
    )
    facts = FactSet(datetime(2026, 11, 24, tzinfo=UTC), {"aws.test.store": table})
    results = evaluate(facts, PolicyConfig(), [], date(2026, 11, 24), checks={spec.id: spec}).results
    assert sorted((r.resource, r.status.value) for r in results) == [
        ("1/ap-south-1", "not_applicable"),  # collected there, nothing found
        ("1/us-east-1", "error"),  # the listing failed: row d is not trusted
        ("2", "error"),  # the account could not be entered
        ("a", "pass"),
        ("b", "error"),
        ("c", "fail"),
    ]
    assert (
        next(r for r in results if r.resource == "b").reason
        == "b: s3:GetEncryption could not be collected: denied"
    )
