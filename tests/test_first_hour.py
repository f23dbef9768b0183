"""A new user's first hour (issue 26): what the scripts and the kit print works as printed from a
new shell, a repeat check.sh does not reinstall, the output comes in order, --quiet does what the
README says, and the first report a user sees says that its writes went to the embedded mock only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from apiconform import cli
from apiconform.catalog import load_catalog
from apiconform.cli import kit_command, main
from apiconform.report.console import safety_statement

ROOT = Path(__file__).resolve().parent.parent
# A new shell of a new user: the system's PATH, without the checkout's .venv/bin.
NEW_SHELL_PATH = "/usr/local/bin:/usr/bin:/bin"
EMBEDDED_HEADLINE = "Writes went to the in-process reference mock only."


def new_shell_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("APICONFORM_", "VIRTUAL_ENV", "PYTHON", "PYTEST"))}
    return {**env, "PATH": NEW_SHELL_PATH, **extra}


# -- setup: a repeat run installs nothing --------------------------------------------------------

FAKE_PYTHON = """#!/usr/bin/env bash
# A stand-in for .venv/bin/python: pip is logged (and leaves the kit's script behind), anything
# else is the real interpreter.
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
  echo "pip $*" >> "$(dirname "$0")/../pip.log"
  touch "$(dirname "$0")/apiconform" && chmod +x "$(dirname "$0")/apiconform"
  exit 0
fi
exec {python} "$@"
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A folder laid out as a checkout with a .venv whose python logs each pip install."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "venv.sh", tmp_path / "scripts" / "venv.sh")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.write_text(FAKE_PYTHON.format(python=sys.executable))
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    return tmp_path


def installs(checkout: Path, *extra: str) -> list[str]:
    """Source scripts/venv.sh and ensure the kit (with `extra`); the pip commands that ran."""
    log = checkout / ".venv" / "pip.log"
    before = log.read_text().splitlines() if log.exists() else []
    subprocess.run(["bash", "-c", 'set -euo pipefail; . scripts/venv.sh; ensure_kit "$@"', "ensure", *extra],
                   cwd=checkout, check=True, capture_output=True, text=True, timeout=60)
    after = log.read_text().splitlines() if log.exists() else []
    return after[len(before):]


def test_the_kit_is_installed_once_and_again_only_when_pyproject_changes(checkout: Path) -> None:
    assert installs(checkout) == ["pip -m pip install --quiet --disable-pip-version-check -e ."]
    assert installs(checkout) == []  # nothing changed: no pip at all
    assert installs(checkout, "dev") == ["pip -m pip install --quiet --disable-pip-version-check -e .[dev]"]
    assert installs(checkout, "dev") == [] and installs(checkout) == []  # dev includes the plain install
    (checkout / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["httpx"]\n')
    assert len(installs(checkout)) == 1
    assert len(installs(checkout, "dev")) == 1  # the plain install after the change lacks dev


def test_a_lost_script_or_a_moved_checkout_installs_again(checkout: Path,
                                                          tmp_path_factory: pytest.TempPathFactory) -> None:
    installs(checkout)
    (checkout / ".venv" / "bin" / "apiconform").unlink()
    assert len(installs(checkout)) == 1
    moved = tmp_path_factory.mktemp("moved") / "checkout"
    shutil.copytree(checkout, moved, symlinks=True)
    assert len(installs(moved)) == 1  # an editable install points at the old path


def test_check_and_test_scripts_install_through_the_stamp() -> None:
    for name, call in (("check.sh", "ensure_kit\n"), ("test.sh", "ensure_kit dev\n")):
        text = (ROOT / "scripts" / name).read_text(encoding="utf-8")
        assert ". scripts/venv.sh\n" in text and call in text, name
        assert "pip install" not in text, name  # only venv.sh installs, and only when needed
    assert "install-browser.sh" in (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")


# -- serve prints commands a new shell can run ---------------------------------------------------

@pytest.fixture
def fake_interpreter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """sys.executable in a bin folder of its own, with an `apiconform` script beside it."""
    bin_dir = tmp_path / "a venv" / "bin"  # a space, which the printed command must quote
    bin_dir.mkdir(parents=True)
    for name in ("python", "apiconform"):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(bin_dir / "python"))
    return bin_dir


def test_serve_names_the_kit_by_its_path_when_it_is_not_on_path(fake_interpreter: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", NEW_SHELL_PATH)
    assert kit_command() == f"'{fake_interpreter / 'apiconform'}'"
    monkeypatch.setenv("PATH", f"{fake_interpreter}{os.pathsep}{NEW_SHELL_PATH}")
    assert kit_command() == "apiconform"  # an activated venv, or a pip install on PATH


def test_serve_names_another_install_on_path_by_this_kits_path(fake_interpreter: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "apiconform").write_text("#!/bin/sh\n")
    (other / "apiconform").chmod(0o755)
    monkeypatch.setenv("PATH", f"{other}{os.pathsep}{NEW_SHELL_PATH}")
    assert kit_command() == f"'{fake_interpreter / 'apiconform'}'"  # not another kit's apiconform


def test_serve_without_a_script_runs_the_module(fake_interpreter: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (fake_interpreter / "apiconform").unlink()  # pip install --target: no script
    monkeypatch.setenv("PATH", NEW_SHELL_PATH)
    assert kit_command() == f"'{fake_interpreter / 'python'}' -m apiconform.cli"


def test_serve_instructions_end_with_the_command_given() -> None:
    text = cli.serve_instructions("boomerang", "http://127.0.0.1:1", "'/x y/bin/apiconform'")
    assert text.splitlines()[-1] == "'/x y/bin/apiconform' run boomerang --target apiconform-boomerang-mock.toml"


@pytest.mark.slow
def test_what_serve_prints_runs_as_printed_in_a_new_shell(tmp_path: Path) -> None:
    """serve started without the kit on PATH (from a checkout: .venv/bin/apiconform serve); its
    printed lines pasted into a new shell, in a folder of the user's, without the kit on PATH."""
    proc = subprocess.Popen([sys.executable, "-m", "apiconform.cli", "serve", "boomerang", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=new_shell_env(PYTHONUNBUFFERED="1"))
    try:
        assert proc.stdout is not None
        printed: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            printed.append(line.rstrip("\n"))
            if " run boomerang " in line:
                break
        start = next(i for i, line in enumerate(printed) if line.startswith("# To check every rule"))
        script = "\n".join(printed[start + 1:]) + "\n"
        assert printed[-1].split(" run ")[0] != "apiconform"  # not on this PATH: named by its path
        done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=new_shell_env(),
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, script + done.stdout + done.stderr
        assert list((tmp_path / "reports").glob("boomerang-*/report.json"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_check_sh_says_how_a_new_shell_reaches_the_kit() -> None:
    text = (ROOT / "scripts" / "check.sh").read_text(encoding="utf-8")
    # Absolute paths (the checkout's), printed only when `apiconform` on PATH is not this kit's.
    assert 'kit=$(pwd)/.venv/bin' in text and "$shown/apiconform --help" in text and ". $shown/activate" in text


# -- output: order, --quiet, the safety line -----------------------------------------------------

def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("profile", ["booga", "boomerang"])
def test_the_endpoints_header_comes_before_any_progress_line(profile: str, tmp_path: Path) -> None:
    """An unreachable target: the first line on stderr is what the run found and expects."""
    done = subprocess.run([sys.executable, "-m", "apiconform.cli", "run", profile, "--base-url",
                           f"http://127.0.0.1:{closed_port()}", "--no-reports"],
                          cwd=tmp_path, env=new_shell_env(APICONFORM_TOKEN="k-0123456789"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stderr
    lines = done.stderr.splitlines()
    assert re.match(r"\d+ endpoints \(", lines[0]), lines[:3]
    assert all(not re.match(r"\d+ endpoints \(", line) for line in lines[1:])
    assert re.match(r"\[ *1/\d+\] ", lines[1]), lines[:3]


def test_quiet_prints_only_the_rules_that_did_not_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "boomerang", "--quiet", "--no-reports", "--mutant", "BMR-GZIP"]) == 1
    out, err = capsys.readouterr()
    assert err == ""  # no progress lines
    rule_lines = [line for line in out.splitlines() if re.match(r"(PASS |FAIL |skip |ERROR|WAIVE) ", line)]
    assert [line.split()[:2] for line in rule_lines] == [["FAIL", "BMR-GZIP"]]
    passed = len(load_catalog("boomerang").rules) - 1
    assert re.search(rf"^boomerang: FAIL  \({passed} pass, 1 fail, 0 skip, 0 error;", out, re.MULTILINE), out


def test_quiet_on_a_passing_run_is_the_totals_and_the_safety_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "boomerang", "--quiet", "--no-reports"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0].startswith(f"boomerang: PASS  ({len(load_catalog('boomerang').rules)} pass")
    assert lines[1].startswith("safety: ")
    assert len(lines) == 2


def test_without_quiet_every_rule_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "boomerang", "--no-reports"]) == 0
    out, err = capsys.readouterr()
    assert len(re.findall(r"^PASS  BMR-", out, re.MULTILINE)) == len(load_catalog("boomerang").rules)
    assert re.match(r"\d+ endpoints \(", err.splitlines()[0])


@pytest.fixture(scope="module")
def embedded_booga(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("embedded")
    done = subprocess.run([sys.executable, "-m", "apiconform.cli", "run", "booga", "--report-dir", str(folder),
                           "--quiet"], cwd=folder, env=new_shell_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    yield done.stdout, folder


def test_the_embedded_report_says_its_writes_went_to_the_mock_only(embedded_booga: tuple[str, Path]) -> None:
    out, folder = embedded_booga
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert {"POST", "PUT", "PATCH", "DELETE"} <= {m["method"] for m in report["safety"]["methods_sent"]}
    safety = next(line for line in out.splitlines() if line.startswith("safety: "))
    assert safety.startswith(f"safety: {EMBEDDED_HEADLINE} The writes (DELETE, PATCH, POST, PUT) went to the kit's")
    assert "nothing left this machine" in safety and "read-only unless --allow-writes" in safety
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert f"<b>{EMBEDDED_HEADLINE}</b>" in html and "Not read-only" not in html
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    assert f"- safety: **{EMBEDDED_HEADLINE}**" in summary


def test_a_live_runs_safety_line_says_what_was_sent() -> None:
    # WebDAV's read-only methods (a default Boomerang run's method probes) change nothing.
    headline, rest = safety_statement("live", ["GET", "OPTIONS", "PROPFIND", "SEARCH", "REPORT"], False)
    assert headline == "Read-only:" and rest.endswith("writes were not permitted.")
    headline, rest = safety_statement("live", Counter(["GET", "DELETE", "POST"]), True)
    assert headline == "Not read-only:" and "(DELETE, POST)" in rest and rest.endswith("writes were permitted.")
    assert safety_statement("embedded", ["GET"], True)[0] == EMBEDDED_HEADLINE
