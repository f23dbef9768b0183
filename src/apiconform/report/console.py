"""The console summary: one line per rule, then the totals."""

from __future__ import annotations

from pathlib import Path

from apiconform.redact import REDACTOR
from apiconform.results import RunResult

MARKS = {"pass": "PASS ", "fail": "FAIL ", "skip": "skip ", "error": "ERROR", "waived": "WAIVE"}


def render_summary(run: RunResult, report_dir: Path | None = None) -> str:
    lines = []
    width = max((len(r.rule.id) for r in run.results), default=10)
    for result in run.results:
        line = f"{MARKS.get(result.verdict, result.verdict):<6}{result.rule.id:<{width}}  {result.rule.title}"
        if result.verdict != "pass" and result.reason:
            line += f"\n{'':6}{'':{width}}  -> {result.reason}"
        if result.waiver:
            # Every waiver's effect is shown, so stale and expired ones get noticed.
            w = result.waiver
            line += f"\n{'':6}{'':{width}}  waiver ({w['status']}): {w['reason']} (until {w['expires']})"
        lines.append(line)
    counts = ", ".join(f"{n} {v}" for v, n in run.counts.items())
    lines.append("")
    lines.append(f"{run.profile}: {run.verdict.upper()}  ({counts}; {run.requests_sent} requests, "
                 f"{run.duration:.1f}s, seed {run.seed}, target {run.base_url}"
                 + (f", mutant {run.mutant}" if run.mutant else "") + ")")
    if report_dir is not None:
        lines.append(f"reports: {report_dir}/report.json, junit.xml, report.html, summary.md")
    return REDACTOR.text("\n".join(lines))
