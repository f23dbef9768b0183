"""An independently written, multi-module Boomerang Developer API deployment on Flask.

Written from boomerang-overview.txt and DESIGN.md's assumptions alone (it shares no code with the
kit's reference mock nor with the Starlette server): a Flask app factory, one Blueprint per API
module (`example`, `widgets`, `orders`, `stats`, `events`), `before_request` hooks for Bearer auth
and the rejection of any request Content-Type, an `after_request` hook for X-Request-Id, and error
handlers that put every non-2xx answer — werkzeug's own 404, 405 and routing redirects included —
into the standard error body. It is served by werkzeug's threaded WSGI server, and it publishes a
vendor OpenAPI document (openapi.yaml) whose paths are relative to `https://gateway.bmrg.app/v1`.

    python -m tests.independent.boomerang_flask --port 0 [--break RULE-ID@module[:variant]] [--prefix /PREFIX]

`--break RULE-ID@module` breaks exactly that one rule, and only on that module's endpoints, never
on the two `example` endpoints (see BREAKERS); `--prefix /gw` mounts the whole API under `/gw`, as
behind a gateway. The server prints `listening on http://127.0.0.1:PORT` once it accepts
connections.

A breaker's name reads `RULE-ID@where[:variant]` (see `breaker_parts`): the rule is everything
before `@`, `where` a module (a blueprint name) or `unrouted` (the paths under /v1/ that no module
routes), and a `:variant` tells apart two ways of breaking the same rule on the same module.

This module imports nothing from Flask, so tests can read the constants cheaply.
"""

from __future__ import annotations

from pathlib import Path

MODULE = "tests.independent.boomerang_flask"

TOKEN = "bmr-flask-7c2e5a91d04f4b3e"  # the one server-scoped token this deployment issues

# The vendor's OpenAPI document: servers [{url: https://gateway.bmrg.app/v1}], paths relative to it.
OPENAPI = Path(__file__).with_name("openapi.yaml")

# The API modules, one Blueprint each.
MODULES: tuple[str, ...] = ("example", "widgets", "orders", "stats", "events")

# Ids the data set (and the OpenAPI examples) use.
EXAMPLE_ID = "example-1"
WIDGET_ID = "wdg_001"
ORDER_ID = "ord_001"
EVENT_ID = "evt_0001"

# `RULE-ID@module[:variant]`: breaks that one documented rule on that module's endpoints and nothing
# else (`@unrouted`: on the paths under /v1/ that no module routes). None of them touches the
# `example` module: the kit must find each one beyond the example endpoints.
BREAKERS: tuple[str, ...] = (
    "BMR-ENVELOPE-PAGINATED@widgets",
    "BMR-ENVELOPE-DATA@stats",
    "BMR-CONTENT-TYPE-REJECTED@orders",
    "BMR-METHOD-GET-ONLY@widgets",
    "BMR-TIMESTAMPS-EPOCH-MS@orders",
    "BMR-MALFORMED-QUERY@orders",
    "BMR-NO-5XX@orders",
    "BMR-PAGINATION-LIMIT@widgets",
    "BMR-REQUEST-ID-ECHO@widgets",
    "BMR-AUTH-MISSING@stats",
    "BMR-AUTH-INVALID@orders",
    "BMR-ERROR-FIELDS@widgets",
    "BMR-RESPONSE-CONTENT-TYPE@stats",
    "BMR-PAGINATION-TRAVERSAL@orders",
    # Issue 22: classes only a probe of every endpoint of its kind shows.
    "BMR-PAGINATION-TRAVERSAL@events",  # has_more true on the last page of a 347-item list
    "BMR-PAGINATION-TRAVERSAL@orders:floor",  # total_pages = total_items // limit (53 orders)
    "BMR-PAGINATION-LIMIT@orders",  # limit=0 answered 200 with an empty page
    "BMR-ENVELOPE-DATA@widgets",  # an unknown widget id answered 200 {"data": {"error": {...}}}
    "BMR-ERROR-FIELDS@unrouted",  # unrouted /v1/ paths answered with Falcon's {"title": "404 Not Found"}
    "BMR-GZIP@events",  # a per-URL response cache that ignores Vary: Accept-Encoding
    # Issue 23: a time found by a camelCase name, not only by `*_at`.
    "BMR-TIMESTAMPS-EPOCH-MS@events:camel",  # events serialised for a JavaScript client: occurredAt, ISO 8601
)

UNROUTED = "unrouted"  # the `where` of a breaker on the paths under /v1/ that no module routes


def breaker_parts(name: str) -> tuple[str, str, str | None]:
    """(rule, where, variant) of `RULE-ID@where[:variant]`: the rule is `name.split("@")[0]`, the
    module (or `unrouted`) the part between `@` and `:`, the variant what follows `:` (or None)."""
    rule, _, place = name.partition("@")
    where, _, variant = place.partition(":")
    return rule, where, variant or None
