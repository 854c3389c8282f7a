"""Table-driven tests of the IAM checks: facts in, status and reason out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from trustctl.config import PolicyConfig
from trustctl.controls.registry import Context, all_checks
from trustctl.facts.base import frame

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CTX = Context(policy=PolicyConfig(), as_of=NOW)
ARN = "arn:aws:iam::111111111111:user/u"


def ago(days: float | None) -> Any:
    return pd.NaT if days is None else pd.Timestamp(NOW - timedelta(days=days))


def user(**overrides: Any) -> dict[str, Any]:
    row = {
        "provider": "aws",
        "account": "111111111111",
        "region": "global",
        "resource": ARN,
        "evidence": [],
        "name": "u",
        "in_report": True,
        "attached_policies": [],
        "inline_policies": [],
        "groups": [],
        "created": ago(400),
        "password_enabled": False,
        "password_last_used": ago(None),
        "mfa_active": False,
        "key_1_active": False,
        "key_1_last_rotated": ago(None),
        "key_1_last_used": ago(None),
        "key_2_active": False,
        "key_2_last_rotated": ago(None),
        "key_2_last_used": ago(None),
    }
    row.update(overrides)
    return row


def run(
    check_id: str, rows: list[dict[str, Any]], policy: PolicyConfig | None = None
) -> list[tuple[Any, str]]:
    spec = all_checks()[check_id]
    facts = frame(rows, list(rows[0]) if rows else [])
    ctx = Context(policy=policy or PolicyConfig(), as_of=NOW)
    v = spec.func(facts, ctx)
    return list(zip(v.ok.tolist(), v.reason.tolist(), strict=True))


@pytest.mark.parametrize(
    ("row", "expected", "fragment"),
    [
        (user(password_enabled=True, mfa_active=True), [True], "with MFA"),
        (user(password_enabled=True, mfa_active=False), [False], "no MFA device"),
        (user(password_enabled=False), [], ""),
        (
            user(in_report=False, password_enabled=None, mfa_active=None),
            [None],
            "not in the IAM credential report",
        ),
    ],
)
def test_user_console_mfa(row: dict[str, Any], expected: list[Any], fragment: str) -> None:
    out = run("aws.iam.user_console_mfa", [row])
    assert [ok for ok, _ in out] == expected
    assert all(fragment in reason for _, reason in out)


@pytest.mark.parametrize(
    ("row", "expected", "fragment"),
    [
        (user(key_1_active=True, key_1_last_rotated=ago(10)), [True], "at most 10 days old"),
        (user(key_1_active=True, key_1_last_rotated=ago(91)), [False], "91 days ago (policy: at most 90)"),
        (
            user(
                key_1_active=True, key_1_last_rotated=ago(5), key_2_active=True, key_2_last_rotated=ago(200)
            ),
            [False],
            "200 days",
        ),
        (user(key_1_active=False, key_1_last_rotated=ago(500)), [], ""),  # inactive keys do not count
    ],
)
def test_access_key_age(row: dict[str, Any], expected: list[Any], fragment: str) -> None:
    out = run("aws.iam.access_key_age", [row])
    assert [ok for ok, _ in out] == expected
    assert all(fragment in reason for _, reason in out)


def test_access_key_age_follows_policy() -> None:
    row = user(key_1_active=True, key_1_last_rotated=ago(40))
    assert run("aws.iam.access_key_age", [row], PolicyConfig(max_access_key_age_days=30))[0][0] is False


@pytest.mark.parametrize(
    ("row", "expected", "fragment"),
    [
        (user(password_enabled=True, password_last_used=ago(3)), [True], "within 45 days"),
        (
            user(password_enabled=True, password_last_used=ago(60)),
            [False],
            "console password last used 60 days ago",
        ),
        (
            user(password_enabled=True, password_last_used=ago(None), created=ago(50)),
            [False],
            "never used, created 50",
        ),
        (
            user(key_2_active=True, key_2_last_rotated=ago(100), key_2_last_used=ago(46)),
            [False],
            "access key 2 last used 46",
        ),
        (user(key_1_active=True, key_1_last_rotated=ago(10), key_1_last_used=ago(None)), [True], ""),
        (user(), [], ""),
    ],
)
def test_unused_credentials(row: dict[str, Any], expected: list[Any], fragment: str) -> None:
    out = run("aws.iam.unused_credentials", [row])
    assert [ok for ok, _ in out] == expected
    assert all(fragment in reason for _, reason in out)


@pytest.mark.parametrize(
    ("attached", "inline", "ok", "fragment"),
    [
        ([], [], True, "only through groups or roles"),
        (["arn:aws:iam::aws:policy/ReadOnlyAccess"], [], False, "directly: ReadOnlyAccess"),
        ([], ["etl"], False, "inline etl"),
    ],
)
def test_user_direct_policies(attached: list[str], inline: list[str], ok: bool, fragment: str) -> None:
    [(got, reason)] = run(
        "aws.iam.user_direct_policies", [user(attached_policies=attached, inline_policies=inline)]
    )
    assert got is ok and fragment in reason


def account(**overrides: Any) -> dict[str, Any]:
    row = {
        "provider": "aws",
        "account": "111111111111",
        "region": "global",
        "resource": "111111111111",
        "evidence": [],
    }
    row.update(overrides)
    return row


@pytest.mark.parametrize(
    ("check_id", "row", "ok"),
    [
        ("aws.iam.root_mfa", account(mfa_enabled=True, access_keys_present=False), True),
        ("aws.iam.root_mfa", account(mfa_enabled=False, access_keys_present=False), False),
        ("aws.iam.root_access_keys", account(mfa_enabled=True, access_keys_present=True), False),
        ("aws.iam.root_access_keys", account(mfa_enabled=True, access_keys_present=False), True),
    ],
)
def test_root(check_id: str, row: dict[str, Any], ok: bool) -> None:
    [(got, reason)] = run(check_id, [row])
    assert got is ok and "111111111111" in reason


@pytest.mark.parametrize(
    ("present", "length", "ok", "fragment"),
    [
        (True, 14, True, "at least 14 characters"),
        (True, 12, False, "requires 12-character passwords (policy: at least 14)"),
        (False, 0, False, "has no password policy"),
    ],
)
def test_password_policy(present: bool, length: int, ok: bool, fragment: str) -> None:
    row = account(
        present=present,
        minimum_length=length,
        require_symbols=True,
        require_numbers=True,
        reuse_prevention=0,
        max_age_days=None,
    )
    [(got, reason)] = run("aws.iam.password_policy", [row])
    assert got is ok and fragment in reason


def policy(wildcards: list[str], attachments: int = 1) -> dict[str, Any]:
    return {
        "provider": "aws",
        "account": "111111111111",
        "region": "global",
        "resource": "arn:aws:iam::111111111111:policy/p",
        "evidence": [],
        "name": "p",
        "kind": "managed",
        "attachments": attachments,
        "wildcards": wildcards,
        "full_admin": False,
    }


@pytest.mark.parametrize(
    ("row", "ok", "fragment"),
    [
        (policy([]), True, "grants no wildcard"),
        (policy(["s3:*"]), False, "allows s3:* on every resource"),
        (policy(["*"], attachments=0), True, "attached to nothing"),
    ],
)
def test_wildcard_policy(row: dict[str, Any], ok: bool, fragment: str) -> None:
    [(got, reason)] = run("aws.iam.wildcard_policy", [row])
    assert got is ok and fragment in reason


@pytest.mark.parametrize(("admin_via", "ok"), [([], True), (["AdministratorAccess attached"], False)])
def test_admin_access(admin_via: list[str], ok: bool) -> None:
    row = {
        "provider": "aws",
        "account": "111111111111",
        "region": "global",
        "resource": "arn:aws:iam::111111111111:role/r",
        "evidence": [],
        "kind": "role",
        "name": "r",
        "admin_via": admin_via,
    }
    [(got, reason)] = run("aws.iam.admin_access", [row])
    assert got is ok
    assert ("AdministratorAccess attached" in reason) is not ok


def test_every_check_names_a_known_control_and_has_a_fix() -> None:
    from trustctl.controls.catalog import load_catalog

    ids = load_catalog().ids
    for spec in all_checks().values():
        assert spec.control in ids, spec.id
        assert spec.fix and spec.title
