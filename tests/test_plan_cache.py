"""The sweep's plan cache: a cached plan is exactly the plan a fresh draw gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from apiconform import plan_cache, yamlfile
from apiconform.locations import fixtures_dir
from apiconform.runner import run
from apiconform.session import Options, open_profile
from apiconform.sweep import PlannedRequest, _usable, plan


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("APICONFORM_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(plan_cache, "_MEMORY", {})
    return tmp_path


def boomerang_plan() -> list[PlannedRequest]:
    session = open_profile("boomerang", Options(write_reports=False, seed=11))
    try:
        return plan(session.context)
    finally:
        session.context.client.close()


def test_the_cached_plan_is_the_fresh_draw(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = boomerang_plan()
    files = list((cache_dir / "plans").glob("*.json"))
    assert len(files) == 1 and len(json.loads(files[0].read_text())) == len(first)
    plan_cache._MEMORY.clear()  # a new process: read back from disk
    again = boomerang_plan()
    assert again == first
    # A fresh draw, nothing cached: the same plan.
    plan_cache._MEMORY.clear()
    monkeypatch.setenv("APICONFORM_CACHE_DIR", "off")
    assert boomerang_plan() == first


def test_another_seed_or_size_is_another_entry(cache_dir: Path) -> None:
    document = {"openapi": "3.0.3", "paths": {}}
    plan_cache.store(document, 10, 1, [{"a": 1}])
    assert plan_cache.load(document, 10, 1) == [{"a": 1}]
    assert plan_cache.load(document, 10, 2) is None
    assert plan_cache.load(document, 11, 1) is None
    assert plan_cache.load({**document, "x": 1}, 10, 1) is None


# What someone's own schemathesis setup may say: each changes what schemathesis draws when it
# loads the file (another codec: another plan; every GET switched off: no plan at all).
SCHEMATHESIS_TOMLS = {
    "ascii": '[generation]\ncodec = "ascii"\nallow-x00 = false\n',
    "no-get": '[[operations]]\ninclude-method = "GET"\nenabled = false\n',
}


def checkout(folder: Path, schemathesis_toml: str | None = None) -> Path:
    """A working folder, as a git checkout's root (where schemathesis stops looking upward)."""
    (folder / ".git").mkdir(parents=True)
    if schemathesis_toml is not None:
        (folder / "schemathesis.toml").write_text(schemathesis_toml, encoding="utf-8")
    return folder


def test_a_schemathesis_toml_in_the_working_folder_changes_no_plan(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A verdict cannot depend on where the run starts: every plan, drawn fresh or read back from
    the cache, is the plan drawn in a folder without any schemathesis.toml."""
    monkeypatch.setenv("APICONFORM_CACHE_DIR", "off")
    monkeypatch.setattr(plan_cache, "_MEMORY", {})
    monkeypatch.chdir(checkout(tmp_path / "plain"))
    baseline = boomerang_plan()
    assert baseline
    folders = {name: checkout(tmp_path / name, text) for name, text in SCHEMATHESIS_TOMLS.items()}
    for name, folder in folders.items():  # fresh draws
        monkeypatch.chdir(folder)
        plan_cache._MEMORY.clear()  # kept in memory even with the cache off
        assert boomerang_plan() == baseline, name
        plan_cache._MEMORY.clear()
        assert _usable(fixture_document_of("booga")), name  # nor whether a document is usable
    # Drawn and cached in one folder, read back in another: still the plan of a fresh draw.
    monkeypatch.setenv("APICONFORM_CACHE_DIR", str(tmp_path / "cache"))
    first, second = folders.values()
    monkeypatch.chdir(first)
    plan_cache._MEMORY.clear()
    assert boomerang_plan() == baseline
    assert list((tmp_path / "cache" / "plans").glob("*.json"))
    plan_cache._MEMORY.clear()  # a new process
    monkeypatch.chdir(second)
    assert boomerang_plan() == baseline


def fixture_document_of(profile: str) -> dict[str, Any]:
    document: dict[str, Any] = yamlfile.safe_load((fixtures_dir(profile) / "openapi.yaml").read_text("utf-8"))
    return document


def test_the_cache_can_be_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APICONFORM_CACHE_DIR", "off")
    monkeypatch.setattr(plan_cache, "_MEMORY", {})
    assert plan_cache.cache_dir() is None
    boomerang_plan()
    assert not list(tmp_path.iterdir())


def test_an_unwritable_cache_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("APICONFORM_CACHE_DIR", str(blocker))
    monkeypatch.setattr(plan_cache, "_MEMORY", {})
    assert boomerang_plan()


def test_report_json_says_where_the_time_went(tmp_path: Path) -> None:
    outcome = run("boomerang", Options(report_dir=str(tmp_path), rules=["BMR-ENVELOPE-DATA", "BMR-NO-5XX"]))
    report = json.loads((tmp_path / "report.json").read_text("utf-8"))
    phases = report["phases"]
    assert {"start-up", "collection", "rules", "requests", "judging"} <= set(phases)
    assert all(p["wall_s"] >= 0 and p["cpu_s"] >= 0 for p in phases.values())
    # The phases add up to the run, apart from the report writing they cannot include.
    assert sum(p["wall_s"] for p in phases.values()) <= report["duration_s"] + 0.5
    assert "reports" in outcome.run.phases


def test_an_in_process_run_after_importing_the_cli_counts_from_its_own_start(tmp_path: Path) -> None:
    # A host (these tests, an IDE) may import apiconform.cli long before it runs in-process: the
    # run's start-up must not be counted from that import.
    import importlib
    import time

    import apiconform.cli

    importlib.reload(apiconform.cli)
    time.sleep(0.6)
    run("boomerang", Options(report_dir=str(tmp_path), rules=["BMR-ENVELOPE-DATA"]))
    report = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert sum(p["wall_s"] for p in report["phases"].values()) <= report["duration_s"] + 0.5


@pytest.mark.parametrize("cache", ["folder", "off"])
def test_a_run_leaves_nothing_in_the_working_folder(tmp_path: Path, cache: str) -> None:
    """hypothesis keeps its tables beside the plans (or in a temporary folder), not in `.hypothesis/`
    of the folder the run starts in: a CI checkout would rebuild them (~1.5 s) and keep the litter."""
    work, cache_folder = tmp_path / "work", tmp_path / "cache"
    work.mkdir()
    env = {**os.environ, "APICONFORM_CACHE_DIR": str(cache_folder) if cache == "folder" else "off"}
    env.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
    done = subprocess.run([sys.executable, "-m", "apiconform.cli", "run", "boomerang", "--rules",
                           "BMR-PAGINATION-LIMIT,BMR-MALFORMED-QUERY", "--report-dir", str(tmp_path / "out"),
                           "--quiet"], cwd=work, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert list(work.iterdir()) == []
    if cache == "folder":
        assert list((cache_folder / "hypothesis" / "unicode_data").rglob("codec-*"))
    else:
        assert not cache_folder.exists()


def test_a_new_cache_folder_has_the_unicode_tables_computed_beside_the_rules(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # A first run (an empty cache folder) computes hypothesis's Unicode tables in a process while
    # the rules wait for answers; the sweep waits for it. A later run finds them and starts none.
    from apiconform import plan_cache

    monkeypatch.setenv("APICONFORM_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("APICONFORM_TOKEN", "bge_tables-must-not-see-this-key")
    monkeypatch.setenv("VENDOR_KEY_FROM_A_TARGET_FILE", "another-key-it-must-not-see")
    monkeypatch.setattr(plan_cache, "_unicode_tables", None)
    from hypothesis.configuration import set_hypothesis_home_dir, storage_directory
    from hypothesis.internal import charmap

    before = storage_directory().path
    monkeypatch.setattr(charmap, "_charmap", None)  # as in a new process: computed, not remembered
    charmap.intervals_from_codec.cache_clear()
    try:
        plan_cache.use_for_hypothesis()
        assert not plan_cache._unicode_tables_known()
        plan_cache.warm_unicode_tables()
        assert plan_cache._unicode_tables is not None
        # Its environment holds no credential of the run (nor anything else but where Python is).
        environ = Path(f"/proc/{plan_cache._unicode_tables.pid}/environ")
        if environ.exists():
            started = environ.read_bytes()
            assert b"must-not-see" not in started and b"APICONFORM_TOKEN" not in started
        assert plan_cache.tables_environment({"PATH": "/bin", "APICONFORM_TOKEN": "k", "X_KEY": "k"}) == \
            {"PATH": "/bin"}
        plan_cache.wait_for_unicode_tables()
        assert plan_cache._unicode_tables_known()
        monkeypatch.setattr(plan_cache, "_unicode_tables", None)
        plan_cache.warm_unicode_tables()
        assert plan_cache._unicode_tables is None  # known: nothing to compute
    finally:
        set_hypothesis_home_dir(before)
