"""The resource inventory SARIF and GitLab reports point at: one line per evaluated resource.

Cloud resources have no source file. Code scanning needs a file and a line to annotate, and hashes that
line to tell findings apart, so `check` writes this file (commit it, or keep it in the workspace the
report is uploaded from) and each finding is located at its resource's line. Lines are sorted by
provider, account, region and resource, so a resource keeps its text (and its line hash) from run to run.
"""

from __future__ import annotations

from trustctl.controls.results import Result
from trustctl.reports.check_report import CheckReport

DEFAULT_PATH = "trustctl-inventory.txt"
HEADER = (
    "# trustctl inventory: one line per evaluated resource (provider account region resource).",
    "# Written by `trustctl check`; SARIF and GitLab findings point at these lines. Do not edit.",
)


def line_text(r: Result) -> str:
    return f"{r.provider} {r.account} {r.region} {r.resource}"


def lines(report: CheckReport) -> list[str]:
    """The file's lines: the header, then every resource of the current results once, sorted."""
    rows = sorted({(r.provider, r.account, r.region, r.resource) for r in report.current})
    return [*HEADER, *(" ".join(row) for row in rows)]


class Lines:
    """The 1-based line of a current result's resource (every one has its line; the first otherwise)."""

    def __init__(self, report: CheckReport) -> None:
        self.at = {text: i for i, text in enumerate(lines(report), start=1)}

    def __call__(self, r: Result) -> int:
        return self.at.get(line_text(r), 1)


def render(report: CheckReport) -> str:
    return "\n".join(lines(report)) + "\n"
