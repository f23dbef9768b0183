"""report.html: a self-contained, readable report (no network at view time)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem;color:#1b1b1b;max-width:100%}
h1{font-size:1.4rem;margin:0 0 .5rem}
table{border-collapse:collapse;width:100%;table-layout:fixed}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
.v-pass{color:#17692b}.v-fail{color:#b00020;font-weight:600}.v-error{color:#a05a00;font-weight:600}
.v-skip{color:#666}.v-waived{color:#5a3ea0}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f6;padding:.5rem;font-size:12px}
blockquote{margin:.2rem 0;color:#444;font-style:italic}
"""


def render_html(report: dict[str, Any]) -> str:
    rows = []
    for rule in report["rules"]:
        evidence = "".join(
            f"<pre>{escape(json.dumps(ex, indent=2, ensure_ascii=False))}</pre>" for ex in rule["evidence"]
        )
        rows.append(
            f'<tr data-verdict="{escape(rule["verdict"])}"><td>{escape(rule["id"])}<br>{escape(rule["level"])}</td>'
            f'<td>{escape(rule["title"])}<blockquote>“{escape(rule["clause"])}”</blockquote></td>'
            f'<td class="v-{escape(rule["verdict"])}">{escape(rule["verdict"])}</td>'
            f'<td>{escape(rule["reason"])}'
            + (f"<details><summary>evidence ({len(rule['evidence'])})</summary>{evidence}</details>"
               if evidence else "")
            + "</td></tr>"
        )
    counts = ", ".join(f"{n} {v}" for v, n in report["counts"].items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>apiconform {escape(report['profile'])}: {escape(report['verdict'])}</title>
<style>{_CSS}</style></head><body>
<h1>apiconform {escape(report['profile'])}: {escape(report['verdict'].upper())}</h1>
<p>Target {escape(report['target']['base_url'])} · kit {escape(report['tool']['version'])} ·
seed {report['seed']} · {escape(report['started_at'])} · {report['duration_s']}s ·
{report['requests_sent']} requests · {escape(counts)}</p>
<table><thead><tr><th style="width:14%">Rule</th><th style="width:40%">Title and clause</th>
<th style="width:8%">Verdict</th><th>Reason and evidence</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
</body></html>
"""
