"""Authentication: `Authorization: Bearer [token]` is required."""

import pytest

from apiconform.context import Context


@pytest.mark.rule("BMR-AUTH-MISSING")
def test_request_without_token_is_401(ctx: Context) -> None:
    ex = ctx.get(ctx.target.path("resource"), auth=None, params=ctx.target["resource_query"])
    ctx.expect(ex.status == 401, f"expected 401 without a token, got {ex.status}", ex)


@pytest.mark.rule("BMR-ERROR-FIELDS")
def test_error_carries_standard_fields(ctx: Context) -> None:
    ex = ctx.get(ctx.target.path("resource"), auth=None, params=ctx.target["resource_query"])
    ctx.check(ex)
