"""Integrity of the catalog: every check resolves to a control and a fact table, runs on an empty
account, and every control has evidence or is waiting for documents."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from trustctl.config import PolicyConfig, TenantConfig
from trustctl.controls.catalog import load_catalog
from trustctl.controls.engine import evaluate
from trustctl.controls.registry import all_checks
from trustctl.evidence import signing
from trustctl.evidence.locker import Locker
from trustctl.evidence.records import Call
from trustctl.facts.base import Evidence
from trustctl.facts.load import NORMALIZERS, build_facts

ACCOUNT = "111111111111"


@pytest.fixture
def empty_facts(tmp_path: Path) -> Evidence:
    """A run of one account where every listing call every normalizer needs found nothing."""
    key = signing.create_key(tmp_path / "k.pem")
    locker = Locker.create(tmp_path / "locker", key)
    writer = locker.begin_run(key, "T", "sha256:c")
    now = datetime.now(UTC)
    identity = Call(
        provider="aws", account=ACCOUNT, region="global", service="sts", operation="GetCallerIdentity"
    )
    writer.record_response(identity, {"Account": ACCOUNT}, now)
    for normalizer in NORMALIZERS:
        for service, operation in normalizer.needs:
            region = "us-east-1" if normalizer.regional else "global"
            account = ACCOUNT if normalizer.provider == "aws" else "projects/acme-prod"
            call = Call(
                provider=normalizer.provider,
                account=account,
                region=region,
                service=service,
                operation=operation,
            )
            writer.record_response(call, {}, now)
    # An identity run with every source present and empty: the identity checks have systems to judge.
    for account, service, operation, data in (
        ("settings", "identity", "JoinRules", {"domain_aliases": {}, "scim_apps": {}, "roster": True}),
        (
            "hr",
            "hr",
            "ImportRoster",
            {
                "people": [
                    {
                        "email": "a@acme.example",
                        "key": "a@acme.example",
                        "name": "A",
                        "status": "active",
                        "terminated_at": None,
                    }
                ]
            },
        ),
        ("idp:google", "idp", "ImportUsers", {"users": []}),
        ("scim:slack", "scim", "ListUsers", {"Resources": [], "totalResults": 0}),
        ("records:lms", "hr", "ImportRecords", {"kind": "training", "records": []}),
        ("records:esign", "hr", "ImportRecords", {"kind": "acknowledgement", "records": []}),
        ("records:screening", "hr", "ImportRecords", {"kind": "background_check", "records": []}),
    ):
        call = Call(
            provider="identity", account=account, region="global", service=service, operation=operation
        )
        writer.record_response(call, data, now)
    return Evidence(locker, writer.commit(["aws", "gcp", "identity"]))


def test_every_check_has_a_fact_table_and_runs_on_an_empty_account(empty_facts: Evidence) -> None:
    facts = build_facts(empty_facts, tenants=[TenantConfig(name="acme", aws_accounts=[ACCOUNT])])
    for spec in all_checks().values():
        assert spec.resource in facts.tables, f"{spec.id} reads {spec.resource}, which no normalizer builds"
    results = evaluate(facts, PolicyConfig(), [], empty_facts.as_of.date()).results
    assert {r.check for r in results} == set(all_checks())
    # Empty answers are evidence too: account-level settings fail or pass, resources are not applicable.
    # A configured tenant whose stores cannot be found is the one exception: that is a finding.
    errors = [
        f"{r.check}: {r.reason}"
        for r in results
        if r.status.value == "error" and "no data store was recognised" not in r.reason
    ]
    assert errors == []


def test_every_check_names_a_known_control_and_a_fix() -> None:
    ids = load_catalog().ids
    for spec in all_checks().values():
        assert spec.control in ids, spec.id
        assert spec.fix.strip() and spec.title.strip(), spec.id


def test_every_control_is_evidenced_by_a_check_or_a_document_kind() -> None:
    evidenced = {spec.control for spec in all_checks().values()}
    assert [c.id for c in load_catalog().controls if c.id not in evidenced and not c.documents] == []
