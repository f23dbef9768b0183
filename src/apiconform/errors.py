"""Exception types that carry a verdict.

The pytest plugin maps them onto rule verdicts: a `RuleViolation` is a `fail`,
an `Incomplete` (target unreachable, budget spent, deadline hit) is an `error`,
a `ConfigError` stops the run with exit status 2 before any request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apiconform.exchange import Exchange


class ConfigError(Exception):
    """Bad configuration or usage: exit status 2, nothing sent."""


class Incomplete(Exception):
    """The rule could not be decided: the target did not let us (timeout, refused, budget)."""

    def __init__(self, message: str, *exchanges: Exchange | None) -> None:
        super().__init__(message)
        # The evidence: the exchange that showed it, or the last few that made the kit stop.
        self.exchanges = [ex for ex in exchanges if ex is not None]

    @property
    def exchange(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None


class TransportFault(Incomplete):
    """Connect/read failure, timeout, reset: no usable HTTP response."""


class BudgetExhausted(Incomplete):
    """The request budget (--max-requests) is spent."""


class RuleViolation(AssertionError):
    """The target broke a documented rule; carries the exchanges that show it."""

    def __init__(self, message: str, exchanges: list[Exchange] | None = None) -> None:
        super().__init__(message)
        self.exchanges = list(exchanges or [])
