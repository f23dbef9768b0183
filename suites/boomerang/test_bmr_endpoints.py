"""Every rule on every endpoint: the modules of the deployment beyond the page's two examples,
as its vendor OpenAPI document declares them (`--openapi`).

The page describes "how requests must be structured and how responses are formatted, so that
clients behave consistently across all modules". The two example endpoints are examined
deeply by the other modules of this suite; here each further endpoint is held to the same
rules with a few shared requests (breadth_boomerang.py). Rules judged on every exchange of the
run (content type, JSON, envelopes by the endpoint's kind, timestamps, error fields, request
ids, no 5xx) are judged on these endpoints' answers by the whole-run judgement too.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from apiconform.breadth import each_endpoint
from apiconform.context import Context
from apiconform.exchange import Exchange
from apiconform.profiles.boomerang.checks import error_code, parsed_body
from apiconform.profiles.boomerang.endpoint_probes import (
    METHODS_READ_ONLY,
    METHODS_WRITING,
    REQUEST_ID,
    VERSION_SEGMENT,
    BoomerangProbes,
    further,
    items_and_meta,
    probes_for,
)
from apiconform.surface import Endpoint, Param

# Past 64 bits: an integer a server must still refuse or clamp, never crash on.
HUGE = str(2**64 + 1)


def on(ctx: Context, endpoints: list[Endpoint], judge: Callable[[Context, BoomerangProbes], str | None]) -> None:
    each_endpoint(ctx, endpoints, lambda e: judge(ctx, probes_for(ctx, e)))


# -- the envelope its kind calls for ---------------------------------------------------------------
@pytest.mark.rule("BMR-ENVELOPE-DATA")
def test_every_single_resource_is_wrapped_in_data(ctx: Context) -> None:
    def judge(ctx: Context, p: BoomerangProbes) -> None:
        ctx.check(p.served())
    on(ctx, further(ctx, "single"), judge)


@pytest.mark.rule("BMR-ENVELOPE-PAGINATED")
def test_every_paginated_endpoint_has_items_and_pagination(ctx: Context) -> None:
    def judge(ctx: Context, p: BoomerangProbes) -> None:
        ctx.check(p.served())
    on(ctx, further(ctx, "list"), judge)


@pytest.mark.rule("BMR-RESPONSE-CONTENT-TYPE")
def test_every_endpoint_answers_json_utf8(ctx: Context) -> None:
    def judge(ctx: Context, p: BoomerangProbes) -> None:
        ctx.check(p.served())
    on(ctx, further(ctx), judge)


@pytest.mark.rule("BMR-TIMESTAMPS-EPOCH-MS")
def test_every_endpoint_uses_epoch_milliseconds(ctx: Context) -> None:
    def judge(ctx: Context, p: BoomerangProbes) -> None:
        ctx.check(p.served())
    on(ctx, further(ctx), judge)


# -- request rules ------------------------------------------------------------------------------
@pytest.mark.rule("BMR-PATH-VERSIONED")
def test_every_endpoint_is_versioned(ctx: Context) -> None:
    def judge(ctx: Context, p: BoomerangProbes) -> None:
        match = VERSION_SEGMENT.search(p.endpoint.template)
        ctx.expect(match is not None, f"the endpoint {p.endpoint.template} has no /vN/ version segment")
        assert match is not None
        versioned = p.served()
        url = ctx.client.url(p.path)
        cut = url.rfind(match.group(0) + "/")
        ex = p.send("unversioned", "the same GET without /vN", path=url[:cut] + url[cut + len(match.group(0)):],
                    params=p.query())
        ctx.expect(not (ex.status is not None and 200 <= ex.status < 300), f"the unversioned path was served "
                   f"({ex.status}); requests must target a versioned path like {match.group(0)}/", ex, versioned)
    on(ctx, further(ctx), judge)


@pytest.mark.rule("BMR-CONTENT-TYPE-REJECTED")
def test_every_endpoint_rejects_content_type(ctx: Context) -> None:
    def judge(ctx: Context, p: BoomerangProbes) -> None:
        p.served()
        ex = p.send("content-type", "GET carrying Content-Type", params=p.query(),
                    headers={"Content-Type": "application/json", "X-Request-Id": REQUEST_ID})
        code = error_code(ex)
        ctx.expect(ex.status == 400 and code == "VALIDATION_FAILED", "a request with Content-Type: application/json "
                   f"must be rejected with 400 VALIDATION_FAILED, got {ex.status} code {code!r}", ex)
    on(ctx, further(ctx), judge)


def methods(ctx: Context) -> list[str]:
    # Read-only unless told: methods no server acts on; the writing ones with --allow-writes.
    return [*METHODS_READ_ONLY[:2], *(METHODS_WRITING[:2] if ctx.allow_writes else [])]


@pytest.mark.rule("BMR-METHOD-GET-ONLY")
def test_every_endpoint_rejects_other_methods(ctx: Context) -> None:
    def judge(ctx: Context, p: BoomerangProbes) -> None:
        p.served()
        for method in methods(ctx):
            ex = p.send(f"method-{method}", f"{method}: the API is GET-only", method=method, params=p.query())
            status = ex.status or 0
            ctx.expect(not 200 <= status < 300, f"{method} was served ({status}); only GET is supported", ex)
            ctx.expect(400 <= status < 500 or status == 501, f"{method} must be rejected with a 4xx, got {status}",
                       ex)
    on(ctx, further(ctx), judge)


@pytest.mark.rule("BMR-AUTH-MISSING")
def test_every_endpoint_rejects_a_missing_token(ctx: Context) -> None:
    def judge(ctx: Context, p: BoomerangProbes) -> None:
        p.served()
        ex = p.send("no-token", "no Authorization header", auth=None, params=p.query())
        rejected(ctx, ex, "without an Authorization header")
    on(ctx, further(ctx), judge)


@pytest.mark.rule("BMR-AUTH-INVALID")
def test_every_endpoint_rejects_a_wrong_token(ctx: Context) -> None:
    def judge(ctx: Context, p: BoomerangProbes) -> None:
        p.served()
        ex = p.send("wrong-token", "a token that is not the issued one", auth=None, params=p.query(),
                    headers={"Authorization": "Bearer apiconform-wrong-token"})
        rejected(ctx, ex, "with a token that is not the issued one")
    on(ctx, further(ctx), judge)


def rejected(ctx: Context, ex: Exchange, how: str) -> None:
    """The page names no code: any 4xx rejects (in the error format, judged by its own rules);
    401 is recommended (DESIGN.md)."""
    status = ex.status or 0
    ctx.expect(400 <= status < 500, f"a request {how} must be rejected with a 4xx, got {status}", ex)
    if status != 401:
        ctx.note(f"a request {how} was rejected with {status}; 401 is recommended")


# -- query parameters each endpoint declares --------------------------------------------------------
def integer_params(endpoint: Endpoint) -> list[Param]:
    return [p for p in endpoint.query if p.type == "integer"]


@pytest.mark.rule("BMR-MALFORMED-QUERY")
def test_every_declared_integer_parameter_rejects_a_non_integer(ctx: Context) -> None:
    def judge(ctx: Context, p: BoomerangProbes) -> str | None:
        params = integer_params(p.endpoint)
        if not params:
            return None
        p.served()
        for param in params:
            ex = p.send(f"malformed-{param.name}", f"{param.name}=abc (not an integer)",
                        params={**p.query(), param.name: "abc"})
            code = error_code(ex)
            ctx.expect(ex.status == 400 and code == "VALIDATION_FAILED", f"{param.name}=abc is not an integer: "
                       f"expected 400 VALIDATION_FAILED, got {ex.status} code {code!r}", ex)
        return None
    on(ctx, [e for e in further(ctx) if integer_params(e)], judge)


@pytest.mark.rule("BMR-NO-5XX")
def test_every_declared_integer_parameter_survives_its_bounds(ctx: Context) -> None:
    # Below the declared minimum and past 64 bits, on every endpoint, the examples included: a
    # validation failure and a clamp are both conformant, a 5xx is not (judged by the check).
    def judge(ctx: Context, p: BoomerangProbes) -> None:
        for param in integer_params(p.endpoint):
            low = param.bound("minimum")
            for value in dict.fromkeys([str(low - 1) if low is not None else "-1", HUGE]):
                ex = p.send(f"bound-{param.name}-{value}", f"{param.name}={value}",
                            params={**p.query(), param.name: value})
                ctx.check(ex)
    on(ctx, [e for e in ctx.surface().endpoints if integer_params(e)], judge)


# -- pagination on every paginated endpoint --------------------------------------------------------------
@pytest.mark.rule("BMR-PAGINATION-LIMIT")
def test_every_paginated_endpoint_caps_the_limit(ctx: Context) -> None:
    cap = int(ctx.target["pagination"]["max_limit"])

    def judge(ctx: Context, p: BoomerangProbes) -> str | None:
        ctx.check(p.served())
        ex = p.send("over-limit", f"limit={cap + 50}", params=p.query(limit=cap + 50))
        status = ex.status or 0
        if 200 <= status < 300:
            ctx.check(ex)
        elif status < 500:
            code = error_code(ex)
            ctx.expect(status == 400 and code == "VALIDATION_FAILED", f"limit={cap + 50} (out of range) must be "
                       f"clamped or rejected with 400 VALIDATION_FAILED, got {status} code {code!r}", ex)
        total = items_and_meta(p.served())[1].get(ctx.target["pagination"]["total_items"])
        if isinstance(total, int) and total <= cap:
            return f"it holds {total} items: that a limit above {cap} is not honoured shows only with more"
        return None
    on(ctx, further(ctx, "list"), judge)


@pytest.mark.rule("BMR-PAGINATION-TRAVERSAL")
def test_every_paginated_endpoint_walks_consistently(ctx: Context) -> None:
    names = ctx.target["pagination"]

    def judge(ctx: Context, p: BoomerangProbes) -> str | None:
        walk = p.walk()
        if walk.problem:
            return walk.problem
        assert walk.total is not None
        if walk.total < 2:
            return f"it holds {walk.total} item(s): a walk of one page checks no page after the first"
        seen: dict[str, int] = {}
        for number, ex in enumerate(walk.pages, 1):
            items, meta = items_and_meta(ex)
            pages = math_ceil(walk.total, walk.limit)
            ctx.expect(meta.get(names["page"]) == number, f"requested page {number}, pagination says "
                       f"{meta.get(names['page'])!r}", ex)
            ctx.expect(meta.get(names["total_pages"]) == pages, f"total_pages is {meta.get(names['total_pages'])!r}"
                       f", expected ceil({walk.total}/{walk.limit}) = {pages}", ex)
            ctx.expect(meta.get(names["has_more"]) == (number < pages), f"has_more is "
                       f"{meta.get(names['has_more'])!r} on page {number} of {pages}", ex)
            for item in items:
                key = repr(item.get("id")) if isinstance(item, dict) and "id" in item else repr(item)
                ctx.expect(key not in seen, f"item {key} is on page {seen.get(key)} and again on page {number}", ex)
                seen[key] = number
        ctx.expect(len(seen) == walk.total, f"{len(walk.pages)} pages held {len(seen)} items; total_items says "
                   f"{walk.total}", walk.pages[-1])
        return None
    on(ctx, further(ctx, "list"), judge)


def math_ceil(total: int, limit: int) -> int:
    return -(-total // limit)


# -- request ids and idempotence ----------------------------------------------------------------------
@pytest.mark.rule("BMR-REQUEST-ID-ECHO")
def test_every_endpoint_echoes_the_request_id(ctx: Context) -> None:
    def judge(ctx: Context, p: BoomerangProbes) -> None:
        p.served()
        ctx.check(p.with_request_id())
    on(ctx, further(ctx), judge)


@pytest.mark.rule("BMR-REQUEST-ID-GENERATED")
def test_every_endpoint_generates_a_request_id(ctx: Context) -> None:
    def judge(ctx: Context, p: BoomerangProbes) -> None:
        ctx.check(p.served())
    on(ctx, further(ctx), judge)


@pytest.mark.rule("BMR-IDEMPOTENT-GET")
def test_every_endpoint_answers_identical_gets_identically(ctx: Context) -> None:
    def judge(ctx: Context, p: BoomerangProbes) -> None:
        first, again = p.served(), p.with_request_id()
        ctx.expect(parsed_body(first) == parsed_body(again), f"two identical GETs of {p.path} (one with an "
                   "X-Request-Id) returned different bodies", again, first)
    on(ctx, further(ctx), judge)


# -- error bodies on every endpoint ---------------------------------------------------------------
def error_probes(ctx: Context, p: BoomerangProbes) -> list[Exchange]:
    """The endpoint's own errors: no token, and for a single resource an id that does not exist."""
    p.served()
    probes = [p.send("no-token", "no Authorization header", auth=None, params=p.query())]
    if p.endpoint.path_params:
        values, _ = ctx.surface().path_values(p.endpoint)
        values[p.endpoint.path_params[-1].name] = "apiconform-no-such-id"
        probes.append(p.send("unknown-id", "an id that does not exist", path=p.endpoint.fill(values),
                             params=p.query()))
    return probes


@pytest.mark.rule("BMR-ERROR-FIELDS")
def test_every_endpoints_errors_carry_the_standard_fields(ctx: Context) -> None:
    def judge(ctx: Context, p: BoomerangProbes) -> None:
        for ex in error_probes(ctx, p):
            ctx.check(ex)
    on(ctx, further(ctx), judge)


@pytest.mark.rule("BMR-ERROR-HTTP-STATUS")
def test_every_endpoints_errors_carry_their_status(ctx: Context) -> None:
    def judge(ctx: Context, p: BoomerangProbes) -> None:
        for ex in error_probes(ctx, p):
            ctx.check(ex)
    on(ctx, further(ctx), judge)
