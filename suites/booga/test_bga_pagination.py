"""limit/offset pagination: the {count, next, previous, results} envelope, limits, offsets, links,
and a full traversal by following next."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from apiconform.checks import require_decoded
from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.profiles.booga.checks import envelope_violations, json_body
from apiconform.profiles.booga.probes import (
    DATA_HINT,
    FULL,
    envelope,
    first_page,
    follow,
    get_list,
    ident,
    link_url,
    require_count,
    results,
    traversal,
)
from apiconform.sweep import sweep

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def total(ctx: Context) -> int:
    return int(envelope(first_page(ctx))["count"])


@pytest.mark.rule("BGA-LIST-ENVELOPE")
def test_list_envelope(ctx: Context) -> None:
    probes = [first_page(ctx), get_list(ctx, "default page")]
    for ex in probes:
        ctx.expect(ex.status == 200, f"the list answered {ex.status}", ex)
        require_decoded(ex)  # a page past the kit's size cap: `error`, not a broken envelope
        problems = envelope_violations(json_body(ex))
        ctx.expect(not problems, "; ".join(problems), ex)
    for generated in sweep(ctx):
        ctx.check(generated)


@pytest.mark.rule("BGA-LIST-DEFAULT-LIMIT")
def test_default_limit_is_20(ctx: Context) -> None:
    require_count(ctx, DEFAULT_LIMIT + 1, "seeing the default page size of 20")
    ex = get_list(ctx, "no limit")
    body = envelope(ex)
    expected = min(DEFAULT_LIMIT, int(body["count"]))
    got = len(body["results"])
    ctx.expect(got == expected, f"without limit the page holds {got} results; expected min(20, count "
               f"{body['count']}) = {expected}", ex)


@pytest.mark.rule("BGA-LIST-LIMIT")
@settings(max_examples=8)
@example(limit=1)
@example(limit=MAX_LIMIT)
@example(limit=7)
@given(limit=st.integers(min_value=1, max_value=MAX_LIMIT))
def test_limit_is_honoured(ctx: Context, limit: int) -> None:
    require_count(ctx, 2, "seeing a limit honoured")
    ex = get_list(ctx, f"limit={limit}", limit=limit)
    ctx.check(ex)  # never more than limit
    body = envelope(ex)
    expected = min(limit, int(body["count"]))
    got = len(body["results"])
    ctx.expect(got == expected, f"limit={limit} gave {got} results; expected min(limit, count "
               f"{body['count']}) = {expected}", ex)


NOT_INTEGER = ["abc", "1.5", "", "-", "1e3", "0x10", "5abc", "NaN", "true", " "]


@pytest.mark.rule("BGA-LIST-LIMIT-INVALID")
@settings(max_examples=8)
@example(value="0")
@example(value="101")
@example(value="1000")
@example(value="-1")
@example(value="abc")
@example(value="1.5")
@given(value=st.one_of(
    st.integers(min_value=-100, max_value=0).map(str),
    st.integers(min_value=101, max_value=100_000).map(str),
    st.sampled_from(NOT_INTEGER),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=6)
    .filter(lambda v: re.fullmatch(r"\s*[0-9]+\s*", v) is None),
))
def test_invalid_limit_is_rejected_or_brought_into_range(ctx: Context, value: str) -> None:
    ex = get_list(ctx, f"invalid limit {value!r}", limit=value)
    status = ex.status or 0
    ctx.expect(status < 500, f"limit={value!r} caused a {status}", ex)
    if status == 400:
        return  # rejected: conformant (its body is BGA-ERROR-VALIDATION's business)
    ctx.expect(200 <= status < 300, f"limit={value!r} (outside 1–100 or not an integer) must be a 400 or "
               f"fall back/clamp into 1–100, got {status}", ex)
    ctx.check(ex)  # never more than 100
    body = envelope(ex)
    got, count = len(body["results"]), int(body["count"])
    ctx.expect(got >= min(1, count), f"limit={value!r} gave {got} results of {count}: a fallback or clamp "
               "must stay within 1–100", ex)
    if count <= MAX_LIMIT:
        # A server honouring limit=1000 answers exactly like one clamping to 100: no evidence.
        raise Incomplete(f"the list holds {count} results and limit={value!r} was not refused: that a limit "
                         f"above {MAX_LIMIT} is not honoured shows only with more than {MAX_LIMIT}; {DATA_HINT}", ex)


@pytest.mark.rule("BGA-LIST-OFFSET")
@settings(max_examples=6)
@example(offset=1, limit=5)
@example(offset=50, limit=10)
@given(offset=st.integers(min_value=0, max_value=FULL - 1), limit=st.integers(min_value=1, max_value=10))
def test_offset_skips_results(ctx: Context, offset: int, limit: int) -> None:
    require_count(ctx, 2, "seeing results skipped by offset")
    base = first_page(ctx)
    ids = [ident(i) for i in results(base)]
    offset %= len(ids)
    ex = get_list(ctx, f"offset={offset}", limit=limit, offset=offset)
    got = [ident(i) for i in results(ex)]
    want = ids[offset:offset + limit]
    ctx.expect(got[: len(want)] == want, f"offset={offset}&limit={limit} gave ids {got[:3]}…; the first full "
               f"page has {want[:3]}… at position {offset}", ex, base)


@pytest.mark.rule("BGA-LIST-OFFSET")
def test_offset_near_the_end(ctx: Context) -> None:
    count = require_count(ctx, 2, "seeing the tail of the list")
    ex = get_list(ctx, "offset count-2", limit=5, offset=count - 2)
    got = len(results(ex))
    ctx.expect(got == 2, f"offset={count - 2} of count {count} gave {got} results, expected 2", ex)


@pytest.mark.rule("BGA-LIST-LINKS")
def test_links_null_exactly_at_the_ends(ctx: Context) -> None:
    # Every list page of the run is held to this by the whole-run judgement (checks/booga.py);
    # here: the pages of a walk, which has a first, a middle (when long enough) and a last page.
    walk = traversal(ctx)
    pages = [p for p in walk.pages if 200 <= (p.status or 0) < 300]
    for page in [*pages, get_list(ctx, "default page (no limit)")]:
        ctx.check(page)
    if len(pages) < 2:
        raise Incomplete(f"the walk had {len(pages)} page: a next link was never offered, so its presence "
                         f"could not be checked; {DATA_HINT}", walk.pages[0])
    if walk.count > FULL:
        last_offset = ((walk.count - 1) // FULL) * FULL
        ctx.check(get_list(ctx, "last page", limit=FULL, offset=last_offset))
    # Where previous leads: from the walk's last page back, the page just before it, as the
    # same query at that page's offset minus the limit gives it.
    page = pages[-1]
    link, offset = envelope(page)["previous"], _offset_of(page, ctx.target["params"]["offset"])
    if link is None or offset is None:
        return  # previous null is judged above; a cursor link has no offset to compare with
    limit = len(results(pages[0]))
    back = follow(ctx, link, page, note="follow previous from the walk's last page")
    want = get_list(ctx, "the page before it, by offset", limit=limit, offset=max(0, offset - limit))
    got_ids, want_ids = [ident(i) for i in results(back)], [ident(i) for i in results(want)]
    ctx.expect(got_ids == want_ids, f"previous of the page at offset {offset} ({link}) leads to ids "
               f"{got_ids[:3]}…, not the page before it ({want_ids[:3]}… at offset {max(0, offset - limit)})",
               back, want)


def _offset_of(page: Exchange, name: str) -> int | None:
    raw = dict(parse_qsl(urlsplit(page.request.url).query)).get(name, "0")
    return int(raw) if raw.isdigit() else None


@pytest.mark.rule("BGA-LIST-TRAVERSAL")
def test_following_next_visits_every_result_once(ctx: Context) -> None:
    walk = traversal(ctx)
    if walk.problem is not None:
        if walk.problem.startswith("next points back"):
            ctx.fail(walk.problem, *([walk.problem_exchange] if walk.problem_exchange else []))
        raise Incomplete(walk.problem, walk.problem_exchange)
    if len(walk.pages) < 2:
        raise Incomplete(f"the list holds {walk.count} result(s): a walk of one page follows no next link; "
                         f"{DATA_HINT}", walk.pages[0])
    dupes = [i for i, n in Counter(walk.ids).items() if n > 1]
    last = walk.pages[-1]
    ctx.expect(not dupes, f"following next visited {len(dupes)} results twice (e.g. {dupes[:2]})", last)
    if not walk.complete:
        raise Incomplete(f"the walk stopped after {len(walk.pages)} pages of {FULL} (the kit's cap) with next still "
                         f"set: that it visits all {walk.count} results was not observed", last)
    ctx.expect(len(walk.ids) == walk.count, f"following next over {len(walk.pages)} pages visited "
               f"{len(walk.ids)} results; count says {walk.count}", last, walk.pages[0])


def _common_term(names: list[str]) -> str | None:
    """A word in several names, so a filtered list still has a next page at limit=2."""
    words: Counter[str] = Counter()
    for name in names:
        words.update({w.lower() for w in re.findall(r"[A-Za-z]{3,}", name)})
    common = [w for w, n in words.most_common() if n >= 3]
    return common[0] if common else None


def _kept(ctx: Context, link: str, source: Exchange, sent: dict[str, Any], which: str) -> None:
    query = dict(parse_qsl(urlsplit(link_url(ctx, link, source)).query, keep_blank_values=True))
    lost = {k: v for k, v in sent.items() if query.get(k) != str(v)}
    ctx.expect(not lost, f"the {which} link {link!r} lost or changed {lost} of the query", source)


@pytest.mark.rule("BGA-LIST-LINKS-KEEP-FILTERS")
def test_links_keep_filters(ctx: Context) -> None:
    ordering, _ = ctx.feature("ordering")
    query: dict[str, Any] = {"limit": 2}
    if ordering:
        query["ordering"] = "-" + str(next(iter(ordering)))
    if ctx.has("feature:created_after"):
        query["created_after"] = "2000-01-01"
    term = _common_term([str(i.get("name", "")) for i in results(first_page(ctx)) if isinstance(i, dict)])
    if ctx.has("feature:search") and term:
        query["search"] = term
    ex = get_list(ctx, "filtered page", **query)
    if envelope(ex)["next"] is None and "search" in query:
        del query["search"]
        ex = get_list(ctx, "filtered page (no search)", **query)
    body = envelope(ex)
    if body["next"] is None:
        raise Incomplete("a filtered list at limit=2 has no next page: links cannot be observed", ex)
    # The limit a link must keep is the one the server applied (a full first page shows it):
    # a server that ignores limit is BGA-LIST-LIMIT's business, not this rule's.
    sent = ctx.params(**{**query, "limit": len(body["results"])})
    _kept(ctx, body["next"], ex, sent, "next")
    second = follow(ctx, body["next"], ex)
    body2 = envelope(second)
    ctx.expect(body2["previous"] is not None, "the page reached by next has previous null", second)
    _kept(ctx, body2["previous"], second, sent, "previous")
    if body2["next"] is not None:
        _kept(ctx, body2["next"], second, sent, "next")
