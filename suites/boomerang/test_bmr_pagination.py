"""Pagination, on every paginated endpoint: the limit is honoured and capped, pages walk
consistently to the last one, and malformed parameters are 400 VALIDATION_FAILED.

The Pagination page is not among our documents: parameter and field names are DESIGN.md's
assumption (query page/limit; pagination {page, limit, total_items, total_pages, has_more}),
overridable in a target file. Every page the run receives is also held to the per-page checks
(pagination fields consistent with each other and with items; never more than the limit).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apiconform.context import Context
from apiconform.items import unobservable
from apiconform.profiles.boomerang.checks import error_code
from apiconform.profiles.boomerang.probes import HUGE, BoomerangProbes, boomerang_probes, is_2xx, items_and_meta
from apiconform.surface import Endpoint, Param


# Out of range: at the bounds of 1–max, below them (0, negative), just past the maximum, past 64 bits.
def out_of_range(cap: int) -> list[str]:
    return ["0", "-1", str(cap + 1), HUGE]


def validation_failed(ctx: Context, ex: object, what: str) -> None:
    code = error_code(ex)  # type: ignore[arg-type]
    status = getattr(ex, "status", None)
    ctx.expect(status == 400 and code == "VALIDATION_FAILED", f"{what} must be clamped or rejected with 400 "
               f"VALIDATION_FAILED, got {status} code {code!r}", ex)  # type: ignore[arg-type]


@pytest.mark.rule("BMR-PAGINATION-LIMIT")
@pytest.mark.endpoints("list")
def test_limit_is_honoured_and_capped(ctx: Context, endpoint: Endpoint) -> None:
    p = boomerang_probes(ctx, endpoint)
    names, cap = ctx.target["pagination"], int(ctx.target["pagination"]["max_limit"])
    ctx.check(p.served())
    for ex in p.walk().pages:
        ctx.check(ex)  # never more than the limit asked for
    total = p.total()
    honoured_past_cap = False
    for value in out_of_range(cap):
        ex = p.value(ctx.target["params"]["limit"], value)
        status = ex.status or 0
        ctx.expect(status < 500, f"limit={value} caused a {status}", ex)
        if not is_2xx(ex):
            validation_failed(ctx, ex, f"limit={value} (out of range)")
            continue
        ctx.check(ex)
        items, meta = items_and_meta(ex)
        said = meta.get(names["limit"])
        ctx.expect(len(items) >= min(1, total), f"limit={value} gave {len(items)} items of {total}: a clamp into "
                   f"1–{cap} keeps at least one", ex)
        if isinstance(said, int) and not isinstance(said, bool):
            # The clamp shows in the page's own metadata, whatever the collection holds.
            ctx.expect(1 <= said <= cap, f"limit={value} was clamped to {said}, outside 1–{cap}", ex)
        else:
            honoured_past_cap = honoured_past_cap or value in (str(cap + 1), HUGE)
    if honoured_past_cap and total <= cap:
        unobservable(f"it holds {total} items and a limit past {cap} was not refused: that it is not honoured "
                     "shows only with more")


@pytest.mark.rule("BMR-PAGINATION-TRAVERSAL")
@pytest.mark.endpoints("list")
def test_pages_walk_consistently_to_the_last(ctx: Context, endpoint: Endpoint) -> None:
    p = boomerang_probes(ctx, endpoint)
    p.require_total(2, "a walk past the first page")
    walk = p.walk()
    seen: dict[str, int] = {}
    for number, ex in enumerate(walk.pages, 1):
        ctx.check(ex)  # page, limit, totals and has_more agree with each other and with items
        items, meta = items_and_meta(ex)
        ctx.expect(meta.get(ctx.target["pagination"]["page"]) == number, f"requested page {number}, pagination "
                   f"says {meta.get(ctx.target['pagination']['page'])!r}", ex)
        for item in items:
            key = repr(item.get("id")) if isinstance(item, dict) and "id" in item else repr(item)
            ctx.expect(key not in seen, f"item {key} is on page {seen.get(key)} and again on page {number}", ex)
            seen[key] = number
    if walk.last is not None:
        # Too long to walk: the last page, read directly, ends the collection.
        ctx.check(walk.last)
        ctx.note(f"{endpoint.label}: {walk.total} items: {len(walk.pages)} pages walked, the last read directly")
        return
    ctx.expect(len(seen) == walk.total, f"{len(walk.pages)} pages held {len(seen)} items; total_items says "
               f"{walk.total}", walk.pages[-1])


def integer_params(p: BoomerangProbes) -> list[Param]:
    return [param for param in p.endpoint.query if param.type == "integer"]


# Anything but an optionally signed run of digits (a signed integer is out of range, not
# malformed), and nothing the document leaves open (blank or padded digits, non-ASCII digits).
def _not_an_integer(value: str) -> bool:
    # A named function, not a lambda: hypothesis reads a lambda filter's source (parsing the
    # whole module) to look for bounds it could apply.
    stripped = value.strip()
    return stripped != "" and re.fullmatch(r"[+-]?\d+", stripped) is None


NOT_INTEGER = st.sampled_from(["1.5", "-", "1e3", "0x10", "5abc", "1,000", "NaN", "true"]) | st.text(
    st.characters(codec="utf-8"), min_size=1, max_size=6).filter(_not_an_integer)


@pytest.mark.rule("BMR-MALFORMED-QUERY")
@pytest.mark.endpoints("any")
@settings(max_examples=1)
@given(drawn=NOT_INTEGER)
def test_a_non_integer_is_a_validation_failure(ctx: Context, endpoint: Endpoint, drawn: str) -> None:
    p = boomerang_probes(ctx, endpoint)
    params = integer_params(p)
    if not params:
        pytest.skip(f"{endpoint.label} declares no integer query parameter")
    p.served()
    for param, value in [*((param, "abc") for param in params), (params[0], drawn)]:
        ex = p.value(param.name, value)
        code = error_code(ex)
        ctx.expect(ex.status == 400 and code == "VALIDATION_FAILED", f"{param.name}={value!r} is not an integer: "
                   f"expected 400 VALIDATION_FAILED, got {ex.status} code {code!r}", ex)


@pytest.mark.rule("BMR-NO-5XX")
@pytest.mark.endpoints("any")
def test_integer_parameters_survive_their_bounds(ctx: Context, endpoint: Endpoint) -> None:
    # Below the declared minimum and past 64 bits: a validation failure and a clamp are both
    # conformant, a 5xx is not (judged by the check on every exchange of the run).
    p = boomerang_probes(ctx, endpoint)
    p.served()
    for param in integer_params(p):
        low = param.bound("minimum")
        for value in dict.fromkeys([str(low - 1) if low is not None else "-1", "0", HUGE]):
            ctx.check(p.value(param.name, value))
    ctx.check(p.served())
