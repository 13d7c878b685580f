"""Workflow test results as JUnit XML, the format CI systems read.

One ``testsuite`` per test file, one ``testcase`` per case and tenant;
failed expectations become a ``failure``, unexpected errors an ``error``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from engine.review.runner import CaseResult


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def junit_xml(results: list[CaseResult], total_s: float) -> str:
    root = ET.Element("testsuites", {
        "name": "tenantflow",
        "tests": str(len(results)),
        "failures": str(sum(1 for r in results if r.failures and not r.error)),
        "errors": str(sum(1 for r in results if r.error)),
        "time": _seconds(total_s),
    })
    files: dict[str, list[CaseResult]] = {}
    for result in results:
        files.setdefault(result.run.file.display, []).append(result)
    for display, file_results in files.items():
        spec = file_results[0].run.file.spec
        suite = ET.SubElement(root, "testsuite", {
            "name": spec.metadata.name,
            "file": display,
            "tests": str(len(file_results)),
            "failures": str(sum(1 for r in file_results if r.failures and not r.error)),
            "errors": str(sum(1 for r in file_results if r.error)),
            "time": _seconds(sum(r.duration_s for r in file_results)),
        })
        for result in file_results:
            case = ET.SubElement(suite, "testcase", {
                "classname": result.run.workflow,
                "name": result.run.name,
                "file": display,
                "line": str(result.run.line),
                "time": _seconds(result.duration_s),
            })
            if result.error:
                error = ET.SubElement(case, "error", {"message": result.error, "type": "error"})
                error.text = result.error
            elif result.failures:
                count = len(result.failures)
                failure = ET.SubElement(case, "failure", {
                    "message": f"{count} expectation{'s' if count != 1 else ''} not met", "type": "failure"})
                failure.text = "\n".join(result.failures)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
