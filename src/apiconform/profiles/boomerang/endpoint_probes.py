"""Shared probes of the Boomerang endpoints beyond the page's two examples (breadth.py).

Each further endpoint of the deployment's surface (its vendor OpenAPI document) gets one
`BoomerangProbes`: a plain GET, the same GET with an X-Request-Id, and for a paginated one a
walk of its pages, each sent once and shared by every rule that reads it. An endpoint costs
about 10 requests, a paginated one about 20.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from apiconform.breadth import EndpointProbes
from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.profiles.boomerang.checks import parsed_body
from apiconform.surface import Endpoint

# Methods that change nothing on any server (RFC 9110 safe methods, WebDAV's read-only ones): a
# default run shows GET-only rejection with these. The writing ones only with --allow-writes
# (DESIGN.md: read-only by default means nothing that could change state on a target that
# breaks a rule). Never HEAD (the page does not name it) nor CONNECT (a proxy method).
METHODS_READ_ONLY = ["OPTIONS", "PROPFIND", "TRACE", "SEARCH", "REPORT"]
METHODS_WRITING = ["POST", "DELETE", "PUT", "PATCH", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
                   "PURGE", "LINK", "UNLINK"]
VERSION_SEGMENT = re.compile(r"/v[0-9]+(?=/)")
WALK_PAGES = 3  # a further paginated endpoint is walked in about this many pages
REQUEST_ID = "apiconform-0d6c2b8e-7f41-4a9b-9e35-5b0c1f2a7d64"


@dataclass
class Walk:
    pages: list[Exchange] = field(default_factory=list)
    limit: int = 0
    total: int | None = None
    problem: str = ""


def items_and_meta(ex: Exchange) -> tuple[list[Any], dict[str, Any]]:
    body = parsed_body(ex)
    if not (isinstance(body, dict) and isinstance(body.get("items"), list)
            and isinstance(body.get("pagination"), dict)):
        raise Incomplete(f"a {ex.status} page has no items array and pagination object (see BMR-ENVELOPE-PAGINATED): "
                         "cannot check pagination", ex)
    return body["items"], body["pagination"]


class BoomerangProbes(EndpointProbes):
    def ids_for_path(self, parent: Endpoint) -> None:
        probes_for(self.ctx, parent).remember_ids()

    def served(self) -> Exchange:
        """The plain GET, which must be a 2xx for anything else to be judged here."""
        ex = self.default()
        if ex.status is None or not 200 <= ex.status < 300:
            raise Incomplete(f"a plain GET of {self.endpoint.label} answered {ex.status}: nothing to judge there", ex)
        return ex

    def with_request_id(self) -> Exchange:
        return self.send("request-id", "GET with X-Request-Id", params=self.query(),
                         headers={"X-Request-Id": REQUEST_ID})

    def remember_ids(self) -> None:
        items, _ = items_and_meta(self.served())
        self.ctx.surface().remember_ids(self.endpoint.template,
                                        [i.get("id") for i in items if isinstance(i, dict)])

    def walk(self) -> Walk:
        """page 1..N at a limit of about a third of the collection, to has_more false."""
        known = self.ctx.endpoint_probes.get(f"walk:{self.endpoint.template}")
        if isinstance(known, Walk):
            self.ctx.use(*known.pages)
            return known
        names = self.ctx.target["pagination"]
        walk = Walk()
        _, meta = items_and_meta(self.served())
        total = meta.get(names["total_items"])
        cap = int(self.ctx.target["pagination"]["max_limit"])
        if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
            walk.total = total
            walk.limit = max(1, min(cap, math.ceil(total / WALK_PAGES)))
        else:
            walk.problem = f"pagination carries no integer {names['total_items']}"
        if walk.total is not None and walk.total > WALK_PAGES * cap:
            walk.problem = f"it holds {walk.total} items, more than the {WALK_PAGES * cap} a further endpoint is " \
                           "walked for"
        if not walk.problem:
            for page in range(1, WALK_PAGES + 2):
                ex = self.send(f"walk-{page}", f"walk page {page} (limit {walk.limit})",
                               params=self.query(page=page, limit=walk.limit))
                walk.pages.append(ex)
                _, meta = items_and_meta(ex)
                if meta.get(names["has_more"]) is not True:
                    break
        self.ctx.endpoint_probes[f"walk:{self.endpoint.template}"] = walk
        return walk


def probes_for(ctx: Context, endpoint: Endpoint) -> BoomerangProbes:
    known = ctx.endpoint_probes.get(endpoint.template)
    if not isinstance(known, BoomerangProbes):
        known = ctx.endpoint_probes[endpoint.template] = BoomerangProbes(ctx, endpoint)
    return known


def further(ctx: Context, kind: str | None = None) -> list[Endpoint]:
    """The endpoints beyond the page's two examples (which the deep tests examine)."""
    examples = {ctx.target.path("resource"), ctx.target.path("resources")}
    return [e for e in ctx.surface().endpoints if e.template not in examples and (kind is None or e.kind == kind)]
