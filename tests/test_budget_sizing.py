"""A budget nobody set is sized for the endpoints found; one somebody set is kept (issue 25: 2000
requests judged 3 endpoints of a deployment of 293, and a large one ended incomplete)."""

from __future__ import annotations

from typing import Any

from apiconform.discovery import expected_requests, size_budget
from apiconform.runner import run
from apiconform.session import Options
from apiconform.surface import Endpoint, Surface
from apiconform.target import DEFAULT_MAX_REQUESTS, MAX_SIZED_REQUESTS


def test_a_small_deployment_keeps_the_default_and_a_set_budget_is_kept() -> None:
    assert run("booga", Options(write_reports=False, rules=["BGA-LIST-ENVELOPE"])).run.max_requests == \
        DEFAULT_MAX_REQUESTS
    assert run("booga", Options(write_reports=False, rules=["BGA-LIST-ENVELOPE"],
                                max_requests=700)).run.max_requests == 700


class _Ctx:
    def __init__(self, given: bool) -> None:
        from apiconform.client import Budget
        from apiconform.target import TargetConfig

        self.profile = "booga"
        self.allow_writes = False
        self.target = TargetConfig(profile="booga", max_requests_given=given)
        self.client: Any = type("C", (), {"budget": Budget(DEFAULT_MAX_REQUESTS)})()


def surface_of(lists: int) -> Surface:
    endpoints = [Endpoint(f"/api/p{n}/", "list") for n in range(lists)]
    endpoints += [Endpoint(f"/api/p{n}/{{id}}/", "single") for n in range(lists)]
    return Surface(endpoints, "test")


def test_a_large_deployment_gets_a_budget_for_every_endpoint_within_the_ceiling() -> None:
    ctx = _Ctx(given=False)
    size_budget(ctx, surface_of(150))  # type: ignore[arg-type]
    assert ctx.client.budget.limit == ctx.target.max_requests > expected_requests("booga", surface_of(150))
    huge = _Ctx(given=False)
    size_budget(huge, surface_of(2000))  # type: ignore[arg-type]
    assert huge.client.budget.limit == MAX_SIZED_REQUESTS
    given = _Ctx(given=True)
    size_budget(given, surface_of(150))  # type: ignore[arg-type]
    assert given.client.budget.limit == DEFAULT_MAX_REQUESTS
