"""The kit against an independently written Boomerang server on Starlette (tests/independent/).

The server is built the way a real deployment would be (Starlette routes, its GZipMiddleware with
default settings, exception handlers for its own 404/405) and shares no code with the kit's
reference mock, so these runs test the kit's verdicts, not the mock's agreement with itself:

- the conformant server must pass every rule that can run over plain HTTP;
- each `--break RULE` variant breaks exactly one rule, and must fail exactly that rule;
- `--missing-example` (GET on either example path is a 404; other methods on the resource a 405)
  must leave BMR-METHOD-GET-ONLY without a verdict: a rejection on a path where GET fails proves
  nothing.

Every server runs in its own process over real HTTP on 127.0.0.1 and is started once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.independent.boomerang_starlette import BREAKERS, TOKEN
from tests.independent.serving import served

from apiconform.runner import RunOutcome, run
from apiconform.session import Options

SERVER = "tests.independent.boomerang_starlette"
# Over plain HTTP on loopback the kit cannot probe plain-HTTP rejection: the only rule that
# may be skipped against these servers.
HTTPS_ONLY = "BMR-TRANSPORT-HTTPS"


# The breaker serves POST on the paginated endpoint and rejects every safe method: only a run
# that may send writing methods can see it (read-only runs send none, DESIGN.md).
NEEDS_WRITES = {"BMR-METHOD-GET-ONLY"}


def run_kit(url: str, monkeypatch: pytest.MonkeyPatch, allow_writes: bool = False) -> RunOutcome:
    """The whole Boomerang suite against url, with the kit's default settings and no reports."""
    monkeypatch.setenv("APICONFORM_TOKEN", TOKEN)
    monkeypatch.delenv("APICONFORM_TOKEN_B", raising=False)  # a developer's own shell must not leak in
    return run("boomerang", Options(base_url=url, write_reports=False, allow_writes=allow_writes or None))


def verdicts(outcome: RunOutcome) -> dict[str, tuple[str, str]]:
    assert outcome.runs, f"the suite did not run: {outcome.message}"
    return {r.rule.id: (r.verdict, r.reason or "") for r in outcome.run.results}


def with_verdict(found: dict[str, tuple[str, str]], *wanted: str) -> dict[str, str]:
    return {rule: reason for rule, (verdict, reason) in found.items() if verdict in wanted}


def shown(found: dict[str, tuple[str, str]]) -> str:
    """Every rule that did not pass, with its reason, for an assertion message."""
    return "\n".join(f"  {rule}: {verdict}: {reason[:300]}" for rule, (verdict, reason) in sorted(found.items())
                     if verdict != "pass") or "  (every rule passed)"


@pytest.fixture(scope="module")
def conformant_url() -> Iterator[str]:
    with served(SERVER) as url:
        yield url


def test_conformant_server_passes(conformant_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    found = verdicts(run_kit(conformant_url, monkeypatch))
    wrong = with_verdict(found, "fail", "error")
    assert not wrong, f"the conformant Starlette server got fail/error verdicts:\n{shown(found)}"
    skipped = set(with_verdict(found, "skip"))
    assert skipped == {HTTPS_ONLY}, f"only {HTTPS_ONLY} may be skipped over plain HTTP:\n{shown(found)}"


def test_conformant_server_passes_through_the_cli(conformant_url: str) -> None:
    # The public entry point, as a CI job would call it: the credential only in the environment.
    env = {k: v for k, v in os.environ.items() if k != "APICONFORM_TOKEN_B"}
    env["APICONFORM_TOKEN"] = TOKEN
    apiconform = str(Path(sys.executable).with_name("apiconform"))  # the console script pip installed
    done = subprocess.run([apiconform, "run", "boomerang", "--base-url", conformant_url, "--no-reports"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


@pytest.mark.parametrize("rule", BREAKERS)
def test_breaker_fails_exactly_its_rule(rule: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with served(SERVER, "--break", rule) as url:
        outcome = run_kit(url, monkeypatch, allow_writes=rule in NEEDS_WRITES)
    found = verdicts(outcome)
    failed = set(with_verdict(found, "fail"))
    # Sensitivity (its rule fails) and specificity (no other rule is blamed for it).
    assert failed == {rule}, f"--break {rule}: expected only {rule} to fail, got {sorted(failed)}:\n{shown(found)}"
    assert outcome.exit_code == 1, f"--break {rule}: exit {outcome.exit_code}, expected 1:\n{shown(found)}"


def test_method_rejection_without_a_working_get_is_no_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    # Neither example path serves GET (the resource answers 404, the collection lives elsewhere),
    # while POST/PUT/… on the resource get the router's 405: not proof that the API rejects
    # methods on a resource it serves.
    with served(SERVER, "--missing-example") as url:
        found = verdicts(run_kit(url, monkeypatch))
    verdict, reason = found["BMR-METHOD-GET-ONLY"]
    assert verdict == "error", f"BMR-METHOD-GET-ONLY is {verdict!r} ({reason}); with no successful GET on the " \
        f"probed path it must be 'error':\n{shown(found)}"
