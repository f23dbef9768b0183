"""Filters, on every list that offers them: ordering (each field, both directions), created_after,
search and status, as each list's OpenAPI operation declares them ("Exact filtering parameters
vary by endpoint"). A list that declares none of a filter is not judged on it (`skip` there); a
rule no list offers is `skip`."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apiconform.context import Context
from apiconform.discovery import declared, fields_enumerated, ordering_fields
from apiconform.errors import Incomplete
from apiconform.items import unobservable
from apiconform.profiles.booga.probes import (
    DATA_HINT,
    FULL,
    BoogaProbes,
    booga_probes,
    envelope,
    ident,
    link_url,
    random_term,
    results,
    status_of,
)
from apiconform.sorting import EARLIEST_ZONE, LATEST_ZONE, NAME_KEYS, is_sorted, sort_value
from apiconform.surface import Endpoint


def offering(ctx: Context, endpoint: Endpoint, name: str) -> BoogaProbes:
    if not declared(ctx, endpoint, name):
        pytest.skip(f"{endpoint.label} does not declare {name} in its OpenAPI operation (\"Exact filtering "
                    "parameters vary by endpoint\")")
    return booga_probes(ctx, endpoint)


def sorted_by(ctx: Context, p: BoogaProbes, field: str, descending: bool) -> tuple[bool, Any]:
    value = ("-" if descending else "") + field
    ex = p.page(f"ordering={value}", f"ordering={value}", ordering=value, limit=FULL)
    values = [sort_value(field, i) for i in results(ex)]
    if any(v is None for v in values):
        raise Incomplete(f"some results lack a comparable {field}: ordering cannot be judged", ex)
    keys = NAME_KEYS if field == "name" else [lambda v: v]
    return any(is_sorted(values, descending, k) for k in keys), ex


@pytest.mark.rule("BGA-FILTER-ORDERING")
@pytest.mark.endpoints("list")
def test_ordering_sorts_each_declared_field_both_ways(ctx: Context, endpoint: Endpoint) -> None:
    p = offering(ctx, endpoint, "ordering")
    items = results(p.full())
    judged = []
    for field in ordering_fields(ctx, endpoint):
        if len({sort_value(field, i) for i in items}) < 2:
            ctx.note(f"{endpoint.label}: no two results differ in {field}: its order is not observable")
            continue
        up, up_ex = sorted_by(ctx, p, field, False)
        down, down_ex = sorted_by(ctx, p, field, True)
        if fields_enumerated(ctx, endpoint):
            ctx.expect(up, f"ordering={field}: the results are not sorted ascending by {field}", up_ex)
            ctx.expect(down, f"ordering=-{field}: the results are not sorted descending by {field}", down_ex)
        else:
            # Declared without its fields: the document's own example, created_at, is tried.
            ctx.judge(up_ex, down_ex)
            if up != down:
                ctx.fail(f"ordering on {field} is honoured {'ascending' if up else 'descending'} only: "
                         f"ordering={'-' * up}{field} is not sorted", down_ex if up else up_ex)
            if not up:
                ctx.note(f"{endpoint.label}: ordering={field} and -{field} are both ignored (ordering declares no "
                         "fields, so which it accepts is unknown)")
        judged.append(field)
    if not judged:
        unobservable(f"no ordering field ({', '.join(ordering_fields(ctx, endpoint))}) has two different values "
                     f"among its results: the order is not observable; {DATA_HINT}")


@pytest.mark.rule("BGA-FILTER-CREATED-AFTER")
@pytest.mark.endpoints("list")
def test_created_after_filters_by_creation_date(ctx: Context, endpoint: Endpoint) -> None:
    p = offering(ctx, endpoint, "created_after")
    walk = p.walk()
    unique = {ident(i): i for i in walk.items}
    times = sorted(t for t in (sort_value("created_at", i) for i in unique.values()) if t is not None)
    if len(times) < 2:
        unobservable(f"{len(times)} result(s) carry a created_at: the filter cannot be observed with fewer than "
                     f"two; {DATA_HINT}")
    day = times[len(times) // 2].astimezone(UTC).date()
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    lower, upper = midnight - EARLIEST_ZONE, midnight + timedelta(days=1) + LATEST_ZONE
    ex = p.page("created_after", f"created_after={day}", created_after=day.isoformat(), limit=FULL)
    body = envelope(ex)
    for item in body["results"]:
        when = sort_value("created_at", item)
        ctx.expect(when is None or when >= lower, f"created_after={day} returned {ident(item)} created "
                   f"{item.get('created_at')}, before that day", ex)
    # Only a clean walk (every result once) can bound the count.
    if not (walk.complete and len(unique) == len(walk.items) == walk.count):
        raise Incomplete("the walk of the list was partial or not clean (see BGA-LIST-TRAVERSAL): nothing earlier "
                         "came back, but how many results created_after must keep is unknown", ex)
    must, may = sum(t >= upper for t in times), sum(t >= lower for t in times)
    ctx.expect(must <= int(body["count"]) <= may, f"created_after={day}: count is {body['count']}; of the "
               f"{len(times)} results {must} were created after that day and {may} from it on", ex)
    if may == len(times):
        unobservable(f"no result was created before {day} (allowing for any time zone): that earlier results are "
                     f"left out was not observable; {DATA_HINT}")


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]{3,}", text)


@pytest.mark.rule("BGA-FILTER-SEARCH")
@pytest.mark.endpoints("list")
def test_search_finds_by_name_and_nothing_for_a_random_term(ctx: Context, endpoint: Endpoint) -> None:
    p = offering(ctx, endpoint, "search")
    nonsense = random_term(ctx)
    miss = p.page("search-miss", f"search={nonsense}", search=nonsense, limit=FULL)
    body = envelope(miss)
    ctx.expect(int(body["count"]) == 0 and not body["results"], f"search={nonsense} (a random term) found "
               f"{body['count']} results", miss)
    named = [(i, str(i[f])) for i in results(p.full()) if isinstance(i, dict) for f in ("name", "title")
             if isinstance(i.get(f), str)]
    words: Counter[str] = Counter(w.casefold() for _, text in named for w in set(_words(text)))
    if not words:
        ctx.note(f"{endpoint.label}: no result has a name or title with a word of three letters: only a random "
                 "term was searched for")
        return
    # The rarest word (then the longest): its matches fit on one page.
    term = min(words, key=lambda w: (words[w], -len(w), w))
    target, text = next((i, t) for i, t in named if term in {w.casefold() for w in _words(t)})
    word = next(w for w in _words(text) if w.casefold() == term)
    hit = p.page("search-hit", f"search={word}", search=word, limit=FULL)
    found, page, pages = [ident(i) for i in results(hit)], hit, 1
    while ident(target) not in found and envelope(page)["next"] and pages < 3:
        page = p.send(f"search-hit-{pages + 1}", "search, next page", path=link_url(ctx, envelope(page)["next"], page))
        found += [ident(i) for i in results(page)]
        pages += 1
    ctx.expect(ident(target) in found, f"search={word} did not find {ident(target)}, whose name or title holds it",
               hit)


@pytest.mark.rule("BGA-FILTER-STATUS")
@pytest.mark.endpoints("list")
def test_status_keeps_only_that_status(ctx: Context, endpoint: Endpoint) -> None:
    p = offering(ctx, endpoint, "status")
    param = endpoint.param("status")
    items = [i for i in results(p.full()) if isinstance(i, dict)]
    carried = Counter(s for s in (status_of(i) for i in items) if s is not None)
    # The rarest value a result carries (exclusion shows), else the first the enum declares.
    value = min(carried, key=lambda v: (carried[v], v)) if carried else (param.enum[0] if param and param.enum
                                                                        else None)
    if value is None:
        unobservable("its results carry no status and the parameter declares no values")
    ex = p.page("status", f"status={value}", status=value, limit=FULL)
    got = [i for i in results(ex) if isinstance(i, dict)]
    other = [i for i in got if "status" in i and status_of(i) != value]
    ctx.expect(not other, f"status={value} returned {len(other)} results with another status "
               f"(e.g. {ident(other[0]) if other else ''} with {other[0].get('status') if other else ''!r})", ex)
    if carried and len(carried) > 1 and len(items) == p.count():
        ctx.expect(int(envelope(ex)["count"]) == carried[value], f"status={value}: count is "
                   f"{envelope(ex)['count']}; {carried[value]} of the {len(items)} results have that status", ex)
    if not carried:
        unobservable("its results carry no status field: which ones match is not observable")
