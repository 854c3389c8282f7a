"""GitLab's security report (SAST report format, schema 15.x): one vulnerability per failing resource.

Like SARIF, each finding is located at its resource's line of the inventory file (inventory.py), so
GitLab's own fingerprint (file, line, primary identifier) tells resources apart and follows them across
pipelines. Results that could not be evaluated are scan messages, and the scan's status is `failure`
when there is any (the job's exit code gates on them as before).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from trustctl.controls.results import Result, Severity, Status
from trustctl.reports.check_report import CheckReport
from trustctl.reports.formats import inventory
from trustctl.reports.formats.sarif import HELP_URI, fingerprint

SCHEMA_VERSION = "15.2.1"
SCHEMA = (
    "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/"
    f"v{SCHEMA_VERSION}/dist/sast-report-format.json"
)
SEVERITY = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
}
NAMESPACE = uuid.UUID("5f0e7f9c-2b1d-4c55-9a36-7d0b8e1f4a21")  # trustctl's: ids stable per (check, resource)


def _time(iso: str) -> str:
    """GitLab wants yyyy-mm-ddThh:mm:ss (UTC, no zone, no fraction)."""
    return iso.replace("Z", "")[:19]


def _vulnerability(report: CheckReport, r: Result, line: inventory.Lines, uri: str) -> dict[str, Any]:
    spec = report.checks.get(r.check)
    title = spec.title if spec else r.check
    found: dict[str, Any] = {
        "id": str(uuid.uuid5(NAMESPACE, fingerprint(r))),
        "name": f"{title} ({r.check})",
        "description": r.reason,
        "severity": SEVERITY[r.severity],
        "location": {"file": uri, "start_line": line(r)},
        "identifiers": [
            {"type": "trustctl_check", "name": r.check, "value": r.check, "url": HELP_URI},
            {"type": "trustctl_control", "name": f"Control {r.control}", "value": r.control},
        ],
        "details": {
            "resource": {"type": "text", "name": "Resource", "value": r.resource},
            "control": {"type": "text", "name": "Control", "value": r.control},
        },
    }
    if spec is not None:
        found["solution"] = spec.fix
    state = report.state(r)
    if state is not None:
        found["details"]["baseline_state"] = {
            "type": "text",
            "name": "Since the baseline",
            "value": state.value,
        }
    return found


def render(report: CheckReport, inventory_uri: str = inventory.DEFAULT_PATH) -> str:
    line = inventory.Lines(report)
    findings = [r for r in report.all_findings() if r.status is Status.FAIL]
    errors = [r for r in report.current if r.status is Status.ERROR]
    messages = [
        {"level": "error", "value": f"{r.check}: could not evaluate {r.resource}: {r.reason}"} for r in errors
    ]
    messages += [{"level": "warn", "value": note} for note in report.notes]
    tool = {
        "id": "trustctl",
        "name": "trustctl",
        "url": HELP_URI,
        "version": report.tool_version,
        "vendor": {"name": "trustctl"},
    }
    data = {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "scan": {
            "analyzer": tool,
            "scanner": tool,
            "type": "sast",
            "start_time": _time(report.completed_at),
            "end_time": _time(report.completed_at),
            "status": "failure" if errors or report.collection_errors else "success",
            "messages": messages,
        },
        "vulnerabilities": [_vulnerability(report, r, line, inventory_uri) for r in findings],
    }
    return json.dumps(data, indent=2) + "\n"
