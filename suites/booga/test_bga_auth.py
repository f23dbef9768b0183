"""Authentication: a key in either header is accepted; missing or invalid ones are 401; a key
lacking the scope is 403."""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from apiconform.context import Context
from apiconform.profiles.booga.probes import item_path, list_path

TOKEN_CHARS = string.ascii_letters + string.digits + "-._~"
# How a wrong key is made from the real one: near misses catch prefix or case-folded comparisons.
FORGERIES = ["flip-last", "append", "truncate", "upper", "random"]


def forged(real: str, how: str, token: str) -> str:
    if how == "flip-last":
        return real[:-1] + ("0" if real[-1:] != "0" else "1")
    if how == "append":
        return real + "x"
    if how == "truncate":
        return real[: max(1, len(real) - 4)]
    if how == "upper":
        return real.upper() if real.upper() != real else real.lower() + "x"
    return token


@pytest.mark.rule("BGA-AUTH-BEARER")
def test_bearer_key_is_accepted(ctx: Context) -> None:
    ex = ctx.get(list_path(ctx), auth_style="bearer", note="Authorization: Bearer <key>")
    ctx.expect(ex.status == 200,
               f"a valid key in Authorization: Bearer must be accepted, got {ex.status}", ex)


@pytest.mark.rule("BGA-AUTH-API-KEY")
def test_x_api_key_is_accepted(ctx: Context) -> None:
    ex = ctx.get(list_path(ctx), auth_style="api-key", note="X-API-Key: <key>")
    ctx.expect(ex.status == 200, f"a valid key in X-API-Key must be accepted, got {ex.status}", ex)


@pytest.mark.rule("BGA-AUTH-MISSING")
def test_request_without_credentials_is_401(ctx: Context) -> None:
    probes = [
        ctx.get(list_path(ctx), auth=None, note="list without credentials"),
        ctx.get(item_path(ctx, "00000000-0000-4000-8000-000000000000"), auth=None,
                note="item without credentials"),
    ]
    for ex in probes:
        ctx.expect(ex.status == 401, f"a request without credentials must be 401 (not 403, not 2xx), "
                   f"got {ex.status}", ex)


@pytest.mark.rule("BGA-AUTH-INVALID")
@settings(max_examples=8)
@example(style="bearer", how="flip-last", token="x")
@example(style="api-key", how="flip-last", token="x")
@example(style="api-key", how="truncate", token="x")
@example(style="bearer", how="random", token="wrong-key")
@given(style=st.sampled_from(["bearer", "api-key", "other-scheme"]), how=st.sampled_from(FORGERIES),
       token=st.text(TOKEN_CHARS, min_size=1, max_size=40))
def test_invalid_key_is_401(ctx: Context, style: str, how: str, token: str) -> None:
    real = ctx.credentials["primary"].value
    value = forged(real, how, token)
    if value in {c.value for c in ctx.credentials.values()}:
        return  # the strategy happened to produce an issued key: nothing to test
    if style == "bearer":
        headers = {"Authorization": f"Bearer {value}"}
    elif style == "api-key":
        headers = {"X-API-Key": value}
    else:
        headers = {"Authorization": f"Basic {value}"}
    ex = ctx.get(list_path(ctx), auth=None, headers=headers, note=f"invalid key ({how}, {style})")
    ctx.expect(ex.status == 401, f"an invalid key ({how} of the issued one, sent as {style}) must be 401, "
               f"got {ex.status}", ex)


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
