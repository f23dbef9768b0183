"""The Booga probes: how the key is sent, and the named, shared requests of every endpoint.

Every endpoint of the deployment's surface gets one `BoogaProbes` (probe_set.py): its requests
have names (`default`, `full`, `walk`, `limit=0`, `as_tenant_b`, ...), are sent at most once
per run, and serve every rule that reads them. Every list is held to every list rule with the
same probes, every single resource to every item rule: no endpoint of a kind is judged more
weakly than another (DESIGN.md).
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from apiconform.checks import require_decoded
from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.probe_set import EndpointProbes, probes, unreached
from apiconform.profiles.booga.checks import envelope_violations, json_body
from apiconform.surface import Endpoint, Param

FULL = 100  # the documented maximum limit: fewest requests per result
WALK_PAGES = 3  # a list is walked in about this many pages, so that next is followed at all
WALK_CAP = 4  # pages of a walk at the most; a longer list has its last page fetched directly
TENANCY_PAGES = 10  # pages of 100 of each tenant's listing compared at the most (1,000 results)
HUGE = str(2**64 + 1)  # past 64 bits: an integer a server must still refuse or read, never crash on
# Said wherever a rule needs data the account does not have (README: "Data the kit needs").
DATA_HINT = "give the key's tenant some data there (docs/guide.md: Data the kit needs)"
# The limits every list is sent that are out of 1–100 or not integers: at the bounds, below them
# (0, negative), just past the maximum, past 64 bits, and not a number.
INVALID_LIMITS = ("0", "-1", "101", HUGE, "abc")


def choose_auth_style(ctx: Context) -> None:
    """Send the primary key the way that works, once per run.

    Both headers are documented; a deployment refusing one fails BGA-AUTH-BEARER or
    BGA-AUTH-API-KEY, and every other rule carries on with the other header instead of failing
    with 401s. The probe is the schema endpoint, the one path the document fixes (every
    deployment has it, whatever its plugins). The report says which header the run used.
    """
    if "bga:auth" in ctx.cache:
        ctx.auth_style = ctx.cache["bga:auth"]
        return
    ctx.cache["bga:auth"] = "bearer"
    path = ctx.target.path("openapi")
    # The full document: discovery reads this very answer (a real one may take seconds to produce).
    bearer = ctx.get(path, auth_style="bearer", note="the full OpenAPI document (which way of sending the key "
                     "works; what the deployment offers)", allow_fault=True, document=True)
    ctx.cache["bga:schema-answer"] = bearer
    used = {"style": "Authorization: Bearer", "reason": f"the schema endpoint answered {bearer.status} to it"}
    if bearer.status in (401, 403):
        api_key = ctx.get(path, auth_style="api-key", note="the full OpenAPI document with X-API-Key, after Bearer "
                          "was refused", allow_fault=True, document=True)
        if api_key.status is not None and 200 <= api_key.status < 300:
            ctx.cache["bga:auth"] = ctx.auth_style = "api-key"
            ctx.cache["bga:schema-answer"] = api_key
            used = {"style": "X-API-Key", "reason": f"Authorization: Bearer was answered {bearer.status}, "
                                                    f"X-API-Key {api_key.status}: the run used X-API-Key"}
    ctx.cache.setdefault("run:extra", {})["auth"] = used


# -- reading a page ---------------------------------------------------------------------------
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


def link_url(ctx: Context, link: str, source: Exchange) -> str:
    """Where a next/previous link points, made sendable: a relative link resolves against the
    page that carried it (the text's examples are absolute URLs: a note). A link to another
    origin is never followed (credentials go only to the target): `Incomplete` here, and a
    failure of BGA-LIST-LINKS, whose check judges every page's links."""
    if not link.startswith(("http://", "https://")):
        ctx.note(f"pagination links are relative ({link[:60]!r}); the document's examples are absolute URLs")
    url = urljoin(source.request.url, link)
    if not ctx.client.same_origin(url):
        raise Incomplete(f"a pagination link points to another origin ({link[:80]}): the kit never follows it "
                         "(see BGA-LIST-LINKS)", source)
    return url


def status_of(item: Any) -> str | None:
    """A result's status: a string or number, or an object read by its `value` ({value, label},
    DESIGN.md)."""
    value = item.get("status") if isinstance(item, dict) else None
    if isinstance(value, dict):
        value = value.get("value")
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def unknown_id(endpoint: Endpoint) -> str:
    """An id no deployment issued, of the type the path parameter declares (an integer id
    asked for with a UUID would be a validation error, not a lookup)."""
    param = endpoint.path_params[-1] if endpoint.path_params else None
    kind = param.type if param is not None else ""
    if kind in ("integer", "number"):
        return "2147480000"
    return "00000000-0000-4000-8000-00000000dead"


@dataclass
class Walk:
    """Following next from a first page: every page, every result, whether it reached the end."""
    pages: list[Exchange] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)
    limit: int = 0
    count: int = 0
    complete: bool = False  # reached a page whose next is null
    problem: str = ""  # why the walk stopped early
    last: Exchange | None = None  # the last page, fetched directly when the walk is too long

    @property
    def ids(self) -> list[str]:
        return [ident(i) for i in self.items]


class BoogaProbes(EndpointProbes):
    """One Booga endpoint's named requests: pages, bounds, a walk, tenant B's view, the key each way."""

    def ids_for_path(self, parent: Endpoint) -> None:
        booga_probes(self.ctx, parent).full()

    @property
    def is_schema(self) -> bool:
        return self.endpoint.template == self.ctx.target.path("openapi")

    def send(self, name: str, note: str, **kwargs: Any) -> Exchange:
        if self.is_schema:
            kwargs.setdefault("document", True)  # the document's own size cap and patience
        return super().send(name, note, **kwargs)

    def default(self) -> Exchange:
        if self.is_schema and "default" not in self._sent:
            # The schema endpoint's plain GET is the document discovery already read (a real one may
            # take seconds to produce): never fetched again for it.
            from apiconform.discovery import discover

            found = discover(self.ctx).exchange
            if found is not None and found.status == 200:
                self._sent["default"] = found
        return super().default()

    # -- any endpoint --------------------------------------------------------------------------
    def as_style(self, style: str) -> Exchange:
        """The plain GET with the key in `style` (the default probe when the run sends it so)."""
        if self.ctx.auth_style == style:
            return self.default()
        return self.send(f"key-{style}", f"key in {'Authorization: Bearer' if style == 'bearer' else 'X-API-Key'}",
                         auth_style=style, params=self.query())

    def without_credentials(self) -> Exchange:
        return self.send("no-credentials", "no credentials", auth=None, params=self.query())

    def with_forged_key(self, header: str, forged: str) -> Exchange:
        value = f"Bearer {forged}" if header == "Authorization" else forged
        return self.send(f"forged-{header}", f"a key that is not issued, in {header}", auth=None,
                         params=self.query(), headers={header: value})

    def as_tenant_b(self) -> Exchange:
        self.ctx.require("token_b")
        if self.endpoint.kind == "list":
            return self.send("tenant-b", f"tenant B's key, limit={FULL}", auth="b", params=self.query(limit=FULL))
        return self.send("tenant-b", "tenant B's key", auth="b", params=self.query())

    # -- a list -----------------------------------------------------------------------------
    def page(self, name: str, note: str, /, **query: Any) -> Exchange:
        # Positional-only: a list may declare a filter called `name` or `note` (real ones do).
        return self.send(name, note, params=self.query(**query))

    def full(self) -> Exchange:
        """A page of the documented maximum (limit=100): the ids and count the rules compare with."""
        ex = self.page("full", f"limit={FULL}", limit=FULL)
        if ex.status == 404:
            raise unreached(self.endpoint, ex)
        body = envelope(ex)
        self.ctx.surface().remember_ids(self.endpoint.template, [ident(i) for i in body["results"]])
        return ex

    def count(self) -> int:
        return int(envelope(self.full())["count"])


    def require_count(self, needed: int, what: str) -> int:
        """The list's count; `unobservable` (skip there, error when no list can) below `needed`."""
        count = self.count()
        if count < needed:
            from apiconform.items import unobservable

            unobservable(f"it holds {count} result{'s' * (count != 1)}; {what} needs at least {needed}: "
                         f"{DATA_HINT}")
        return count

    def walk(self) -> Walk:
        """Follow next from a first page of about a third of the list, to null; a list longer than
        WALK_CAP pages of 100 is walked for its first pages and its last page is fetched directly."""
        known = self.ctx.endpoint_probes.get(f"walk:{self.endpoint.template}")
        if isinstance(known, Walk):
            return known
        walk = Walk(count=self.count())
        walk.limit = max(1, min(FULL, -(-walk.count // WALK_PAGES)))
        ex = self.full() if walk.limit == FULL else self.page("walk-1", f"walk page 1 (limit {walk.limit})",
                                                               limit=walk.limit)
        seen: set[str] = set()
        while True:
            walk.pages.append(ex)
            try:
                body = envelope(ex)
            except Incomplete as exc:
                walk.problem = str(exc)
                break
            walk.items.extend(body["results"])
            if body["next"] is None:
                walk.complete = True
                break
            if len(walk.pages) >= WALK_CAP:
                walk.problem = f"the walk stopped after {len(walk.pages)} pages of {walk.limit} (the kit's cap)"
                break
            try:
                url = link_url(self.ctx, body["next"], ex)
            except Incomplete as exc:
                walk.problem = str(exc)
                break
            if url in seen:
                walk.problem = f"next points back to an earlier page ({body['next']})"
                break
            seen.add(url)
            ex = self.send(f"walk-{len(walk.pages) + 1}", f"walk page {len(walk.pages) + 1}", path=url)
        if not walk.complete and not walk.problem.startswith(("next points back", "a pagination link")) \
                and walk.count > 0:
            # "the last page fetched directly when a full walk is too long"
            last_offset = ((walk.count - 1) // FULL) * FULL
            walk.last = self.page("last", f"the last page (offset {last_offset})", limit=FULL, offset=last_offset)
        self.ctx.endpoint_probes[f"walk:{self.endpoint.template}"] = walk
        return walk

    def listing(self, auth: str) -> Walk:
        """A tenant's whole listing (`auth`: "primary" or "b"), pages of 100 from the first to
        next=null, or TENANCY_PAGES of them at most (the walk says where it stopped). Page 1 is
        the shared `full` (A) or `tenant-b` (B) probe."""
        known = self.ctx.endpoint_probes.get(f"listing:{auth}:{self.endpoint.template}")
        if isinstance(known, Walk):
            return known
        whose = "tenant B's key" if auth == "b" else "tenant A's key"
        walk = Walk(limit=FULL)
        ex = self.as_tenant_b() if auth == "b" else self.full()
        seen: set[str] = set()
        while True:
            walk.pages.append(ex)
            body = envelope(ex)
            walk.count = body["count"]
            walk.items.extend(body["results"])
            if body["next"] is None:
                walk.complete = True
                break
            if len(walk.pages) >= TENANCY_PAGES:
                walk.problem = (f"{whose}'s listing was read for its first {len(walk.pages)} pages of {FULL} "
                                f"({len(walk.items)} of {walk.count} results; the kit's bound)")
                break
            url = link_url(self.ctx, body["next"], ex)
            if url in seen:
                walk.problem = f"next points back to an earlier page ({body['next']})"
                break
            seen.add(url)
            n = len(walk.pages) + 1
            ex = self.send(f"listing-{auth}-{n}", f"{whose}, page {n} of its listing", auth=auth, path=url)
        self.ctx.endpoint_probes[f"listing:{auth}:{self.endpoint.template}"] = walk
        return walk

    def limit(self, value: str) -> Exchange:
        return self.page(f"limit={value}", f"limit={value}", limit=value)

    def offset_past_64_bits(self) -> Exchange:
        return self.page("offset-huge", "offset past 64 bits", offset=HUGE)

    def malformed(self, param: Param) -> Exchange:
        """The list with one declared parameter malformed for its type (shared by the validation
        and no-5xx rules)."""
        kind, value = malformed(param)
        return self.page(f"malformed-{param.name}", f"{param.name}={value!r} (a malformed {kind})",
                         **{param.name: value})


def malformed(param: Param) -> tuple[str, str]:
    """(kind, value): a value of the wrong shape for the parameter's declared type, and that kind."""
    if param.type in ("integer", "number"):
        return param.type, HUGE if param.type == "integer" else "1e999"
    if param.type == "boolean":
        return "boolean", "apiconform-not-a-boolean"
    if param.schema.get("format") in ("date", "date-time"):
        return "date", "0289-13-45T25:61:61"  # year 289, month 13: a date no parser should crash on
    if param.enum:
        return "enum", "apiconform-not-in-enum"
    if "regex" in param.name:
        return "regex", "[(*\\"  # a regular expression that does not compile (DRF's name__iregex lookups)
    return "string", "%_'\""  # quotes and LIKE wildcards, which a query builder must escape


def booga_probes(ctx: Context, endpoint: Endpoint) -> BoogaProbes:
    """The one BoogaProbes of `endpoint` in this run."""
    found: BoogaProbes = probes(ctx, endpoint, BoogaProbes)
    return found


def random_term(ctx: Context) -> str:
    """A search term nothing matches, with the characters a query builder must escape."""
    return "".join(ctx.rng.choice(string.ascii_lowercase) for _ in range(14)) + "'%_\""
