"""Filters the target declares: ordering (each field, both directions), created_after, search."""

from __future__ import annotations

import re
import string
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.profiles.booga.probes import (
    DATA_HINT,
    FULL,
    envelope,
    first_page,
    follow,
    get_list,
    ident,
    results,
    traversal,
)
from apiconform.sorting import EARLIEST_ZONE, LATEST_ZONE, NAME_KEYS, is_sorted, sort_value


@pytest.mark.rule("BGA-FILTER-ORDERING")
@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_ordering_sorts_each_declared_field(ctx: Context, descending: bool) -> None:
    ctx.require("feature:ordering")
    fields, source = ctx.feature("ordering")
    judged = []
    for field in list(fields):
        value = ("-" if descending else "") + field
        ex = get_list(ctx, f"ordering={value}", ordering=value, limit=FULL)
        items = results(ex)
        values = [sort_value(field, i) for i in items]
        if any(v is None for v in values):
            raise Incomplete(f"some results lack a comparable {field} ({source}): ordering cannot be judged", ex)
        keys = NAME_KEYS if field == "name" else [lambda v: v]
        ctx.expect(any(is_sorted(values, descending, k) for k in keys),
                   f"ordering={value}: the results are not sorted "
                   f"{'descending' if descending else 'ascending'} by {field}: "
                   f"{[str(v) for v in values[:6]]}…", ex)
        if len(set(values)) < 2:
            ctx.note(f"ordering={value}: {len(values)} results, all with the same {field}; order not observable")
        else:
            judged.append(field)
    if not judged:
        raise Incomplete(f"no ordering field ({', '.join(fields)}) had two different values among the results: "
                         f"the order is not observable; {DATA_HINT}")


@pytest.mark.rule("BGA-FILTER-CREATED-AFTER")
def test_created_after_filters_by_creation_date(ctx: Context) -> None:
    ctx.require("feature:created_after")
    walk = traversal(ctx)
    unique = {ident(i): i for i in walk.items}
    # Only a clean traversal (every result once) can bound the count; otherwise (another rule's
    # failure) just "nothing earlier" is checked.
    clean = walk.complete and len(unique) == len(walk.items) == walk.count
    times = sorted(t for t in (sort_value("created_at", i) for i in unique.values()) if t is not None)
    if len(times) < 2:
        raise Incomplete(f"{len(times)} result(s) with a created_at: the filter cannot be observed with fewer "
                         f"than two; {DATA_HINT}", walk.pages[0])
    day = times[len(times) // 2].astimezone(UTC).date()
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    lower, upper = midnight - EARLIEST_ZONE, midnight + timedelta(days=1) + LATEST_ZONE
    ex = get_list(ctx, f"created_after={day}", created_after=day.isoformat(), limit=FULL)
    body = envelope(ex)
    for item in body["results"]:
        when = sort_value("created_at", item)
        ctx.expect(when is None or when >= lower, f"created_after={day} returned {ident(item)} created "
                   f"{item.get('created_at')}, before that day", ex)
    must, may = sum(t >= upper for t in times), sum(t >= lower for t in times)
    if not clean:
        raise Incomplete("the walk of the list was partial or inconsistent (see BGA-LIST-TRAVERSAL): nothing earlier "
                         "came back, but how many results created_after must keep is unknown", ex)
    ctx.expect(must <= int(body["count"]) <= may, f"created_after={day}: count is {body['count']}; of the "
               f"{len(times)} results {must} were created after that day and {may} from it on", ex)
    if may == len(times):
        raise Incomplete(f"no result was created before {day} (allowing for any time zone): that earlier results "
                         f"are left out was not observable; {DATA_HINT}", ex)


@pytest.mark.rule("BGA-FILTER-SEARCH")
def test_search_finds_by_name_and_nothing_for_a_random_term(ctx: Context) -> None:
    ctx.require("feature:search")
    items = [i for i in results(first_page(ctx)) if isinstance(i, dict) and isinstance(i.get("name"), str)]
    words: Counter[str] = Counter()
    for item in items:
        words.update({w.casefold() for w in re.findall(r"[^\W\d_]{3,}", item["name"])})
    if not words:
        raise Incomplete(f"no name on the first page has a word of three letters to search for; {DATA_HINT}",
                         first_page(ctx))
    # The rarest word (then the longest): its matches fit on one page.
    term = min(words, key=lambda w: (words[w], -len(w), w))
    target = next(i for i in items if term in {w.casefold() for w in re.findall(r"[^\W\d_]{3,}", i["name"])})
    word = next(w for w in re.findall(r"[^\W\d_]{3,}", target["name"]) if w.casefold() == term)
    ex = get_list(ctx, f"search={word}", search=word, limit=FULL)
    found = [ident(i) for i in results(ex)]
    page, pages = ex, 1
    while ident(target) not in found and envelope(page)["next"] and pages < 3:
        page = follow(ctx, envelope(page)["next"], page)
        found += [ident(i) for i in results(page)]
        pages += 1
    ctx.expect(ident(target) in found, f"search={word} did not find {target['name']!r} ({ident(target)})", ex)
    nonsense = "".join(ctx.rng.choice(string.ascii_lowercase) for _ in range(14))
    miss = get_list(ctx, f"search={nonsense}", search=nonsense, limit=FULL)
    body = envelope(miss)
    ctx.expect(int(body["count"]) == 0 and not body["results"], f"search={nonsense} (a random term) found "
               f"{body['count']} results", miss)
