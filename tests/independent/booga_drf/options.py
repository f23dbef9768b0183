"""The process's run-time options (set once by __main__ before Django starts)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Options:
    broken: str | None = None  # the one rule id this process breaks, if any
    files: int = 130  # tenant A's seeded files
    per_minute: int = 100_000  # high: a conformance run must never be paced by this server
    per_hour: int = 1_000_000

    def breaks(self, rule: str) -> bool:
        return self.broken == rule


current = Options()
