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
from hypothesis import given, settings
from hypothesis import strategies as st

from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.items import unobservable
from apiconform.profiles.booga.probes import (
    FULL,
    HUGE,
    INVALID_LIMITS,
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
@settings(max_examples=1)
@given(drawn=st.integers(min_value=2, max_value=MAX_LIMIT - 1))
def test_limit_is_honoured(ctx: Context, endpoint: Endpoint, drawn: int) -> None:
    p = booga_probes(ctx, endpoint)
    count = p.require_count(2, "seeing a limit honoured")
    walk = p.walk()
    # The bounds of 1–100, the walk's own limit and a drawn one: min(limit, count) results each.
    for limit, ex in ((1, p.limit("1")), (FULL, p.full()), (walk.limit, walk.pages[0]), (drawn, p.limit(str(drawn)))):
        ctx.check(ex)
        got = len(results(ex))
        if limit < count:  # a full page: exactly `limit` (whether count itself is right is TRAVERSAL's)
            ctx.expect(got == limit, f"limit={limit} gave {got} results; the list holds {count}, so the first page "
                       f"holds {limit}", ex)


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
@given(drawn=st.integers(min_value=1, max_value=FULL - 1))
def test_offset_skips_results(ctx: Context, endpoint: Endpoint, drawn: int) -> None:
    p = booga_probes(ctx, endpoint)
    p.require_count(3, "seeing results skipped by offset")
    full = p.full()
    ids = [ident(i) for i in results(full)]
    offset, limit = drawn % (len(ids) - 1) or 1, 5
    # Compared with a page read just before it, not with the run's shared full page: a live list
    # that gained a record since that page was read would disagree with it.
    span = f"limit={offset + limit}"
    before = p.page(f"offset-reference-{offset}", f"{span}, read just before offset={offset}", limit=offset + limit)
    ex = p.page(f"offset={offset}", f"offset={offset}&limit={limit}", limit=limit, offset=offset)
    got, want = [ident(i) for i in results(ex)], [ident(i) for i in results(before)][offset:offset + limit]
    if not (got[:len(want)] == want and len(got) >= len(want)):
        _unless_the_list_moved(p, before, ex, f"offset-reference-{offset}-again",
                               f"{span}, read again just after offset={offset}", limit=offset + limit)
        ctx.fail(f"offset={offset}&limit={limit} gave ids {got[:3]}…; {span}, read just before and after it, has "
                 f"{want[:3]}… at position {offset}", ex, before)
    ctx.judge(ex, before)
    if envelope(full)["next"] is None:
        # The whole list fits a page: the offset of its last two gives exactly them (what count says
        # of the list is BGA-LIST-TRAVERSAL's business, so the ids decide here), compared with the
        # whole list read just before, not the run's shared full page (it may be stale by now).
        whole = p.page("offset-tail-reference", f"limit={FULL}, read just before the last two", limit=FULL)
        every = [ident(i) for i in results(whole)]
        if envelope(whole)["next"] is None:
            tail = p.page("offset-tail", f"offset={len(every) - 2} (the last two)", limit=5, offset=len(every) - 2)
            got = [ident(i) for i in results(tail)]
            if got != every[-2:]:
                _unless_the_list_moved(p, whole, tail, "offset-tail-reference-again",
                                       f"limit={FULL}, read again just after the last two", limit=FULL)
                ctx.fail(f"offset={len(every) - 2} gave ids {got}; the whole list, read just before and after it, "
                         f"ends with {every[-2:]}", tail, whole)
            ctx.judge(tail, whole)
    # Past the end, even past 64 bits: nothing left to show (or a 400); a 5xx is BGA-NO-5XX's.
    p.page("offset-negative", "offset=-1", limit=5, offset="-1")
    huge = p.offset_past_64_bits()  # shared with BGA-NO-5XX
    if huge.status is not None and 200 <= huge.status < 300:
        ctx.expect(not results(huge), f"offset={HUGE} (past the end) gave {len(results(huge))} results", huge)


def _unless_the_list_moved(p: BoogaProbes, before: Exchange, page: Exchange, name: str, note: str,
                           **query: Any) -> None:
    """`page` disagrees with `before`, a page of the same list read just before it: read that once
    more. When the two reads differ, or the counts of the three, the list changed meanwhile (a live
    list in use): `Incomplete`, saying so; the disagreement says nothing of the rule."""
    after = p.page(name, note, **query)
    counts = [envelope(ex)["count"] for ex in (before, page, after)]
    if [ident(i) for i in results(after)] != [ident(i) for i in results(before)] or len(set(counts)) > 1:
        raise Incomplete(f"the list changed between two reads: {note.split(',')[0]} read just before and just "
                         f"after differ (count {counts[0]}, then {counts[1]}, then {counts[2]}): the comparison "
                         "cannot be made on it now", before, after)


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
    # Where previous leads: from the walk's last page back to the page before it, as the same query
    # at that offset gives it (the walk's own pages may be wrong: BGA-LIST-TRAVERSAL's business).
    last = pages[-1]
    body = envelope(last)
    ctx.expect(body["previous"] is not None, f"page {len(pages)}, reached by next, has previous null", last)
    target = link_url(ctx, body["previous"], last)
    # A link to exactly the walk's page before it needs no request more: that page was just read.
    back = pages[-2] if target == pages[-2].request.url else p.send(
        "previous", f"follow previous from page {len(pages)}", path=target)
    offset = _offset_of(last, ctx.target["params"]["offset"])
    size = len(results(pages[0]))  # the page size the server applied (ignoring limit is LIMIT's business)
    before = max(0, offset - size) if offset is not None else None
    if before is None or (back is pages[-2] and _offset_of(back, ctx.target["params"]["offset"]) == before
                          and len(results(back)) == size):
        want_ex = pages[-2]  # a cursor link, or previous led to the very page at that offset
    else:
        want_ex = p.page(f"offset={before}&limit={size}", "the page before it, by offset", limit=size, offset=before)
    got, want = [ident(i) for i in results(back)], [ident(i) for i in results(want_ex)]
    ctx.expect(got == want, f"previous from page {len(pages)} ({body['previous']}) leads to ids {got[:3]}…, not the "
               f"page before it ({want[:3]}…)", back, want_ex)


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
    # A list too long to walk: its first pages were walked, and its last page is read directly. It
    # holds what count leaves there (the page check), and nothing beyond the count.
    offset = ((walk.count - 1) // FULL) * FULL
    ctx.check(walk.last)
    held = len(results(walk.last))
    ctx.expect(0 < held <= walk.count - offset, f"the last page (offset {offset} of count {walk.count}) holds "
               f"{held} results", walk.last)
    ctx.note(f"{endpoint.label}: {walk.count} results: the first {len(walk.pages)} pages were walked and the last "
             "page read directly")


def _kept(ctx: Context, link: str, source: Exchange, sent: dict[str, Any], which: str) -> None:
    query = dict(parse_qsl(urlsplit(link_url(ctx, link, source)).query, keep_blank_values=True))
    lost = {k: v for k, v in sent.items() if query.get(k) != str(v)}
    ctx.expect(not lost, f"the {which} link {link!r} lost or changed {lost} of the query", source)


def common_term(items: list[Any]) -> str | None:
    """A word in three or more names, so a search for it still has a next page at limit=2."""
    words: Counter[str] = Counter()
    for item in items:
        name = item.get("name") if isinstance(item, dict) else None
        if isinstance(name, str):
            words.update({w.lower() for w in re.findall(r"[A-Za-z]{3,}", name)})
    common = [w for w, n in words.most_common() if n >= 3]
    return common[0] if common else None


def filter_query(ctx: Context, p: BoogaProbes) -> dict[str, Any]:
    """The list's own declared filters, with values that keep results (so a next page exists)."""
    from apiconform.discovery import declared, ordering_fields

    query: dict[str, Any] = {}
    fields = ordering_fields(ctx, p.endpoint)
    if fields:
        query["ordering"] = "-" + fields[0]
    if declared(ctx, p.endpoint, "created_after"):
        query["created_after"] = "2000-01-01"
    if declared(ctx, p.endpoint, "search") and (term := common_term(results(p.full()))):
        query["search"] = term
    return query


@pytest.mark.rule("BGA-LIST-LINKS-KEEP-FILTERS")
@pytest.mark.endpoints("list")
def test_links_keep_filters(ctx: Context, endpoint: Endpoint) -> None:
    p = booga_probes(ctx, endpoint)
    p.require_count(3, "a next page at limit=2")
    query = {"limit": 2, **filter_query(ctx, p)}
    ex = p.page("filtered", f"a filtered page {query}", **query)
    body = envelope(ex)
    if body["next"] is None and "search" in query:
        del query["search"]  # the word matched too few: the other filters still show
        ex = p.page("filtered-no-search", f"a filtered page {query}", **query)
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
