"""The Boomerang probes: the named, shared requests of every endpoint of the deployment.

Every endpoint of the surface (the vendor's OpenAPI document, else the page's two examples) gets
one `BoomerangProbes` (probe_set.py): a plain GET, the same GET with an X-Request-Id, a gzip pair,
requests without or with a wrong token, with a Content-Type, with a body, with other methods, the
unversioned path; and for a paginated one a walk of its pages, its last page, and limits and pages
out of range. Each is sent once per run and serves every rule that reads it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from apiconform.checks import require_decoded
from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.items import unobservable
from apiconform.probe_set import EndpointProbes, probes
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
WALK_PAGES = 3  # a paginated endpoint is walked in about this many pages
WALK_CAP = 4  # pages walked at the most; a longer collection has its last page fetched directly
REQUEST_ID = "apiconform-0d6c2b8e-7f41-4a9b-9e35-5b0c1f2a7d64"
HUGE = str(2**64 + 1)  # past 64 bits: an integer a server must still refuse or clamp, never crash on


@dataclass
class Walk:
    pages: list[Exchange] = field(default_factory=list)
    limit: int = 0
    total: int | None = None
    last: Exchange | None = None  # page total_pages, fetched directly when the walk is too long
    problem: str = ""


def items_and_meta(ex: Exchange) -> tuple[list[Any], dict[str, Any]]:
    require_decoded(ex)  # a page the kit's own size cap or nesting bound stopped: `error`, named so
    body = parsed_body(ex)
    if not (isinstance(body, dict) and isinstance(body.get("items"), list)
            and isinstance(body.get("pagination"), dict)):
        raise Incomplete(f"a {ex.status} page has no items array and pagination object (see BMR-ENVELOPE-PAGINATED): "
                         "cannot check pagination", ex)
    return body["items"], body["pagination"]


def is_2xx(ex: Exchange) -> bool:
    return ex.status is not None and 200 <= ex.status < 300


def resource_data(ex: Exchange) -> Any:
    """The resource data of a body (`data`, or `items`), without the envelope's metadata: what
    idempotency is about (DESIGN.md: a generation time in the envelope may differ)."""
    body = parsed_body(ex)
    if isinstance(body, dict) and ("data" in body or "items" in body):
        return {k: body[k] for k in ("data", "items") if k in body}
    return body


class BoomerangProbes(EndpointProbes):
    def ids_for_path(self, parent: Endpoint) -> None:
        boomerang_probes(self.ctx, parent).remember_ids()

    def served(self) -> Exchange:
        """The plain GET, which must be a 2xx for anything else to be judged here."""
        ex = self.default()
        if not is_2xx(ex):
            raise Incomplete(f"a plain GET of {self.endpoint.label} answered {ex.status}: nothing to judge there", ex)
        return ex

    def with_request_id(self) -> Exchange:
        return self.send("request-id", "GET with X-Request-Id", params=self.query(),
                         headers={"X-Request-Id": REQUEST_ID})

    def without_token(self) -> Exchange:
        return self.send("no-token", "no Authorization header", auth=None, params=self.query())

    def with_wrong_token(self, value: str) -> Exchange:
        return self.send(f"wrong-token:{value}", "an Authorization that is not the issued token", auth=None,
                         params=self.query(), headers={"Authorization": value})

    def with_content_type(self) -> Exchange:
        return self.send("content-type", "GET carrying Content-Type", params=self.query(),
                         headers={"Content-Type": "application/json", "X-Request-Id": REQUEST_ID})

    def method(self, method: str) -> Exchange:
        return self.send(f"method-{method}", f"{method}: the API is GET-only", method=method, params=self.query())

    def unknown_id(self) -> Exchange | None:
        """The endpoint asked for an identifier that does not exist (None: it names none)."""
        query = self.query()
        if self.endpoint.path_params:
            values = self.path_values() if len(self.endpoint.path_params) > 1 else {}
            values[self.endpoint.path_params[-1].name] = "apiconform-no-such-id"
            return self.send("unknown-id", "an id that does not exist", path=self.endpoint.fill(values), params=query)
        if "id" in query:
            return self.send("unknown-id", "an id that does not exist", params={**query, "id": "apiconform-no-such-id"})
        return None

    def gzip_pair(self) -> tuple[Exchange, Exchange]:
        """The same URL asked first with gzip, then without: a cache that ignores Vary serves the
        gzip body to the second. The URL is one no other probe asks for (a cache may already hold
        the plain answer of the default GET): another page for a list, another id for a path."""
        if self.endpoint.kind == "list":
            # limit before page: a cache keyed on the raw URL has not seen this one from the walk.
            params = self.query(limit=int(self.ctx.target["pagination"]["default_limit"]) - 1, page=1)
            path = self.path
        else:
            params, path = self.query(), self.other_path() or self.path
        zipped = self.send("gzip", "Accept-Encoding: gzip", path=path, params=params, accept_encoding="gzip")
        plain = self.send("gzip-then-plain", "the same URL without Accept-Encoding: gzip", path=path, params=params)
        return zipped, plain

    def other_path(self) -> str | None:
        """The endpoint with another real id than the default probe's, when its list offers one."""
        if not self.endpoint.path_params or self.endpoint.parent is None:
            return None
        seen = self.ctx.surface().seen_ids.get(self.endpoint.parent, [])
        if len(seen) < 2:
            return None
        values = self.path_values()
        values[self.endpoint.path_params[-1].name] = seen[1]
        return self.endpoint.fill(values)

    def remember_ids(self) -> None:
        items, _ = items_and_meta(self.served())
        self.ctx.surface().remember_ids(self.endpoint.template,
                                        [i.get("id") for i in items if isinstance(i, dict)])

    def value(self, param: str, value: str) -> Exchange:
        """The plain GET with one query parameter set to `value` (bounds, malformed values)."""
        return self.send(f"{param}={value}", f"{param}={value}", params={**self.query(), param: value})

    # -- a paginated endpoint ------------------------------------------------------------------
    def page(self, name: str, note: str, /, **query: Any) -> Exchange:
        # Positional-only: an endpoint may declare a query parameter called `name` or `note`.
        return self.send(name, note, params=self.query(**query))

    def total(self) -> int:
        names = self.ctx.target["pagination"]
        _, meta = items_and_meta(self.served())
        total = meta.get(names["total_items"])
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise Incomplete(f"pagination carries no integer {names['total_items']} (see BMR-PAGINATION-TRAVERSAL)",
                             self.served())
        return total

    def require_total(self, needed: int, what: str) -> int:
        total = self.total()
        if total < needed:
            unobservable(f"it holds {total} item(s); {what} needs at least {needed}")
        return total

    def walk(self) -> Walk:
        """page 1..N at a limit of about a third of the collection, to has_more false; a longer
        collection is walked for WALK_CAP pages and its last page is fetched directly."""
        known = self.ctx.endpoint_probes.get(f"walk:{self.endpoint.template}")
        if isinstance(known, Walk):
            return known
        names, cap = self.ctx.target["pagination"], int(self.ctx.target["pagination"]["max_limit"])
        walk = Walk(total=self.total())
        walk.limit = max(1, min(cap, math.ceil(walk.total / WALK_PAGES))) if walk.total else 1
        for page in range(1, WALK_CAP + 1):
            ex = self.page(f"walk-{page}", f"walk page {page} (limit {walk.limit})", page=page, limit=walk.limit)
            walk.pages.append(ex)
            _, meta = items_and_meta(ex)
            if meta.get(names["has_more"]) is not True:
                break
        else:
            last = math.ceil((walk.total or 0) / walk.limit)
            if last > WALK_CAP:
                walk.last = self.page("last", f"the last page ({last}, limit {walk.limit})", page=last,
                                      limit=walk.limit)
        self.ctx.endpoint_probes[f"walk:{self.endpoint.template}"] = walk
        return walk

    def body_for(self) -> bytes:
        """A JSON body that would change the answer if read: another real id, another page."""
        names = self.ctx.target["params"]
        query = self.query()
        other = next((i for i in self.ctx.surface().seen_ids.get(self.endpoint.parent or self.endpoint.template, [])
                      if i not in self.path and i not in query.values()), "apiconform-body-id")
        fields = {**{k: other for k in query}, "id": other, names["limit"]: 5, names["page"]: 2}
        return json.dumps(fields).encode()


def boomerang_probes(ctx: Context, endpoint: Endpoint) -> BoomerangProbes:
    found: BoomerangProbes = probes(ctx, endpoint, BoomerangProbes)
    return found
