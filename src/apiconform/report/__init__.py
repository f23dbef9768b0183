"""Report artifacts of a run: report.json, junit.xml, report.html, summary.md (and the console summary)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from apiconform.report.html import render_html
from apiconform.report.json_report import build_report, write_json
from apiconform.report.junit import render_junit
from apiconform.report.markdown import render_markdown
from apiconform.results import RunResult


def default_report_dir(profile: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path("reports") / f"{profile}-{stamp}"


def write_reports(run: RunResult, report_dir: str | Path | None, per_profile: bool = False) -> Path:
    """Write every artifact of `run`; returns the folder. All content is redacted."""
    folder = Path(report_dir) if report_dir else default_report_dir(run.profile)
    if report_dir and per_profile:
        folder = folder / run.profile
    folder.mkdir(parents=True, exist_ok=True)
    report = build_report(run)
    write_json(report, folder / "report.json")
    (folder / "junit.xml").write_text(render_junit(report), encoding="utf-8")
    (folder / "report.html").write_text(render_html(report), encoding="utf-8")
    (folder / "summary.md").write_text(render_markdown(report), encoding="utf-8")
    return folder
