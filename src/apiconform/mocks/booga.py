"""The Booga reference mock (placeholder until the Booga profile lands)."""

from __future__ import annotations

from typing import Any

from apiconform.mocks import Mutant

CREDENTIALS: dict[str, str] = {}
MUTANTS: dict[str, Mutant] = {}


def create_app(mutant: str | None = None, *, enforce_https: bool = True) -> Any:
    raise NotImplementedError("the Booga reference mock is not built yet")
