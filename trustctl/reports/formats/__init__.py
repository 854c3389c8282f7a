"""Formatters for the check report: each takes a CheckReport and returns a string.

SARIF and the GitLab report locate findings in the resource inventory (inventory.py), which `check`
writes beside them; `LOCATED` names those formats.
"""

from __future__ import annotations

from collections.abc import Callable

from trustctl.reports.check_report import CheckReport
from trustctl.reports.formats import gitlab_sast, json_format, junit, markdown, sarif, table

FORMATS: dict[str, Callable[[CheckReport], str]] = {
    "table": table.render,
    "json": json_format.render,
    "junit": junit.render,
    "sarif": sarif.render,
    "markdown": markdown.render,
    "gitlab-sast": gitlab_sast.render,
}
LOCATED: dict[str, Callable[[CheckReport, str], str]] = {
    "sarif": sarif.render,
    "gitlab-sast": gitlab_sast.render,
}


def render(fmt: str, report: CheckReport, inventory_uri: str) -> str:
    """The report in `fmt`; the LOCATED formats point at the inventory written at `inventory_uri`."""
    return LOCATED[fmt](report, inventory_uri) if fmt in LOCATED else FORMATS[fmt](report)
