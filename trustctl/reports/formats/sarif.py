"""SARIF 2.1.0 for GitHub code scanning: one rule per check, one result per failing resource.

Cloud resources have no source file, so each result points at its resource's line in the inventory file
`check` writes beside the report (trustctl/reports/formats/inventory.py): GitHub annotates one line per
resource, and `partialFingerprints` are per (check, resource), so an alert follows the same finding from
run to run even when lines move. With a baseline each result carries `baselineState` (new, unchanged,
updated); the baseline's findings that are gone are listed with `baselineState: absent` in the run's
properties, not as results (GitHub would open an alert for each; it closes an alert whose finding is
no longer uploaded by itself).
Results that could not be evaluated (collection errors) are not findings: they are tool execution
notifications, and the invocation is marked unsuccessful.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from trustctl.controls.registry import CheckSpec
from trustctl.controls.results import Result, Severity, Status
from trustctl.reports.check_report import BaselineState, CheckReport
from trustctl.reports.formats import inventory

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}
HELP_URI = "https://github.com/trustctl/trustctl#checks"
FINGERPRINT = "trustctlFinding/v1"


def fingerprint(r: Result) -> str:
    return hashlib.sha256(f"{r.check}|{r.resource}".encode()).hexdigest()[:32]


def _rule(spec: CheckSpec) -> dict[str, Any]:
    return {
        "id": spec.id,
        "name": spec.id.replace(".", "_"),
        "shortDescription": {"text": spec.title},
        "fullDescription": {"text": f"{spec.title} (control {spec.control})."},
        "help": {"text": spec.fix, "markdown": f"**Fix:** {spec.fix}"},
        "helpUri": HELP_URI,
        "defaultConfiguration": {"level": LEVEL[spec.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[spec.severity],
            "tags": ["security", "compliance", spec.control, spec.provider],
        },
    }


class _Locator:
    """Physical locations in the inventory file, which must list the report's current resources."""

    def __init__(self, report: CheckReport, uri: str) -> None:
        self.uri = uri
        self.line = inventory.Lines(report)

    def __call__(self, r: Result) -> dict[str, Any]:
        line = self.line(r)
        return {
            "physicalLocation": {
                "artifactLocation": {"uri": self.uri, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": line},
            },
            "logicalLocations": [{"fullyQualifiedName": r.resource, "kind": "resource"}],
        }


def _result(r: Result, rule_index: int, locate: _Locator, state: BaselineState | None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "ruleId": r.check,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": LEVEL[r.severity],
        "message": {"text": r.reason},
        "locations": [locate(r)],
        "partialFingerprints": {FINGERPRINT: fingerprint(r)},
        "properties": {
            "status": r.status.value,
            "control": r.control,
            "account": r.account,
            "region": r.region,
            "provider": r.provider,
            "evidence": r.evidence,
        },
    }
    if state is not None:
        found["baselineState"] = state.value
    return found


def _absent(r: Result, now: Status | None) -> dict[str, Any]:
    """A baseline finding that is gone, kept out of `results`: GitHub code scanning opens an alert for
    every result whatever its `kind`, so an `absent` result of kind `pass` would be one more alert."""
    return {
        "ruleId": r.check,
        "baselineState": BaselineState.ABSENT.value,
        "resource": r.resource,
        "partialFingerprints": {FINGERPRINT: fingerprint(r)},
        "previous_status": r.status.value,
        "status": now.value if now else None,
    }


def _notification(r: Result, rule_index: int | None, locate: _Locator) -> dict[str, Any]:
    note: dict[str, Any] = {
        "level": "error",
        "message": {"text": f"{r.check}: could not evaluate {r.resource}: {r.reason}"},
        "locations": [locate(r)],
    }
    if rule_index is not None:
        note["associatedRule"] = {"id": r.check, "index": rule_index}
    return note


def render(report: CheckReport, inventory_uri: str = inventory.DEFAULT_PATH) -> str:
    locate = _Locator(report, inventory_uri)
    findings = [r for r in report.all_findings() if r.status is Status.FAIL]
    errors = [r for r in report.current if r.status is Status.ERROR]
    resolved = report.resolved()
    rule_ids = sorted({r.check for r in report.current} & set(report.checks))
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    results = [_result(r, index[r.check], locate, report.state(r)) for r in findings if r.check in index]
    notifications = [_notification(r, index.get(r.check), locate) for r in errors]
    notifications += [{"level": "warning", "message": {"text": note}} for note in report.notes]
    invocation: dict[str, Any] = {
        "executionSuccessful": not errors and not report.collection_errors,
        "endTimeUtc": report.completed_at,
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    properties: dict[str, Any] = {"summary": report.summary}
    if report.baseline is not None:
        properties["baseline"] = {"ref": report.baseline.ref, "run": report.baseline.run_id} | report.states
        properties["resolved"] = [_absent(r, now) for r, now in resolved]
    sarif = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "trustctl",
                        "version": report.tool_version,
                        "semanticVersion": report.tool_version,
                        "informationUri": HELP_URI,
                        "rules": [_rule(report.checks[i]) for i in rule_ids],
                    }
                },
                "automationDetails": {"id": f"trustctl/{report.run_id}"},
                "invocations": [invocation],
                "results": results,
                "properties": properties,
            }
        ],
    }
    return json.dumps(sarif, indent=2) + "\n"
