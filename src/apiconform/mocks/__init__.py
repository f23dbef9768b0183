"""Reference mocks: ASGI apps that follow every rule of a profile, and their mutants.

Each profile module exports
- `CREDENTIALS`: label -> key the mock accepts (`primary`, `b` for a second tenant, ...);
- `MUTANTS`: name -> `Mutant`: one switch per rule that breaks exactly that rule;
- `create_app(mutant=None, *, enforce_https=True)`: the ASGI app.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from apiconform.errors import ConfigError


@dataclass(frozen=True)
class Mutant:
    name: str
    rule: str
    description: str


def mock_module(profile: str) -> ModuleType:
    try:
        return importlib.import_module(f"apiconform.profiles.{profile}.mock")
    except ModuleNotFoundError as exc:
        raise ConfigError(f"no reference mock for profile {profile!r}") from exc


def mutants(profile: str) -> dict[str, Mutant]:
    return dict(mock_module(profile).MUTANTS)


def create_app(profile: str, mutant: str | None = None, *, enforce_https: bool = True) -> object:
    module = mock_module(profile)
    if mutant is not None and mutant not in module.MUTANTS:
        raise ConfigError(f"unknown mutant {mutant!r} for {profile}; see `apiconform mutants {profile}`")
    return module.create_app(mutant, enforce_https=enforce_https)


def credentials(profile: str) -> dict[str, str]:
    return dict(mock_module(profile).CREDENTIALS)
