"""summary.md: a short Markdown summary for CI job pages (e.g. $GITHUB_STEP_SUMMARY).

Only what a reader of a CI page needs at a glance: the verdict, counts, target and seed, and
the rules that need attention (failing, erroring, waived) with their reasons. The full record
is report.json / report.html.
"""

from __future__ import annotations

from typing import Any

from apiconform.report.console import safety_statement, writes_statement

ICONS = {"pass": "✅", "fail": "❌", "incomplete": "⚠️", "error": "⚠️", "skip": "⏭️", "waived": "📝"}
# A reason longer than this is cut: a job summary is a glance, report.html has the rest.
MAX_REASON = 300


def md_text(text: object, limit: int = MAX_REASON) -> str:
    """Text safe inside a Markdown table cell: one line, no pipes, no HTML, bounded."""
    value = " ".join(str(text).split())
    if len(value) > limit:
        value = value[:limit] + "…"
    for char, escaped in (("\\", "\\\\"), ("|", "\\|"), ("<", "&lt;"), (">", "&gt;"), ("`", "\\`")):
        value = value.replace(char, escaped)
    return value


def _table(rules: list[dict[str, Any]], last: str, cell: Any) -> list[str]:
    lines = [f"| rule | level | title | {last} |", "|---|---|---|---|"]
    for rule in rules:
        lines.append(f"| `{rule['id']}` | {rule['level']} | {md_text(rule['title'])} | {cell(rule)} |")
    return [*lines, ""]


def _judged(rule: dict[str, Any]) -> str:
    if not isinstance(rule.get("judged"), int):
        return ""
    rows = rule.get("endpoints") or []
    bad = [r["endpoint"] for r in rows if r["verdict"] in ("fail", "error")]
    where = f" on {len(rows)} endpoints" if rows else ""
    at = f"; at {', '.join(f'`{md_text(e, 80)}`' for e in bad[:3])}" if bad else ""
    return f" (judged {rule['judged']} exchanges{where}{at})"


def render_markdown(report: dict[str, Any]) -> str:
    rules = report["rules"]
    verdict = report["verdict"]
    target = report["target"]
    counts = ", ".join(f"{n} {v}" for v, n in report["counts"].items())
    mode = target.get("mode", "")
    if target.get("mutant"):
        mode += f", mutant `{target['mutant']}`"
    lines = [
        f"## {ICONS.get(verdict, '')} apiconform {report['profile']}: {verdict.upper()}",
        "",
        f"**{counts}** — {len(rules)} rules, {report['requests_sent']} requests, {report['duration_s']}s",
        "",
        f"- target: `{md_text(target['base_url'])}` ({mode})",
        f"- seed: `{report['seed']}` (replay with `--seed {report['seed']}`)",
        f"- kit: {report['tool']['name']} {report['tool']['version']}, started {report['started_at']}",
    ]
    safety = report.get("safety") or {}
    headline, rest = safety_statement(target.get("mode", ""), (m["method"] for m in safety.get("methods_sent") or []),
                                      bool(safety.get("allow_writes")))
    lines.append(f"- safety: **{md_text(headline)}** {md_text(rest)}")
    if said := writes_statement(report.get("writes")):
        lines.append(f"- {md_text(said, limit=10_000)}")
    surface = report.get("surface") or {}
    if surface:
        kinds = ", ".join(f"{n} {k}" for k, n in (surface.get("kinds") or {}).items() if n)
        lines.append(f"- endpoints: {surface.get('endpoints', 0)} ({kinds}) from {md_text(surface.get('source', ''))}")
    if report.get("waivers_file"):
        lines.append(f"- waivers: `{md_text(report['waivers_file'])}`")
    lines.append("")
    problems = [r for r in rules if r["verdict"] in ("fail", "error")]
    if problems:
        lines.append(f"### Failing and erroring rules ({len(problems)})")
        lines.append("")
        lines += _table(problems, "verdict: reason",
                        lambda r: f"{ICONS[r['verdict']]} **{r['verdict']}**{_judged(r)}: {md_text(r['reason'])}")
    waived = [r for r in rules if r["verdict"] == "waived"]
    if waived:
        lines.append(f"### Waived failures ({len(waived)})")
        lines.append("")
        lines += _table(waived, "failure; waiver", lambda r: (
            f"{md_text(r['reason'])}; **waived**: {md_text((r.get('waiver') or {}).get('reason', ''))} "
            f"(until {(r.get('waiver') or {}).get('expires', '?')})"))
    stale = [r for r in rules if (r.get("waiver") or {}).get("status") == "expired"]
    if stale:
        lines.append("Expired waivers (no longer applied): "
                     + ", ".join(f"`{r['id']}` (expired {r['waiver']['expires']})" for r in stale))
        lines.append("")
    skipped = [r for r in rules if r["verdict"] == "skip"]
    if skipped:
        lines.append(f"### Skipped rules ({len(skipped)})")
        lines.append("")
        lines += _table(skipped, "reason", lambda r: md_text(r["reason"]))
    coverage = report.get("coverage") or {}
    if coverage.get("uncovered"):
        lines.append(f"**Endpoints no rule judged** ({len(coverage['uncovered'])}): "
                     + ", ".join(f"`{md_text(e, 80)}`" for e in coverage["uncovered"][:10]))
        lines.append("")
    if coverage.get("incomplete"):
        lines.append(f"**Endpoints where some rule could not be judged** ({len(coverage['incomplete'])}): "
                     + ", ".join(f"`{md_text(e['endpoint'], 80)}`" for e in coverage["incomplete"][:10]))
        lines.append("")
    if not problems and not waived:
        lines.append("Every applicable rule passed." if verdict == "pass" else "")
        lines.append("")
    lines.append("Full record: report.json, junit.xml and report.html in the report folder.")
    return "\n".join(lines).rstrip() + "\n"
