"""The JSON result format of DESIGN.md section 7 (a contract: scripts depend on it)."""

from __future__ import annotations

import json
from typing import Any

from trustctl.reports.check_report import CheckReport


def as_dict(report: CheckReport) -> dict[str, Any]:
    return {
        "tool": {"name": "trustctl", "version": report.tool_version},
        "run": {"id": report.run_id, "completed_at": report.completed_at},
        "results": [r.model_dump(mode="json") for r in report.results],
        "summary": report.summary,
    }


def render(report: CheckReport) -> str:
    return json.dumps(as_dict(report), indent=2) + "\n"
