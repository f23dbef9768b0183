"""junit.xml: one testcase per rule, named by rule id, for CI test-report parsers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any


def render_junit(report: dict[str, Any]) -> str:
    rules = report["rules"]
    counts = report["counts"]
    suite = ET.Element(
        "testsuite",
        name=f"apiconform.{report['profile']}",
        tests=str(len(rules)),
        failures=str(counts.get("fail", 0)),
        errors=str(counts.get("error", 0)),
        skipped=str(counts.get("skip", 0) + counts.get("waived", 0)),
        time=f"{report['duration_s']:.3f}",
        timestamp=report["started_at"],
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (("seed", report["seed"]), ("base_url", report["target"]["base_url"]),
                        ("verdict", report["verdict"]), ("requests_sent", report["requests_sent"])):
        ET.SubElement(props, "property", name=name, value=str(value))
    for rule in rules:
        case = ET.SubElement(suite, "testcase", classname=report["profile"],
                             name=f"{rule['id']} {rule['title']}", time=f"{rule['duration_ms'] / 1000:.3f}")
        body = f'{rule["reason"]}\n\nrule: "{rule["clause"]}"'
        if rule["verdict"] == "fail":
            ET.SubElement(case, "failure", message=rule["reason"] or "failed", type="RuleViolation").text = body
        elif rule["verdict"] == "error":
            ET.SubElement(case, "error", message=rule["reason"] or "error", type="Incomplete").text = body
        elif rule["verdict"] in ("skip", "waived"):
            ET.SubElement(case, "skipped", message=rule["reason"] or rule["verdict"])
    suites = ET.Element("testsuites", name="apiconform")
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
