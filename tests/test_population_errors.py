"""A population that could not be listed is unknown, not smaller: when the organization's member
accounts cannot be listed, every check reports `error` for them, and no aggregate reads as passing."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from trustctl import pipeline
from trustctl.config import AwsConfig
from trustctl.controls.results import Status
from trustctl.demo.seed import seed
from trustctl.facts.base import MEMBERS
from trustctl.reports.check_report import FailOn, exit_code
from trustctl.trust.model import _areas, _lines


def failing(operation: str, code: str) -> Any:
    """A client hook answering `operation` with an error, before anything is sent."""

    def answer(model: Any, **_: Any) -> Any:
        if model.name == operation:
            parsed = {"Error": {"Code": code, "Message": f"injected {code}"}, "ResponseMetadata": {}}
            return SimpleNamespace(status_code=400, headers={}), parsed
        return None

    def hook(client: Any) -> None:
        client.meta.events.register("before-call", answer)

    return hook


@pytest.mark.parametrize("code", ["AccessDeniedException", "TooManyRequestsException"])
def test_unlisted_member_accounts_are_errors_everywhere(aws: str, tmp_path: Path, code: str) -> None:
    org = seed()
    config = pipeline.load(pipeline.init(tmp_path, "Acme").config)
    config = config.model_copy(
        update={
            "aws": AwsConfig(org_role="OrganizationAccountAccessRole", regions=["eu-west-1"], max_attempts=1)
        }
    )
    collected = pipeline.collect(config, ["aws"], hooks=[failing("ListAccounts", code)])
    assert [r.call.operation for r in collected.manifest.errors] == ["ListAccounts"]

    report = pipeline.check_report(config)
    unlisted = [r for r in report.results if r.region == MEMBERS]
    # Every AWS check that reported on the management account also says the members are unknown.
    checks = {r.check for r in report.results if r.provider == "aws" and r.account == org.management}
    assert checks and {r.check for r in unlisted} >= checks
    assert all(r.status is Status.ERROR and r.resource == f"{org.management}/{MEMBERS}" for r in unlisted)
    assert all("member accounts are unknown" in r.reason and "ListAccounts" in r.reason for r in unlisted)
    assert {r.account for r in report.results if r.provider == "aws"} == {org.management}
    # The gate fails on it, with --fail-on error as with --fail-on fail.
    assert exit_code(report, FailOn.ERROR) == 4

    # No area reads as passing and no count reads as complete.
    areas = {a.key: a for a in _areas(report.results, [])}
    assert all(a.status != "passing" for a in areas.values() if a.key in ("access", "network"))
    lines = [line for found in _lines(report.results).values() for line in found]
    assert lines and all(not line.ok and "could not be listed" in line.text for line in lines)

    # Readiness never counts a requirement behind those checks as met.
    for ready in pipeline.status(config, ["soc2"]):
        errored = {r.id for r in ready.requirements if r.status == "error"}
        assert errored, "SOC 2 requirements behind unlisted accounts must be error"
