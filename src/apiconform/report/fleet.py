"""Fleet artifacts: the combined record of many targets checked side by side (`apiconform audit`,
`apiconform merge`; DESIGN.md, public contract).

Each target keeps its usual artifacts in `DIR/<name>/`; this module writes, in `DIR/`:

- `fleet.json`: `targets: [{name, profile, base_url, verdict, exit_code, report, ...}]` and the
  fleet `verdict` (schema: fixtures/fleet.schema.json);
- `fleet.html`: what needs attention first (each target that failed or is incomplete, its verdict
  and why, once), then a self-contained matrix, rules as rows (the rule column pinned) by targets
  as columns, each cell linking to the rule in that target's report.html;
- `junit.xml`: one testsuite per target (the target's own junit suite, renamed);
- `summary.md`: the fleet verdict, what needs attention (as in fleet.html), a table of targets,
  and the failing and erroring rules of each, a reason that several rules share said once.

The fleet document depends only on the entries (the targets' report.json contents), never on
how they were run, so `merge` of reports made elsewhere gives what `audit` gives, timestamps
aside. A target without a report (its worker crashed or hung) is `incomplete`, with the reason,
in every artifact. Every string written goes through the process-wide REDACTOR.
"""

from __future__ import annotations

import json
import posixpath
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jsonschema

from apiconform import TOOL_NAME, __version__
from apiconform.errors import ConfigError
from apiconform.locations import fixtures_dir
from apiconform.redact import REDACTOR
from apiconform.report.html import _CSP, _CSS, VERDICT_ORDER, _e, render_html
from apiconform.report.json_report import write_json
from apiconform.report.junit import _clean, render_junit
from apiconform.report.markdown import ICONS, _table, md_text, render_markdown

SCHEMA_VERSION = "1"
# A run's verdict -> its exit status (as RunResult.exit_code): the same for a target and a fleet.
EXIT_CODES = {"pass": 0, "fail": 1, "incomplete": 3}
RUN_VERDICTS = tuple(EXIT_CODES)
# A cell's tooltip carries the start of the rule's reason; report.html has the rest.
TITLE_REASON = 200
NO_REPORT = "the target produced no report.json"
# Folder names the kit gives targets: what a fleet file's `name` may hold.
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# The per-target artifacts, each rendered from the report dict (report/__init__.write_reports).
_TARGET_ARTIFACTS = (("junit.xml", render_junit), ("report.html", render_html), ("summary.md", render_markdown))


@dataclass
class FleetEntry:
    name: str
    profile: str
    base_url: str
    exit_code: int
    report: dict[str, Any] | None  # the target's report.json contents, or None if it produced none
    report_path: str | None  # relative to the fleet report dir, e.g. "vendor-a/report.json"
    reason: str | None = None  # why there is no report (crash, timeout), shown in every artifact


# -- fleet.json -----------------------------------------------------------------------------------

def _target(entry: FleetEntry) -> dict[str, Any]:
    report = entry.report
    if report is None:
        # No report: nothing was decided, so incomplete whatever the worker's status was (a worker
        # that died with 0 or 1, or by a signal, neither passed nor showed a failure); 2 stays 2,
        # a configuration error of that target. The raw status belongs in the reason.
        exit_code = 2 if entry.exit_code == 2 else EXIT_CODES["incomplete"]
        return {
            "name": entry.name, "profile": entry.profile, "base_url": entry.base_url,
            "verdict": "incomplete", "exit_code": exit_code, "report": None,
            "reason": entry.reason or NO_REPORT, "counts": {}, "rules": {},
        }
    verdict = report.get("verdict")
    if verdict not in EXIT_CODES:
        verdict = "incomplete"
    target = report.get("target") or {}
    return {
        "name": entry.name,
        "profile": entry.profile,
        "base_url": entry.base_url,
        "verdict": verdict,
        "exit_code": entry.exit_code,
        "report": entry.report_path,
        "reason": entry.reason,
        "mode": target.get("mode"),
        "mutant": target.get("mutant"),
        "started_at": report.get("started_at"),
        "duration_s": report.get("duration_s"),
        "requests_sent": report.get("requests_sent"),
        "tool_version": (report.get("tool") or {}).get("version"),
        "counts": dict(report.get("counts") or {}),
        "rules": {rule["id"]: rule["verdict"] for rule in report.get("rules") or []},
    }


def _rule_catalog(entries: list[FleetEntry]) -> list[dict[str, Any]]:
    """Every rule any target reported, grouped by profile (in name order), each profile's rules in
    the order its reports list them."""
    seen: dict[str, dict[str, dict[str, Any]]] = {}
    for entry in entries:
        for rule in (entry.report or {}).get("rules") or []:
            rules = seen.setdefault(entry.profile, {})
            if rule["id"] not in rules:
                rules[rule["id"]] = {"id": rule["id"], "profile": entry.profile, "title": rule.get("title", ""),
                                     "level": rule.get("level", "")}
    return [rule for profile in sorted(seen) for rule in seen[profile].values()]


def fleet_verdict(verdicts: list[str]) -> str:
    """fail if any target failed, else incomplete if any was (or if there is none), else pass."""
    if "fail" in verdicts:
        return "fail"
    if not verdicts or any(v != "pass" for v in verdicts):
        return "incomplete"
    return "pass"


def build_fleet(entries: list[FleetEntry]) -> dict[str, Any]:
    """The fleet.json document: a function of the entries alone (plus the generation time)."""
    names = Counter(entry.name for entry in entries)
    duplicates = sorted(name for name, n in names.items() if n > 1)
    if duplicates:
        raise ConfigError(f"fleet: target names must be unique; repeated: {', '.join(duplicates)}")
    targets = [_target(entry) for entry in entries]
    verdict = fleet_verdict([t["verdict"] for t in targets])
    counts = Counter(t["verdict"] for t in targets)
    fleet: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verdict": verdict,
        "exit_code": EXIT_CODES[verdict],
        "counts": {v: counts.get(v, 0) for v in RUN_VERDICTS},
        "profiles": sorted({t["profile"] for t in targets}),
        "rules": _rule_catalog(entries),
        "targets": targets,
    }
    redacted: dict[str, Any] = REDACTOR.value(fleet)
    return redacted


def fleet_exit_code(fleet: dict[str, Any]) -> int:
    """1 if any target failed, else 3 if any was incomplete (no report counts), else 0."""
    return EXIT_CODES[fleet_verdict([t["verdict"] for t in fleet["targets"]])]


# -- what needs attention: fleet.html and summary.md lead with it ---------------------------------

def _reason_parts(reason: object) -> list[str]:
    """A rule's reason in its parts: the kit joins the reasons of several endpoints or causes with
    "; " (`GET /a: ConnectError ...; not run: target unreachable ...`)."""
    parts: list[str] = []
    for part in " ".join(str(reason or "").split()).split("; "):
        if part.strip() and part.strip() not in parts:
            parts.append(part.strip())
    return parts


def shared_reasons(rules: list[dict[str, Any]]) -> tuple[list[tuple[str, list[str]]], dict[str, str]]:
    """The parts of the rules' reasons that two or more of them share, most shared first, each with
    the ids of its rules; and what is left of each rule's own reason (id -> text, "" if nothing).
    An unreachable target's 22 rules share one reason: it is said once, not 22 times."""
    parts = {rule["id"]: _reason_parts(rule.get("reason")) for rule in rules}
    counts = Counter(part for rule_parts in parts.values() for part in rule_parts)
    shared = sorted((part for part, n in counts.items() if n > 1), key=lambda part: -counts[part])
    groups = [(part, [rid for rid, rule_parts in parts.items() if part in rule_parts]) for part in shared]
    rest = {rid: "; ".join(part for part in rule_parts if counts[part] < 2) for rid, rule_parts in parts.items()}
    return groups, rest


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def error_summary(rules: list[dict[str, Any]]) -> str:
    """The erroring rules of a target in a line: how many, and the reason most of them share."""
    errors = [rule for rule in rules if rule.get("verdict") == "error"]
    if not errors:
        return ""
    if len(errors) == 1:
        return f"error in {errors[0]['id']}: {' '.join(str(errors[0].get('reason') or '').split())}"
    groups, _ = shared_reasons(errors)
    if not groups:
        return f"error in {len(errors)} rules, each for a reason of its own"
    part, ids = groups[0]
    share = "" if len(ids) == len(errors) else f" ({len(ids)} of them)"
    return f"error in {len(errors)} rules{share}: {part}"


def attention(fleet: dict[str, Any], reports: dict[str, dict[str, Any] | None]) -> list[dict[str, Any]]:
    """Each target that did not pass, failed ones first: its verdict, its failed rules and why it is
    what it is, in a line (the reason it has no report, or the reason its erroring rules share)."""
    items = []
    for target in fleet["targets"]:
        if target["verdict"] == "pass":
            continue
        report = reports.get(target["name"])
        rules = (report or {}).get("rules") or []
        failed = [rule for rule in rules if rule.get("verdict") == "fail"]
        if report is None:
            why = target.get("reason") or NO_REPORT
            why = why if why.startswith("no report") else f"no report: {why}"
        else:
            why = error_summary(rules)
            if not why and target["verdict"] == "incomplete":
                signal = report.get("interrupted")
                why = f"interrupted by {signal}" if signal else "the run did not finish, and no rule failed"
        items.append({"target": target, "failed": failed, "why": why})
    items.sort(key=lambda item: item["target"]["verdict"] != "fail")
    return items


# -- fleet.html -----------------------------------------------------------------------------------

_FLEET_CSS = """
.fleet-targets{margin:.4rem 0 1rem}
.fleet-targets th,.fleet-targets td{border-bottom:1px solid #ddd}
.fleet-targets .reason{color:#9a4f00}
.matrix-wrap{overflow-x:auto;max-width:100%;border:1px solid #ccc;margin:.4rem 0}
table.matrix{width:max-content;min-width:100%;table-layout:auto;border-collapse:separate;border-spacing:0}
.matrix th,.matrix td{overflow-wrap:normal;border-bottom:1px solid #e3e3e3;border-right:1px solid #eee;
padding:.25rem .45rem;vertical-align:middle}
.matrix thead th{vertical-align:bottom;background:#fff;min-width:6.5rem;max-width:11rem;overflow-wrap:anywhere}
.matrix .rule{position:sticky;left:0;z-index:2;background:#fff;width:17rem;min-width:17rem;max-width:17rem;
border-right:2px solid #333;overflow-wrap:anywhere}
.matrix thead .rule{z-index:3}
.matrix tr.group th{background:#f0f0f0;font-size:.85rem;text-align:left}
.matrix tr.group td{background:#f0f0f0}
.matrix .rtitle{display:block;font-weight:400;font-size:.8rem;color:#444}
.matrix .tname{display:block;font-weight:700;font-size:.9rem}
.matrix .tprof{display:block;font-weight:400;color:#666;font-size:.8rem}
.matrix td.cell{text-align:center;font-weight:600;font-size:.85rem;white-space:nowrap}
.matrix td.cell a{color:inherit;display:block;text-decoration:none}
.matrix td.cell a:hover,.matrix td.cell a:focus{text-decoration:underline}
.matrix td.c-pass{background:#e8f5ec}.matrix td.c-fail{background:#fde8eb}
.matrix td.c-error{background:#fdf0e0}.matrix td.c-skip{background:#f2f2f2}
.matrix td.c-waived{background:#efeafa}.matrix td.c-none{color:#999;font-weight:400}
.legend .badge{margin-right:.35rem}
.attention .tname{font-weight:700}
.attention .why{margin:.1rem 0 .25rem}
.attention.all-pass{border-left-color:#17692b;background:#eef8f0}
"""


def _href(path: str) -> str:
    return quote(path, safe="/#._-~")


def _html_link(report_path: str | None) -> str | None:
    """The target's report.html, beside its report.json."""
    if not report_path:
        return None
    folder = posixpath.dirname(report_path)
    return posixpath.join(folder, "report.html") if folder else "report.html"


def _cell(target: dict[str, Any], rule: dict[str, Any], reasons: dict[str, str]) -> str:
    if rule["profile"] != target["profile"]:
        return '<td class="cell c-none" title="not in this target\'s profile"><span aria-label="not applicable">' \
               "—</span></td>"
    if target["report"] is None or rule["id"] not in target["rules"]:
        why = target.get("reason") or "no result for this rule"
        return f'<td class="cell c-none" title="{_e(why)}"><span aria-label="no result">n/a</span></td>'
    verdict = target["rules"][rule["id"]]
    title = f"{target['name']} · {rule['id']}: {verdict}"
    reason = " ".join(reasons.get(rule["id"], "").split())
    if reason:
        title += f" — {reason[:TITLE_REASON]}{'…' if len(reason) > TITLE_REASON else ''}"
    link = _html_link(target["report"])
    href = _href(f"{link}#rule-{rule['id']}")
    return (f'<td class="cell c-{_e(verdict)} v-{_e(verdict)}"><a href="{_e(href)}" title="{_e(title)}">'
            f"{_e(verdict)}</a></td>")


def _rule_link(target: dict[str, Any], rule: dict[str, Any]) -> str:
    link = _html_link(target["report"])
    href = _href(f"{link}#rule-{rule['id']}")
    return f'<a class="mono" href="{_e(href)}" title="{_e(rule.get("title", ""))}">{_e(rule["id"])}</a>'


def _attention_html(fleet: dict[str, Any], reports: dict[str, dict[str, Any] | None]) -> str:
    """Above the matrix: each target that failed or is incomplete, its verdict and why, once."""
    items = attention(fleet, reports)
    passed = [t for t in fleet["targets"] if t["verdict"] == "pass"]

    def name_of(t: dict[str, Any]) -> str:
        link = _html_link(t["report"])
        return (f'<a class="tname mono" href="{_e(_href(link))}">{_e(t["name"])}</a>' if link
                else f'<span class="tname mono">{_e(t["name"])}</span>')

    passed_line = ("<p>Passed: " + ", ".join(name_of(t) for t in passed) + "</p>") if passed else ""
    if not items:
        return (f'<section class="attention all-pass" id="attention" aria-label="Verdicts"><h2>Every target '
                f"passed every applicable rule</h2>{passed_line}</section>")
    rows = []
    for item in items:
        t = item["target"]
        lines = []
        if item["failed"]:
            lines.append("failed: " + ", ".join(_rule_link(t, rule) for rule in item["failed"]))
        if item["why"]:
            lines.append(_e(item["why"]))
        why = "".join(f'<div class="why">{line}</div>' for line in lines)
        rows.append(f'<li data-target="{_e(t["name"])}"><span class="badge v-{_e(t["verdict"])}">'
                    f'{_e(t["verdict"])}</span> {name_of(t)} <span class="meta">{_e(t["profile"])}'
                    f'{" · " + _e(t["base_url"]) if t["base_url"] else ""}</span>{why}</li>')
    return (f'<section class="attention" id="attention" aria-label="Needs attention"><h2>Needs attention: '
            f'{_plural(len(items), "target")} of {len(fleet["targets"])}</h2><ul>{"".join(rows)}</ul>'
            f"{passed_line}</section>")


def _targets_table(fleet: dict[str, Any], reports: dict[str, dict[str, Any] | None]) -> str:
    whys = {item["target"]["name"]: item["why"] for item in attention(fleet, reports)}
    rows = []
    for t in fleet["targets"]:
        failed = [rid for rid, v in t["rules"].items() if v == "fail"]
        link = _html_link(t["report"])
        name = f'<a href="{_e(_href(link))}">{_e(t["name"])}</a>' if link else _e(t["name"])
        detail = _e(", ".join(failed)) if failed else ""
        if whys.get(t["name"]):
            detail += f'<div class="reason">{_e(whys[t["name"]])}</div>'
        rows.append(f'<tr><td class="mono">{name}</td><td>{_e(t["profile"])}</td><td>{_e(t["base_url"])}</td>'
                    f'<td><span class="badge v-{_e(t["verdict"])}">{_e(t["verdict"])}</span></td>'
                    f"<td>{detail}</td></tr>")
    return ('<table class="fleet-targets"><colgroup><col style="width:16%"><col style="width:9%">'
            '<col style="width:30%"><col style="width:10%"><col></colgroup>'
            "<thead><tr><th>Target</th><th>Profile</th><th>Base URL</th><th>Verdict</th>"
            "<th>Failed rules, why</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _matrix(fleet: dict[str, Any], reports: dict[str, dict[str, Any] | None]) -> str:
    targets = fleet["targets"]
    reasons = {t["name"]: {r["id"]: r.get("reason") or "" for r in (reports.get(t["name"]) or {}).get("rules") or []}
               for t in targets}
    head = "".join(
        f'<th scope="col"><span class="tname">{_e(t["name"])}</span><span class="tprof">{_e(t["profile"])}</span>'
        f'<span class="badge v-{_e(t["verdict"])}">{_e(t["verdict"])}</span></th>' for t in targets)
    body = []
    for profile in fleet.get("profiles") or []:
        rules = [r for r in fleet["rules"] if r["profile"] == profile]
        if not rules:
            continue
        body.append(f'<tbody class="profile" data-profile="{_e(profile)}"><tr class="group">'
                    f'<th scope="rowgroup" class="rule">{_e(profile)} rules ({len(rules)})</th>'
                    f'<td colspan="{len(targets)}"></td></tr>')
        for rule in rules:
            cells = "".join(_cell(t, rule, reasons[t["name"]]) for t in targets)
            body.append(f'<tr data-rule="{_e(rule["id"])}"><th scope="row" class="rule">'
                        f'<span class="rid mono">{_e(rule["id"])}</span>'
                        f'<span class="rtitle">{_e(rule["title"])}</span></th>{cells}</tr>')
        body.append("</tbody>")
    return (f'<div class="matrix-wrap" tabindex="0" role="region" aria-label="Rules by target">'
            f'<table class="matrix"><thead><tr><th scope="col" class="rule">Rule</th>{head}</tr></thead>'
            f'{"".join(body)}</table></div>')


def render_fleet_html(fleet: dict[str, Any], reports: dict[str, dict[str, Any] | None]) -> str:
    fleet, reports = REDACTOR.value(fleet), REDACTOR.value(reports)
    verdict = fleet["verdict"]
    counts = ", ".join(f"{n} {v}" for v, n in fleet["counts"].items())
    legend = "".join(f'<span class="badge v-{v}">{v}</span>' for v in VERDICT_ORDER)
    title = f"apiconform fleet: {verdict.upper()}"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<title>{_e(title)}</title>
<style>{_CSS}{_FLEET_CSS}</style></head><body>
<header>
<h1>apiconform · fleet · <span class="badge v-{_e(verdict)}">{_e(verdict.upper())}</span></h1>
<p class="counts">{len(fleet["targets"])} targets: {_e(counts)} · generated {_e(fleet["generated_at"])}
· {_e(fleet["tool"]["name"])} {_e(fleet["tool"]["version"])}</p>
</header>
{_attention_html(fleet, reports)}
<h2>Rules by target</h2>
<p class="legend">Each cell links to the rule in that target's report.html: {legend}
<span class="meta">— the rule is not in the target's profile; n/a: no result (no report).</span></p>
{_matrix(fleet, reports)}
<h2>Targets</h2>
{_targets_table(fleet, reports)}
<footer>Generated by {_e(fleet["tool"]["name"])} {_e(fleet["tool"]["version"])}. Credentials are redacted
by value in every field. The machine-readable record is fleet.json; each target's in its folder.</footer>
</body></html>
"""
    return REDACTOR.text(page)


# -- junit.xml ------------------------------------------------------------------------------------

def _target_suite(target: dict[str, Any], report: dict[str, Any] | None) -> ET.Element:
    name = target["name"]
    if report is None:
        reason = target.get("reason") or NO_REPORT
        suite = ET.Element("testsuite", name=_clean(name), tests="1", failures="0", errors="1", skipped="0",
                           time="0.000")
        props = ET.SubElement(suite, "properties")
        for key, value in (("profile", target["profile"]), ("base_url", target["base_url"]),
                           ("verdict", target["verdict"]), ("exit_code", target["exit_code"])):
            ET.SubElement(props, "property", name=key, value=_clean(value))
        case = ET.SubElement(suite, "testcase", classname=_clean(name), name=_clean(f"{name}: no report"),
                             time="0.000")
        ET.SubElement(case, "error", message=_clean(reason), type="NoReport").text = _clean(reason)
        return suite
    # The target's own junit suite (a testcase per rule and endpoint), named after the target,
    # its testcases grouped by rule under it.
    own = ET.fromstring(render_junit({"duration_s": 0.0, **report})).find("testsuite")
    assert own is not None
    own.set("name", _clean(name))
    for testcase in own.iter("testcase"):
        rule_id = testcase.get("classname", "").partition(".")[2]
        testcase.set("classname", _clean(f"{name}.{rule_id}" if rule_id else name))
    own_props = own.find("properties")
    if own_props is not None:
        ET.SubElement(own_props, "property", name="target", value=_clean(name))
    return own


def render_fleet_junit(fleet: dict[str, Any], reports: dict[str, dict[str, Any] | None]) -> str:
    fleet, reports = REDACTOR.value(fleet), REDACTOR.value(reports)
    suites = ET.Element("testsuites", name="apiconform fleet")
    totals = Counter[str]()
    seconds = 0.0
    for target in fleet["targets"]:
        suite = _target_suite(target, reports.get(target["name"]))
        for key in ("tests", "failures", "errors", "skipped"):
            totals[key] += int(suite.get(key, "0"))
        seconds += float(suite.get("time", "0"))
        suites.append(suite)
    for key in ("tests", "failures", "errors", "skipped"):
        suites.set(key, str(totals[key]))
    suites.set("time", f"{seconds:.3f}")
    ET.indent(suites)
    return REDACTOR.text('<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n")


# -- summary.md -----------------------------------------------------------------------------------

def _md_links(report_path: str | None) -> str:
    if not report_path:
        return "no report"
    html = _html_link(report_path) or ""
    return f"[html]({_href(html)}) · [json]({_href(report_path)})"


def _md_rule_ids(ids: list[str], limit: int = 40) -> str:
    shown = ", ".join(f"`{md_text(rid, 80)}`" for rid in ids[:limit])
    return shown + (f", … ({len(ids) - limit} more)" if len(ids) > limit else "")


def _md_problems(report: dict[str, Any], headline: str) -> list[str]:
    """A target's failing and erroring rules: a reason that several rules share is said once, with
    their ids (and not at all when it is the target's headline, said above); each rule's own rest
    of its reason in a table."""
    lines: list[str] = []
    leftovers: dict[str, str] = {}
    grouped: set[str] = set()
    for verdict in ("fail", "error"):
        rules = [r for r in report.get("rules") or [] if r["verdict"] == verdict]
        groups, rest = shared_reasons(rules)
        for part, ids in groups:
            said = headline.endswith(f": {part}") and verdict == "error"
            because = "the reason above" if said else md_text(part)
            lines.append(f"- {ICONS[verdict]} **{verdict}**, {_plural(len(ids), 'rule')}: {because} — "
                         f"{_md_rule_ids(ids)}")
            grouped.update(ids)
        leftovers.update(rest)
    if lines:
        lines.append("")
    own = [r for r in report.get("rules") or [] if r["verdict"] in ("fail", "error")
           and (r["id"] not in grouped or leftovers.get(r["id"]))]
    if own:
        lines += _table(own, "verdict: reason", lambda r: f"{ICONS[r['verdict']]} **{r['verdict']}**: "
                        + (md_text(leftovers.get(r["id"]) or "") if r["id"] in grouped else md_text(r["reason"])))
    return lines


def render_fleet_markdown(fleet: dict[str, Any], reports: dict[str, dict[str, Any] | None]) -> str:
    fleet, reports = REDACTOR.value(fleet), REDACTOR.value(reports)
    verdict = fleet["verdict"]
    targets = fleet["targets"]
    counts = ", ".join(f"{n} {v}" for v, n in fleet["counts"].items())
    lines = [
        f"## {ICONS.get(verdict, '')} apiconform fleet: {verdict.upper()}",
        "",
        f"**{counts}** — {len(targets)} targets (exit status {fleet_exit_code(fleet)}), "
        f"generated {fleet['generated_at']} by {fleet['tool']['name']} {fleet['tool']['version']}",
        "",
    ]
    items = attention(fleet, reports)
    if items:
        # What needs attention first: each target that did not pass, its verdict and why, once.
        lines += [f"### Needs attention: {_plural(len(items), 'target')} of {len(targets)}", ""]
        for item in items:
            t = item["target"]
            why = []
            if item["failed"]:
                why.append("failed: " + _md_rule_ids([r["id"] for r in item["failed"]]))
            if item["why"]:
                why.append(md_text(item["why"]))
            lines.append(f"- {ICONS.get(t['verdict'], '')} **{md_text(t['name'])}** ({md_text(t['profile'])}): "
                         f"{t['verdict']} — {'; '.join(why)}")
        lines.append("")
    lines += ["| target | profile | verdict | failed rules | report |", "|---|---|---|---|---|"]
    for t in targets:
        failed = ", ".join(f"`{rid}`" for rid, v in t["rules"].items() if v == "fail") or "—"
        lines.append(f"| {md_text(t['name'])} | {md_text(t['profile'])} | {ICONS.get(t['verdict'], '')} "
                     f"{t['verdict']} | {failed} | {_md_links(t['report'])} |")
    lines.append("")
    detailed = [item for item in items if reports.get(item["target"]["name"]) is not None
                and any(v in ("fail", "error") for v in item["target"]["rules"].values())]
    if detailed:
        lines += ["### Failing and erroring rules per target", ""]
    for item in detailed:
        t = item["target"]
        lines += [f"#### {md_text(t['name'])} ({md_text(t['profile'])}): {t['verdict']}", ""]
        lines += _md_problems(reports[t["name"]] or {}, item["why"])
    if verdict == "pass":
        lines += ["Every target passed every applicable rule.", ""]
    lines.append("Full record: fleet.json, junit.xml and fleet.html here; each target's artifacts in its folder.")
    return REDACTOR.text("\n".join(lines).rstrip() + "\n")


# -- writing --------------------------------------------------------------------------------------

def _ensure_target_artifacts(entry: FleetEntry, report_dir: Path) -> None:
    """A report brought in by `merge` gets the usual artifacts beside it in `DIR/<name>/`, so every
    link of the fleet artifacts resolves; those `audit` already wrote are left as they are."""
    if entry.report is None or not entry.report_path:
        return
    json_path = report_dir / entry.report_path
    json_path.parent.mkdir(parents=True, exist_ok=True)
    report = REDACTOR.value(entry.report)
    if not json_path.exists():
        write_json(report, json_path)
    for name, render in _TARGET_ARTIFACTS:
        path = json_path.parent / name
        if not path.exists():
            path.write_text(render({"duration_s": 0.0, **report}), encoding="utf-8")


def write_fleet_artifacts(entries: list[FleetEntry], report_dir: Path) -> dict[str, Any]:
    """Write fleet.json, fleet.html, junit.xml and summary.md into `report_dir`; returns fleet.json."""
    report_dir = Path(report_dir)
    fleet = build_fleet(entries)
    report_dir.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        _ensure_target_artifacts(entry, report_dir)
    reports = {entry.name: entry.report for entry in entries}
    write_json(fleet, report_dir / "fleet.json")
    (report_dir / "fleet.html").write_text(render_fleet_html(fleet, reports), encoding="utf-8")
    (report_dir / "junit.xml").write_text(render_fleet_junit(fleet, reports), encoding="utf-8")
    (report_dir / "summary.md").write_text(render_fleet_markdown(fleet, reports), encoding="utf-8")
    return fleet


# -- merge: reports made elsewhere ----------------------------------------------------------------

def _report_problems(report: Any) -> list[str]:
    schema = json.loads((fixtures_dir() / "report.schema.json").read_text(encoding="utf-8"))
    errors = jsonschema.Draft202012Validator(schema).iter_errors(report)
    return [f"{'.'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}" for e in errors]


def default_name(report_json_path: Path, report: dict[str, Any]) -> str:
    """The folder the report sits in (a CI artifact `vendor-a/report.json`), the file's stem when it
    is not called report.json, else the host of the report's base URL."""
    path = Path(report_json_path)
    candidate = path.parent.resolve().name if path.name == "report.json" else path.stem
    if not _SAFE_NAME.sub("", candidate):
        candidate = urlsplit(str((report.get("target") or {}).get("base_url", ""))).netloc
    name = _SAFE_NAME.sub("-", candidate).strip("-.")
    return name or str(report.get("profile") or "target")


def entry_from_report(report_json_path: Path, report_dir: Path, name: str | None = None) -> FleetEntry:
    """A fleet entry from a report.json made elsewhere (`apiconform merge`).

    Raises ConfigError naming the file when it is unreadable or not an apiconform report.json.
    The entry's report lives at `<name>/report.json` in `report_dir` (as `audit` lays it out);
    write_fleet_artifacts puts it and the target's other artifacts there if they are missing.
    """
    path = Path(report_json_path)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read a report.json: {exc}") from exc
    problems = _report_problems(report)
    if problems:
        raise ConfigError(f"{path}: not an apiconform report.json: {problems[0]}")
    name = name or default_name(path, report)
    if _SAFE_NAME.search(name) or name in (".", ".."):
        raise ConfigError(f"{path}: target name {name!r} must be a folder name (letters, digits, . _ -)")
    # `report_dir` is not consulted: the layout inside it is fixed, `<name>/report.json`, so that
    # merge gives the same fleet.json as audit.
    verdict = report["verdict"]
    return FleetEntry(name=name, profile=report["profile"], base_url=report["target"]["base_url"],
                      exit_code=EXIT_CODES[verdict], report=report, report_path=f"{name}/report.json")
