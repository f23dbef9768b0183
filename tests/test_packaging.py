"""A non-editable install is a complete kit: the wheel carries suites/ and fixtures/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    (built,) = out.glob("apiconform-*.whl")
    return built


def test_wheel_carries_suites_fixtures_and_documents(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for profile in ("boomerang", "booga"):
        assert f"apiconform/_data/fixtures/{profile}/rules.yaml" in names
        assert any(n.startswith(f"apiconform/_data/suites/{profile}/test_") for n in names)
    assert "apiconform/_data/suites/pytest.ini" in names
    assert "apiconform/_data/fixtures/docs/booga-using-the-api.txt" in names
    assert any(n.endswith("entry_points.txt") for n in names)


def test_installed_wheel_runs_a_conformance_check(wheel: Path, tmp_path: Path) -> None:
    """Install the wheel into a bare folder and run from there, away from the checkout."""
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
                    "--target", str(site), str(wheel)], check=True, capture_output=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = ("import apiconform.locations as l, sys; print(l.data_root()); "
            "from apiconform.cli import main; sys.exit(main(sys.argv[1:]))")
    proc = subprocess.run([sys.executable, "-c", code, "run", "boomerang", "--quiet", "--report-dir",
                           str(tmp_path / "r")], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.stdout.splitlines()[0].startswith(str(site)), proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["verdict"] == "pass"
