"""Every rule on every endpoint: the lists, single resources and other endpoints of the
deployment beyond the configured ones, as its OpenAPI document declares them.

"List endpoints return paginated results", "Rate-limit status is returned in response headers
on every request", "All queries, resource creation, and permission checks are
tenant-isolated": the document states its rules for the whole API. The configured list, item
and schema endpoints are examined deeply by the other modules of this suite; here each further
endpoint is held to the same rules with a few shared requests (breadth_booga.py). Rules judged
on every exchange of the run (JSON bodies, error format, rate-limit headers, no 5xx) need no
test here: the whole-run judgement already holds these endpoints' answers to them.
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apiconform.breadth import each_endpoint
from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.profiles.booga.checks import envelope_violations, json_body
from apiconform.profiles.booga.endpoint_probes import (
    MAX_WALKED,
    BoogaProbes,
    every_endpoint_but_the_list,
    further,
    probes_for,
)
from apiconform.profiles.booga.probes import FULL, envelope, ident, link_url, results
from apiconform.sorting import EARLIEST_ZONE, LATEST_ZONE, NAME_KEYS, is_sorted, sort_value
from apiconform.surface import Endpoint

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
UNKNOWN_ID = "00000000-0000-4000-8000-00000000dead"


def lists(ctx: Context) -> list[Endpoint]:
    return further(ctx, "list")


def on_lists(ctx: Context, judge: Callable[[Context, BoogaProbes], str | None]) -> None:
    each_endpoint(ctx, lists(ctx), lambda e: judge(ctx, probes_for(ctx, e)))


# -- pagination ---------------------------------------------------------------------------------
@pytest.mark.rule("BGA-LIST-ENVELOPE")
def test_every_list_has_the_envelope(ctx: Context) -> None:
    def judge(ctx: Context, p: BoogaProbes) -> None:
        ex = p.default()
        ctx.expect(ex.status == 200, f"the list answered {ex.status}", ex)
        problems = envelope_violations(json_body(ex))
        ctx.expect(not problems, "; ".join(problems), ex)
    on_lists(ctx, judge)


@pytest.mark.rule("BGA-LIST-DEFAULT-LIMIT")
def test_every_list_defaults_to_20(ctx: Context) -> None:
    def judge(ctx: Context, p: BoogaProbes) -> str | None:
        count, ex = p.count(), p.default()
        got = len(results(ex))
        expected = min(DEFAULT_LIMIT, count)
        ctx.expect(got == expected, f"without limit the page holds {got} results; expected min(20, count "
                   f"{count}) = {expected}", ex)
        return None if count > DEFAULT_LIMIT else f"it holds {count} results: a default of 20 shows only " \
                                                  f"with more than {DEFAULT_LIMIT}"
    on_lists(ctx, judge)


@pytest.mark.rule("BGA-LIST-LIMIT")
def test_every_list_honours_a_limit(ctx: Context) -> None:
    def judge(ctx: Context, p: BoogaProbes) -> str | None:
        walk, count = p.walk(), p.count()
        if count < 2:
            return f"it holds {count} result: a limit shows only with two or more"
        if not walk.pages:
            return walk.problem
        first = walk.pages[0]
        got = len(results(first))
        ctx.expect(got == min(walk.limit, count), f"limit={walk.limit} gave {got} results; expected "
                   f"min(limit, count {count}) = {min(walk.limit, count)}", first)
        return None
    on_lists(ctx, judge)


@pytest.mark.rule("BGA-LIST-LIMIT-INVALID")
def test_every_list_keeps_bad_limits_in_range(ctx: Context) -> None:
    def judge(ctx: Context, p: BoogaProbes) -> str | None:
        count = p.count()
        for name, value in (("over", "1000"), ("not-integer", "abc")):
            ex = p.send(f"limit-{name}", f"limit={value}", params=p.query(limit=value))
            status = ex.status or 0
            ctx.expect(status < 500, f"limit={value} caused a {status}", ex)
            if status == 400:
                continue
            ctx.expect(200 <= status < 300, f"limit={value} must be a 400 or fall back/clamp into 1–100, "
                       f"got {status}", ex)
            got = len(results(ex))
            ctx.expect(min(1, count) <= got <= MAX_LIMIT, f"limit={value} gave {got} results of {count}: a "
                       "fallback or clamp must stay within 1–100", ex)
        return None if count > MAX_LIMIT else f"it holds {count} results: that a limit above {MAX_LIMIT} is " \
                                              f"not honoured shows only with more than {MAX_LIMIT}"
    on_lists(ctx, judge)


@pytest.mark.rule("BGA-LIST-OFFSET")
def test_every_list_skips_by_offset(ctx: Context) -> None:
    def judge(ctx: Context, p: BoogaProbes) -> str | None:
        ids = p.ids()
        if len(ids) < 3:
            return f"its first page holds {len(ids)} results: an offset shows only with three or more"
        offset, limit = 2, 5
        ex = p.send("offset", f"offset={offset}", params=p.query(limit=limit, offset=offset))
        got = [ident(i) for i in results(ex)]
        want = ids[offset:offset + limit]
        ctx.expect(got[:len(want)] == want, f"offset={offset}&limit={limit} gave ids {got[:3]}…; the full page "
                   f"has {want[:3]}… at position {offset}", ex, p.full())
        return None
    on_lists(ctx, judge)


@pytest.mark.rule("BGA-LIST-LINKS")
def test_every_lists_links_lead_to_the_neighbouring_pages(ctx: Context) -> None:
    # That next/previous are null exactly at the ends is judged on every list page of the run
    # (checks/booga.py); here: where previous leads, from the second page back to the first.
    def judge(ctx: Context, p: BoogaProbes) -> str | None:
        walk = p.walk()
        for page in walk.pages:
            ctx.check(page)
        if len(walk.pages) < 2:
            return walk.problem or f"it holds {p.count()} result(s): one page offers no link to follow"
        # From the walk's last page (page 3 of a long list: a previous link that is right on page 2
        # may still be wrong beyond it).
        last, number = walk.pages[-1], len(walk.pages)
        body = envelope(last)
        ctx.expect(body["previous"] is not None, f"page {number}, reached by next, has previous null", last)
        back = p.send("previous", f"follow previous from page {number}", path=link_url(ctx, body["previous"], last))
        got = [ident(i) for i in results(back)]
        # The page before it holds the results just before its first one, in the order of the
        # full page (where they are on it); else, the walk's page before it.
        ids, here = p.ids(), [ident(i) for i in body["results"]]
        if here and here[0] in ids:
            start = ids.index(here[0])
            want = ids[max(0, start - walk.limit):start]
        else:
            want = [ident(i) for i in results(walk.pages[-2])]
        ctx.expect(got[:len(want)] == want and got, f"previous from page {number} ({body['previous']}) leads to ids "
                   f"{got[:3]}…, not the page before it ({want[:3]}…)", back, last)
        return None
    on_lists(ctx, judge)


@pytest.mark.rule("BGA-LIST-TRAVERSAL")
def test_following_next_visits_every_result_of_every_list_once(ctx: Context) -> None:
    def judge(ctx: Context, p: BoogaProbes) -> str | None:
        count = p.count()
        if count > MAX_WALKED:
            return p.walk().problem
        walk = p.walk()
        if walk.problem.startswith("next points back"):
            ctx.fail(walk.problem, walk.pages[-1])
        if count < 2:
            return f"it holds {count} result: a walk of one page follows no next link"
        dupes = [i for i, n in Counter(walk.ids).items() if n > 1]
        ctx.expect(not dupes, f"following next visited {len(dupes)} results twice (e.g. {dupes[:2]})",
                   walk.pages[-1])
        ctx.expect(walk.complete and len(walk.ids) == count, f"following next over {len(walk.pages)} pages "
                   f"visited {len(walk.ids)} results; count says {count}" + (f" ({walk.problem})" if walk.problem
                                                                             else ""), walk.pages[-1])
        return None
    on_lists(ctx, judge)


# -- filters: each list's own, as its OpenAPI operation declares them -------------------------------------
def declaring(ctx: Context, name: str) -> list[Endpoint]:
    return [e for e in lists(ctx) if e.param(name) is not None]


def sorted_by(ctx: Context, p: BoogaProbes, field: str, descending: bool) -> tuple[bool, Any]:
    value = ("-" if descending else "") + field
    ex = p.send(f"ordering={value}", f"ordering={value}", params=p.query(ordering=value, limit=FULL))
    values = [sort_value(field, i) for i in results(ex)]
    if any(v is None for v in values):
        raise Incomplete(f"some results lack a comparable {field}: ordering cannot be judged", ex)
    keys = NAME_KEYS if field == "name" else [lambda v: v]
    return any(is_sorted(values, descending, k) for k in keys), ex


@pytest.mark.rule("BGA-FILTER-ORDERING")
def test_every_list_sorts_by_ordering(ctx: Context) -> None:
    def judge(endpoint: Endpoint) -> str | None:
        p = probes_for(ctx, endpoint)
        param = endpoint.param("ordering")
        assert param is not None
        fields = list(dict.fromkeys(v.lstrip("-") for v in param.enum if v.strip("-")))
        items = results(p.full())
        if len({sort_value(f, i) for f in fields[:1] for i in items}) < 2 and fields:
            return f"no two results differ in {fields[0]}: the order is not observable"
        if fields:
            for descending in (False, True):
                ok, ex = sorted_by(ctx, p, fields[0], descending)
                ctx.expect(ok, f"ordering={'-' * descending}{fields[0]}: the results are not sorted "
                           f"{'descending' if descending else 'ascending'} by {fields[0]}", ex)
            return None
        # Declared without its fields (DRF's OrderingFilter): the document's own example.
        if len({sort_value("created_at", i) for i in items}) < 2:
            return "ordering declares no fields and no two results differ in created_at (the document's example)"
        up, up_ex = sorted_by(ctx, p, "created_at", False)
        down, down_ex = sorted_by(ctx, p, "created_at", True)
        if up != down:
            ctx.fail(f"ordering on created_at is honoured {'ascending' if up else 'descending'} only: "
                     f"ordering={'-' * up}created_at is not sorted", down_ex if up else up_ex)
        if not up:
            ctx.note(f"{endpoint.label}: ordering=created_at and -created_at are both ignored (ordering declares "
                     "no fields, so which it accepts is unknown)")
        return None
    targets = declaring(ctx, "ordering")
    configured = ctx.surface().find(ctx.target.path("list"))
    if ctx.feature("ordering")[0] is None and configured is not None and configured.param("ordering") is not None:
        # The deep test needs the fields; declared without them, the configured list gets the
        # document's own example here.
        targets.insert(0, configured)
    each_endpoint(ctx, targets, judge)


@pytest.mark.rule("BGA-FILTER-SEARCH")
def test_every_list_searches(ctx: Context) -> None:
    def judge(endpoint: Endpoint) -> str | None:
        p = probes_for(ctx, endpoint)
        # A random term with the characters a query builder must escape (quotes, LIKE wildcards):
        # nothing matches it, and it must not break anything (a 5xx is BGA-NO-5XX's).
        nonsense = "".join(ctx.rng.choice(string.ascii_lowercase) for _ in range(14)) + "'%_\""
        miss = p.send("search-miss", f"search={nonsense}", params=p.query(search=nonsense, limit=FULL))
        body = envelope(miss)
        ctx.expect(int(body["count"]) == 0 and not body["results"], f"search={nonsense} (a random term) found "
                   f"{body['count']} results", miss)
        named = [(i, str(i.get(f))) for i in results(p.full()) if isinstance(i, dict) for f in ("name", "title")
                 if isinstance(i.get(f), str)]
        words = [(i, w) for i, text in named for w in re.findall(r"[^\W\d_]{3,}", text)]
        if not words:
            return None
        item, word = words[0]
        hit = p.send("search-hit", f"search={word}", params=p.query(search=word, limit=FULL))
        found = [ident(i) for i in results(hit)]
        ctx.expect(ident(item) in found or int(envelope(hit)["count"]) > FULL,
                   f"search={word} did not find {ident(item)}, whose name or title holds it", hit)
        return None
    each_endpoint(ctx, declaring(ctx, "search"), judge)


@pytest.mark.rule("BGA-FILTER-CREATED-AFTER")
def test_every_list_filters_by_created_after(ctx: Context) -> None:
    def judge(endpoint: Endpoint) -> str | None:
        p = probes_for(ctx, endpoint)
        walk = p.walk()
        times = sorted(t for t in (sort_value("created_at", i) for i in walk.items) if t is not None)
        if len(times) < 2:
            return "fewer than two results carry a created_at: the filter cannot be observed"
        day = times[len(times) // 2].astimezone(UTC).date()
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        lower, upper = midnight - EARLIEST_ZONE, midnight + timedelta(days=1) + LATEST_ZONE
        ex = p.send("created_after", f"created_after={day}", params=p.query(created_after=day.isoformat(),
                                                                            limit=FULL))
        body = envelope(ex)
        for item in body["results"]:
            when = sort_value("created_at", item)
            ctx.expect(when is None or when >= lower, f"created_after={day} returned {ident(item)} created "
                       f"{item.get('created_at')}, before that day", ex)
        if not walk.complete or len(set(walk.ids)) != len(walk.ids) or len(walk.ids) != p.count():
            raise Incomplete("the walk of the list was not clean (see BGA-LIST-TRAVERSAL): how many results "
                             "created_after must keep is unknown", ex)
        must, may = sum(t >= upper for t in times), sum(t >= lower for t in times)
        ctx.expect(must <= int(body["count"]) <= may, f"created_after={day}: count is {body['count']}; of the "
                   f"{len(times)} results {must} were created after that day and {may} from it on", ex)
        return None
    each_endpoint(ctx, declaring(ctx, "created_after"), judge)


def status_filter_probe(ctx: Context, p: BoogaProbes) -> str | None:
    """One status value the list declares or carries: only results with it come back."""
    param = p.endpoint.param("status")
    items = [i for i in results(p.full()) if isinstance(i, dict)]
    carried = Counter(str(i["status"]) for i in items if isinstance(i.get("status"), str | int))
    # The rarest value a result carries (exclusion shows), else the first the enum declares.
    value = min(carried, key=lambda v: (carried[v], v)) if carried else (param.enum[0] if param and param.enum
                                                                        else None)
    if value is None:
        return "its results carry no status and the parameter declares no values"
    ex = p.send("status", f"status={value}", params=p.query(status=value, limit=FULL))
    got = [i for i in results(ex) if isinstance(i, dict)]
    other = [i for i in got if "status" in i and str(i["status"]) != value]
    ctx.expect(not other, f"status={value} returned {len(other)} results with another status "
               f"(e.g. {ident(other[0]) if other else ''} with {other[0].get('status') if other else ''!r})", ex)
    if carried and len(carried) > 1 and len(items) == p.count():
        ctx.expect(int(envelope(ex)["count"]) == carried[value], f"status={value}: count is "
                   f"{envelope(ex)['count']}; {carried[value]} of the {len(items)} results have that status", ex)
    if not carried:
        return "its results carry no status field: which ones match is not observable"
    return None


@pytest.mark.rule("BGA-FILTER-STATUS")
def test_every_list_filters_by_status(ctx: Context) -> None:
    targets = [e for e in ctx.surface().of_kind("list") if e.param("status") is not None]
    if not targets:
        pytest.skip("no list of the deployment declares status in its OpenAPI operation (\"Exact filtering "
                    "parameters vary by endpoint\")")
    each_endpoint(ctx, targets, lambda e: status_filter_probe(ctx, probes_for(ctx, e)))


# -- authentication, on every endpoint ---------------------------------------------------------
def callable_endpoints(ctx: Context) -> list[Endpoint]:
    return every_endpoint_but_the_list(ctx)


def accepted_everywhere(ctx: Context, style: str, header: str) -> None:
    """The key sent the `style` way is accepted on every endpoint (the plain GET is the probe
    when the run already sends it that way)."""
    def judge(endpoint: Endpoint) -> None:
        p = probes_for(ctx, endpoint)
        p.default()  # reached at all (a 404 says the path is wrong)
        ex = p.default() if ctx.auth_style == style else p.send(style, header, auth_style=style, params=p.query())
        ctx.expect(ex.status is not None and 200 <= ex.status < 300,
                   f"a valid key in {header} must be accepted, got {ex.status}", ex)
    each_endpoint(ctx, callable_endpoints(ctx), judge)


@pytest.mark.rule("BGA-AUTH-BEARER")
def test_bearer_is_accepted_everywhere(ctx: Context) -> None:
    accepted_everywhere(ctx, "bearer", "Authorization: Bearer")


@pytest.mark.rule("BGA-AUTH-API-KEY")
def test_x_api_key_is_accepted_everywhere(ctx: Context) -> None:
    accepted_everywhere(ctx, "api-key", "X-API-Key")


@pytest.mark.rule("BGA-AUTH-MISSING")
def test_no_credentials_is_401_everywhere(ctx: Context) -> None:
    def judge(endpoint: Endpoint) -> None:
        p = probes_for(ctx, endpoint)
        p.default()
        ex = p.send("no-credentials", "no credentials", auth=None, params=p.query())
        ctx.expect(ex.status == 401, f"a request without credentials must be 401 (not 403, not 2xx), "
                   f"got {ex.status}", ex)
    each_endpoint(ctx, [e for e in callable_endpoints(ctx) if e.template != ctx.target.settings["paths"]["item"]],
                  judge)


@pytest.mark.rule("BGA-AUTH-INVALID")
def test_unknown_key_is_401_everywhere(ctx: Context) -> None:
    def judge(endpoint: Endpoint) -> None:
        p = probes_for(ctx, endpoint)
        p.default()
        forged = ctx.credentials["primary"].value[:-1] + ("0" if not ctx.credentials["primary"].value.endswith("0")
                                                          else "1")
        ex = p.send("invalid-key", "a key that is not issued", auth=None, params=p.query(),
                    headers={"Authorization": f"Bearer {forged}"})
        ctx.expect(ex.status == 401, f"a key that is not issued must be 401, got {ex.status}", ex)
    each_endpoint(ctx, callable_endpoints(ctx), judge)


# -- tenancy, on every list and every item ----------------------------------------------------------
def _same(item: Any) -> str:
    return json.dumps(item, sort_keys=True, default=str)


@pytest.mark.rule("BGA-TENANCY-LIST")
def test_every_listing_is_tenant_isolated(ctx: Context) -> None:
    ctx.require("token_b")

    def judge(ctx: Context, p: BoogaProbes) -> str | None:
        # The same result (its id and every field alike) in both listings: ids alone may be
        # counted per tenant (message 1 of each), which is no leak.
        mine = {_same(i): ident(i) for i in results(p.full())}
        if not mine:
            return "tenant A's list is empty: disjoint listings cannot be observed"
        theirs = {_same(i) for i in results(p.as_tenant_b())}
        shared = [mine[k] for k in mine.keys() & theirs]
        ctx.expect(not shared, f"{len(shared)} results appear in both tenants' listings (e.g. {sorted(shared)[:2]})",
                   p.as_tenant_b(), p.full())
        return None
    on_lists(ctx, judge)


@pytest.mark.rule("BGA-TENANCY-ITEM")
def test_every_item_is_tenant_isolated(ctx: Context) -> None:
    ctx.require("token_b")

    def judge(endpoint: Endpoint) -> None:
        p = probes_for(ctx, endpoint)
        own = p.default()
        ctx.expect(own.status == 200, f"tenant A's key reading one of tenant A's own ({p.path}) answered "
                   f"{own.status}", own)
        ex = p.as_tenant_b()
        ctx.expect(ex.status in (403, 404), f"tenant B's key reading tenant A's {p.path} must be 404 or 403, "
                   f"got {ex.status}", ex)
    each_endpoint(ctx, further(ctx, "single"), judge)


@pytest.mark.rule("BGA-NOT-FOUND")
def test_every_item_answers_404_for_an_unknown_id(ctx: Context) -> None:
    def judge(endpoint: Endpoint) -> None:
        p = probes_for(ctx, endpoint)
        p.default()
        values = {param.name: UNKNOWN_ID for param in endpoint.path_params[-1:]}
        ex = p.send("unknown-id", "an unknown id", path=endpoint.fill({**ctx.surface().path_values(endpoint)[0],
                                                                         **values}), params=p.query())
        ctx.expect(ex.status == 404, f"an unknown id must be 404, got {ex.status}", ex)
    each_endpoint(ctx, further(ctx, "single"), judge)

