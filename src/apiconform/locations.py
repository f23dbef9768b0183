"""Where the suites and fixtures live: a checkout, or the data carried inside the wheel."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[-1]


def data_root() -> Path:
    """The folder holding `suites/` and `fixtures/`.

    A wheel carries them under `apiconform/_data/`; a checkout (editable install or
    plain `pytest` from the repo) has them at the repository root.
    """
    return _first_existing(_PKG / "_data", _PKG.parent.parent)


def suites_dir(profile: str | None = None) -> Path:
    base = data_root() / "suites"
    return base / profile if profile else base


def fixtures_dir(profile: str | None = None) -> Path:
    base = data_root() / "fixtures"
    return base / profile if profile else base
