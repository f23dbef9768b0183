"""The kit against an independently written Booga server on Django REST framework.

tests/independent/booga_drf is built the way a real deployment would be (Django models in
sqlite, DRF's LimitOffsetPagination, OrderingFilter and SearchFilter, drf-spectacular's schema,
a DRF authentication class, an exception handler adding `code`, a rate-limit middleware) and
shares no code with the reference mock. Each server runs in its own process over real HTTP,
like a live target, with no target file: the kit must work from DESIGN.md's defaults and what
the server's OpenAPI declares.

These tests state the goal: the conformant server passes (no rule fails or errors), and each
single-rule breaker fails exactly its own rule.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.independent.booga_drf import BREAKERS, KEY_A, KEY_B, KEY_LIMITED, KEY_SCOPED, MODULE
from tests.independent.serving import served

from apiconform.catalog import dependents, find_rule
from apiconform.runner import RunOutcome, run
from apiconform.session import Options

# The one breaker whose rule is only observable on writes (201/204/400 answers to POST/DELETE).
NEEDS_WRITES = {"BGA-RATE-HEADERS"}
# What only a target file can tell the kit about this deployment: DRF's OrderingFilter declares
# `ordering` in the OpenAPI without its fields; a key lacking the files scope; a key of its own
# with a small limit to run into 429. With it, every rule of the profile can be judged.
TARGET_FILE = """
profile = "booga"
[target]
allow_writes = true
exhaust_rate_limit = true
[credentials]
scoped_token_env = "INDEP_DRF_TOKEN_SCOPED"
exhaust_token_env = "INDEP_DRF_TOKEN_EXHAUST"
[features]
ordering = ["created_at", "name", "size"]
"""


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both tenants' keys: the tenancy and per-key rules need tenant B.
    monkeypatch.setenv("APICONFORM_TOKEN", KEY_A)
    monkeypatch.setenv("APICONFORM_TOKEN_B", KEY_B)


@pytest.fixture(scope="module")
def conformant() -> Iterator[str]:
    # One server for the read-only, write and CLI runs: the kit deletes whatever it creates,
    # and the default limits are far above what three runs send.
    with served(MODULE) as url:
        yield url


def kit(url: str, allow_writes: bool = False, target_file: str | None = None) -> RunOutcome:
    return run("booga", Options(base_url=url, write_reports=False, allow_writes=allow_writes or None,
                                target_file=target_file))


def verdicts(outcome: RunOutcome) -> dict[str, tuple[str, str]]:
    return {r.rule.id: (r.verdict, r.reason) for r in outcome.run.results}


def with_verdict(outcome: RunOutcome, *wanted: str) -> dict[str, str]:
    """Rule id -> reason of every rule whose verdict is one of `wanted` (the assertion message)."""
    return {rule: reason for rule, (verdict, reason) in verdicts(outcome).items() if verdict in wanted}


def test_conformant_server_passes_read_only(conformant: str) -> None:
    outcome = kit(conformant)
    assert with_verdict(outcome, "fail", "error") == {}
    assert outcome.exit_code == 0


def test_conformant_server_passes_with_writes(conformant: str) -> None:
    outcome = kit(conformant, allow_writes=True)
    assert with_verdict(outcome, "fail", "error") == {}
    assert outcome.exit_code == 0
    # Writes allowed: every write rule actually ran.
    assert {rule for rule, (verdict, _) in verdicts(outcome).items()
            if rule.startswith("BGA-WRITE-") and verdict != "pass"} == set()


def test_conformant_server_passes_every_rule_with_a_target_file(
        conformant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEP_DRF_TOKEN_SCOPED", KEY_SCOPED)
    monkeypatch.setenv("INDEP_DRF_TOKEN_EXHAUST", KEY_LIMITED)
    target = tmp_path / "target.toml"
    target.write_text(TARGET_FILE)
    outcome = kit(conformant, target_file=str(target))
    assert with_verdict(outcome, "fail", "error", "skip") == {}
    assert outcome.exit_code == 0


def test_cli_run_against_conformant_server(conformant: str) -> None:
    # The command line a user would type, credentials from the environment only.
    done = subprocess.run(
        [sys.executable, "-m", "apiconform.cli", "run", "booga", "--base-url", conformant, "--no-reports"],
        capture_output=True, text=True, timeout=120, env={**os.environ},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_empty_account_is_never_a_failure() -> None:
    # Tenant A owns no files: rules that need data cannot be judged (error, exit 3), but an
    # empty list is conformant, so nothing may fail.
    with served(MODULE, "--files", "0") as url:
        outcome = kit(url)
    assert with_verdict(outcome, "fail") == {}
    assert outcome.exit_code in (0, 3), with_verdict(outcome, "fail", "error")


@pytest.mark.parametrize("breaker", BREAKERS)
def test_breaker_fails_exactly_its_rule(breaker: str) -> None:
    # `RULE@plugin` breaks the rule on that plugin's endpoints only (projects, tickets): the kit
    # must find it beyond the files list, and say where.
    rule, _, plugin = breaker.partition("@")
    with served(MODULE, "--break", breaker) as url:
        outcome = kit(url, allow_writes=rule in NEEDS_WRITES)
    failed = with_verdict(outcome, "fail")
    # Its own rule, and at most the rules the catalog says depend on it (a list that ignores
    # offset also repeats results when next is followed: BGA-LIST-TRAVERSAL depends on OFFSET).
    assert rule in failed and set(failed) <= {rule} | dependents(find_rule(rule)), {
        "failed": failed, "errors": with_verdict(outcome, "error")}
    assert outcome.exit_code == 1
    if plugin:
        where = {row["endpoint"] for r in outcome.run.results if r.rule.id == rule for row in r.endpoints
                 if row["verdict"] == "fail"}
        assert where and all(f"/api/{plugin}/" in w for w in where), where


def test_every_plugins_endpoints_are_found_and_judged(conformant: str) -> None:
    outcome = kit(conformant)
    coverage = outcome.run.extra["coverage"]
    rows = {row["endpoint"]: row for row in coverage["endpoints"]}
    for plugin in ("files", "projects", "tickets"):
        assert rows[f"/api/{plugin}/"]["kind"] == "list"
        assert rows[f"/api/{plugin}/{{id}}/"]["kind"] == "single"
        for family in ("LIST", "AUTH", "TENANCY", "RATE", "FILTER"):
            assert rows[f"/api/{plugin}/"]["families"][family] == "pass", (plugin, family, rows[f"/api/{plugin}/"])
        for family in ("AUTH", "TENANCY", "ERROR"):
            assert rows[f"/api/{plugin}/{{id}}/"]["families"][family] == "pass", (plugin, family)
    assert coverage["uncovered"] == []
    # status is declared by projects and tickets (django-filter) and judged on both.
    status = next(r for r in outcome.run.results if r.rule.id == "BGA-FILTER-STATUS")
    assert {row["endpoint"] for row in status.endpoints if row["verdict"] == "pass"} == {
        "/api/projects/", "/api/tickets/"}
    # No rule passes for an endpoint it never judged, and none without evidence.
    assert all(r.judged > 0 for r in outcome.run.results if r.verdict == "pass")


@pytest.mark.parametrize("base", ["/gateway", "/gateway/"])
def test_a_base_url_with_a_gateway_prefix(base: str) -> None:
    with served(MODULE, "--prefix", "/gateway") as url:
        origin = url.removesuffix("/gateway")
        outcome = kit(origin + base)
        wrong = kit(origin)  # without the prefix every request is a 404: the base URL's fault
    assert with_verdict(outcome, "fail", "error") == {}
    assert outcome.exit_code == 0
    assert all(path.startswith("/gateway/") for _, path in outcome.run.methods)
    assert with_verdict(wrong, "fail") == {}
    assert wrong.exit_code == 3
    assert any("base URL" in reason for reason in with_verdict(wrong, "error").values())


def test_a_small_account_cannot_pass_the_limit_cap() -> None:
    # No list holds more than 100: a server honouring limit=1000 answers exactly like DRF clamping
    # to 100, so the cap is observable on none: error, naming the data, never pass (nor fail).
    with served(MODULE, "--files", "80", "--projects", "60", "--tickets", "40") as url:
        outcome = kit(url)
    found = verdicts(outcome)
    assert found["BGA-LIST-LIMIT-INVALID"][0] == "error", found["BGA-LIST-LIMIT-INVALID"]
    assert "more than 100" in found["BGA-LIST-LIMIT-INVALID"][1]
    assert with_verdict(outcome, "fail") == {}
