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
