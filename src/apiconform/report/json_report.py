"""report.json: the machine-readable record of a run (the public contract in DESIGN.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from apiconform import TOOL_NAME, __version__
from apiconform.redact import REDACTOR
from apiconform.results import RunResult

SCHEMA_VERSION = "1"
# Methods that cannot change the target's state (RFC 9110 safe methods).
# Methods that change nothing on a server: HTTP's safe methods and WebDAV's read-only ones (RFC 4918
# PROPFIND, RFC 5323 SEARCH, RFC 3253 REPORT), which a default Boomerang run sends to show GET-only
# rejection. A run that sent only these was read-only.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "SEARCH", "REPORT"})


def build_report(run: RunResult) -> dict[str, Any]:
    red = REDACTOR
    rules = []
    for result in run.results:
        rule = result.rule
        rules.append({
            "id": rule.id,
            "title": rule.title,
            "level": rule.level,
            "section": rule.section,
            "clause": rule.clause,
            "assumption": rule.assumption,
            "verdict": result.verdict,
            "reason": red.text(result.reason),
            "notes": [red.text(n) for n in result.notes],
            "tests": result.tests,
            "duration_ms": round(result.duration * 1000, 1),
            "requests": result.requests,
            "judged": result.judged,
            # Where it judged: each endpoint of the surface, its exchanges and verdict there.
            "endpoints": red.value(result.endpoints),
            "evidence_shown": len(result.evidence),
            "evidence": [ex.to_dict(red) for ex in result.evidence],
            # {rule, reason, expires, status: applied|expired|unused} when a waiver names the rule.
            "waiver": red.value(result.waiver) if result.waiver else None,
        })
    methods = sorted(run.methods.items())
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "profile": run.profile,
        "target": {"base_url": red.text(run.base_url), "mode": run.mode, "mutant": run.mutant},
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_s": round(run.duration, 3),
        "seed": run.seed,
        "verdict": run.verdict,
        "counts": run.counts,
        "requests_sent": run.requests_sent,
        "max_requests": run.max_requests,
        "paced_seconds": round(run.paced_seconds, 1),
        "phases": run.phases,
        "safety": {
            "allow_writes": run.allow_writes,
            "exhaust_rate_limit": run.exhaust_rate_limit,
            # What was sent, not what was permitted: a run with --allow-writes that sent no
            # write was still read-only, and the list below shows every method and path.
            "read_only": all(m in SAFE_METHODS for (m, _), _n in methods),
            "writes_allowed": run.allow_writes,
            "methods_sent": [{"method": m, "path": red.text(p), "count": n} for (m, p), n in methods],
        },
        "waivers_file": red.text(run.waivers_file) if run.waivers_file else None,
        "status_counts": {str(k): v for k, v in sorted(run.statuses.items())},
        "rules": rules,
    }
    report.update(red.value(run.extra))
    return report


def write_json(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
