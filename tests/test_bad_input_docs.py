"""Every subcommand and every option the command line offers is documented in the README or the
user guide (docs/guide.md, where the command reference lives)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from apiconform import plugin
from apiconform.cli import main

ROOT = Path(__file__).resolve().parent.parent
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
INTERNAL = {"--help", "--apiconform-progress"}  # argparse's own; set by `apiconform run` for pytest


def documentation() -> str:
    return "\n".join((ROOT / name).read_text(encoding="utf-8") for name in ("README.md", "docs/guide.md"))


def help_text(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


def subcommands(capsys: pytest.CaptureFixture[str]) -> list[str]:
    found = re.search(r"\{([a-z,]+)\}", help_text([], capsys))
    assert found, "no subcommand list in apiconform --help"
    return found.group(1).split(",")


def test_every_subcommand_is_in_the_readme(capsys: pytest.CaptureFixture[str]) -> None:
    readme = documentation()
    names = subcommands(capsys)
    assert {"run", "serve", "rules", "mutants", "diff"} <= set(names)
    assert [name for name in names if f"apiconform {name}" not in readme] == []


def test_every_option_of_every_subcommand_is_in_the_readme(capsys: pytest.CaptureFixture[str]) -> None:
    readme = documentation()
    options = set(OPTION.findall(help_text([], capsys)))
    for name in subcommands(capsys):
        options |= set(OPTION.findall(help_text([name], capsys)))
    options -= INTERNAL
    assert {"--rules", "--waivers", "--no-reports", "--quiet", "--verbose", "--openapi", "--allow-insecure-http",
            "--mutant", "--port", "--host", "--format", "--version"} <= options
    undocumented = sorted(o for o in options if not re.search(re.escape(o) + r"(?![\w-])", readme))
    assert undocumented == []


class _Recorder:
    def __init__(self) -> None:
        self.names: list[str] = []

    def getgroup(self, *args: Any, **kwargs: Any) -> _Recorder:
        return self

    def addoption(self, *names: str, **kwargs: Any) -> None:
        self.names += names


def test_every_pytest_option_is_in_the_readme() -> None:
    """`pytest suites/<profile>` takes the same options (the plugin registers them)."""
    readme = documentation()
    recorder = _Recorder()
    plugin.pytest_addoption(recorder)  # type: ignore[arg-type]
    options = set(recorder.names) - INTERNAL
    assert "--openapi" in options
    assert sorted(o for o in options if not re.search(re.escape(o) + r"(?![\w-])", readme)) == []
