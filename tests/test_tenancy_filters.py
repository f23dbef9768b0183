"""Tenancy holds for filtered queries too (issue 24: `?search=` on one list ran without the tenant
filter, so B's search returned A's rows, and B's key was never used with a filter)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from apiconform import mocks
from apiconform.profiles.booga.mock import CREDENTIALS
from apiconform.runner import run
from apiconform.session import Options, harness


class SearchForgetsTheTenant:
    """The Booga mock, whose search runs without the tenant filter: a search with tenant B's key is
    answered as tenant A's (every other query of B's stays B's own)."""

    def __init__(self) -> None:
        self.app = mocks.create_app("booga")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        query = dict(parse_qsl(scope.get("query_string", b"").decode()))
        b_key, a_key = CREDENTIALS["b"].encode(), CREDENTIALS["primary"].encode()
        if scope["type"] == "http" and query.get("search") and scope["path"] == "/api/files/":
            scope = {**scope, "headers": [(k, v.replace(b_key, a_key)) for k, v in scope["headers"]]}
        await self.app(scope, receive, send)


def test_tenant_bs_search_that_lists_tenant_as_files_fails_tenancy() -> None:
    with harness(app=SearchForgetsTheTenant()):
        outcome = run("booga", Options(write_reports=False, rules=["BGA-TENANCY-LIST", "BGA-FILTER-SEARCH"]))
    results = {r.rule.id: r for r in outcome.run.results}
    tenancy = results["BGA-TENANCY-LIST"]
    assert tenancy.verdict == "fail", tenancy.reason
    assert "with search=" in tenancy.reason and "/api/files/" in tenancy.reason, tenancy.reason
    assert results["BGA-FILTER-SEARCH"].verdict == "pass", results["BGA-FILTER-SEARCH"].reason
