"""Formatters for the check report: each takes a CheckReport and returns a string."""

from __future__ import annotations

from collections.abc import Callable

from trustctl.reports.check_report import CheckReport
from trustctl.reports.formats import json_format, junit, markdown, sarif, table

FORMATS: dict[str, Callable[[CheckReport], str]] = {
    "table": table.render,
    "json": json_format.render,
    "junit": junit.render,
    "sarif": sarif.render,
    "markdown": markdown.render,
}
