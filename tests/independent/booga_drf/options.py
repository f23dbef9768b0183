"""The process's run-time options (set once by __main__ before Django starts)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Options:
    # The one breaker this process runs, if any: a rule id (acting on files, or process-wide where
    # the rule is), `RULE-ID@plugin` (acting on that plugin only) or `RULE-ID@plugin:variant` (one
    # particular way of breaking the rule on that plugin).
    broken: str | None = None
    files: int = 130  # tenant A's seeded files
    projects: int = 130  # tenant A's seeded projects: more than 100, so a limit above 100 shows
    tickets: int = 45  # tenant A's seeded tickets
    per_minute: int = 100_000  # high: a conformance run must never be paced by this server
    per_hour: int = 1_000_000
    prefix: str = ""  # the path the app is mounted under ("" or "/gw", never a trailing slash)

    def breaks(self, rule: str) -> bool:
        """The breaker named by the bare rule id (`BGA-NO-5XX`), never a plugin's (`BGA-NO-5XX@projects`)."""
        return self.broken == rule

    def breaks_on(self, rule: str, plugin: str, variant: str | None = None) -> bool:
        """The breaker `RULE-ID@plugin` (variant None) or `RULE-ID@plugin:variant`: exactly that one.

        `breaks_on(rule, plugin)` never matches a variant of it, nor the other way round.
        """
        wanted = f"{rule}@{plugin}" if variant is None else f"{rule}@{plugin}:{variant}"
        return self.broken == wanted


current = Options()
