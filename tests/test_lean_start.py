"""A command-line run loads only what its rules use (issue 11, "fast start").

A CI gate pays a run's start-up on every push and a fleet audit once per target, so what a run
imports is part of its cost. These tests run `apiconform run boomerang` (the command's own
`main`, in a fresh interpreter) against the conformant mock served over HTTP, a second time
with the caches warm, and look at what the process imported and how its collector was left:

- jsonschema: the envelope and error schemas are confirmed by plain_schema.py on a conformant
  target; jsonschema is only for a body that may not match (tests/test_plain_schema.py);
- PyYAML: the catalogs and the OpenAPI fixture are read back from the cache (yamlfile.py);
- rich and click: httpx's command-line client, of no use to a run (startup.py);
- asyncio: only the in-process transport of an embedded run needs it;
- tomllib: only a target or waivers file is TOML;
- the garbage collector: paused over the imports, running again (with the start-up heap
  frozen) for the rules.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.servers.threaded import serve_in_thread

from apiconform import mocks
from apiconform.profiles.boomerang.mock import CREDENTIALS
from apiconform.startup import RULES_YOUNG_THRESHOLD

NOT_LOADED = ("jsonschema", "yaml", "rich", "click", "asyncio", "schemathesis", "tomllib")
SCRIPT = """
import gc, json, sys
from apiconform.cli import main
sys.argv = ["apiconform", "run", "boomerang", "--base-url", sys.argv[1], "--no-reports", "--quiet"]
code = main()  # as the console script calls it: the command line of this process
print(json.dumps({"code": code, "loaded": sorted({name.partition(".")[0] for name in sys.modules}),
                  "gc_enabled": gc.isenabled(), "frozen": gc.get_freeze_count(),
                  "threshold": gc.get_threshold()}))
"""


@pytest.fixture(scope="module")
def served_mock() -> Iterator[str]:
    with serve_in_thread(mocks.create_app("boomerang", enforce_https=False)) as url:
        yield url


def run_cli(base_url: str, cache: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APICONFORM_TOKEN")}
    env.update(APICONFORM_TOKEN=CREDENTIALS["primary"], APICONFORM_CACHE_DIR=str(cache))
    done = subprocess.run([sys.executable, "-c", SCRIPT, base_url], capture_output=True, text=True, env=env,
                          timeout=120, cwd=cache)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_warm_run_loads_nothing_its_rules_do_not_use(served_mock: str, tmp_path: Path) -> None:
    cold = run_cli(served_mock, tmp_path)
    assert cold["code"] == 0
    assert "yaml" in cold["loaded"]  # the first run parses, and fills the cache
    warm = run_cli(served_mock, tmp_path)
    assert warm["code"] == 0
    loaded = set(warm["loaded"])  # type: ignore[call-overload]
    assert {"pytest", "hypothesis", "httpx"} <= loaded  # the engine, as the issue asks
    assert not loaded & set(NOT_LOADED), f"a warm run imported {sorted(loaded & set(NOT_LOADED))}"


def test_the_collector_runs_again_after_start_up_with_the_start_up_heap_frozen(served_mock: str,
                                                                               tmp_path: Path) -> None:
    result = run_cli(served_mock, tmp_path)
    assert result["gc_enabled"] is True
    assert isinstance(result["frozen"], int) and result["frozen"] > 10_000
    # Young collections less often while the rules keep every exchange alive (startup.py).
    assert result["threshold"] == [RULES_YOUNG_THRESHOLD, *gc.get_threshold()[1:]]


def test_a_host_calling_the_command_in_process_keeps_its_collector_and_httpx(
        served_mock: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from apiconform.cli import main

    monkeypatch.setenv("APICONFORM_TOKEN", CREDENTIALS["primary"])
    frozen, threshold = gc.get_freeze_count(), gc.get_threshold()
    assert main(["run", "boomerang", "--base-url", served_mock, "--no-reports", "--quiet"]) == 0
    assert gc.isenabled()
    assert gc.get_freeze_count() <= frozen  # nothing frozen (frozen objects may have been freed)
    assert gc.get_threshold() == threshold
    assert sys.modules.get("httpx._main", "absent") is not None  # httpx's CLI stays importable
