"""Whole embedded runs: the request budget, pacing against a 60/minute key in virtual time,
the safety block of report.json, and determinism (same seed, same requests, same verdicts)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from tests.servers.clock import FakeClock
from tests.servers.runs import profiles_with_suites, read_report

from apiconform import mocks
from apiconform.catalog import load_catalog
from apiconform.report.json_report import build_report
from apiconform.results import RuleResult, RunResult
from apiconform.runner import run
from apiconform.session import Options, harness

PROFILES = profiles_with_suites()
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.mark.parametrize("profile", PROFILES)
def test_budget_spent_makes_the_rest_error_and_exits_3(profile: str, tmp_path: Path) -> None:
    outcome = run(profile, Options(max_requests=12, report_dir=str(tmp_path)))
    report = read_report(tmp_path)
    assert report["requests_sent"] == 12 and report["max_requests"] == 12
    assert outcome.exit_code == 3 and report["verdict"] == "incomplete"  # the mock is conformant
    budget = [r for r in report["rules"] if r["verdict"] == "error"]
    assert budget and all("budget of 12 requests" in r["reason"] for r in budget)
    assert all(r["verdict"] in ("pass", "error") for r in report["rules"])


def test_budget_from_the_target_file_and_a_failure_outranks_incomplete(tmp_path: Path) -> None:
    target = tmp_path / "t.toml"
    target.write_text("[target]\nmax_requests = 25\n")
    profile = PROFILES[0]
    mutant_name, mutant = sorted(mocks.mutants(profile).items())[0]
    outcome = run(profile, Options(target_file=str(target), mutant=mutant_name, rules=[mutant.rule],
                                   write_reports=False))
    assert outcome.run.requests_sent <= 25 and outcome.run.max_requests == 25
    assert outcome.exit_code == 1  # the broken rule failed before the budget ran out


def test_full_booga_run_against_sixty_a_minute_never_sees_a_429(capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    limits = {label: (60, 3600) for label in ("primary", "b", "scoped", "anonymous")}
    from apiconform.profiles.booga import mock as booga

    app = booga.create_app(limits=limits, clock=clock.now)
    with harness(app=app, clock=clock.now, sleep=clock.sleep) as hooks:
        outcome = run("booga", Options(write_reports=False, progress=True))
    client = hooks.clients[0]
    verdicts = {r.rule.id: (r.verdict, r.reason) for r in outcome.run.results}
    assert set(verdicts) == set(load_catalog("booga").ids)
    undecided = {k: v for k, v in verdicts.items() if v[0] != "pass"}
    assert not undecided
    assert client.unexpected_429 == 0
    # The only 429s are the ones BGA-RATE-EXCEEDED provokes on purpose, with its own small key.
    provoked = [url for _m, url, status in client.recorder.sequence if status == 429]
    assert len(provoked) <= 1
    assert client.pacer.waited > 60  # it did pace: 60/minute cannot carry the run in one window
    assert outcome.exit_code == 0
    assert "pacing: waiting" in capsys.readouterr().err  # the user sees why the run pauses


@pytest.mark.parametrize("profile", PROFILES)
def test_same_seed_same_requests_same_verdicts(profile: str) -> None:
    runs = []
    for _ in range(2):
        with harness() as hooks:
            outcome = run(profile, Options(seed=7, write_reports=False))
        # Ids the mock hands out for created data are random (uuid4): the target's, not the kit's.
        sequence = [(m, UUID.sub("{uuid}", u)) for m, u, _s in hooks.clients[0].recorder.sequence]
        runs.append(({r.rule.id: r.verdict for r in outcome.run.results}, sequence, outcome.run.seed))
    assert runs[0][2] == runs[1][2] == 7
    assert runs[0][0] == runs[1][0]
    assert runs[0][1] == runs[1][1] and len(runs[0][1]) > 20


def _run_with(methods: Counter[tuple[str, str]], allow_writes: bool) -> RunResult:
    rule = load_catalog(PROFILES[0]).rules[0]
    return RunResult(profile=PROFILES[0], base_url="https://t.test", mode="live", started_at="x", seed=0,
                     results=[RuleResult(rule=rule, verdict="pass")], methods=methods,
                     allow_writes=allow_writes)


def test_safety_block_says_what_was_sent_not_what_was_allowed() -> None:
    reads = Counter({("GET", "/a"): 3, ("HEAD", "/a"): 1})
    safety = build_report(_run_with(reads, allow_writes=True))["safety"]
    assert safety["read_only"] is True and safety["writes_allowed"] is True
    writes = Counter({("GET", "/a"): 3, ("DELETE", "/a/1"): 1})
    safety = build_report(_run_with(writes, allow_writes=False))["safety"]
    assert safety["read_only"] is False and safety["writes_allowed"] is False
    assert {"method": "DELETE", "path": "/a/1", "count": 1} in safety["methods_sent"]


@pytest.mark.parametrize("profile", PROFILES)
def test_report_records_seed_requests_and_safety(profile: str, tmp_path: Path) -> None:
    run(profile, Options(seed=3, report_dir=str(tmp_path), rules=[load_catalog(profile).rules[0].id]))
    report = read_report(tmp_path)
    assert report["seed"] == 3 and report["requests_sent"] == sum(m["count"] for m in
                                                                   report["safety"]["methods_sent"])
    sent = {m["method"] for m in report["safety"]["methods_sent"]}
    assert report["safety"]["read_only"] == sent.issubset({"GET", "HEAD", "OPTIONS", "TRACE"})
