"""`apiconform merge REPORT.json... --report-dir DIR`: the fleet artifacts from reports made
elsewhere (a CI matrix: one job per target, then one job merges).

Each report is checked (readable, valid against fixtures/report.schema.json) and named after
its folder (`reports/vendor-a/report.json` -> `vendor-a`); names must be unique. Its artifacts
are copied into `DIR/<name>/` (those missing are rendered from the report), so the links of
fleet.html and summary.md resolve inside DIR.

With `--fleet FLEET.toml` or `--expect NAME,NAME...` the merge knows which targets there should
be, as `audit` does: each of them without a report (its job died before writing one) is
`incomplete` with the reason in every artifact, and the fleet exits 3 (1 if a target failed). A
report of a target that is not expected, or of another profile than its fleet entry, is exit 2.
The targets are then listed in the order of the fleet file (or of `--expect`).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from apiconform.errors import ConfigError
from apiconform.fleet.fleet_file import FLEET_ARTIFACTS

if TYPE_CHECKING:
    from apiconform.report.fleet import FleetEntry

# The files of a run's report folder (report/__init__.write_reports) that merge brings along.
TARGET_ARTIFACTS = ("report.json", "junit.xml", "report.html", "summary.md")
# The reason of an expected target that has no report (every fleet artifact shows it).
NO_REPORT_REASON = "no report: the job for this target wrote none"
PROFILE_NAMES = ("booga", "boomerang")  # = catalog.PROFILES, not imported: merge needs no catalog
# A target name, as the fleet file's schema has it: a folder name.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclasses.dataclass(frozen=True)
class Expected:
    """A target the merge expects a report of (`--fleet`, `--expect`)."""

    name: str
    profile: str | None  # None: `--expect NAME` without a profile (told from the reports)
    base_url: str = ""


@dataclasses.dataclass(frozen=True)
class Expectation:
    targets: list[Expected]
    source: str  # how the targets were named: "the fleet file F" or "--expect"


def expected_from_fleet(path: str) -> Expectation:
    """`--fleet FLEET.toml`: the file checked as `audit` checks it, but for the credential variables
    and the target files, which the merging job need not have (nothing is sent)."""
    from apiconform.fleet.fleet_file import load_fleet

    fleet = load_fleet(path, for_run=False)
    return Expectation([Expected(t.name, t.profile, t.base_url) for t in fleet.targets], f"the fleet file {path}")


def expected_from_names(text: str) -> Expectation:
    """`--expect NAME[:PROFILE],...`: the targets' names, each with its profile if the reports
    cannot tell it (a target without a report, in a fleet of both profiles)."""
    items = [item.strip() for item in text.split(",")]
    if not any(items):
        raise ConfigError(f"--expect: no target named in {text!r} (write NAME,NAME... or NAME:PROFILE,...)")
    targets: list[Expected] = []
    seen: set[str] = set()
    for item in items:
        if not item:
            raise ConfigError(f"--expect: an empty name in {text!r} (write NAME,NAME...)")
        name, _, profile = (part.strip() for part in item.partition(":"))
        if not _NAME.fullmatch(name):
            raise ConfigError(f"--expect: {name!r} is not a target name (1-64 letters, digits, . _ -: the "
                              f"folder of its report)")
        if ":" in item and profile not in PROFILE_NAMES:
            raise ConfigError(f"--expect: {item!r}: the profile must be one of {', '.join(PROFILE_NAMES)}")
        if name.casefold() in seen:
            raise ConfigError(f"--expect: {name!r} is named twice")
        seen.add(name.casefold())
        targets.append(Expected(name, profile or None))
    return Expectation(targets, "--expect")


def _expected_entries(entries: list[FleetEntry], raws: list[str],
                      expectation: Expectation) -> tuple[list[FleetEntry], list[FleetEntry]]:
    """Each report matched to its target (a name's case aside), in the order given, and the fleet's
    entries in the expected order, each expected target without a report `incomplete`, with the
    reason."""
    from apiconform.report.fleet import EXIT_CODES, FleetEntry

    expected = {e.name.casefold(): e for e in expectation.targets}
    found: dict[str, FleetEntry] = {}
    matched = []
    for entry, raw in zip(entries, raws, strict=True):
        want = expected.get(entry.name.casefold())
        if want is None:
            raise ConfigError(f"merge: {raw}: target {entry.name!r} is not in {expectation.source} (a target is "
                              f"named after its report's folder; expected: "
                              f"{', '.join(e.name for e in expectation.targets)})")
        if want.profile is not None and want.profile != entry.profile:
            raise ConfigError(f"merge: {raw}: target {entry.name!r} is a {entry.profile} report, but "
                              f"{expectation.source} names it {want.profile}")
        if want.name != entry.name:  # the fleet's spelling names the folder
            entry = dataclasses.replace(entry, name=want.name, report_path=f"{want.name}/report.json")
        found[want.name] = entry
        matched.append(entry)
    profiles = {e.profile for e in entries} | {e.profile for e in expectation.targets if e.profile}
    out = []
    for want in expectation.targets:
        if want.name in found:
            out.append(found[want.name])
            continue
        profile = want.profile or (next(iter(profiles)) if len(profiles) == 1 else None)
        if profile is None:
            raise ConfigError(f"--expect: {want.name} has no report and its profile cannot be told from the "
                              f"others: write {want.name}:booga or {want.name}:boomerang")
        out.append(FleetEntry(name=want.name, profile=profile, base_url=want.base_url,
                              exit_code=EXIT_CODES["incomplete"], report=None, report_path=None,
                              reason=NO_REPORT_REASON))
    return matched, out


def merge(report_paths: Sequence[str], report_dir: Path, stream: IO[str] | None = None,
          expectation: Expectation | None = None) -> int:
    """Check every report, then copy and write; returns the fleet's exit status."""
    from apiconform.fleet.audit import check_report_dir
    from apiconform.report.fleet import entry_from_report, fleet_exit_code, write_fleet_artifacts

    out = stream or sys.stdout
    if not report_paths and expectation is None:
        raise ConfigError("merge: no report.json named (name the reports; with --fleet or --expect, none "
                          "at all makes every target incomplete)")
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
    matched = entries
    if expectation is not None:
        matched, entries = _expected_entries(entries, list(report_paths), expectation)
    check_report_dir(report_dir)
    for entry, source in zip(matched, sources, strict=True):
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
