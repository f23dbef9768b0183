"""Error bodies and request identifiers, on every endpoint; and the error body of a path the
deployment does not route."""

from __future__ import annotations

import string
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from apiconform.context import Context
from apiconform.exchange import Exchange
from apiconform.profiles.boomerang.probes import BoomerangProbes, boomerang_probes
from apiconform.surface import Endpoint

UNROUTED = "apiconform-no-such-endpoint"


def error_probes(p: BoomerangProbes) -> list[Exchange]:
    """The endpoint's own errors: no token, a Content-Type, and an identifier that does not exist."""
    p.served()
    probes = [p.without_token(), p.with_content_type()]
    unknown = p.unknown_id()
    return [*probes, *([unknown] if unknown is not None else [])]


def unrouted(ctx: Context) -> list[Exchange]:
    """A path under the API's version root that no deployment routes, and one under each module."""
    if "bmr:unrouted" not in ctx.cache:
        surface = ctx.surface()
        roots = sorted({e.template.split(e.group, 1)[0] for e in surface.endpoints if e.group})
        modules = sorted({(e.template.split(e.group, 1)[0] + e.group) for e in surface.endpoints if e.group})
        paths = [f"{root}{UNROUTED}" for root in roots] + [f"{m}/{UNROUTED}/x" for m in modules[:8]]
        ctx.cache["bmr:unrouted"] = [ctx.get(path, note="a path the deployment does not route") for path in
                                     dict.fromkeys(paths)]
    return list(ctx.cache["bmr:unrouted"])


@pytest.mark.rule("BMR-ERROR-FIELDS")
@pytest.mark.endpoints("any")
def test_errors_carry_the_standard_fields(ctx: Context, endpoint: Endpoint) -> None:
    for ex in error_probes(boomerang_probes(ctx, endpoint)):
        ctx.check(ex)


@pytest.mark.rule("BMR-ERROR-FIELDS")
def test_an_unrouted_path_answers_in_the_error_format(ctx: Context) -> None:
    for ex in unrouted(ctx):
        ctx.expect(ex.status is not None and not 200 <= ex.status < 300,
                   f"a path the deployment does not route answered {ex.status}", ex)
        ctx.check(ex, where=f"{urlsplit(ex.request.url).path} (a path the deployment does not route)")


@pytest.mark.rule("BMR-ERROR-HTTP-STATUS")
@pytest.mark.endpoints("any")
def test_errors_carry_their_status(ctx: Context, endpoint: Endpoint) -> None:
    for ex in error_probes(boomerang_probes(ctx, endpoint)):
        ctx.check(ex)


DOC_REQUEST_ID = "9d2f7a1c-4f0a-4a71-9dd2-7fd9c1a3b210"  # the document's example
# UUIDs, or 1 to 64 of the characters request-id schemes use. (Spelled as text over an alphabet,
# not from_regex: hypothesis builds a regex's character classes from its Unicode tables, ~5 ms.)
REQUEST_IDS = st.uuids().map(str) | st.text(string.ascii_letters + string.digits + "._-", min_size=1, max_size=64)


@pytest.mark.rule("BMR-REQUEST-ID-ECHO")
@pytest.mark.endpoints("any")
@settings(max_examples=1)
@example(drawn=DOC_REQUEST_ID)
@given(drawn=REQUEST_IDS)
def test_request_id_is_echoed_on_success_and_error(ctx: Context, endpoint: Endpoint, drawn: str) -> None:
    p = boomerang_probes(ctx, endpoint)
    p.served()
    ctx.check(p.with_request_id())
    ctx.check(p.with_content_type())  # an error, sent with an X-Request-Id
    ctx.check(p.send(f"request-id:{drawn}", "GET with a drawn X-Request-Id", params=p.query(),
                     headers={"X-Request-Id": drawn}))


@pytest.mark.rule("BMR-REQUEST-ID-GENERATED")
@pytest.mark.endpoints("any")
def test_request_id_is_generated(ctx: Context, endpoint: Endpoint) -> None:
    p = boomerang_probes(ctx, endpoint)
    first, error = p.served(), p.without_token()
    for ex in (first, error):
        ctx.check(ex)
    ids = [ex.response.header("x-request-id") if ex.response else None for ex in (first, error)]
    ctx.expect(ids[0] is None or ids[0] != ids[1], f"generated X-Request-Id values repeat across requests: {ids}",
               first, error)


