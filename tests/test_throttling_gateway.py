"""A conformant target behind a throttling gateway passes: a 429 is never a probe's answer.

The gateway (tests/servers/gateway.py) lets 30 requests a second through to the reference mock
and answers every further one 429 with `Retry-After: 1`, in the profile's documented error
format. Both documents ask clients to respect rate limits (Booga: back off exponentially), and
this target does everything they say: a default `apiconform run` over real HTTP must end with
exit 0. The kit waits as told and sends the same probe again, whatever its method (a 429 means
the request was not processed), and after the first 429s keeps its own rate under what they
taught it, so a run costs a handful of 429s, not one per burst. A second gateway also refuses
the first request of every method but GET (OPTIONS, TRACE, extension methods, ...), so that
every kind of probe is seen to be sent again. Each run ends within 60 s (10 to 20 s on the
2-core machine).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from tests.servers.gateway import Gateway
from tests.servers.runs import artifact_texts, read_report
from tests.servers.threaded import serve_in_thread

from apiconform import mocks

LIMIT = 30  # requests let through per second
BOUND = 60.0  # seconds a whole run may take
MOST_429 = 12  # 429s a run may provoke in all: the first burst's, and a few while the kit learns


def credentials_env(profile: str) -> dict[str, str]:
    keys = mocks.credentials(profile)
    env = {k: v for k, v in os.environ.items() if not k.startswith("APICONFORM_")}
    env["APICONFORM_TOKEN"] = keys["primary"]
    if "b" in keys:
        env["APICONFORM_TOKEN_B"] = keys["b"]
    return env


@pytest.mark.parametrize("every_method", [False, True], ids=["30-a-second", "and-every-method-once"])
@pytest.mark.parametrize("profile", ["booga", "boomerang"])
def test_a_conformant_target_behind_a_throttling_gateway_passes(profile: str, every_method: bool,
                                                                 tmp_path: Path) -> None:
    gateway = Gateway(mocks.create_app(profile, enforce_https=False), profile, limit=LIMIT, window=1.0,
                      retry_after=1, first_of_each_method=every_method)
    report_dir = tmp_path / "report"
    env = credentials_env(profile)
    env["APICONFORM_CACHE_DIR"] = str(tmp_path / "cache")
    with serve_in_thread(gateway) as url:
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "apiconform.cli", "run", profile, "--base-url", url,
                               "--report-dir", str(report_dir)],
                              capture_output=True, text=True, env=env, timeout=BOUND + 30, cwd=tmp_path)
        elapsed = time.monotonic() - started
    report = read_report(report_dir)
    bad = {r["id"]: (r["verdict"], r["reason"]) for r in report["rules"] if r["verdict"] in ("fail", "error")}
    assert done.returncode == 0, (done.returncode, bad, done.stderr[-3000:])
    assert report["verdict"] == "pass"
    assert (report_dir / "junit.xml").is_file()
    assert "Traceback" not in done.stderr
    assert elapsed < BOUND, f"{profile} behind the gateway took {elapsed:.1f}s"
    throttled = gateway.throttled()
    assert throttled, "the gateway never throttled the kit: the test proves nothing"
    by_method = Counter(a.method for a in throttled)
    methods = {a.method for a in gateway.arrivals} - {"GET"}
    if every_method:  # a read-only Booga run sends GETs only; Boomerang's method rule, many methods
        assert methods <= set(by_method) and (profile == "booga" or len(methods) >= 3), (methods, by_method)
    assert len(throttled) <= MOST_429 + len(methods) * every_method, by_method
    # Every refused request was sent again: as many of each (method, path) got through as were sent.
    refused = Counter((a.method, a.path) for a in throttled)
    through = Counter((a.method, a.path) for a in gateway.arrivals if a.status != 429)
    assert not [k for k in refused if not through[k]], refused
    # Every 429 was followed by the same request again, and nothing of the run was lost to them.
    assert report["status_counts"].get("429", 0) == len(throttled)
    texts = artifact_texts(report_dir)
    assert not [name for name, text in texts.items() if env["APICONFORM_TOKEN"] in text]
