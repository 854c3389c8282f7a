"""The JSON result format of DESIGN.md section 7 (a contract: scripts depend on it).

With a baseline, each result also says `baseline_state` (new or updated: unchanged results are not
listed) and `previous_status` (null when new), and a `baseline` object gives the run compared with, the
counts of new, unchanged and updated results, and the findings resolved since then.
"""

from __future__ import annotations

import json
from typing import Any

from trustctl.controls.results import Result
from trustctl.reports.check_report import CheckReport


def _result(report: CheckReport, r: Result) -> dict[str, Any]:
    row: dict[str, Any] = r.model_dump(mode="json")
    state = report.state(r)
    if state is not None:
        previous = report.previous_status(r)
        row |= {"baseline_state": state.value, "previous_status": previous.value if previous else None}
    return row


def as_dict(report: CheckReport) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tool": {"name": "trustctl", "version": report.tool_version},
        "run": {"id": report.run_id, "completed_at": report.completed_at},
        "results": [_result(report, r) for r in report.results],
        "summary": report.summary,
    }
    if report.baseline is not None:
        data["baseline"] = {
            "ref": report.baseline.ref,
            "run": report.baseline.run_id,
            "counts": report.states,
            "resolved": [
                {
                    "check": r.check,
                    "resource": r.resource,
                    "severity": r.severity.value,
                    "previous_status": r.status.value,
                    "status": now.value if now else None,
                }
                for r, now in report.resolved()
            ],
        }
    return data


def render(report: CheckReport) -> str:
    return json.dumps(as_dict(report), indent=2) + "\n"
