"""Error bodies and request identifiers."""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.sweep import sweep

DOC_REQUEST_ID = "9d2f7a1c-4f0a-4a71-9dd2-7fd9c1a3b210"  # the document's example
# UUIDs, or 1 to 64 of the characters request-id schemes use. (Spelled as text over an alphabet,
# not from_regex: hypothesis builds a regex's character classes from its Unicode tables, ~5 ms.)
REQUEST_IDS = st.uuids().map(str) | st.text(string.ascii_letters + string.digits + "._-", min_size=1, max_size=64)


def resource(ctx: Context, **kwargs: object) -> Exchange:
    return ctx.get(ctx.target.path("resource"), params=ctx.target["resource_query"], **kwargs)  # type: ignore[arg-type]


def error_probes(ctx: Context, headers: dict[str, str] | None = None) -> list[Exchange]:
    """Several kinds of error: no token, Content-Type, malformed limit, unknown id, a method no
    server acts on (read-only: never POST unless writes are allowed)."""
    path = ctx.target.path("resource")
    missing = {**ctx.target["resource_query"], "id": f"apiconform-missing-{ctx.rng.randrange(10**6)}"}
    hdrs = headers or {}
    return [
        ctx.get(path, auth=None, params=ctx.target["resource_query"], headers=hdrs, note="401: no token"),
        ctx.get(path, params=ctx.target["resource_query"],
                headers={**hdrs, "Content-Type": "application/json"}, note="400: Content-Type"),
        ctx.get(ctx.target.path("resources"), params=ctx.params(limit="abc"), headers=hdrs,
                note="400: malformed limit"),
        ctx.get(path, params=missing, headers=hdrs, note="404: no such resource"),
        ctx.request("POST" if ctx.allow_writes else "OPTIONS", path, params=ctx.target["resource_query"],
                    headers=hdrs, note="405: a method other than GET"),
    ]


def hold_errors(ctx: Context) -> None:
    # The same probes serve both error rules (every exchange is judged by both anyway).
    if "error_probes" not in ctx.cache:
        ctx.cache["error_probes"] = error_probes(ctx)
    probes = ctx.cache["error_probes"]
    ctx.use(*probes)
    errors = [ex for ex in [*probes, *sweep(ctx)] if ex.status is not None and ex.status >= 400]
    if not errors:
        raise Incomplete(f"none of the error probes was answered with an error status (got "
                         f"{[ex.status for ex in probes]})", probes[0])
    for ex in errors:
        ctx.check(ex)


@pytest.mark.rule("BMR-ERROR-FIELDS")
def test_error_carries_standard_fields(ctx: Context) -> None:
    hold_errors(ctx)


@pytest.mark.rule("BMR-ERROR-HTTP-STATUS")
def test_error_http_status_matches_status_line(ctx: Context) -> None:
    hold_errors(ctx)


@pytest.mark.rule("BMR-REQUEST-ID-ECHO")
@settings(max_examples=2)
@example(request_id=DOC_REQUEST_ID)
@example(request_id="Trace.ID_0042-AbC")
@given(request_id=REQUEST_IDS)
def test_request_id_is_echoed(ctx: Context, request_id: str) -> None:
    headers = {"X-Request-Id": request_id}
    ok = resource(ctx, headers=headers, note="success with X-Request-Id")
    error = resource(ctx, auth=None, headers=headers, note="error with X-Request-Id")
    ctx.check(ok)
    ctx.check(error)


@pytest.mark.rule("BMR-REQUEST-ID-ECHO")
def test_request_id_is_echoed_on_every_kind_of_error(ctx: Context) -> None:
    for ex in [*error_probes(ctx, {"X-Request-Id": DOC_REQUEST_ID}), *sweep(ctx)]:
        ctx.check(ex)


@pytest.mark.rule("BMR-REQUEST-ID-GENERATED")
def test_request_id_is_generated(ctx: Context) -> None:
    first, second = resource(ctx, note="no X-Request-Id"), resource(ctx, note="no X-Request-Id, again")
    error = resource(ctx, auth=None, note="error without X-Request-Id")
    for ex in [first, second, error, *sweep(ctx)]:
        ctx.check(ex)
    ids = [ex.response.header("x-request-id") if ex.response else None for ex in (first, second, error)]
    ctx.expect(len(set(ids)) == 3, f"generated X-Request-Id values repeat across requests: {ids}",
               first, second)
