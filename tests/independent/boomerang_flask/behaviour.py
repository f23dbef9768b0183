"""Which rule (if any) this process breaks: handed to the app factory and each blueprint factory."""

from __future__ import annotations

from dataclasses import dataclass

from . import BREAKERS, breaker_parts


@dataclass(frozen=True)
class Behaviour:
    """The `--break RULE-ID@module[:variant]` choice of this process; None is the conformant deployment."""

    broken: str | None = None

    def __post_init__(self) -> None:
        if self.broken is not None and self.broken not in BREAKERS:
            raise ValueError(f"unknown breaker {self.broken!r}; one of {', '.join(BREAKERS)}")

    def breaks(self, rule: str, module: str | None, variant: str | None = None) -> bool:
        """Whether `rule` is broken on `module`'s endpoints (a breaker names exactly one module).

        `module` is a blueprint name, or UNROUTED for the paths under /v1/ no blueprint routes;
        None (a request no route matched, asked about a module's rule) is never broken. The variant
        must match too, so that `RULE@orders:floor` never switches on `RULE@orders`, nor the reverse.
        """
        if self.broken is None or module is None:
            return False
        return breaker_parts(self.broken) == (rule, module, variant)
