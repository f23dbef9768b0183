"""The console summary: a line per rule (with --quiet, only the rules that did not pass), the
totals, what the run sent, and where the reports went."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from apiconform.redact import REDACTOR
from apiconform.report.json_report import SAFE_METHODS
from apiconform.results import RunResult

MARKS = {"pass": "PASS ", "fail": "FAIL ", "skip": "skip ", "error": "ERROR", "waived": "WAIVE"}


def safety_statement(mode: str, methods: Iterable[str], allow_writes: bool) -> tuple[str, str]:
    """What a run did to its target, as (headline, the rest): the console line, report.html's and
    summary.md's safety line. The embedded run turns every switch on, so its report lists DELETE,
    PATCH, POST and PUT: it says plainly that they went to the kit's own in-process mock, lest a
    first-time reader think an API of theirs was written to."""
    sent = sorted(set(methods))
    writes = [m for m in sent if m not in SAFE_METHODS]
    if mode == "embedded":
        what = f"The writes ({', '.join(writes)})" if writes else "Every request"
        return ("Writes went to the in-process reference mock only.",
                f"{what} went to the kit's own mock in this process, which the embedded run checks with every "
                "switch on (writes, a key run into 429, a second tenant); nothing left this machine. Against "
                "--base-url a run is read-only unless --allow-writes.")
    permitted = "writes were permitted" if allow_writes else "writes were not permitted"
    if writes:
        return ("Not read-only:", f"methods that can change data were sent ({', '.join(writes)}); {permitted}.")
    return ("Read-only:", f"only methods that change nothing were sent ({', '.join(sent) or 'none'}); {permitted}.")


def safety_line(run: RunResult) -> str:
    headline, rest = safety_statement(run.mode, (method for method, _path in run.methods), run.allow_writes)
    line = f"safety: {headline} {rest}"
    said = writes_statement(run.extra.get("writes"))
    return line + (f"\n{said}" if said else "")


def writes_statement(writes: Any) -> str:
    """One line on the writes a run sent (report.json `writes` has each): how many, of which
    methods, where, and whether everything the kit created was deleted again."""
    if not isinstance(writes, dict) or not writes.get("sent"):
        return ""
    sent = writes["sent"]
    methods = Counter(str(w.get("method")) for w in sent)
    where = sorted({str(w.get("endpoint")) for w in sent if w.get("endpoint")})
    return (f"writes: {len(sent)} sent ({', '.join(f'{n} {m}' for m, n in sorted(methods.items()))}) on "
            f"{', '.join(where) or 'the target'}; {writes.get('created', 0)} created by the kit; clean-up "
            f"{writes.get('cleanup', '')} (report.json: writes)")


def render_summary(run: RunResult, report_dir: Path | None = None, *, attention_only: bool = False) -> str:
    """The summary printed after a run. `attention_only` (--quiet): the rules that passed are left
    out, the totals say how many there were."""
    lines = []
    width = max((len(r.rule.id) for r in run.results), default=10)
    shown = [r for r in run.results if not (attention_only and r.verdict == "pass")]
    for result in shown:
        line = f"{MARKS.get(result.verdict, result.verdict):<6}{result.rule.id:<{width}}  {result.rule.title}"
        if result.verdict != "pass" and result.reason:
            line += f"\n{'':6}{'':{width}}  -> {result.reason}"
        if result.waiver:
            # Every waiver's effect is shown, so stale and expired ones get noticed.
            w = result.waiver
            line += f"\n{'':6}{'':{width}}  waiver ({w['status']}): {w['reason']} (until {w['expires']})"
        lines.append(line)
    counts = ", ".join(f"{n} {v}" for v, n in run.counts.items())
    if shown:
        lines.append("")
    lines.append(f"{run.profile}: {run.verdict.upper()}  ({counts}; {run.requests_sent} requests, "
                 f"{run.duration:.1f}s, seed {run.seed}, target {run.base_url}"
                 + (f", mutant {run.mutant}" if run.mutant else "") + ")")
    # The safety line is the kit's own words and method names, nothing the target sent: not passed
    # through redaction, which masks any 8-character run of a key (the Boomerang mock's token holds
    # the word "reference").
    lines = [REDACTOR.text("\n".join(lines)), safety_line(run)]
    if report_dir is not None:
        lines.append(REDACTOR.text(f"reports: {report_dir}/report.json, junit.xml, report.html, summary.md"))
    return "\n".join(lines)
