"""Waivers: an audited, time-limited acceptance of a known rule failure.

A waivers file (`--waivers FILE`, TOML or YAML) lists entries of rule id, reason and expiry
date. A current waiver turns that rule's `fail` into `waived` — never `pass`: every report
still shows the failure, its evidence and the waiver. An expired waiver does not apply, so
the rule fails again, and a note says so; a waiver of a rule that did not fail changes
nothing and is noted too, so that stale waivers get noticed and removed.

TOML:

    [[waiver]]
    rule = "BMR-GZIP"
    reason = "gzip fix ships in 2.4 (TICKET-123)"
    expires = 2026-12-31

YAML:

    waivers:
      - rule: BMR-GZIP
        reason: gzip fix ships in 2.4 (TICKET-123)
        expires: 2026-12-31
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from apiconform import yamlfile
from apiconform.errors import ConfigError
from apiconform.results import WAIVED, RunResult


@dataclass(frozen=True)
class Waiver:
    rule: str
    reason: str
    expires: date

    def expired(self, today: date) -> bool:
        # "until 2026-12-31" includes that day.
        return today > self.expires

    def describe(self) -> str:
        return f"{self.reason} (until {self.expires.isoformat()})"


def today_utc() -> date:
    # UTC, like every timestamp in the reports: a CI runner's local zone must not decide.
    return datetime.now(UTC).date()


def _parse(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"waivers file {path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"waivers file {path} cannot be read: {exc}") from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            return yamlfile.safe_load(text)
        except yamlfile.YAMLError as exc:
            raise ConfigError(f"waivers file {path} is not valid YAML: {exc}") from exc
    import tomllib  # here: only a run with a waivers file reads TOML

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"waivers file {path} is not valid TOML (use .yaml/.yml for YAML): {exc}") from exc


def _expiry(value: Any, where: str) -> date:
    if isinstance(value, datetime):  # TOML/YAML datetimes: only the day counts
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"{where}: expires must be a date YYYY-MM-DD, got {value!r}")


def parse_waivers(data: Any, source: str = "waivers file") -> list[Waiver]:
    if isinstance(data, dict):
        keys = set(data) & {"waiver", "waivers"}
        unknown = set(data) - {"waiver", "waivers"}
        if unknown or len(keys) != 1:
            raise ConfigError(f"{source}: expected one top-level list `waiver` (TOML [[waiver]]) or "
                              f"`waivers`, found {sorted(map(str, data)) or 'nothing'}")
        data = data[keys.pop()]
    if data is None:
        data = []
    if not isinstance(data, list):
        raise ConfigError(f"{source}: the waivers must be a list of entries")
    waivers: list[Waiver] = []
    for index, entry in enumerate(data, start=1):
        where = f"{source}: entry {index}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a table/mapping with rule, reason, expires")
        extra = set(entry) - {"rule", "id", "reason", "expires"}
        if extra:
            raise ConfigError(f"{where}: unknown keys {sorted(map(str, extra))}")
        rule = entry.get("rule", entry.get("id"))
        reason = entry.get("reason")
        if not isinstance(rule, str) or not rule.strip():
            raise ConfigError(f"{where}: `rule` (the rule id) is required")
        # An audit trail needs the why and the until: neither may be left out.
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{where} ({rule}): `reason` is required")
        if "expires" not in entry:
            raise ConfigError(f"{where} ({rule}): `expires` (YYYY-MM-DD) is required")
        waivers.append(Waiver(rule.strip(), " ".join(reason.split()), _expiry(entry["expires"], where)))
    seen: set[str] = set()
    for waiver in waivers:
        if waiver.rule in seen:
            raise ConfigError(f"{source}: rule {waiver.rule} is waived more than once")
        seen.add(waiver.rule)
    return waivers


def load_waivers(path: str | Path, known_ids: Iterable[str] | None = None) -> list[Waiver]:
    """Read and validate a waivers file; ConfigError (exit 2) on any problem, before a request."""
    file = Path(path)
    waivers = parse_waivers(_parse(file), f"waivers file {file}")
    if known_ids is None:
        from apiconform.catalog import PROFILES, load_catalog

        known_ids = [rule_id for p in PROFILES for rule_id in load_catalog(p).ids]
    known = set(known_ids)
    unknown = [w.rule for w in waivers if w.rule not in known]
    if unknown:
        raise ConfigError(f"waivers file {file}: unknown rule id(s) {', '.join(unknown)} "
                          "(see `apiconform rules`)")
    return waivers


def apply_waivers(run: RunResult, waivers: Iterable[Waiver], today: date | None = None) -> None:
    """Turn the failures a current waiver covers into `waived`, and note every waiver's effect."""
    day = today or today_utc()
    by_rule = {w.rule: w for w in waivers}
    for result in run.results:
        waiver = by_rule.get(result.rule.id)
        if waiver is None:
            continue
        entry = {"rule": waiver.rule, "reason": waiver.reason, "expires": waiver.expires.isoformat()}
        if waiver.expired(day):
            entry["status"] = "expired"
            result.notes.append(f"waiver expired on {waiver.expires.isoformat()} and no longer applies "
                                f"({waiver.reason})")
        elif result.verdict == "fail":
            entry["status"] = "applied"
            result.verdict = WAIVED
            result.notes.append(f"failure waived: {waiver.describe()}")
        else:
            # Waivers cover known failures only: an `error` (rule not decided) stays an error.
            entry["status"] = "unused"
            result.notes.append(f"a waiver exists ({waiver.describe()}) but the rule's verdict is "
                                f"{result.verdict}, so it has no effect"
                                + ("; it can be removed" if result.verdict == "pass" else ""))
        result.waiver = entry
