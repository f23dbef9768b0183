"""Authentication, on every endpoint: a key in either header is accepted; a missing key or one
that is not issued, in either header, is 401; a key lacking the scope is 403."""

from __future__ import annotations

import pytest

from apiconform.context import Context
from apiconform.forgery import forged_key
from apiconform.items import unobservable
from apiconform.profiles.booga.probes import booga_probes
from apiconform.surface import Endpoint

HEADERS = {"bearer": "Authorization: Bearer", "api-key": "X-API-Key"}


def accepted(ctx: Context, endpoint: Endpoint, style: str) -> None:
    p = booga_probes(ctx, endpoint)
    ex = p.as_style(style)
    ctx.expect(ex.status not in (401, 403), f"a valid key in {HEADERS[style]} must be accepted, got {ex.status}",
               ex)
    if ex.status is None or not 200 <= ex.status < 300:
        # Refused for another reason than the key (a parameter it needs, say): no evidence either way.
        unobservable(f"its plain GET answered {ex.status} with the key in {HEADERS[style]}")


@pytest.mark.rule("BGA-AUTH-BEARER")
@pytest.mark.endpoints("any")
def test_bearer_key_is_accepted(ctx: Context, endpoint: Endpoint) -> None:
    accepted(ctx, endpoint, "bearer")


@pytest.mark.rule("BGA-AUTH-API-KEY")
@pytest.mark.endpoints("any")
def test_x_api_key_is_accepted(ctx: Context, endpoint: Endpoint) -> None:
    accepted(ctx, endpoint, "api-key")


@pytest.mark.rule("BGA-AUTH-MISSING")
@pytest.mark.endpoints("any")
def test_request_without_credentials_is_401(ctx: Context, endpoint: Endpoint) -> None:
    p = booga_probes(ctx, endpoint)
    p.default()  # reached at all: on a path that answers 404 to everything a rejection proves nothing
    ex = p.without_credentials()
    ctx.expect(ex.status == 401, f"a request without credentials must be 401 (not 403, not 2xx), got {ex.status}",
               ex)


@pytest.mark.rule("BGA-AUTH-INVALID")
@pytest.mark.endpoints("any")
def test_key_that_is_not_issued_is_401_in_either_header(ctx: Context, endpoint: Endpoint) -> None:
    # A random key of the issued key's shape, never derived from it: a server that echoes the key
    # it got hands back nothing of the real one (forgery.py).
    issued = {c.value for c in ctx.credentials.values()}
    forged = forged_key(ctx.credentials["primary"].value, ctx.rng, avoid=issued)
    p = booga_probes(ctx, endpoint)
    p.default()  # reached at all (a 404 to everything says nothing of keys)
    for header in ("Authorization", "X-API-Key"):
        ex = p.with_forged_key(header, forged)
        ctx.expect(ex.status == 401, f"a key that is not issued, sent in {header}, must be 401, got {ex.status}", ex)


@pytest.mark.rule("BGA-AUTH-SCOPE")
def test_key_lacking_scope_is_403(ctx: Context) -> None:
    ctx.require("scoped_key")
    spec = ctx.target["scoped_request"]
    method = str(spec.get("method", "GET")).upper()
    if method != "GET":
        ctx.require("writes")
    ex = ctx.request(method, spec["path"], auth="scoped", note="key lacking the scope")
    # Its body is BGA-ERROR-FORMAT's to judge (every 4xx of the run is held to it).
    ctx.expect(ex.status == 403, f"a valid key lacking the scope must be 403, got {ex.status}", ex)
