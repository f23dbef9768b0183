"""report.html: a self-contained, readable report (no network at view time).

Everything is inline (CSS, a few lines of JS) and a Content-Security-Policy forbids any
fetch, so the file can be mailed to an auditor or opened from a CI artifact offline. Every
value comes from the already-redacted report dict and is HTML-escaped. Without JS every
row shows; with JS a verdict filter appears. Long URLs, headers and bodies wrap, so a
1366-pixel-wide laptop screen never scrolls sideways. Column headers and the coverage table's
kinds wrap only between words ("auth", "paginated list" are never cut); on a narrow screen the
coverage table scrolls inside its own box instead.
"""

from __future__ import annotations

import json
from collections import defaultdict
from html import escape
from typing import Any

from apiconform.report.console import safety_statement

VERDICT_ORDER = ("pass", "fail", "error", "skip", "waived")
# Bodies are already capped in report.json; the HTML keeps a tighter cap so a page of
# evidence stays light. report.json has the longer version.
HTML_BODY_CHARS = 3000

# No external source of any kind: inline style and script only, no fetch, no images but data:.
_CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'")

_CSS = """
*{box-sizing:border-box}
[hidden]{display:none!important}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:1rem 1.25rem;
color:#1b1b1b;background:#fff}
h1{font-size:1.35rem;margin:0 0 .6rem}
h2{font-size:1.05rem;margin:1.2rem 0 .4rem}
code,pre,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:.8rem;font-weight:600;font-size:.85em;
border:1px solid currentColor;white-space:nowrap}
.v-pass{color:#17692b}.v-fail{color:#b00020}.v-error,.v-incomplete{color:#9a4f00}
.v-skip{color:#5b5b5b}.v-waived{color:#5a3ea0}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.3rem 1rem;margin:0 0 .6rem}
.facts div{min-width:0}
.facts .wide{grid-column:1/-1}
.facts dt{font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:#666}
.facts dd{margin:0;overflow-wrap:anywhere}
.counts .badge{margin-right:.35rem}
.safety{margin:.5rem 0}
.safety summary{cursor:pointer}
.methods{columns:22rem auto;column-gap:1.5rem;margin:.4rem 0;padding-left:1.2rem}
.methods li{overflow-wrap:anywhere;break-inside:avoid}
.attention{border-left:4px solid #b00020;background:#fdf3f4;padding:.4rem .8rem;margin:.8rem 0}
.attention ul{margin:.2rem 0;padding-left:1.2rem}
.attention li{overflow-wrap:anywhere}
#filter{margin:.8rem 0 .4rem;display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}
#filter button{font:inherit;padding:.2rem .7rem;border:1px solid #999;border-radius:.3rem;background:#f4f4f4;
cursor:pointer}
#filter button[aria-pressed=true]{background:#1b1b1b;color:#fff;border-color:#1b1b1b}
table{border-collapse:collapse;width:100%;table-layout:fixed}
th,td{padding:.4rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere;min-width:0}
thead th{border-bottom:2px solid #333;font-size:.85rem;overflow-wrap:normal;word-break:normal}
tbody.rule{border-bottom:1px solid #ddd}
tbody.rule tr.ev td{padding-top:0}
.rid{font-weight:600;font-size:.85rem}
.meta{color:#666;font-size:.8rem}
blockquote{margin:.25rem 0;padding-left:.6rem;border-left:3px solid #ccc;color:#333;font-style:italic}
.assumption{font-size:.85rem;color:#555}
.notes{margin:.3rem 0 0;padding-left:1.1rem;font-size:.85rem;color:#444}
.waiver{font-size:.85rem;color:#5a3ea0}
details.evidence>summary{cursor:pointer;color:#333;font-size:.85rem}
.exchange{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:.5rem;
margin:.4rem 0 .8rem}
.exchange>div{min-width:0}
.exchange h3{font-size:.8rem;margin:.1rem 0;color:#555;font-weight:600}
pre{white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;background:#f6f6f6;padding:.5rem;
margin:0;font-size:12px;max-height:28rem;overflow-y:auto}
#empty{color:#666;font-style:italic}
details.where ul{margin:.1rem 0;padding-left:1rem;font-size:.8rem}
details.where li{overflow-wrap:anywhere}
.scroll{max-width:100%;overflow-x:auto}
table.coverage{font-size:.8rem;table-layout:auto}
table.coverage th,table.coverage td{padding:.2rem .35rem;border-bottom:1px solid #eee}
table.coverage td.cell{text-align:center;white-space:nowrap}
table.coverage thead th{white-space:nowrap}
table.coverage td.kind{overflow-wrap:normal}
table.coverage .ep{min-width:14rem}
.v-none{color:#aaa}
footer{margin-top:1.2rem;color:#777;font-size:.8rem}
"""

# Progressive enhancement: the filter bar is `hidden` in the markup and shown by this script.
# `#verdict=fail` in the address selects a filter, so a filtered view can be linked to.
_JS = """
(function(){
  var bar=document.getElementById('filter'), empty=document.getElementById('empty');
  var rows=Array.prototype.slice.call(document.querySelectorAll('tbody.rule'));
  var buttons=Array.prototype.slice.call(bar.querySelectorAll('button'));
  function show(verdict){
    var shown=0;
    rows.forEach(function(row){
      var hide=verdict!=='all' && row.getAttribute('data-verdict')!==verdict;
      row.hidden=hide; if(!hide){shown++;}
    });
    buttons.forEach(function(b){
      b.setAttribute('aria-pressed', String(b.getAttribute('data-filter')===verdict));
    });
    empty.hidden=shown>0;
  }
  buttons.forEach(function(b){b.addEventListener('click',function(){show(b.getAttribute('data-filter'));});});
  Array.prototype.forEach.call(document.querySelectorAll('a.jump'),function(a){
    a.addEventListener('click',function(){show('all');});
  });
  bar.hidden=false;
  var m=/^#verdict=(\\w+)$/.exec(location.hash);
  show(m ? m[1] : 'all');
})();
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def reindent(text: str) -> str:
    """JSON-looking text laid out two spaces a level, even when it does not parse (cut short at
    the report's body cap, say): a line per member, strings left as they are."""
    out: list[str] = []
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
            out.append(char)
        elif char in "{[":
            depth = min(depth + 1, 40)
            out.append(char + "\n" + "  " * depth)
        elif char in "}]":
            depth = max(depth - 1, 0)
            out.append("\n" + "  " * depth + char)
        elif char == ",":
            out.append(",\n" + "  " * depth)
        elif char == ":":
            out.append(": ")
        elif not char.isspace():
            out.append(char)
    return "".join(out)


def _body(text: str | None) -> str:
    if not text:
        return ""
    # Pretty-print JSON so an auditor can read it; anything else as it came (already redacted).
    try:
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):  # a body nested too deep, or cut at report.json's cap
        if text.lstrip().startswith(("{", "[")):
            text = reindent(text)
    if len(text) > HTML_BODY_CHARS:
        text = text[:HTML_BODY_CHARS] + f"\n… [{len(text) - HTML_BODY_CHARS} more characters in report.json]"
    return text


def _exchange(ex: dict[str, Any], index: int) -> str:
    req, resp = ex["request"], ex.get("response")
    lines = [f"{req['method']} {req['url']}"]
    lines += [f"{k}: {v}" for k, v in (req.get("headers") or {}).items()]
    if req.get("body"):
        lines += ["", _body(req["body"])]
    request = "\n".join(lines)
    if resp is None:
        response = f"no response: {ex.get('error') or 'unknown'}"
    else:
        lines = [f"HTTP {resp['status']}   ({resp.get('elapsed_ms', 0)} ms, {resp.get('body_bytes', 0)} bytes"
                 + (", truncated by the kit" if resp.get("truncated") else "") + ")"]
        if resp.get("decode_error"):
            lines.append(f"(body did not decode: {resp['decode_error']})")
        lines += [f"{k}: {v}" for k, v in (resp.get("headers") or {}).items()]
        if resp.get("body"):
            lines += ["", _body(resp["body"])]
        response = "\n".join(lines)
    why = f" — {_e(ex['note'])}" if ex.get("note") else ""
    return (f'<div class="exchange"><div><h3>Request {index}{why}</h3><pre>{_e(request)}</pre></div>'
            f"<div><h3>Response {index}</h3><pre>{_e(response)}</pre></div></div>")


def _rule_rows(rule: dict[str, Any]) -> str:
    verdict = rule["verdict"]
    clause = f"<blockquote>“{_e(rule['clause'])}”</blockquote>"
    if rule.get("assumption"):
        clause += f'<div class="assumption"><b>Assumption:</b> {_e(rule["assumption"])}</div>'
    reason = _e(rule["reason"]) if rule["reason"] else ""
    if not reason and verdict == "pass":
        reason = '<span class="meta">—</span>'
    waiver = rule.get("waiver")
    if waiver:
        reason += (f'<div class="waiver"><b>Waiver ({_e(waiver.get("status", ""))}):</b> '
                   f'{_e(waiver.get("reason", ""))} (until {_e(waiver.get("expires", ""))})</div>')
    notes = rule.get("notes") or []
    if notes:
        reason += '<ul class="notes">' + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>"
    section = f" · {_e(rule['section'])}" if rule.get("section") else ""
    judged = f'<div class="meta">judged {int(rule["judged"])} exchange{"" if rule["judged"] == 1 else "s"}</div>' \
        if isinstance(rule.get("judged"), int) else ""
    judged += _endpoints(rule.get("endpoints") or [])
    evidence = rule.get("evidence") or []
    ev_row = ""
    if evidence:
        exchanges = "".join(_exchange(ex, i) for i, ex in enumerate(evidence, start=1))
        of = f" of {int(rule['judged'])} judged" if isinstance(rule.get("judged"), int) and \
            rule["judged"] > len(evidence) else ""
        ev_row = (f'<tr class="ev"><td colspan="4"><details class="evidence"><summary>Evidence: '
                  f"{len(evidence)} exchange{'s' if len(evidence) != 1 else ''}{of} (redacted)</summary>"
                  f"{exchanges}</details></td></tr>")
    return (
        f'<tbody class="rule" id="rule-{_e(rule["id"])}" data-verdict="{_e(verdict)}">'
        f'<tr><td><div class="rid mono">{_e(rule["id"])}</div>'
        f'<div class="meta">{_e(rule["level"].upper())}{section}</div>{judged}</td>'
        f"<td><b>{_e(rule['title'])}</b>{clause}</td>"
        f'<td><span class="badge v-{_e(verdict)}">{_e(verdict)}</span></td>'
        f"<td>{reason}</td></tr>{ev_row}</tbody>"
    )


def _endpoints(rows: list[dict[str, Any]]) -> str:
    """Where the rule judged: each endpoint and its verdict there (failures first)."""
    if not rows:
        return ""
    order = {"fail": 0, "error": 1, "skip": 2, "pass": 3}
    items = "".join(
        f'<li><span class="v-{_e(r["verdict"])}">{_e(r["verdict"])}</span> <span class="mono">{_e(r["endpoint"])}'
        f'</span>{" — " + _e(r["reason"]) if r.get("reason") and r["verdict"] != "pass" else ""}</li>'
        for r in sorted(rows, key=lambda r: order.get(r["verdict"], 4)))
    return (f'<details class="where"><summary class="meta">on {len(rows)} endpoint{"s" * (len(rows) != 1)}'
            f"</summary><ul>{items}</ul></details>")


def _coverage(report: dict[str, Any]) -> str:
    """The coverage table: every endpoint found, its kind, and each rule family's verdict there."""
    coverage = report.get("coverage") or {}
    families: list[str] = coverage.get("families") or []
    endpoints: list[dict[str, Any]] = coverage.get("endpoints") or []
    if not endpoints:
        return ""
    surface = report.get("surface") or {}
    head = "".join(f'<th title="{_e(f)} rules">{_e(f.lower())}</th>' for f in families)
    body = []
    for row in endpoints:
        cells = "".join(
            f'<td class="cell v-{_e(v or "none")}" title="{_e(f)}: {_e(v or "not judged")}">'
            f'{_e(v or "–")}</td>' for f, v in ((f, row["families"].get(f)) for f in families))
        why = f'<div class="meta">{_e("; ".join(row.get("reasons") or []))}</div>' if row.get("reasons") else ""
        body.append(f'<tr data-endpoint="{_e(row["endpoint"])}"><td class="mono">{_e(row["endpoint"])}{why}</td>'
                    f'<td class="kind">{_e(row.get("kind_words") or row["kind"])}</td>{cells}</tr>')
    uncovered = coverage.get("uncovered") or []
    missing = (f'<p class="attention">Not covered ({len(uncovered)}): '
               f'{_e(", ".join(uncovered))}</p>') if uncovered else ""
    partial = coverage.get("incomplete") or []
    if partial:
        missing += (f'<p class="attention">Not every rule could be judged on {len(partial)} endpoint'
                    f'{"s" * (len(partial) != 1)}: {_e(", ".join(p["endpoint"] for p in partial))}</p>')
    return (f'<section id="coverage"><h2>Coverage: {len(endpoints)} endpoints × rule families</h2>'
            f'<p class="meta">Endpoints from {_e(surface.get("source", "the run"))}. A cell is the worst verdict '
            f'of the family\'s rules on that endpoint; – where none of them judged it.</p>{missing}'
            f'<div class="scroll"><table class="coverage"><thead><tr><th class="ep">Endpoint</th><th class="kind">'
            f'Kind</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div></section>')


def _safety(report: dict[str, Any]) -> str:
    safety = report.get("safety") or {}
    sent = safety.get("methods_sent") or []
    by_method: dict[str, list[str]] = defaultdict(list)
    for item in sent:
        by_method[item["method"]].append(f"{item['path']} ({item['count']})")
    headline, rest = safety_statement(report["target"].get("mode", ""), by_method, bool(safety.get("allow_writes")))
    statement = f"<b>{_e(headline)}</b> {_e(rest)}"
    items = "".join(f"<li><b class=\"mono\">{_e(m)}</b> {_e(', '.join(paths))}</li>"
                    for m, paths in sorted(by_method.items()))
    return (f'<details class="safety"><summary>{statement} Methods sent to which paths '
            f"({len(sent)})</summary><ul class=\"methods\">{items}</ul></details>")


def _facts(report: dict[str, Any]) -> str:
    target = report["target"]
    mode = target.get("mode", "")
    if mode == "embedded":
        mode = "embedded reference mock (in-process; nothing left the machine)"
    elif mode == "live":
        mode = "live target over the network"
    if target.get("mutant"):
        mode += f"; mutant {target['mutant']}"
    statuses = ", ".join(f"{k}×{v}" for k, v in (report.get("status_counts") or {}).items())
    facts = [
        ("Target", target["base_url"]), ("Mode", mode), ("Profile", report["profile"]),
        ("Kit", f"{report['tool']['name']} {report['tool']['version']}"),
        ("Seed", f"{report['seed']} (replay with --seed {report['seed']})"),
        ("Started", report["started_at"]), ("Duration", f"{report['duration_s']} s"),
        ("Requests sent", f"{report['requests_sent']} of a budget of {report.get('max_requests', '?')}"),
        ("Responses", statuses or "none"),
    ]
    if report.get("paced_seconds"):
        facts.append(("Paced", f"{report['paced_seconds']} s waiting on rate limits"))
    if report.get("waivers_file"):
        facts.append(("Waivers", report["waivers_file"]))
    # The target gets a line of its own: a URL broken across lines is hard to read and to copy.
    return '<dl class="facts">' + "".join(
        f'<div{" class=wide" if k == "Target" else ""}><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>'
        for k, v in facts) + "</dl>"


def _attention(rules: list[dict[str, Any]]) -> str:
    flagged = [r for r in rules if r["verdict"] in ("fail", "error", "waived")]
    if not flagged:
        return ""
    items = "".join(
        f'<li><a class="jump mono" href="#rule-{_e(r["id"])}">{_e(r["id"])}</a> '
        f'<span class="badge v-{_e(r["verdict"])}">{_e(r["verdict"])}</span> {_e(r["reason"])}</li>'
        for r in flagged)
    return f'<section class="attention"><b>Needs attention ({len(flagged)})</b><ul>{items}</ul></section>'


def render_html(report: dict[str, Any]) -> str:
    rules = report["rules"]
    verdict = report["verdict"]
    counts = {v: sum(1 for r in rules if r["verdict"] == v) for v in VERDICT_ORDER}
    badges = "".join(f'<span class="badge v-{v}">{n} {v}</span>' for v, n in counts.items()
                     if n or v in ("pass", "fail", "error", "skip"))
    buttons = f'<button type="button" data-filter="all" aria-pressed="true">all ({len(rules)})</button>'
    buttons += "".join(
        f'<button type="button" data-filter="{v}" aria-pressed="false">{v} ({n})</button>'
        for v, n in counts.items() if n or v != "waived")
    title = f"apiconform {report['profile']}: {verdict.upper()}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<title>{_e(title)}</title>
<style>{_CSS}</style></head><body>
<header>
<h1>apiconform · {_e(report['profile'])} ·
<span class="badge v-{_e(verdict)}">{_e(verdict.upper())}</span></h1>
{_facts(report)}
<p class="counts">{len(rules)} rules: {badges}</p>
{_safety(report)}
</header>
{_attention(rules)}
{_coverage(report)}
<nav id="filter" hidden aria-label="Filter rules by verdict"><span>Show:</span>{buttons}</nav>
<table class="rules">
<colgroup><col style="width:16%"><col style="width:36%"><col style="width:8%"><col></colgroup>
<thead><tr><th>Rule</th><th>Title and quoted clause</th><th>Verdict</th>
<th>Reason, notes, evidence</th></tr></thead>
{''.join(_rule_rows(r) for r in rules)}
</table>
<p id="empty" hidden>No rule has this verdict.</p>
<footer>Generated by {_e(report['tool']['name'])} {_e(report['tool']['version'])}. Credentials are redacted
by value in every field. The machine-readable record is report.json.</footer>
<script>{_JS}</script>
</body></html>
"""
