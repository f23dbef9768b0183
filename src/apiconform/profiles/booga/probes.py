"""Shared Booga probes: list pages, link following, one cached traversal, write clean-up.

Expensive probes (the first full page, the traversal) are made once per run and shared
through `ctx.cache`, which keeps a live run within a modest request budget.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from apiconform.checks import require_decoded
from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.profiles.booga.checks import envelope_violations, json_body

FULL = 100  # the documented maximum limit: fewest requests per item
MAX_PAGES = 10  # a traversal walks at most this many pages of FULL (request budget)
TRAVERSAL_PAGES = 3  # a small list is walked in about this many pages, so `next` is exercised
# Said wherever a rule needs data the account does not have (README: "Data the kit needs").
DATA_HINT = "give the key's tenant some files (README: Data the kit needs)"


def choose_auth_style(ctx: Context) -> None:
    """Send the primary key the way that works, once per run.

    Both headers are documented; a deployment refusing one fails BGA-AUTH-BEARER or
    BGA-AUTH-API-KEY, and every other rule carries on with the other header instead of failing
    with 401s. The report says which header the run used (run.extra["auth"]).
    """
    if "bga:auth" in ctx.cache:
        ctx.auth_style = ctx.cache["bga:auth"]
        return
    ctx.cache["bga:auth"] = "bearer"
    bearer = ctx.get(list_path(ctx), auth_style="bearer", note="which way of sending the key works")
    used = {"style": "Authorization: Bearer", "reason": f"the list answered {bearer.status} to it"}
    if bearer.status in (401, 403):
        api_key = ctx.get(list_path(ctx), auth_style="api-key", note="X-API-Key, after Bearer was refused")
        if api_key.status is not None and 200 <= api_key.status < 300:
            ctx.cache["bga:auth"] = ctx.auth_style = "api-key"
            used = {"style": "X-API-Key", "reason": f"Authorization: Bearer was answered {bearer.status}, "
                                                    f"X-API-Key {api_key.status}: the run used X-API-Key"}
    ctx.cache.setdefault("run:extra", {})["auth"] = used


def require_count(ctx: Context, needed: int, what: str) -> int:
    """The list's count, or Incomplete naming the data the rule needs."""
    page = first_page(ctx)
    count = int(envelope(page)["count"])
    if count < needed:
        raise Incomplete(f"the list at {list_path(ctx)} holds {count} file{'s' if count != 1 else ''}; "
                         f"{what} needs at least {needed}: {DATA_HINT}", page)
    return count


def list_path(ctx: Context) -> str:
    return ctx.target.path("list")


def item_path(ctx: Context, ident: str) -> str:
    return ctx.target.path("item", id=ident)


def get_list(ctx: Context, note: str = "", auth: str | None = "primary", **query: Any) -> Exchange:
    return ctx.get(list_path(ctx), auth=auth, params=ctx.params(**query), note=note or f"list {query}")


def envelope(ex: Exchange) -> dict[str, Any]:
    """The page's envelope, as far as pagination checks need it; Incomplete when it is unusable.

    A count sent as a numeric string is read as the number (that mistake is
    BGA-LIST-ENVELOPE's to report), so one broken field does not stop every other rule.
    """
    if ex.status is None or not 200 <= ex.status < 300:
        raise Incomplete(f"the list answered {ex.status}: cannot check pagination on it", ex)
    require_decoded(ex)  # a page past the kit's size cap is the kit's limit, not a broken envelope
    body = json_body(ex)
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        problems = envelope_violations(body) or ["no results array"]
        raise Incomplete(f"the list envelope is not usable (see BGA-LIST-ENVELOPE): {problems[0]}", ex)
    count = body.get("count")
    if isinstance(count, str) and count.strip().isdigit():
        count = int(count.strip())
    if not isinstance(count, int) or isinstance(count, bool):
        raise Incomplete(f"the list's count is {count!r}: not usable (see BGA-LIST-ENVELOPE)", ex)
    links = {k: body.get(k) if isinstance(body.get(k), str) and body.get(k) else None
             for k in ("next", "previous")}
    return {**body, "count": count, **links}


def results(ex: Exchange) -> list[Any]:
    return list(envelope(ex)["results"])


def ident(item: Any) -> str:
    return str(item.get("id")) if isinstance(item, dict) else repr(item)


def first_page(ctx: Context) -> Exchange:
    """GET the list with limit=100, once per run."""
    if "bga:first" not in ctx.cache:
        ctx.cache["bga:first"] = get_list(ctx, "first full page", limit=FULL)
    first: Exchange = ctx.cache["bga:first"]
    ctx.use(first)
    return first


def link_url(ctx: Context, link: str, source: Exchange) -> str:
    """Where a next/previous link points, made sendable: relative links resolve against the
    page that carried them; a link to another origin is rebased onto the target (the client
    never sends credentials elsewhere), with a note."""
    if not link.startswith(("http://", "https://")):
        # The text says "URL for the next page" and its examples are absolute; a relative
        # reference still locates the page, so it is followed (and remarked on).
        ctx.note(f"pagination links are relative ({link[:60]!r}); the document's examples are absolute URLs")
    url = urljoin(source.request.url, link)
    if not ctx.client.same_origin(url):
        parts = urlsplit(url)
        base = urlsplit(ctx.client.base_url)
        ctx.note(f"a pagination link points to another origin ({parts.scheme}://{parts.netloc}); "
                 "the kit followed its path and query on the target instead")
        url = urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))
    return url


def follow(ctx: Context, link: str, source: Exchange, note: str = "follow next") -> Exchange:
    return ctx.get(link_url(ctx, link, source), note=note)


@dataclass
class Traversal:
    pages: list[Exchange] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)
    count: int = 0
    complete: bool = False  # reached a page whose next is null
    problem: str | None = None  # why the walk stopped early (envelope broken, error status)
    problem_exchange: Exchange | None = None

    @property
    def ids(self) -> list[str]:
        return [ident(i) for i in self.items]


def traversal_limit(count: int) -> int:
    """A page size that walks a small list in a few pages (so `next` is followed at all) and a
    large one in full pages."""
    return max(1, min(FULL, -(-count // TRAVERSAL_PAGES)))


def traversal(ctx: Context) -> Traversal:
    """Follow next from a first page until null (at most MAX_PAGES pages), once per run."""
    if "bga:traversal" in ctx.cache:
        cached: Traversal = ctx.cache["bga:traversal"]
        ctx.use(*cached.pages)
        return cached
    walk = Traversal()
    ex = first_page(ctx)
    if 200 <= (ex.status or 0) < 300:
        limit = traversal_limit(int(envelope(ex)["count"]))
        if limit != FULL:
            ex = get_list(ctx, f"traversal page 1 (limit {limit})", limit=limit)
    seen_urls: set[str] = set()
    while True:
        walk.pages.append(ex)
        try:
            body = envelope(ex)
        except Incomplete as exc:
            walk.problem, walk.problem_exchange = str(exc), ex
            break
        if len(walk.pages) == 1:
            walk.count = int(body["count"])
        walk.items.extend(body["results"])
        nxt = body["next"]
        if nxt is None:
            walk.complete = True
            break
        if len(walk.pages) >= MAX_PAGES:
            break
        url = link_url(ctx, nxt, ex)
        if url in seen_urls:
            walk.problem, walk.problem_exchange = f"next points back to an earlier page ({nxt})", ex
            break
        seen_urls.add(url)
        ex = ctx.get(url, note=f"traversal page {len(walk.pages) + 1}")
    ctx.cache["bga:traversal"] = walk
    return walk


def sample_id(ctx: Context) -> tuple[str, Exchange]:
    """The id of an existing file of the primary tenant (from the first page)."""
    ex = first_page(ctx)
    items = results(ex)
    if not items:
        raise Incomplete(f"the list at {list_path(ctx)} is empty: no file to read by id; {DATA_HINT}", ex)
    return ident(items[0]), ex


@contextmanager
def created_files(ctx: Context) -> Iterator[list[str]]:
    """Ids put in the yielded list are deleted again when the block ends, whatever happens."""
    ctx.require("writes")
    ids: list[str] = []
    try:
        yield ids
    finally:
        for made in ids:
            try:
                ctx.request("DELETE", item_path(ctx, made), note="clean-up of a created file")
            except Incomplete:
                ctx.note(f"could not delete the file {made} created by the kit")


def created_id(ex: Exchange) -> str | None:
    """The id in a 2xx answer to a POST, so that anything created can be cleaned up."""
    body = json_body(ex)
    if ex.status is not None and 200 <= ex.status < 300 and isinstance(body, dict) \
            and isinstance(body.get("id"), str | int):
        return str(body["id"])
    return None
