"""Response format, on every endpoint: content type, JSON, gzip, the envelope of its kind,
timestamps, idempotent GETs."""

from __future__ import annotations

import pytest

from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.items import unobservable
from apiconform.profiles.boomerang.checks import content_coding, parsed_body, timestamps_present
from apiconform.profiles.boomerang.probes import boomerang_probes, is_2xx, resource_data
from apiconform.surface import Endpoint


@pytest.mark.rule("BMR-RESPONSE-CONTENT-TYPE")
@pytest.mark.endpoints("any")
def test_success_content_type(ctx: Context, endpoint: Endpoint) -> None:
    p = boomerang_probes(ctx, endpoint)
    for ex in (p.served(), p.with_request_id(), *p.gzip_pair()):
        ctx.check(ex)


@pytest.mark.rule("BMR-RESPONSE-JSON")
@pytest.mark.endpoints("any")
def test_success_body_is_json(ctx: Context, endpoint: Endpoint) -> None:
    # Accept is only recommended: the API is JSON-only whatever the client asks for.
    p = boomerang_probes(ctx, endpoint)
    anything = p.send("accept-any", "Accept: */*", params=p.query(), headers={"Accept": "*/*"})
    for ex in (p.served(), anything):
        ctx.check(ex)


@pytest.mark.rule("BMR-GZIP")
@pytest.mark.endpoints("any")
def test_gzip_only_when_asked_and_the_same_answer(ctx: Context, endpoint: Endpoint) -> None:
    p = boomerang_probes(ctx, endpoint)
    p.served()
    zipped, plain = p.gzip_pair()  # gzip first, then the same URL without: a cache ignoring Vary shows
    for ex in (zipped, plain, p.served()):
        ctx.check(ex)  # not gzip unless asked; a claimed gzip stream decodes
    if not is_2xx(plain):
        raise Incomplete(f"the GET without gzip answered {plain.status}: nothing to compare", plain)
    if content_coding(zipped) not in ("gzip", "x-gzip"):
        ctx.note("gzip is not offered (allowed: the document says responses may be compressed)")
        return
    if resource_data(zipped) != resource_data(plain):
        if resource_data(p.served()) != resource_data(p.with_request_id()):
            # The data moves between identical GETs (BMR-IDEMPOTENT-GET's business): no comparison holds.
            raise Incomplete("two identical GETs return different data (see BMR-IDEMPOTENT-GET): the gzip answer "
                             "cannot be compared", zipped, plain)
        ctx.fail("the gzip response decodes to different data than the same GET without gzip", zipped, plain)


@pytest.mark.rule("BMR-ENVELOPE-DATA")
@pytest.mark.endpoints("single")
def test_non_paginated_envelope(ctx: Context, endpoint: Endpoint) -> None:
    p = boomerang_probes(ctx, endpoint)
    ctx.check(p.served())  # {"data": {…}}, and the data is the resource asked for
    if (other := p.other_path()) is not None:
        ctx.check(p.send("other-id", "another real id", path=other, params=p.query()))


@pytest.mark.rule("BMR-ENVELOPE-PAGINATED")
@pytest.mark.endpoints("list")
def test_paginated_envelope(ctx: Context, endpoint: Endpoint) -> None:
    p = boomerang_probes(ctx, endpoint)
    ctx.check(p.served())  # first: a walk needs the envelope it judges
    for ex in p.walk().pages[:2]:
        ctx.check(ex)


def timestamp_fields(ctx: Context) -> list[str]:
    # The target file's names, and the fields the deployment's OpenAPI document declares as times.
    return list(dict.fromkeys([*ctx.target["timestamp_fields"], *sorted(ctx.surface().timestamp_fields)]))


@pytest.mark.rule("BMR-TIMESTAMPS-EPOCH-MS")
@pytest.mark.endpoints("any")
def test_timestamps_are_epoch_milliseconds(ctx: Context, endpoint: Endpoint) -> None:
    p = boomerang_probes(ctx, endpoint)
    ok = p.served()
    ctx.check(ok)
    ctx.check(p.without_token())  # an error body's own timestamp
    if not timestamps_present(ok, timestamp_fields(ctx)):
        # An error body's timestamp is not the API's data: without a success body that carries
        # one, how the API represents its timestamps was never seen here.
        unobservable("its success body carries no timestamp (a field ending in _at or At, or one of "
                     f"{timestamp_fields(ctx)}); name the timestamp fields in the target file (timestamp_fields)")


@pytest.mark.rule("BMR-IDEMPOTENT-GET")
@pytest.mark.endpoints("any")
def test_identical_gets_return_the_same_data(ctx: Context, endpoint: Endpoint) -> None:
    # Idempotency is about state: the resource data (`data`, `items`) is the same on a repeat; the
    # envelope's metadata, a generation time say, may differ (DESIGN.md).
    p = boomerang_probes(ctx, endpoint)
    first, again = p.served(), p.with_request_id()
    ctx.expect(first.status == again.status, f"the same GET answered {first.status}, then {again.status}",
               first, again)
    ctx.expect(resource_data(first) == resource_data(again), f"two identical GETs of {p.path} (one with an "
               "X-Request-Id) returned different data", again, first)
    if parsed_body(first) != parsed_body(again):
        ctx.note(f"{endpoint.label}: the envelope's metadata differs between two identical GETs (allowed)")
