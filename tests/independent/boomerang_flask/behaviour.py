"""Which rule (if any) this process breaks: handed to the app factory and each blueprint factory."""

from __future__ import annotations

from dataclasses import dataclass

from . import BREAKERS


@dataclass(frozen=True)
class Behaviour:
    """The `--break RULE-ID@module` choice of this process; None is the conformant deployment."""

    broken: str | None = None

    def __post_init__(self) -> None:
        if self.broken is not None and self.broken not in BREAKERS:
            raise ValueError(f"unknown breaker {self.broken!r}; one of {', '.join(BREAKERS)}")

    def breaks(self, rule: str, module: str | None) -> bool:
        """Whether `rule` is broken on `module`'s endpoints (a breaker names exactly one module).

        `module` is a blueprint name; None (a request no route matched) is never broken.
        """
        return self.broken == f"{rule}@{module}"

