"""`apiconform diff OLD.json NEW.json`: what changed between two runs, rule by rule.

Rules are matched by id. A regression is a rule that got worse: pass/skip/waived -> fail/error,
or pass -> anything else. A fix is fail/error -> pass. Any other verdict change is listed as
changed; rules only in one report as appeared/disappeared. A rule that disappeared is a
regression too (NEW no longer shows it holds: a run narrowed with --rules, another profile, a
kit that dropped it), unless `--allow-missing` says that is expected. Exit status: 1 on any
regression, 0 otherwise, 2 when a report cannot be read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apiconform.redact import REDACTOR
from apiconform.report.markdown import md_text

_BAD = ("fail", "error")
# Header fields whose difference makes a comparison less like-for-like: said up front.
_HEADER_FIELDS = (("profile", lambda r: r.get("profile")),
                  ("target", lambda r: (r.get("target") or {}).get("base_url")),
                  ("mode", lambda r: (r.get("target") or {}).get("mode")),
                  ("mutant", lambda r: (r.get("target") or {}).get("mutant")),
                  ("kit version", lambda r: (r.get("tool") or {}).get("version")),
                  ("seed", lambda r: r.get("seed")))


class ReportError(Exception):
    """A report file that cannot be read or is not an apiconform report.json."""


@dataclass
class Change:
    id: str
    title: str
    old: str | None
    new: str | None
    reason: str = ""  # the new run's reason (the old one's for a disappeared rule)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "old": self.old, "new": self.new, "reason": self.reason}


@dataclass
class ReportDiff:
    old: dict[str, Any]
    new: dict[str, Any]
    regressed: list[Change] = field(default_factory=list)
    fixed: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    appeared: list[Change] = field(default_factory=list)
    disappeared: list[Change] = field(default_factory=list)
    unchanged: int = 0
    header: list[str] = field(default_factory=list)  # differences in profile, target, ...
    allow_missing: bool = False  # --allow-missing: a disappeared rule is no regression

    @property
    def regression(self) -> bool:
        return bool(self.regressed) or (bool(self.disappeared) and not self.allow_missing)

    @property
    def exit_code(self) -> int:
        return 1 if self.regression else 0

    def note(self, name: str) -> str:
        """What a section's heading adds: whether its rules count as a regression."""
        if name != "disappeared":
            return ""
        return "allowed by --allow-missing" if self.allow_missing else "a regression (--allow-missing if expected)"

    def sections(self) -> list[tuple[str, list[Change]]]:
        return [("regressed", self.regressed), ("fixed", self.fixed), ("changed", self.changed),
                ("appeared", self.appeared), ("disappeared", self.disappeared)]


def is_regression(old: str, new: str) -> bool:
    if old == new:
        return False
    return (old in ("pass", "skip", "waived") and new in _BAD) or old == "pass"


def load_report(path: str | Path) -> dict[str, Any]:
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReportError(f"{file}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{file}: cannot be read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise ReportError(f"{file}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules, list) or not all(
            isinstance(r, dict) and isinstance(r.get("id"), str) and isinstance(r.get("verdict"), str)
            for r in rules):
        raise ReportError(f"{file}: not an apiconform report.json (no `rules` list of {{id, verdict}})")
    return data


def _describe(report: dict[str, Any]) -> str:
    target = report.get("target") or {}
    return f"{report.get('profile')} @ {target.get('base_url')}"


def diff_reports(old: dict[str, Any], new: dict[str, Any], *, allow_missing: bool = False) -> ReportDiff:
    result = ReportDiff(old=old, new=new, allow_missing=allow_missing)
    for label, get in _HEADER_FIELDS:
        if get(old) != get(new):
            result.header.append(f"{label} differs: {get(old)} -> {get(new)}")
    before = {r["id"]: r for r in old["rules"]}
    after = {r["id"]: r for r in new["rules"]}
    for rule_id, rule in after.items():
        title = str(rule.get("title", ""))
        if rule_id not in before:
            result.appeared.append(Change(rule_id, title, None, rule["verdict"], str(rule.get("reason", ""))))
            continue
        was, now = before[rule_id]["verdict"], rule["verdict"]
        change = Change(rule_id, title, was, now, str(rule.get("reason", "")))
        if was == now:
            result.unchanged += 1
        elif is_regression(was, now):
            result.regressed.append(change)
        elif was in _BAD and now == "pass":
            result.fixed.append(change)
        else:
            result.changed.append(change)
    for rule_id, rule in before.items():
        if rule_id not in after:
            result.disappeared.append(Change(rule_id, str(rule.get("title", "")), rule["verdict"], None,
                                             str(rule.get("reason", ""))))
    return result


def _headline(d: ReportDiff) -> str:
    counts = ", ".join(f"{len(items)} {name}" for name, items in d.sections())
    return (f"{d.old.get('verdict')} -> {d.new.get('verdict')}: {counts}, {d.unchanged} unchanged")


def render_text(d: ReportDiff) -> str:
    lines = [f"apiconform diff: {_describe(d.old)} ({d.old.get('started_at')}) -> "
             f"{_describe(d.new)} ({d.new.get('started_at')})"]
    lines += [f"  note: {h}" for h in d.header]
    lines.append(_headline(d))
    for name, items in d.sections():
        if not items:
            continue
        lines.append("")
        note = d.note(name)
        lines.append(f"{name.upper()} ({len(items)})" + (f": {note}" if note else ""))
        for c in items:
            lines.append(f"  {c.id:<34} {c.old or '-':>6} -> {c.new or '-':<6}  {c.title}")
            if c.reason and c.new != "pass":
                lines.append(f"  {'':<34} {'':>6}    {c.reason}")
    lines.append("")
    lines.append("REGRESSION" if d.regression else "no regression")
    return REDACTOR.text("\n".join(lines))


def render_markdown(d: ReportDiff) -> str:
    lines = [f"## apiconform diff: {'❌ regression' if d.regression else '✅ no regression'}", "",
             f"`{md_text(_describe(d.old))}` ({d.old.get('started_at')}) → "
             f"`{md_text(_describe(d.new))}` ({d.new.get('started_at')})", ""]
    lines += [f"> **note:** {md_text(h)}" for h in d.header]
    lines += ["", _headline(d), ""]
    for name, items in d.sections():
        if not items:
            continue
        note = d.note(name)
        lines += [f"### {name.capitalize()} ({len(items)}){f': {note}' if note else ''}", "",
                  "| rule | old | new | title | reason |",
                  "|---|---|---|---|---|"]
        lines += [f"| `{c.id}` | {c.old or '—'} | {c.new or '—'} | {md_text(c.title)} | "
                  f"{md_text(c.reason) if c.new != 'pass' else ''} |" for c in items]
        lines.append("")
    return REDACTOR.text("\n".join(lines).rstrip() + "\n")


def render_json(d: ReportDiff) -> str:
    out = {
        "old": {"profile": d.old.get("profile"), "target": d.old.get("target"),
                "started_at": d.old.get("started_at"), "verdict": d.old.get("verdict")},
        "new": {"profile": d.new.get("profile"), "target": d.new.get("target"),
                "started_at": d.new.get("started_at"), "verdict": d.new.get("verdict")},
        "header_differences": d.header,
        **{name: [c.as_dict() for c in items] for name, items in d.sections()},
        "unchanged": d.unchanged,
        "allow_missing": d.allow_missing,
        "regression": d.regression,
    }
    return json.dumps(REDACTOR.value(out), indent=2, ensure_ascii=False)


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}
