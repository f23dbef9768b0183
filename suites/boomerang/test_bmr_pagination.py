"""Pagination: the limit is honoured and capped, pages walk consistently, bad parameters are 400s.

The Pagination page is not among our documents: parameter and field names are DESIGN.md's
assumption (query page/limit; pagination {page, limit, total_items, total_pages, has_more}),
overridable in a target file.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.profiles.boomerang.checks import error_code, limit_violations
from apiconform.profiles.boomerang.endpoint_probes import items_and_meta
from apiconform.sweep import sweep

MAX_PAGES = 20  # a traversal never walks more pages than this (request budget on live targets)
START_LIMIT = 25
TRAVERSAL_PAGES = 3  # a collection that fits one page of START_LIMIT is walked in about this many


def page_of(ctx: Context, **query: Any) -> Exchange:
    return ctx.get(ctx.target.path("resources"), params=ctx.params(**query), note=f"page {query}")


def max_limit(ctx: Context) -> int:
    return int(ctx.target["pagination"]["max_limit"])


@pytest.mark.rule("BMR-PAGINATION-LIMIT")
@settings(max_examples=3)
@example(limit=1)
@example(limit=100)
@example(limit=101)
@example(limit=120)
@example(limit=0)
@example(limit=1000)
@given(limit=st.integers(min_value=-5, max_value=300))
def test_page_never_exceeds_limit(ctx: Context, limit: int) -> None:
    cap = max_limit(ctx)
    ex = page_of(ctx, limit=limit)
    status = ex.status or 0
    ctx.expect(status < 500, f"limit={limit} caused a {status}", ex)
    if 1 <= limit <= cap:
        ctx.expect(200 <= status < 300, f"limit={limit} is within 1–{cap} but was answered {status}", ex)
    elif not 200 <= status < 300:
        # Out of range: a validation failure is conformant, clamping is too (DESIGN.md).
        code = error_code(ex)
        ctx.expect(status == 400 and code == "VALIDATION_FAILED", f"limit={limit} (out of range) must be "
                   f"clamped or rejected with 400 VALIDATION_FAILED, got {status} code {code!r}", ex)
        return
    _, meta = items_and_meta(ex)
    problems = limit_violations(ex, ctx.target["params"]["limit"], cap)
    ctx.expect(not problems, "; ".join(problems), ex)
    said = meta.get(ctx.target["pagination"]["limit"])
    if not 1 <= limit <= cap and isinstance(said, int):
        ctx.expect(1 <= said <= cap, f"limit={limit} was clamped to {said}, outside 1–{cap}", ex)


@pytest.mark.rule("BMR-PAGINATION-LIMIT")
def test_default_page_within_cap(ctx: Context) -> None:
    ex = page_of(ctx)
    items, _ = items_and_meta(ex)
    default = int(ctx.target["pagination"]["default_limit"])
    ctx.expect(len(items) <= max_limit(ctx), f"a page without limit holds {len(items)} items, "
               f"more than {max_limit(ctx)}", ex)
    if len(items) > default:
        ctx.note(f"a page without limit holds {len(items)} items; the assumed default is {default}")
    for generated in sweep(ctx):
        ctx.check(generated)


def _key(item: Any) -> str:
    if isinstance(item, dict) and "id" in item:
        return json.dumps(item["id"])
    return json.dumps(item, sort_keys=True)


@pytest.mark.rule("BMR-PAGINATION-TRAVERSAL")
def test_full_traversal_is_consistent(ctx: Context) -> None:
    names = ctx.target["pagination"]
    limit = START_LIMIT
    first = page_of(ctx, page=1, limit=limit)
    _, meta = items_and_meta(first)
    total = meta.get(names["total_items"])
    if isinstance(total, int) and not isinstance(total, bool):
        if total < 2:
            raise Incomplete(f"the paginated endpoint holds {total} item(s): a walk of one page checks no "
                             "page after the first; the rule needs at least two items", first)
        if math.ceil(total / limit) > MAX_PAGES:
            limit = max_limit(ctx)  # fewer, fuller pages for a large collection
        elif total <= limit:
            limit = max(1, math.ceil(total / TRAVERSAL_PAGES))  # a small collection in a few pages
        if limit != START_LIMIT:
            first = page_of(ctx, page=1, limit=limit)
    seen: dict[str, int] = {}
    page, ex, partial = 1, first, False
    while True:
        items, meta = items_and_meta(ex)
        fields: dict[str, Any] = {k: meta.get(names[k])
                                  for k in ("page", "limit", "total_items", "total_pages", "has_more")}
        absent = [names[k] for k, v in fields.items() if v is None]
        ctx.expect(not absent, f"pagination lacks {', '.join(absent)}", ex)
        total, pages, more = fields["total_items"], fields["total_pages"], fields["has_more"]
        ctx.expect(isinstance(total, int) and isinstance(pages, int) and isinstance(more, bool),
                   f"pagination types: total_items {total!r}, total_pages {pages!r} (integers), "
                   f"has_more {more!r} (boolean)", ex)
        ctx.expect(fields["page"] == page, f"requested page {page}, pagination says {fields['page']!r}", ex)
        ctx.expect(fields["limit"] == limit, f"requested limit {limit}, pagination says {fields['limit']!r}",
                   ex)
        expected_pages = math.ceil(total / limit)
        ctx.expect(pages == expected_pages or (total == 0 and pages in (0, 1)),
                   f"total_pages is {pages}, expected ceil({total}/{limit}) = {expected_pages}", ex)
        ctx.expect(more == (page < pages), f"has_more is {more} on page {page} of {pages}", ex)
        expected_count = limit if page < pages else max(0, total - (pages - 1) * limit)
        ctx.expect(len(items) == expected_count,
                   f"page {page} of {pages} holds {len(items)} items, expected {expected_count}", ex)
        for item in items:
            key = _key(item)
            ctx.expect(key not in seen, f"item {key} is on page {seen.get(key)} and again on page {page}", ex)
            seen[key] = page
        if not more:
            break
        if page >= MAX_PAGES:
            partial = True
            break
        page += 1
        ex = page_of(ctx, page=page, limit=limit)
    if partial:
        raise Incomplete(f"the walk stopped after {MAX_PAGES} pages of {limit} (the kit's cap) with has_more still "
                         f"true: that the pages hold total_items {total} was not observed", ex)
    ctx.expect(len(seen) == total, f"{page} pages held {len(seen)} items; total_items says {total}", ex)


MALFORMED = ["abc", "1.5", "-", "1e3", "0x10", "5abc", "1,000", "NaN", "true"]
# Values the document does not settle: blank, white-space padded or non-ASCII digits. A server
# may reject them (400 VALIDATION_FAILED) or read them as the number / the default; never 5xx.
AMBIGUOUS = ["", " 5", "5 ", "\u0665", "\uff15"]


def _ambiguous(value: str) -> bool:
    stripped = value.strip()
    return stripped == "" or re.fullmatch(r"[+-]?\d+", stripped) is not None


# Anything but an optionally signed run of digits (a signed integer is out of range, not
# malformed), and nothing the document leaves open.
def _not_an_integer(value: str) -> bool:
    # A named function, not a lambda: hypothesis reads a lambda filter's source (parsing the
    # whole module) to look for bounds it could apply.
    return re.fullmatch(r"[+-]?[0-9]+", value) is None and not _ambiguous(value)


NOT_INTEGER = st.text(st.characters(codec="utf-8"), min_size=1, max_size=6).filter(_not_an_integer)


@pytest.mark.rule("BMR-MALFORMED-QUERY")
@settings(max_examples=5)
@example(param="limit", value="abc")
@example(param="limit", value="1.5")
@example(param="page", value="1e3")
@given(param=st.sampled_from(["limit", "page"]), value=st.sampled_from(MALFORMED) | NOT_INTEGER)
def test_malformed_parameter_is_validation_failure(ctx: Context, param: str, value: str) -> None:
    ex = page_of(ctx, **{param: value})
    ctx.expect((ex.status or 0) < 500, f"{param}={value!r} caused a {ex.status}", ex)
    code = error_code(ex)
    ctx.expect(ex.status == 400 and code == "VALIDATION_FAILED", f"{param}={value!r} is not an integer: "
               f"expected 400 VALIDATION_FAILED, got {ex.status} code {code!r}", ex)


@pytest.mark.rule("BMR-MALFORMED-QUERY")
@pytest.mark.parametrize("value", AMBIGUOUS)
def test_ambiguous_parameter_is_rejected_or_read(ctx: Context, value: str) -> None:
    ex = page_of(ctx, limit=value)
    ctx.expect((ex.status or 0) < 500, f"limit={value!r} caused a {ex.status}", ex)
    if ex.status == 400:
        code = error_code(ex)
        ctx.expect(code == "VALIDATION_FAILED", f"limit={value!r} rejected with code {code!r}, "
                   "expected VALIDATION_FAILED", ex)
    else:
        ctx.expect(ex.status is not None and 200 <= ex.status < 300,
                   f"limit={value!r}: expected 400 VALIDATION_FAILED or a page, got {ex.status}", ex)
