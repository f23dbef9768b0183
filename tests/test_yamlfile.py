"""yamlfile.safe_load: PyYAML's safe loading, kept in the cache so that a run need not import it."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from apiconform import yamlfile

TEXT = "rules:\n  - id: X-1\n    level: MUST\n    codes: [400, 401]\n    ratio: 0.5\n    note: null\n    flag: yes\n"
EXPECTED = {"rules": [{"id": "X-1", "level": "MUST", "codes": [400, 401], "ratio": 0.5, "note": None, "flag": True}]}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("APICONFORM_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(yamlfile, "_MEMORY", {})
    return tmp_path


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "yaml").glob("*")) if (cache / "yaml").is_dir() else []


def test_a_text_read_before_is_read_back_without_pyyaml(cache: Path) -> None:
    assert yamlfile.safe_load(TEXT) == EXPECTED
    assert len(entries(cache)) == 1
    script = ("import json, sys\nfrom apiconform import yamlfile\n"
              "data = yamlfile.safe_load(sys.stdin.read())\n"
              "print(json.dumps([data, 'yaml' in sys.modules]))\n")
    done = subprocess.run([sys.executable, "-c", script], input=TEXT, capture_output=True, text=True,
                          env={**os.environ, "APICONFORM_CACHE_DIR": str(cache)}, timeout=60)
    assert done.returncode == 0, done.stderr
    data, imported = json.loads(done.stdout)
    assert data == EXPECTED
    assert not imported


def test_a_changed_text_is_parsed_again(cache: Path) -> None:
    assert yamlfile.safe_load(TEXT) == EXPECTED
    changed = TEXT.replace("0.5", "0.75")
    assert yamlfile.safe_load(changed)["rules"][0]["ratio"] == 0.75
    assert len(entries(cache)) == 2


def test_what_marshal_cannot_keep_exactly_is_parsed_every_time(cache: Path) -> None:
    assert yamlfile.safe_load("expires: 2026-12-31\n") == {"expires": datetime.date(2026, 12, 31)}
    assert entries(cache) == []
    assert yamlfile.safe_load("expires: 2026-12-31\n") == {"expires": datetime.date(2026, 12, 31)}


def test_a_damaged_entry_is_parsed_again_and_replaced(cache: Path) -> None:
    yamlfile.safe_load(TEXT)
    [entry] = entries(cache)
    entry.write_bytes(b"\x00not marshal")
    yamlfile._MEMORY.clear()
    assert yamlfile.safe_load(TEXT) == EXPECTED
    yamlfile._MEMORY.clear()
    assert yamlfile.safe_load(TEXT) == EXPECTED


def test_with_the_cache_off_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APICONFORM_CACHE_DIR", "off")
    monkeypatch.chdir(tmp_path)
    assert yamlfile.safe_load(TEXT) == EXPECTED
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_cache_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("")
    monkeypatch.setenv("APICONFORM_CACHE_DIR", str(blocker))
    monkeypatch.setattr(yamlfile, "_MEMORY", {})
    assert yamlfile.safe_load(TEXT) == EXPECTED


def test_invalid_yaml_raises_yamlerror_with_pyyamls_message(cache: Path) -> None:
    import yaml

    text = "a: [1, 2\nb: 3\n"
    with pytest.raises(yaml.YAMLError) as original:
        yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    with pytest.raises(yamlfile.YAMLError) as raised:
        yamlfile.safe_load(text)
    assert str(raised.value) == str(original.value)
    assert entries(cache) == []


def test_another_pyyaml_version_parses_again(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A cached parse must be what a fresh parse would give: PyYAML's version is part of the key.
    assert yamlfile.safe_load(TEXT) == EXPECTED
    from apiconform import plan_cache

    monkeypatch.setattr(plan_cache, "version", lambda name: "99.0")
    yamlfile._format.cache_clear()
    try:
        assert yamlfile.safe_load(TEXT) == EXPECTED
        assert len(entries(cache)) == 2
    finally:
        yamlfile._format.cache_clear()  # recomputed with the real version after this test
