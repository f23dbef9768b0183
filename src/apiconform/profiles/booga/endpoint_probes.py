"""Shared probes of the Booga endpoints beyond the first of their kind (breadth.py).

Each further list, single resource or other endpoint gets one `BoogaProbes`: its requests
have names (`default`, `full`, `walk`, `as_tenant_b`, ...), are sent at most once per run, and
every rule that reads one says so (`ctx.use`), so that the exchange counts as judged by that
rule and its endpoint as covered. A list costs at most about 20 requests for every rule of the
profile, a single resource 6, any other endpoint 4.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apiconform.breadth import EndpointProbes, unreached
from apiconform.context import Context
from apiconform.exchange import Exchange
from apiconform.profiles.booga.probes import FULL, envelope, ident, link_url, list_path
from apiconform.surface import Endpoint

WALK_PAGES = 3  # a further list is walked in about this many pages
MAX_WALKED = WALK_PAGES * FULL  # larger lists are not walked end to end on a further endpoint


@dataclass
class Walk:
    pages: list[Exchange] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)
    limit: int = 0
    complete: bool = False
    problem: str = ""


class BoogaProbes(EndpointProbes):
    """A further Booga endpoint's named requests: pages, a walk, tenant B's view."""

    def __init__(self, ctx: Context, endpoint: Endpoint) -> None:
        super().__init__(ctx, endpoint)
        self._walk: Walk | None = None

    def ids_for_path(self, parent: Endpoint) -> None:
        probes_for(self.ctx, parent).full()

    def full(self) -> Exchange:
        """A page of the documented maximum (limit=100): the ids the rules compare with."""
        ex = self.send("full", f"limit={FULL}", params=self.query(limit=FULL))
        if ex.status == 404:
            raise unreached(self.endpoint, ex, self.ctx.client.base_url)
        body = envelope(ex)
        self.ctx.surface().remember_ids(self.endpoint.template, [ident(i) for i in body["results"]])
        return ex

    def count(self) -> int:
        return int(envelope(self.full())["count"])

    def ids(self) -> list[str]:
        return [ident(i) for i in envelope(self.full())["results"]]

    def walk(self) -> Walk:
        """Follow next from a first page of about a third of the list, to null."""
        if self._walk is not None:
            self.ctx.use(*self._walk.pages)
            return self._walk
        walk = Walk()
        count = self.count()
        walk.limit = max(1, min(FULL, -(-count // WALK_PAGES)))
        if count > MAX_WALKED:
            walk.problem = f"it holds {count} results, more than the {MAX_WALKED} a further list is walked for"
            self._walk = walk
            return walk
        ex = self.send("walk-1", f"walk page 1 (limit {walk.limit})", params=self.query(limit=walk.limit))
        seen: set[str] = set()
        while True:
            walk.pages.append(ex)
            body = envelope(ex)
            walk.items.extend(body["results"])
            walk.ids.extend(ident(i) for i in body["results"])
            if body["next"] is None:
                walk.complete = True
                break
            if len(walk.pages) > WALK_PAGES + 1:
                walk.problem = f"next still not null after {len(walk.pages)} pages of {walk.limit} (count {count})"
                break
            url = link_url(self.ctx, body["next"], ex)
            if url in seen:
                walk.problem = f"next points back to an earlier page ({body['next']})"
                break
            seen.add(url)
            ex = self.send(f"walk-{len(walk.pages) + 1}", f"walk page {len(walk.pages) + 1}", path=url)
        self._walk = walk
        return walk

    def as_tenant_b(self) -> Exchange:
        self.ctx.require("token_b")
        return self.send("tenant-b", f"tenant B's key, limit={FULL}", auth="b",
                         params=self.query(limit=FULL) if self.endpoint.kind == "list" else self.query())


def probes_for(ctx: Context, endpoint: Endpoint) -> BoogaProbes:
    """The one BoogaProbes of `endpoint` in this run."""
    known = ctx.endpoint_probes.get(endpoint.template)
    if not isinstance(known, BoogaProbes):
        known = ctx.endpoint_probes[endpoint.template] = BoogaProbes(ctx, endpoint)
    return known


# -- which endpoints are "further" ----------------------------------------------------------------
def further(ctx: Context, kind: str) -> list[Endpoint]:
    """The endpoints of `kind` beyond the configured one the deep tests examine."""
    configured = {"list": ctx.target.path("list"), "single": str(ctx.target.settings["paths"]["item"]),
                  "other": ctx.target.path("openapi")}
    return [e for e in ctx.surface().of_kind(kind) if e.template != configured[kind]]


def every_endpoint_but_the_list(ctx: Context) -> list[Endpoint]:
    """Every endpoint of the surface except the configured list (which the deep tests use)."""
    return [e for e in ctx.surface().endpoints if e.template != list_path(ctx)]

