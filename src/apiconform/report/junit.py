"""junit.xml: a testcase per rule and endpoint, grouped by rule, for CI test-report parsers.

Each rule's endpoints (report.json `endpoints`) are its testcases, named "RULE-ID title
[endpoint]" with classname "<profile>.<RULE-ID>", so a CI page groups them by rule; a rule
about the deployment as a whole is one testcase named "RULE-ID title". When a rule's verdict is
worse than every endpoint's (the whole-run judgement found it on a path that is no endpoint,
say), one more testcase for the deployment carries it: no failure is lost.

Mapping: fail -> <failure>, error -> <error>, skip -> <skipped>, waived -> <skipped> whose
message starts "waived:" (CI parsers know no fourth state, and a waived rule must not read
as a pass). The count attributes are computed from the testcases themselves, so they agree.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

# Characters XML 1.0 cannot carry even escaped; a response body may hold them. XML allows
# #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]; this class is its
# complement, written out: the negated form costs ~5 ms to compile on every run.
_INVALID_XML = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]")


def _clean(text: object) -> str:
    return _INVALID_XML.sub("\ufffd", str(text))


def waiver_text(rule: dict[str, Any]) -> str:
    waiver = rule.get("waiver") or {}
    return f"waived: {waiver.get('reason', '')} (until {waiver.get('expires', '?')})"


def _details(rule: dict[str, Any]) -> str:
    lines = [rule["reason"] or rule["verdict"], "",
             f"rule {rule['id']} ({rule['level']}): “{rule['clause']}”"]
    if isinstance(rule.get("judged"), int):
        lines.append(f"judged {rule['judged']} exchanges")
    for row in rule.get("endpoints") or []:
        lines.append(f"endpoint {row['endpoint']}: {row['verdict']} ({row['judged']} judged)"
                     + (f": {row['reason']}" if row.get("reason") and row["verdict"] != "pass" else ""))
    if rule.get("assumption"):
        lines.append(f"assumption: {rule['assumption']}")
    for note in rule.get("notes") or []:
        lines.append(f"note: {note}")
    for ex in rule.get("evidence") or []:
        req, resp = ex["request"], ex.get("response")
        outcome = resp["status"] if resp else f"no response ({ex.get('error', '')})"
        lines.append(f"evidence: {req['method']} {req['url']} -> {outcome}")
    return "\n".join(lines)


_SEVERITY = {"fail": 3, "error": 2, "pass": 1, "skip": 0}


def _cases(rule: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(endpoint or "", verdict, reason) of each testcase of a rule."""
    waived = rule["verdict"] == "waived"
    rows = [(str(r["endpoint"]), "waived" if waived and r["verdict"] == "fail" else str(r["verdict"]),
             str(r.get("reason") or "")) for r in rule.get("endpoints") or []]
    settled = "fail" if waived else rule["verdict"]
    worst = max((_SEVERITY.get(v, 0) for _, v, _ in rows if v != "waived"), default=-1)
    if any(v == "waived" for _, v, _ in rows):
        worst = max(worst, _SEVERITY["fail"])
    if not rows or _SEVERITY.get(settled, 0) > worst:
        rows.append(("" if not rows else "the deployment", rule["verdict"], rule["reason"]))
    return rows


def render_junit(report: dict[str, Any]) -> str:
    rules = report["rules"]
    profile = report["profile"]
    suite = ET.Element("testsuite", name=f"apiconform.{profile}")
    props = ET.SubElement(suite, "properties")
    for name, value in (("profile", profile), ("seed", report["seed"]),
                        ("base_url", report["target"]["base_url"]), ("mode", report["target"].get("mode")),
                        ("verdict", report["verdict"]), ("requests_sent", report["requests_sent"]),
                        ("tool_version", report["tool"]["version"])):
        ET.SubElement(props, "property", name=name, value=_clean(value))
    tally = {"failures": 0, "errors": 0, "skipped": 0}
    cases = 0
    for rule in rules:
        for where, verdict, reason in _cases(rule):
            cases += 1
            name = f"{rule['id']} {rule['title']}" + (f" [{where}]" if where else "")
            case = ET.SubElement(suite, "testcase", classname=_clean(f"{profile}.{rule['id']}"), name=_clean(name),
                                 time=f"{rule.get('duration_ms', 0) / 1000:.3f}")
            if verdict == "fail":
                tally["failures"] += 1
                node = ET.SubElement(case, "failure", message=_clean(reason or "failed"), type="RuleViolation")
                node.text = _clean(_details(rule))
            elif verdict == "error":
                tally["errors"] += 1
                node = ET.SubElement(case, "error", message=_clean(reason or "error"), type="Incomplete")
                node.text = _clean(_details(rule))
            elif verdict == "waived":
                tally["skipped"] += 1
                node = ET.SubElement(case, "skipped", message=_clean(waiver_text(rule)))
                node.text = _clean(_details(rule))  # the failure it covers stays readable
            elif verdict == "skip":
                tally["skipped"] += 1
                ET.SubElement(case, "skipped", message=_clean(reason or "skipped"))
            elif rule.get("notes"):
                ET.SubElement(case, "system-out").text = _clean("\n".join(f"note: {n}" for n in rule["notes"]))
    suite.set("tests", str(cases))
    for key, value in tally.items():
        suite.set(key, str(value))
    suite.set("time", f"{report['duration_s']:.3f}")
    suite.set("timestamp", report["started_at"])
    suites = ET.Element("testsuites", name="apiconform", tests=str(cases),
                        failures=str(tally["failures"]), errors=str(tally["errors"]),
                        skipped=str(tally["skipped"]), time=f"{report['duration_s']:.3f}")
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
