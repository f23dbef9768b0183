"""The process's settings, fixed by __main__ before the app is built (the app factory takes them)."""

from __future__ import annotations

from dataclasses import dataclass

# The largest id and offset sqlite can take (a signed 64-bit integer): the validators bound both by
# it, so no value a client sends can overflow a query.
SQLITE_MAX_INT = 2**63 - 1


@dataclass(frozen=True)
class Settings:
    # The one breaker this process runs, if any: `RULE-ID@plugin` (or `RULE-ID@unrouted`).
    broken: str | None = None
    bare: bool = False  # declare and implement none of the document's four filters
    per_minute: int = 100_000  # high: a conformance run must never be paced by this server
    per_hour: int = 1_000_000

    def breaks(self, rule: str, where: str) -> bool:
        """The breaker `RULE-ID@where`: `rule` broken on `where` (a plugin, or `unrouted`) alone."""
        return self.broken == f"{rule}@{where}"
