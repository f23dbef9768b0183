"""Authentication, on every endpoint: `Authorization: Bearer [token]` is required, and only the
issued token passes."""

from __future__ import annotations

import pytest

from apiconform.context import Context
from apiconform.exchange import Exchange
from apiconform.forgery import forged_key
from apiconform.profiles.boomerang.probes import boomerang_probes
from apiconform.surface import Endpoint


def rejected(ctx: Context, ex: Exchange, how: str) -> None:
    """The page names no code: any 4xx rejects (in the error format, judged by its own rules);
    401 is recommended (DESIGN.md)."""
    status = ex.status or 0
    ctx.expect(400 <= status < 500, f"a request {how} must be rejected with a 4xx, got {status}", ex)
    if status != 401:
        ctx.note(f"a request {how} was rejected with {status}; 401 is recommended")


@pytest.mark.rule("BMR-AUTH-MISSING")
@pytest.mark.endpoints("any")
def test_request_without_token_is_rejected(ctx: Context, endpoint: Endpoint) -> None:
    p = boomerang_probes(ctx, endpoint)
    p.served()  # a path that answers nothing proves nothing by rejecting
    rejected(ctx, p.without_token(), "without an Authorization header")


@pytest.mark.rule("BMR-AUTH-INVALID")
@pytest.mark.endpoints("any")
def test_wrong_or_malformed_token_is_rejected(ctx: Context, endpoint: Endpoint) -> None:
    p = boomerang_probes(ctx, endpoint)
    p.served()
    # A random token of the issued one's shape (never derived from it), and another scheme.
    forged = forged_key(ctx.credentials["primary"].value, ctx.rng, avoid={c.value for c in ctx.credentials.values()})
    for value in (f"Bearer {forged}", "Basic dXNlcjpwYXNzd29yZA=="):
        ex = p.with_wrong_token(value)
        shown = value if value.startswith("Basic") else "Bearer <a token that is not issued>"
        status = ex.status or 0
        ctx.expect(400 <= status < 500, f"Authorization: {shown} must be rejected with a 4xx, got {status}", ex)
        # RFC 6750 3.1 lets a malformed header be a 400 (invalid_request): 401 recommended otherwise.
        if status != 401 and not (value.startswith("Basic") and status == 400):
            ctx.note(f"Authorization: {shown} was rejected with {status}; 401 is recommended")
