"""limit/offset pagination, on every list of the deployment: the {count, next, previous, results}
envelope, the default limit, limits in and out of 1–100, offsets, links, a full traversal, and
links that keep the query.

Every list gets the same probes (profiles/booga/probes.py), shared between these rules; every
page the run receives is also held to the per-page checks (profiles/booga/checks.py).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.items import unobservable
from apiconform.profiles.booga.probes import (
    FULL,
    HUGE,
    INVALID_LIMITS,
    PAST_INT64,
    BoogaProbes,
    booga_probes,
    envelope,
    ident,
    link_url,
    results,
)
from apiconform.surface import Endpoint

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@pytest.mark.rule("BGA-LIST-ENVELOPE")
@pytest.mark.endpoints("list")
def test_list_envelope(ctx: Context, endpoint: Endpoint) -> None:
    p = booga_probes(ctx, endpoint)
    for ex in (p.default(), p.full()):
        ctx.expect(ex.status == 200, f"the list answered {ex.status}", ex)
        ctx.check(ex)  # the envelope's fields, judged as on every list page of the run


@pytest.mark.rule("BGA-LIST-DEFAULT-LIMIT")
@pytest.mark.endpoints("list")
def test_default_limit_is_20(ctx: Context, endpoint: Endpoint) -> None:
    p = booga_probes(ctx, endpoint)
    count = p.require_count(DEFAULT_LIMIT + 1, "seeing the default page size of 20")
    ex = p.default()
    got = len(results(ex))
    ctx.expect(got == min(DEFAULT_LIMIT, count), f"without limit the page holds {got} results; expected min(20, "
               f"count {count}) = {min(DEFAULT_LIMIT, count)}", ex)


@pytest.mark.rule("BGA-LIST-LIMIT")
@pytest.mark.endpoints("list")
@settings(max_examples=2)
@given(drawn=st.integers(min_value=2, max_value=MAX_LIMIT - 1))
def test_limit_is_honoured(ctx: Context, endpoint: Endpoint, drawn: int) -> None:
    p = booga_probes(ctx, endpoint)
    count = p.require_count(2, "seeing a limit honoured")
    walk = p.walk()
    # The bounds of 1–100, the walk's own limit and a drawn one: min(limit, count) results each.
    for limit, ex in ((1, p.limit("1")), (FULL, p.full()), (walk.limit, walk.pages[0]), (drawn, p.limit(str(drawn)))):
        ctx.check(ex)
        got = len(results(ex))
        ctx.expect(got == min(limit, count), f"limit={limit} gave {got} results; expected min(limit, count "
                   f"{count}) = {min(limit, count)}", ex)


NOT_INTEGER = ["1.5", "", "-", "1e3", "0x10", "5abc", "NaN", "true", " "]
OUT_OF_RANGE = st.one_of(
    st.integers(min_value=-100, max_value=0).map(str),
    st.integers(min_value=MAX_LIMIT + 1, max_value=100_000).map(str),
    st.sampled_from(NOT_INTEGER),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=6)
    .filter(lambda v: re.fullmatch(r"\s*[0-9]+\s*", v) is None),
)


@pytest.mark.rule("BGA-LIST-LIMIT-INVALID")
@pytest.mark.endpoints("list")
@settings(max_examples=2)
@given(drawn=OUT_OF_RANGE)
def test_invalid_limit_is_rejected_or_brought_into_range(ctx: Context, endpoint: Endpoint, drawn: str) -> None:
    p = booga_probes(ctx, endpoint)
    count = p.count()
    honoured_past_max = False
    for value in (*INVALID_LIMITS, drawn):
        ex = p.limit(value)
        status = ex.status or 0
        ctx.expect(status < 500, f"limit={value} caused a {status}", ex)
        if status == 400:
            continue  # rejected: conformant (its body is BGA-ERROR-VALIDATION's business)
        ctx.expect(200 <= status < 300, f"limit={value} (outside 1–100 or not an integer) must be a 400 or fall "
                   f"back/clamp into 1–100, got {status}", ex)
        ctx.check(ex)  # never more than 100
        got = len(results(ex))
        ctx.expect(got >= min(1, count), f"limit={value} gave {got} results of {count}: a fallback or clamp must "
                   "stay within 1–100", ex)
        honoured_past_max = honoured_past_max or value in ("101", HUGE) or (value.isdigit() and int(value) > 100)
    if honoured_past_max and count <= MAX_LIMIT:
        # A server honouring limit=101 answers exactly like one clamping to 100 here: no evidence.
        unobservable(f"it holds {count} results and a limit past 100 was not refused: that it is not honoured "
                     f"shows only with more than {MAX_LIMIT}")


@pytest.mark.rule("BGA-LIST-OFFSET")
@pytest.mark.endpoints("list")
@settings(max_examples=1)
@example(drawn=2)
@given(drawn=st.integers(min_value=1, max_value=FULL - 1))
def test_offset_skips_results(ctx: Context, endpoint: Endpoint, drawn: int) -> None:
    p = booga_probes(ctx, endpoint)
    count = p.require_count(3, "seeing results skipped by offset")
    full = p.full()
    ids = [ident(i) for i in results(full)]
    offset, limit = drawn % (len(ids) - 1) or 1, 5
    ex = p.page(f"offset={offset}", f"offset={offset}&limit={limit}", limit=limit, offset=offset)
    got, want = [ident(i) for i in results(ex)], ids[offset:offset + limit]
    ctx.expect(got[:len(want)] == want and len(got) >= len(want), f"offset={offset}&limit={limit} gave ids "
               f"{got[:3]}…; the full page has {want[:3]}… at position {offset}", ex, full)
    tail = p.page("offset-tail", f"offset={count - 2} (the last two)", limit=5, offset=count - 2)
    ctx.expect(len(results(tail)) == 2, f"offset={count - 2} of count {count} gave {len(results(tail))} results, "
               "expected 2", tail)
    # Past the end, even past 64 bits: nothing left to show (or a 400); a 5xx is BGA-NO-5XX's.
    for name, value in (("offset-past-int64", PAST_INT64), ("offset-negative", "-1")):
        ex = p.page(name, f"offset={value}", limit=5, offset=value)
        if value == PAST_INT64 and ex.status is not None and 200 <= ex.status < 300:
            ctx.expect(not results(ex), f"offset={value} (past the end) gave {len(results(ex))} results", ex)


def _offset_of(page: Exchange, name: str) -> int | None:
    raw = dict(parse_qsl(urlsplit(page.request.url).query)).get(name, "0")
    return int(raw) if raw.isdigit() else None


@pytest.mark.rule("BGA-LIST-LINKS")
@pytest.mark.endpoints("list")
def test_links_lead_to_the_neighbouring_pages(ctx: Context, endpoint: Endpoint) -> None:
    p = booga_probes(ctx, endpoint)
    # Null exactly at the ends, absolute URLs on the same origin: judged on every page by the
    # check; here on the walk's pages, the default page and the last page.
    walk = p.walk()
    for page in [p.default(), *walk.pages, *([walk.last] if walk.last else [])]:
        ctx.check(page)
    if walk.problem.startswith("next points back"):
        ctx.fail(walk.problem, walk.pages[-1])
    pages = [pg for pg in walk.pages if 200 <= (pg.status or 0) < 300]
    if len(pages) < 2:
        unobservable(f"it holds {walk.count} result(s): one page offers no link to follow")
    # Where previous leads: from the walk's last page back to the page just before it.
    last = pages[-1]
    body = envelope(last)
    ctx.expect(body["previous"] is not None, f"page {len(pages)}, reached by next, has previous null", last)
    back = p.send("previous", f"follow previous from page {len(pages)}", path=link_url(ctx, body["previous"], last))
    got = [ident(i) for i in results(back)]
    ids, here = p.ids(), [ident(i) for i in body["results"]]
    if here and here[0] in ids:
        start = ids.index(here[0])
        want = ids[max(0, start - walk.limit):start]
    else:
        want = [ident(i) for i in results(pages[-2])]
    ctx.expect(got[:len(want)] == want and got, f"previous from page {len(pages)} ({body['previous']}) leads to ids "
               f"{got[:3]}…, not the page before it ({want[:3]}…)", back, last)


@pytest.mark.rule("BGA-LIST-TRAVERSAL")
@pytest.mark.endpoints("list")
def test_following_next_visits_every_result_once(ctx: Context, endpoint: Endpoint) -> None:
    p = booga_probes(ctx, endpoint)
    walk = p.walk()
    if walk.problem.startswith("next points back"):
        ctx.fail(walk.problem, walk.pages[-1])
    if walk.count < 2:
        unobservable(f"it holds {walk.count} result(s): a walk of one page follows no next link")
    last = walk.pages[-1]
    dupes = [i for i, n in Counter(walk.ids).items() if n > 1]
    ctx.expect(not dupes, f"following next visited {len(dupes)} results twice (e.g. {dupes[:2]})", last)
    if walk.complete:
        ctx.expect(len(walk.ids) == walk.count, f"following next over {len(walk.pages)} pages visited "
                   f"{len(walk.ids)} results; count says {walk.count}", last, walk.pages[0])
        return
    if walk.last is None:
        raise Incomplete(f"the walk stopped: {walk.problem}", last)
    # A list too long to walk: its first pages were walked, and its last page is read directly.
    offset = ((walk.count - 1) // FULL) * FULL
    body = envelope(walk.last)
    ctx.expect(body["next"] is None, f"the last page (offset {offset} of count {walk.count}) still has next "
               f"{body['next']!r}", walk.last)
    ctx.expect(len(body["results"]) == walk.count - offset, f"the last page (offset {offset}) holds "
               f"{len(body['results'])} results; count {walk.count} leaves {walk.count - offset}", walk.last)
    ctx.note(f"{endpoint.label}: {walk.count} results: the first {len(walk.pages)} pages were walked and the last "
             "page read directly")


def _kept(ctx: Context, link: str, source: Exchange, sent: dict[str, Any], which: str) -> None:
    query = dict(parse_qsl(urlsplit(link_url(ctx, link, source)).query, keep_blank_values=True))
    lost = {k: v for k, v in sent.items() if query.get(k) != str(v)}
    ctx.expect(not lost, f"the {which} link {link!r} lost or changed {lost} of the query", source)


def filter_query(ctx: Context, p: BoogaProbes) -> dict[str, Any]:
    """The list's own declared filters, with values that keep results (so a next page exists)."""
    from apiconform.discovery import ordering_fields

    query: dict[str, Any] = {}
    fields = ordering_fields(ctx, p.endpoint)
    if fields:
        query["ordering"] = "-" + fields[0]
    if p.endpoint.param("created_after") is not None:
        query["created_after"] = "2000-01-01"
    return query


@pytest.mark.rule("BGA-LIST-LINKS-KEEP-FILTERS")
@pytest.mark.endpoints("list")
def test_links_keep_filters(ctx: Context, endpoint: Endpoint) -> None:
    p = booga_probes(ctx, endpoint)
    p.require_count(3, "a next page at limit=2")
    query = {"limit": 2, **filter_query(ctx, p)}
    ex = p.page("filtered", f"a filtered page {query}", **query)
    body = envelope(ex)
    if body["next"] is None:
        unobservable(f"the filtered page {query} has no next page: links cannot be observed")
    # The limit a link must keep is the one the server applied (a full first page shows it):
    # a server that ignores limit is BGA-LIST-LIMIT's business, not this rule's.
    sent = ctx.params(**{**query, "limit": len(body["results"])})
    _kept(ctx, body["next"], ex, sent, "next")
    second = p.send("filtered-2", "the filtered page's next", path=link_url(ctx, body["next"], ex))
    body2 = envelope(second)
    ctx.expect(body2["previous"] is not None, "the page reached by next has previous null", second)
    _kept(ctx, body2["previous"], second, sent, "previous")
    if body2["next"] is not None:
        _kept(ctx, body2["next"], second, sent, "next")
