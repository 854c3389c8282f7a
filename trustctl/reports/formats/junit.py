"""JUnit XML: one test suite per check, one test case per resource (fail, error or skipped)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby

from trustctl.controls.results import Status
from trustctl.reports.check_report import CheckReport


def render(report: CheckReport) -> str:
    suites = ET.Element("testsuites", name="trustctl", timestamp=report.completed_at)
    by_check = groupby(sorted(report.results, key=lambda r: r.check), key=lambda r: r.check)
    for check_id, group in by_check:
        results = list(group)
        spec = report.checks.get(check_id)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=check_id,
            tests=str(len(results)),
            failures=str(sum(r.status is Status.FAIL for r in results)),
            errors=str(sum(r.status is Status.ERROR for r in results)),
            skipped=str(sum(r.status in (Status.NOT_APPLICABLE, Status.WAIVED) for r in results)),
        )
        for r in results:
            case = ET.SubElement(suite, "testcase", classname=check_id, name=r.resource)
            if r.status is Status.FAIL:
                node = ET.SubElement(case, "failure", message=r.reason, type=r.severity.value)
                node.text = f"{r.reason}\nFix: {spec.fix if spec else ''}"
            elif r.status is Status.ERROR:
                ET.SubElement(case, "error", message=r.reason, type="evidence-error").text = r.reason
            elif r.status in (Status.NOT_APPLICABLE, Status.WAIVED):
                ET.SubElement(case, "skipped", message=f"{r.status.value}: {r.reason}")
    for parent in (suites,):
        parent.set("tests", str(len(report.results)))
        parent.set("failures", str(report.summary["fail"]))
        parent.set("errors", str(report.summary["error"]))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
