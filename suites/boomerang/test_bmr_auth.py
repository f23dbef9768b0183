"""Authentication: `Authorization: Bearer [token]` is required, and only the issued token passes."""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from apiconform.context import Context

# Header values that are not the issued credential: the document's scheme with a wrong
# token (any case of `Bearer`), the scheme alone, and other schemes.
MALFORMED = ["Bearer", "Basic dXNlcjpwYXNzd29yZA==", "Token abc123", 'Digest username="apiconform"',
             "apiconform-not-a-scheme", "Bearer: wrong-token"]
WRONG = ["Bearer wrong-token", "bearer wrong-token", "BEARER wrong-token", "Bearer 0"]
TOKEN_CHARS = string.ascii_letters + string.digits + "-._~+/="
HEADER_VALUES = st.one_of(
    st.sampled_from(MALFORMED + WRONG),
    st.text(TOKEN_CHARS, min_size=1, max_size=48).map(lambda token: f"Bearer {token}"),
)


@pytest.mark.rule("BMR-AUTH-MISSING")
@pytest.mark.parametrize("endpoint", ["resource", "resources"])
def test_request_without_token_is_401(ctx: Context, endpoint: str) -> None:
    params = ctx.target["resource_query"] if endpoint == "resource" else None
    ex = ctx.get(ctx.target.path(endpoint), auth=None, params=params, note="no Authorization header")
    ctx.expect(ex.status == 401, f"expected 401 without an Authorization header, got {ex.status}", ex)


@pytest.mark.rule("BMR-AUTH-INVALID")
@settings(max_examples=4)
@example(value="Bearer wrong-token")
@example(value="bearer wrong-token")
@example(value="Bearer")
@example(value="Basic dXNlcjpwYXNzd29yZA==")
@given(value=HEADER_VALUES)
def test_invalid_or_malformed_token_is_rejected(ctx: Context, value: str) -> None:
    real = ctx.credentials["primary"].value
    scheme, _, token = value.partition(" ")
    assume(token.strip() != real)
    ex = ctx.get(ctx.target.path("resource"), auth=None, params=ctx.target["resource_query"],
                 headers={"Authorization": value}, note="wrong or malformed Authorization")
    well_formed = scheme.lower() == "bearer" and bool(token.strip())
    if well_formed:
        ctx.expect(ex.status == 401, f"a Bearer token that is not the issued one must be rejected with 401, "
                   f"got {ex.status} for Authorization: {value!r}", ex)
    else:
        # RFC 6750 3.1 lets a malformed request be a 400 (invalid_request) instead of 401.
        ctx.expect(ex.status in (400, 401), f"a malformed Authorization header ({value!r}) must be "
                   f"rejected with 401 (or 400), got {ex.status}", ex)
