"""A conformant target behind a throttling gateway passes: a 429 is never a probe's answer.

The gateway (tests/servers/gateway.py) lets 30 requests a second through to the reference mock
and answers every further one 429 with `Retry-After: 1`, in the profile's documented error
format. Both documents ask clients to respect rate limits (Booga: back off exponentially), and
this target does everything they say: a default `apiconform run` over real HTTP must pass. The
kit waits as told and sends the same probe again, whatever its method (a 429 means the request
was not processed), and after the first 429s keeps its own rate under what they taught it, so a
run costs a handful of 429s, not one per burst. A second gateway also refuses the first request
of every method but GET (OPTIONS, TRACE, extension methods, ...), so that every kind of probe is
seen to be sent again.

Time is virtual (tests/servers/clock.py): the gateway's one-second window and the kit's pacing
read the same clock, which moves only when the kit waits. So the kit always outruns 30 a second
at first, however slow the machine, and what the run waited is counted exactly, never timed.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from tests.servers.clock import FakeClock
from tests.servers.gateway import Gateway
from tests.servers.runs import artifact_texts, read_report
from tests.servers.threaded import serve_in_thread

from apiconform import mocks
from apiconform.runner import run
from apiconform.session import Options, harness

LIMIT = 30  # requests let through per (virtual) second
MOST_WAITED = 60.0  # virtual seconds a whole run may spend waiting on the gateway
MOST_429 = 12  # 429s a run may provoke in all: the first burst's, and a few while the kit learns


@pytest.mark.parametrize("every_method", [False, True], ids=["30-a-second", "and-every-method-once"])
@pytest.mark.parametrize("profile", ["booga", "boomerang"])
def test_a_conformant_target_behind_a_throttling_gateway_passes(profile: str, every_method: bool, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    gateway = Gateway(mocks.create_app(profile, enforce_https=False), profile, limit=LIMIT, window=1.0,
                      retry_after=1, first_of_each_method=every_method, clock=clock.now)
    keys = mocks.credentials(profile)
    monkeypatch.setenv("APICONFORM_TOKEN", keys["primary"])
    if "b" in keys:
        monkeypatch.setenv("APICONFORM_TOKEN_B", keys["b"])
    else:
        monkeypatch.delenv("APICONFORM_TOKEN_B", raising=False)
    report_dir = tmp_path / "report"
    with serve_in_thread(gateway) as url, harness(clock=clock.now, sleep=clock.sleep):
        outcome = run(profile, Options(base_url=url, report_dir=str(report_dir)))
    report = read_report(report_dir)
    bad = {r["id"]: (r["verdict"], r["reason"]) for r in report["rules"] if r["verdict"] in ("fail", "error")}
    assert outcome.exit_code == 0, (outcome.exit_code, bad, outcome.message)
    assert report["verdict"] == "pass"
    assert (report_dir / "junit.xml").is_file()
    throttled = gateway.throttled()
    assert throttled, "the gateway never throttled the kit"  # in virtual time the kit always outruns it
    assert sum(clock.sleeps) < MOST_WAITED, f"{profile} behind the gateway waited {sum(clock.sleeps):.1f}s"
    by_method = Counter(a.method for a in throttled)
    methods = {a.method for a in gateway.arrivals} - {"GET"}
    if every_method:  # a read-only Booga run sends GETs only; Boomerang's method rule, many methods
        assert methods <= set(by_method) and (profile == "booga" or len(methods) >= 2), (methods, by_method)
    assert len(throttled) <= MOST_429 + len(methods) * every_method, by_method
    # Every refused request was sent again: as many of each (method, path) got through as were sent.
    refused = Counter((a.method, a.path) for a in throttled)
    through = Counter((a.method, a.path) for a in gateway.arrivals if a.status != 429)
    assert not [k for k in refused if not through[k]], refused
    # Every 429 was followed by the same request again, and nothing of the run was lost to them.
    assert report["status_counts"].get("429", 0) == len(throttled)
    texts = artifact_texts(report_dir)
    assert not [name for name, text in texts.items() if keys["primary"] in text]
