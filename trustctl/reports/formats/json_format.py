"""The JSON result format of DESIGN.md section 7 (a contract: scripts depend on it).

With a baseline, each result also says `baseline_state` (new or updated: unchanged results are not
listed) and `previous_status` (null when new), and a `baseline` object gives the run compared with, the
counts of new, unchanged and updated results, and the findings resolved since then.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

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


# A number in exponent form as orjson writes it (1e-5, 1e16), where json writes 1e-05 and 1e+16.
_EXPONENT = re.compile(r"(?m)(?:: |^ +)-?\d+(?:\.\d+)?[eE]")


def render(report: CheckReport) -> str:
    """The report, byte for byte what json.dumps(indent=2) writes, made by orjson (in C, without
    json's list of small strings: 3 MiB less at the peak of `check` on 800 results). orjson writes
    non-ASCII text unescaped and exponents without padding; for those json writes it instead."""
    data = as_dict(report)
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
    if not text.isascii() or _EXPONENT.search(text):
        text = json.dumps(data, indent=2)
    return text + "\n"
