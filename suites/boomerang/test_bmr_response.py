"""Response format: content type, JSON, gzip, envelopes, timestamps, idempotent GETs."""

from __future__ import annotations

from typing import Any

import pytest

from apiconform.checks import require_decoded
from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.profiles.boomerang.checks import (
    content_coding,
    parsed_body,
    schema_violations,
    timestamp_violations,
)
from apiconform.sweep import sweep

ENDPOINTS = ["resource", "resources"]


def fetch(ctx: Context, endpoint: str, *, page: dict[str, Any] | None = None, **kwargs: Any) -> Exchange:
    params = dict(ctx.target["resource_query"]) if endpoint == "resource" else ctx.params(**(page or {}))
    return ctx.get(ctx.target.path(endpoint), params=params, **kwargs)


def hold(ctx: Context, probes: list[Exchange]) -> None:
    """The running rule's checks over the probes and the generated traffic."""
    if not any(ex.status is not None and 200 <= ex.status < 300 for ex in probes):
        raise Incomplete(f"no probe was answered with a 2xx (got {[ex.status for ex in probes]})",
                         probes[0] if probes else None)
    for ex in [*probes, *sweep(ctx)]:
        ctx.check(ex)


def served(ex: Exchange, what: str) -> None:
    if ex.status is None or not 200 <= ex.status < 300:
        raise Incomplete(f"{what} answered {ex.status}, not a 2xx: nothing to check", ex)


@pytest.mark.rule("BMR-RESPONSE-CONTENT-TYPE")
def test_success_content_type(ctx: Context) -> None:
    probes = [fetch(ctx, e) for e in ENDPOINTS]
    probes += [fetch(ctx, "resources", page={"page": 2, "limit": 5}, accept_encoding="gzip")]
    hold(ctx, probes)


@pytest.mark.rule("BMR-RESPONSE-JSON")
@pytest.mark.parametrize("accept", ["application/json", "*/*", None], ids=["json", "any", "absent"])
def test_success_body_is_json(ctx: Context, accept: str | None) -> None:
    # Accept is only recommended: the API is JSON-only whatever the client asks for.
    headers: dict[str, Any] = {"Accept": accept}
    hold(ctx, [fetch(ctx, e, headers=headers, note=f"Accept: {accept}") for e in ENDPOINTS])


@pytest.mark.rule("BMR-GZIP")
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_gzip_decodes_to_the_identity_answer(ctx: Context, endpoint: str) -> None:
    plain = fetch(ctx, endpoint, note="Accept-Encoding: identity")
    refused = fetch(ctx, endpoint, accept_encoding="gzip;q=0, identity", note="gzip refused with q=0")
    zipped = fetch(ctx, endpoint, accept_encoding="gzip", note="Accept-Encoding: gzip")
    served(plain, f"GET {endpoint}")
    for ex in (plain, refused, zipped, *sweep(ctx)):
        ctx.check(ex)  # not gzip unless asked; a claimed gzip stream decodes
    if content_coding(zipped) not in ("gzip", "x-gzip"):
        ctx.note("gzip is not offered (allowed: the document says responses may be compressed)")
        return
    if parsed_body(zipped) != parsed_body(plain):
        again = fetch(ctx, endpoint, note="identity again")
        if parsed_body(again) != parsed_body(plain):
            raise Incomplete("two identical GETs differ (see BMR-IDEMPOTENT-GET): cannot compare gzip", again)
        ctx.fail("the gzip response decodes to a different body than the identity response", zipped, plain)


@pytest.mark.rule("BMR-ENVELOPE-DATA")
def test_non_paginated_envelope(ctx: Context) -> None:
    ex = fetch(ctx, "resource")
    served(ex, "the non-paginated endpoint")
    body = parsed_body(ex)
    require_decoded(ex)  # past the kit's size cap or nesting bound: `error`, not the target's fault
    ctx.expect(ex.response is not None and ex.response.is_json, "the non-paginated body is not JSON", ex)
    problems = schema_violations(body, "data-envelope.json", "non-paginated success body")
    ctx.expect(not problems, "; ".join(problems), ex)
    hold(ctx, [ex])


@pytest.mark.rule("BMR-ENVELOPE-PAGINATED")
@pytest.mark.parametrize("page", [{}, {"page": 2, "limit": 5}], ids=["default", "page2"])
def test_paginated_envelope(ctx: Context, page: dict[str, Any]) -> None:
    ex = fetch(ctx, "resources", page=page)
    served(ex, "the paginated endpoint")
    require_decoded(ex)  # past the kit's size cap or nesting bound: `error`, not the target's fault
    ctx.expect(ex.response is not None and ex.response.is_json, "the paginated body is not JSON", ex)
    problems = schema_violations(parsed_body(ex), "paginated-envelope.json", "paginated success body")
    ctx.expect(not problems, "; ".join(problems), ex)
    hold(ctx, [ex])


@pytest.mark.rule("BMR-TIMESTAMPS-EPOCH-MS")
def test_timestamps_are_epoch_milliseconds(ctx: Context) -> None:
    fields = list(ctx.target["timestamp_fields"])
    probes = [fetch(ctx, "resource"), fetch(ctx, "resources", page={"limit": 5}),
              fetch(ctx, "resource", auth=None, note="an error body (its timestamp)")]
    seen = 0
    for ex in [*probes, *sweep(ctx)]:
        problems = timestamp_violations(ex, fields)
        ctx.expect(not problems, "; ".join(problems[:3]), ex)
        if ex.status is not None and 200 <= ex.status < 300:
            seen += len(timestamp_fields_present(ex, fields))
    if not seen:
        # An error body's own timestamp is not the API's data: without a success body that
        # carries one, how the API represents its timestamps was never seen.
        raise Incomplete("no success body carried a timestamp (a field ending in _at, or one of "
                         f"{fields}): the rule needs one; name the timestamp fields in the target file "
                         "(timestamp_fields)", probes[0])


def timestamp_fields_present(ex: Exchange, fields: list[str]) -> list[str]:
    """Names of timestamp-like fields present in the body (for the vacuity note)."""
    body = parsed_body(ex)
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(key, str) and (key.endswith("_at") or key in fields):
                    found.append(key)
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(body)
    return found


@pytest.mark.rule("BMR-IDEMPOTENT-GET")
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_identical_gets_return_identical_bodies(ctx: Context, endpoint: str) -> None:
    page = {"page": 2, "limit": 7}
    first = fetch(ctx, endpoint, page=page, note="first")
    second = fetch(ctx, endpoint, page=page, note="the same GET again")
    served(first, f"GET {endpoint}")
    ctx.expect(first.status == second.status, f"the same GET answered {first.status}, then {second.status}",
               first, second)
    a, b = parsed_body(first), parsed_body(second)
    if a != b:
        keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k)) if isinstance(a, dict) and \
            isinstance(b, dict) else []
        where = f" (differing top-level fields: {', '.join(keys)})" if keys else ""
        ctx.fail(f"two identical GETs returned different bodies{where}", first, second)
