"""Whole runs against independently written misbehaving servers (tests/servers/, 127.0.0.1 only).

Each must end in bounded time with exit 1 (a rule failed) or 3 (incomplete), a readable
report.json, a one-line reason per undecided or failed rule, and no traceback. Bounded time is
held without a wall-clock limit that load could break: by counts (a server that never answers
costs a handful of requests, each cut by the total deadline), by virtual time (every wait the
kit chooses, e.g. a back-off, is on the harness's clock), and by a watchdog that ends a run
which does not end on its own (a hang) and fails the test.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.servers import behaviours as b
from tests.servers.clock import FakeClock
from tests.servers.raw import Behaviour, RawServer, closed_port
from tests.servers.runs import assert_readable_verdicts, profiles_with_suites, read_report, target_file

from apiconform.runner import run
from apiconform.session import Options, harness

TOKEN = "live-token-5d2c9b7e41"

# name -> (behaviour, expected exit codes, a phrase some reason must contain)
CASES: dict[str, tuple[Behaviour, set[int], str]] = {
    "hanging": (b.hang, {3}, "timed out"),
    "dripping-headers": (b.drip(0.05), {3}, "total deadline"),
    "dripping-body": (b.drip_body(0.05), {3}, "total deadline"),
    "resetting": (b.reset, {3}, "unreachable"),
    "closing-silently": (b.close_silently, {3}, "without answering"),
    "lying-gzip": (b.gzip_lie, {1}, ""),
    "cut-gzip": (b.gzip_cut, {1}, ""),
    "invalid-utf8": (b.body(b'{"data": {"id": "\xff\xfe"}}'), {1}, ""),
    "truncated-json": (b.body(b'{"data": {"id": '), {1}, ""),
    "html": (b.body(b"<html><body>502 Bad Gateway</body></html>", "text/html"), {1}, ""),
    "enormous-body": (b.enormous_body, {1}, ""),
    "enormous-headers": (b.enormous_headers, {3}, "enormous headers"),
    "5xx": (b.status(503), {1}, ""),
    # Every exchange is judged: a 429 without the documented error body or headers fails those
    # rules on its own evidence (exit 1); every other rule is undecided, with the reason.
    "throttling": (b.status(429), {1, 3}, "throttling"),
    "retry-after-a-day": (b.status(429, headers=[("Retry-After", "86400")]), {1, 3}, "more than the cap"),
}
# Servers that never give a usable answer: the kit stops after a few consecutive faults.
STALLING = {"hanging", "dripping-headers", "dripping-body", "resetting", "closing-silently", "enormous-headers"}
STALLING_REQUESTS = 5
# A run takes seconds; past this it is a hang, whatever the load on the machine.
WATCHDOG_SECONDS = 120
# Booga runs cost more requests: a representative subset keeps the file fast.
BOOGA_CASES = {"resetting", "lying-gzip", "5xx", "throttling"}
MATRIX = [(p, c) for p in profiles_with_suites() for c in CASES if p == "boomerang" or c in BOOGA_CASES]


@contextlib.contextmanager
def watchdog(server: RawServer, seconds: float = WATCHDOG_SECONDS) -> Iterator[threading.Event]:
    """Set the event and stop the server (which ends any read the kit is stuck in) if the block
    has not ended within `seconds`."""
    fired = threading.Event()

    def fire() -> None:
        fired.set()
        server.__exit__(None, None, None)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


@pytest.mark.parametrize(("profile", "case"), MATRIX, ids=[f"{p}:{c}" for p, c in MATRIX])
def test_misbehaving_server_ends_in_a_verdict(profile: str, case: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    behaviour, exits, phrase = CASES[case]
    monkeypatch.setenv("APICONFORM_TOKEN", TOKEN)
    clock = FakeClock()  # back-off waits in virtual time; deadlines stay real
    with (RawServer(behaviour) as server, watchdog(server) as hung,
          harness(sleep=clock.sleep, clock=clock.now)):
        outcome = run(profile, Options(base_url=server.url, target_file=target_file(tmp_path),
                                       report_dir=str(tmp_path / "r")))
    assert not hung.is_set(), f"{case}: the run did not end on its own within {WATCHDOG_SECONDS}s"
    assert outcome.exit_code in exits, (outcome.exit_code, outcome.message)
    report = read_report(tmp_path / "r")
    assert_readable_verdicts(report)
    assert 0 < report["requests_sent"] < report["max_requests"]  # the suite ended it, not the budget
    if case in STALLING:
        assert report["requests_sent"] <= STALLING_REQUESTS, report["requests_sent"]
    assert sum(clock.sleeps) < 120, clock.sleeps
    if phrase:
        assert any(phrase in r["reason"] for r in report["rules"]), [r["reason"] for r in report["rules"]]
    if case == "throttling":
        assert report["requests_sent"] <= 10


@pytest.mark.parametrize("profile", profiles_with_suites())
def test_unreachable_target_exits_3_within_seconds(profile: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APICONFORM_TOKEN", TOKEN)
    clock = FakeClock()  # "within seconds": a few refused connects and no wait the kit chooses
    with harness(sleep=clock.sleep, clock=clock.now):
        outcome = run(profile, Options(base_url=f"http://127.0.0.1:{closed_port()}", report_dir=str(tmp_path)))
    assert outcome.exit_code == 3
    assert sum(clock.sleeps) < 10, clock.sleeps
    report = read_report(tmp_path)
    assert report["verdict"] == "incomplete" and report["requests_sent"] <= 3
    assert all(r["verdict"] in ("error", "skip") for r in report["rules"])
    assert any("unreachable" in r["reason"] for r in report["rules"])
