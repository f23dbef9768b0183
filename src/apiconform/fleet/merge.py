"""`apiconform merge REPORT.json... --report-dir DIR`: the fleet artifacts from reports made
elsewhere (a CI matrix: one job per target, then one job merges).

Each report is checked (readable, valid against fixtures/report.schema.json) and named after
its folder (`reports/vendor-a/report.json` -> `vendor-a`); names must be unique. Its artifacts
are copied into `DIR/<name>/` (those missing are rendered from the report), so the links of
fleet.html and summary.md resolve inside DIR.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from apiconform.errors import ConfigError
from apiconform.fleet.fleet_file import FLEET_ARTIFACTS

# The files of a run's report folder (report/__init__.write_reports) that merge brings along.
TARGET_ARTIFACTS = ("report.json", "junit.xml", "report.html", "summary.md")


def merge(report_paths: Sequence[str], report_dir: Path, stream: IO[str] | None = None) -> int:
    """Check every report, then copy and write; returns the fleet's exit status."""
    from apiconform.fleet.audit import check_report_dir
    from apiconform.report.fleet import entry_from_report, fleet_exit_code, write_fleet_artifacts

    out = stream or sys.stdout
    entries, sources = [], []
    seen: dict[str, str] = {}
    for raw in report_paths:
        path = Path(raw)
        if not path.is_file():
            raise ConfigError(f"merge: {raw}: " + ("is a folder, not a report.json" if path.is_dir()
                                                   else "does not exist"))
        entry = entry_from_report(path, report_dir)
        folded = entry.name.casefold()
        if folded in seen:
            raise ConfigError(f"merge: {raw}: target name {entry.name!r} is also that of {seen[folded]} "
                              f"(a target is named after its report's folder; give each its own folder)")
        if folded in FLEET_ARTIFACTS:
            raise ConfigError(f"merge: {raw}: target name {entry.name!r} is the name of a fleet artifact")
        seen[folded] = raw
        entries.append(entry)
        sources.append(path.resolve())
    check_report_dir(report_dir)
    for entry, source in zip(entries, sources, strict=True):
        folder = report_dir / entry.name
        if folder.resolve() == source.parent:
            continue  # already in place (`merge DIR/*/report.json --report-dir DIR`)
        folder.mkdir(parents=True, exist_ok=True)
        for name in TARGET_ARTIFACTS:
            # report.json under whatever name it came; the others beside it, if the run wrote them.
            origin = source if name == "report.json" else source.parent / name
            if origin.is_file() and (name == "report.json" or source.name == "report.json"):
                shutil.copyfile(origin, folder / name)
            elif (folder / name).exists():
                (folder / name).unlink()  # stale from an earlier merge: rendered afresh from the report
    fleet = write_fleet_artifacts(entries, report_dir)
    code = fleet_exit_code(fleet)
    width = max(len(e.name) for e in entries)
    for target in fleet["targets"]:
        print(f"{target['name']:<{width}}  {target['profile']:<9}  {target['verdict']:<10}  exit {target['exit_code']}",
              file=out)
    print(f"fleet: {fleet['verdict']} (exit {code}), {len(entries)} targets; {report_dir / 'fleet.html'}", file=out)
    return code
