"""The kit with --allow-writes and two tenants' keys against two independently written writable
deployments (issue 24): Django REST framework (tests/independent/booga_drf: files and projects
writable, arrays and nested objects, UUID ids) and FastAPI (tests/independent/booga_fastapi: tasks
and invoices writable, arrays of nested objects, integer ids from one sequence).

The conformant servers pass; each write and tenancy breaker fails exactly its own rule (and at
most the rules the catalog says depend on it), on its own plugin's endpoint; and after every run
tenant A's data is what it was before (snapshot.py reads every list of A's, whole).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.independent import booga_drf, booga_fastapi
from tests.independent.booga_drf.snapshot import snapshot as drf_snapshot
from tests.independent.booga_fastapi.snapshot import snapshot as fastapi_snapshot
from tests.independent.serving import served

from apiconform.catalog import dependents, find_rule
from apiconform.runner import RunOutcome, run
from apiconform.session import Options

DEPLOYMENTS: dict[str, tuple[Any, Any]] = {"drf": (booga_drf, drf_snapshot),
                                           "fastapi": (booga_fastapi, fastapi_snapshot)}
WRITE_RULES = ("BGA-WRITE-CREATE", "BGA-WRITE-PUT-IDEMPOTENT", "BGA-WRITE-PATCH-IDEMPOTENT", "BGA-WRITE-DELETE",
               "BGA-WRITE-INVALID", "BGA-AUTH-WRITE", "BGA-TENANCY-WRITE", "BGA-TENANCY-CREATE")
CASES = [(name, breaker) for name, (package, _) in DEPLOYMENTS.items() for breaker in package.WRITE_BREAKERS]


def kit_run(name: str, *args: str) -> tuple[RunOutcome, dict[str, Any], dict[str, Any]]:
    """(outcome, tenant A's data before, after) of a write-enabled run with both keys."""
    package, snapshot = DEPLOYMENTS[name]
    with served(package.MODULE, *args) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("APICONFORM_TOKEN", package.KEY_A)
        mp.setenv("APICONFORM_TOKEN_B", package.KEY_B)
        before = {"A": snapshot(url, package.KEY_A), "B": snapshot(url, package.KEY_B)}
        outcome = run("booga", Options(base_url=url, write_reports=False, allow_writes=True))
        after = {"A": snapshot(url, package.KEY_A), "B": snapshot(url, package.KEY_B)}
    return outcome, before, after


def verdicts(outcome: RunOutcome, *wanted: str) -> dict[str, str]:
    return {r.rule.id: r.reason for r in outcome.run.results if r.verdict in wanted}


@pytest.fixture(scope="module", params=sorted(DEPLOYMENTS))
def conformant(request: pytest.FixtureRequest) -> Iterator[tuple[str, RunOutcome, dict[str, Any], dict[str, Any]]]:
    yield (request.param, *kit_run(request.param))


def test_the_conformant_deployment_passes_every_write_rule_on_each_writable_resource(
        conformant: tuple[str, RunOutcome, dict[str, Any], dict[str, Any]]) -> None:
    name, outcome, _, _ = conformant
    assert verdicts(outcome, "fail", "error") == {}
    assert outcome.exit_code == 0
    package = DEPLOYMENTS[name][0]
    for rule in WRITE_RULES:
        result = next(r for r in outcome.run.results if r.rule.id == rule)
        # Judged on each writable resource: its list (POST) or its items (PUT, PATCH, DELETE).
        judged = {row["endpoint"].split("/")[2] for row in result.endpoints if row["verdict"] == "pass"}
        assert set(package.WRITABLE) <= judged, (rule, result.endpoints)


def test_the_conformant_deployment_is_left_as_it_was_and_every_write_is_reported(
        conformant: tuple[str, RunOutcome, dict[str, Any], dict[str, Any]]) -> None:
    _, outcome, before, after = conformant
    assert before == after
    writes = outcome.run.extra["writes"]
    assert writes["left_behind"] == [] and writes["cleanup"].startswith("complete")
    assert {w["method"] for w in writes["sent"]} == {"POST", "PUT", "PATCH", "DELETE"}


@pytest.mark.parametrize(("name", "breaker"), CASES, ids=[f"{n}:{b}" for n, b in CASES])
def test_a_write_breaker_fails_exactly_its_rule_where_it_breaks_it(name: str, breaker: str) -> None:
    rule, _, where = breaker.partition("@")
    plugin = where.partition(":")[0]
    outcome, before, after = kit_run(name, "--break", breaker)
    failed = verdicts(outcome, "fail")
    assert rule in failed and set(failed) <= {rule} | dependents(find_rule(rule)), {
        "failed": failed, "errors": verdicts(outcome, "error")}
    assert outcome.exit_code == 1
    result = next(r for r in outcome.run.results if r.rule.id == rule)
    endpoints = {row["endpoint"] for row in result.endpoints if row["verdict"] == "fail"}
    assert endpoints and all(f"/api/{plugin}/" in e for e in endpoints), endpoints
    assert after["A"] == before["A"], "tenant A's data changed"
    assert outcome.run.extra["writes"]["left_behind"] == []
