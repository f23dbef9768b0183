"""SIGTERM (a CI job's timeout) and SIGINT (Ctrl-C) in the middle of a run, with real signals.

`apiconform run booga` runs as its own process against the reference mock behind a gateway that
holds every request back a little (tests/servers/gateway.py: a slow target over real HTTP, every
arrival recorded). Once the kit has sent a few requests the test signals it, then checks what
DESIGN.md promises: every artifact is written, verdict `incomplete`, the rules left undecided
are `error` "interrupted by SIGTERM", exit 3, one line saying so, no traceback, no credential in
any artifact, and nothing reached the target after the signal. A second signal ends the process
at once, exit 130 / 143, without the reports. Each test takes 5 to 10 s (bound: 30 s).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.servers.gateway import Gateway
from tests.servers.runs import artifact_texts
from tests.servers.threaded import serve_in_thread

from apiconform import mocks

BOUND = 30.0  # seconds a whole test may take
# A request already on its way when the signal came may still arrive just after it; nothing
# the kit sends after handling the signal may arrive at all.
IN_FLIGHT = 0.2


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")  # the sweep's plan, drawn once for the module


def start(url: str, folder: Path, cache: Path, *extra: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    keys = mocks.credentials("booga")
    env = {k: v for k, v in os.environ.items() if not k.startswith("APICONFORM_")}
    env.update(APICONFORM_TOKEN=keys["primary"], APICONFORM_TOKEN_B=keys["b"], APICONFORM_CACHE_DIR=str(cache))
    proc = subprocess.Popen([sys.executable, "-m", "apiconform.cli", "run", "booga", "--base-url", url,
                             "--report-dir", str(folder / "report"), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=folder)
    return proc, env


def wait_for(gateway: Gateway, requests: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while gateway.count() < requests:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"the kit sent only {gateway.count()} requests"
        time.sleep(0.02)


@pytest.fixture
def slow_target() -> Iterator[tuple[Gateway, str]]:
    gateway = Gateway(mocks.create_app("booga"), "booga", delay=0.25)
    with serve_in_thread(gateway) as url:
        yield gateway, url


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_run_stops_sending_and_still_writes_every_report(
        signum: signal.Signals, slow_target: tuple[Gateway, str], cache: Path, tmp_path: Path) -> None:
    gateway, url = slow_target
    began = time.monotonic()
    proc, env = start(url, tmp_path, cache, *(["--quiet"] if signum == signal.SIGINT else []))
    wait_for(gateway, 8, proc)
    signalled = time.monotonic()
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=BOUND)
    ended = time.monotonic()
    name = signum.name

    assert proc.returncode == 3, (proc.returncode, err[-3000:])
    assert "Traceback" not in err and "Traceback" not in out
    line = f"apiconform: interrupted by {name}"
    assert [x for x in err.splitlines() if x.startswith(line)], err[-2000:]
    if signum == signal.SIGINT:  # --quiet: that one line is all of stderr
        assert len(err.strip().splitlines()) == 1, err
    folder = tmp_path / "report"
    for artifact in ("report.json", "junit.xml", "report.html", "summary.md"):
        assert (folder / artifact).is_file(), artifact
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "incomplete" and report["interrupted"] == name
    errors = [r for r in report["rules"] if r["verdict"] == "error"]
    assert len(errors) > len(report["rules"]) // 2  # signalled early: most rules were left
    for rule in errors:
        assert f"interrupted by {name}" in rule["reason"], (rule["id"], rule["reason"])
    assert not [r for r in report["rules"] if r["verdict"] == "fail"]
    junit = (folder / "junit.xml").read_text(encoding="utf-8")
    assert f"interrupted by {name}" in junit
    texts = {**artifact_texts(folder), "stdout": out, "stderr": err}
    assert not [k for k, text in texts.items() if env["APICONFORM_TOKEN"] in text or env["APICONFORM_TOKEN_B"] in text]

    late = [a for a in gateway.arrivals if a.at > signalled]
    assert len(late) <= 1 and all(a.at - signalled < IN_FLIGHT for a in late), (late, signalled)
    assert report["requests_sent"] == len(gateway.arrivals)  # each request the kit counted arrived
    assert ended - signalled < 10, f"{ended - signalled:.1f}s from the signal to the end"
    assert ended - began < BOUND


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_second_signal_ends_the_run_at_once_without_the_reports(signum: signal.Signals, cache: Path,
                                                                   tmp_path: Path) -> None:
    # Every request held 3 s: after the first signal the kit waits for the one in flight, so
    # only the second can end it this soon.
    gateway = Gateway(mocks.create_app("booga"), "booga", delay=3.0)
    with serve_in_thread(gateway) as url:
        began = time.monotonic()
        proc, _ = start(url, tmp_path, cache)
        wait_for(gateway, 1, proc)
        time.sleep(0.3)  # the kit is waiting for that answer
        proc.send_signal(signum)
        time.sleep(0.3)
        assert proc.poll() is None  # the first signal alone does not end it while a request is in flight
        second = time.monotonic()
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=BOUND)
        ended = time.monotonic()
    assert proc.returncode == 128 + signum, (proc.returncode, err[-2000:])
    assert ended - second < 1.5, f"{ended - second:.1f}s after the second signal"
    assert f"apiconform: {signum.name} again: stopped at once, without the reports" in err
    assert "Traceback" not in err
    assert not (tmp_path / "report" / "report.json").exists()
    assert len(gateway.arrivals) == 1  # nothing was sent after the first signal either
    assert ended - began < BOUND


def test_an_in_process_run_restores_the_handlers_it_found_and_runs_from_any_thread() -> None:
    import threading

    from apiconform.runner import run
    from apiconform.session import Options

    def mine(signum: int, frame: object) -> None:
        raise AssertionError("not called")

    options = Options(rules=["BMR-RESPONSE-CONTENT-TYPE"], write_reports=False, progress=False)
    before = signal.signal(signal.SIGTERM, mine)
    try:
        assert run("boomerang", options).exit_code == 0
        assert signal.getsignal(signal.SIGTERM) is mine
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        codes: list[int] = []
        worker = threading.Thread(target=lambda: codes.append(run("boomerang", options).exit_code))
        worker.start()
        worker.join(60)
        assert codes == [0]  # no handler can be installed there: the run goes on without
    finally:
        signal.signal(signal.SIGTERM, before)
