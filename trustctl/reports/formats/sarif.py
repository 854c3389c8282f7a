"""SARIF 2.1.0 for GitHub code scanning: one rule per check, one result per failing or errored resource.

Cloud resources have no source file, so each result carries the resource as a logical location and
points its physical location at trustctl.toml (GitHub requires one); fingerprints are stable per
(check, resource) so alerts track the same finding across runs.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from trustctl.controls.registry import CheckSpec
from trustctl.controls.results import Result, Severity, Status
from trustctl.reports.check_report import CheckReport

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}
HELP_URI = "https://github.com/trustctl/trustctl#checks"


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


def _result(r: Result, rule_index: int) -> dict[str, Any]:
    text = r.reason if r.status is Status.FAIL else f"Could not evaluate (error): {r.reason}"
    fingerprint = hashlib.sha256(f"{r.check}|{r.resource}".encode()).hexdigest()[:32]
    return {
        "ruleId": r.check,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": LEVEL[r.severity] if r.status is Status.FAIL else "error",
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "trustctl.toml", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 1},
                },
                "logicalLocations": [{"fullyQualifiedName": r.resource, "kind": "resource"}],
            }
        ],
        "partialFingerprints": {"trustctlFinding/v1": fingerprint},
        "properties": {
            "status": r.status.value,
            "control": r.control,
            "account": r.account,
            "region": r.region,
            "provider": r.provider,
            "evidence": r.evidence,
        },
    }


def render(report: CheckReport) -> str:
    findings = report.findings()
    rule_ids = sorted({r.check for r in report.results} & set(report.checks))
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
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
                "invocations": [{"executionSuccessful": True, "endTimeUtc": report.completed_at}],
                "results": [_result(r, index[r.check]) for r in findings if r.check in index],
                "properties": {"summary": report.summary, "baseline": report.baseline},
            }
        ],
    }
    return json.dumps(sarif, indent=2) + "\n"
