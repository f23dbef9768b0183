"""`apiconform serve` says how to use every key it offers: following exactly what it prints runs
every rule, the scoped-key and the rate-limit-exhaustion rules included."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from apiconform.catalog import load_catalog
from apiconform.cli import serve_instructions

# Rules that cannot run against a mock served over plain HTTP, each with the reason the README gives.
UNAVOIDABLE_SKIPS = {"BMR-TRANSPORT-HTTPS"}
MARKER = "# To check every rule against it"
# The run line serve prints: `apiconform run ...`, or the kit's script by its path when `apiconform`
# is not on PATH, or `PYTHON -m apiconform.cli run ...` (cli.kit_command).
RUN_LINE = re.compile(r"^(\S*apiconform|\S+ -m apiconform\.cli) run ")


def script_of(banner: list[str]) -> str:
    """The shell lines `serve` prints after its marker line, verbatim."""
    start = next(i for i, line in enumerate(banner) if line.startswith(MARKER))
    return "\n".join(banner[start + 1:]) + "\n"


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """`apiconform serve PROFILE --port 0` in a subprocess; yields what it printed."""
    profile = request.param
    proc = subprocess.Popen([sys.executable, "-m", "apiconform.cli", "serve", profile, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        banner: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            banner.append(line.rstrip("\n"))
            if RUN_LINE.match(line):
                break
        assert banner and RUN_LINE.match(banner[-1]), banner
        yield banner
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize("served", ["booga", "boomerang"], indirect=True)
def test_following_serve_output_runs_every_rule(served: list[str], tmp_path: Path) -> None:
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    profile = served[0].split()[1]
    script = tmp_path / "follow.sh"
    script.write_text("set -e\n" + script_of(served), encoding="utf-8")
    # A clean environment: only what the printed lines export reaches the run.
    env = {k: v for k, v in os.environ.items() if not k.startswith("APICONFORM_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (report_file,) = (tmp_path / "reports").glob(f"{profile}-*/report.json")
    report = json.loads(report_file.read_text(encoding="utf-8"))
    verdicts = {rule["id"]: rule["verdict"] for rule in report["rules"]}
    assert set(verdicts) == set(load_catalog(profile).ids)
    skipped = {rid for rid, verdict in verdicts.items() if verdict == "skip"}
    assert skipped <= UNAVOIDABLE_SKIPS, {r["id"]: r["reason"] for r in report["rules"] if r["id"] in skipped}
    assert all(verdict in ("pass", "skip") for verdict in verdicts.values()), verdicts
    readme = (Path(__file__).resolve().parent.parent / "docs" / "guide.md").read_text(encoding="utf-8")
    assert all(f"`{rid}` is `skip`" in readme for rid in skipped)


def test_serve_names_a_variable_and_entry_for_every_key() -> None:
    from apiconform import mocks

    text = serve_instructions("booga", "http://127.0.0.1:1234")
    assert text.splitlines()[0] == "base URL: http://127.0.0.1:1234"
    for value in mocks.credentials("booga").values():
        assert f"={value}\n" in text  # exported, one variable per key
    assert 'scoped_token_env = "APICONFORM_TOKEN_SCOPED"' in text
    assert 'exhaust_token_env = "APICONFORM_TOKEN_EXHAUST"' in text
    assert text.splitlines()[-1] == ("apiconform run booga --target apiconform-booga-mock.toml "
                                     "--allow-writes --exhaust-rate-limit")
