"""Helpers for end-to-end runs against the misbehaving servers: artifacts, bounded time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from apiconform.locations import suites_dir

# Short limits so that a stalling server costs a fraction of a second per request.
FAST_TARGET = """[target]
max_body_bytes = 50000
max_wait_seconds = 30
[timeouts]
connect = 0.5
read = 0.2
total = 0.4
"""


def profiles_with_suites() -> list[str]:
    return [p for p in ("boomerang", "booga") if any(suites_dir(p).glob("test_*.py"))]


def target_file(tmp: Path, extra: str = "", max_body_bytes: int = 50000) -> str:
    path = tmp / "target.toml"
    path.write_text(FAST_TARGET.replace("max_body_bytes = 50000", f"max_body_bytes = {max_body_bytes}") + extra,
                    encoding="utf-8")
    return str(path)


def read_report(folder: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    return report


def assert_readable_verdicts(report: dict[str, Any]) -> None:
    """Every rule decided with a one-line reason; evidence wherever a request was made."""
    assert report["verdict"] in ("fail", "incomplete")
    for rule in report["rules"]:
        assert rule["verdict"] in ("pass", "fail", "skip", "error"), rule
        if rule["verdict"] in ("fail", "error"):
            reason = rule["reason"]
            assert reason and "\n" not in reason, rule["id"]
            assert "Traceback" not in reason and "kit error" not in reason, (rule["id"], reason)
            if rule["requests"] and not reason.startswith("not run"):
                assert rule["evidence"], (rule["id"], reason)


def artifact_texts(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.rglob("*"))
            if p.is_file()}
