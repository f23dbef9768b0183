"""The `events` module: the deployment's activity feed, and its one long list.

    GET /v1/events?page=&limit=   paginated, 347 events (more than three full pages of 100)
    GET /v1/events/{event_id}     non-paginated, ids evt_0001..evt_0347

Both answers carry envelope metadata beside `items`/`data`: `"meta": {"generated_at": <now, epoch
ms>}`, when the answer was produced. That is conformant: the document forbids no other top-level
field, and an idempotent GET is about state (DESIGN.md): the resource data (`items`, `data`) is
the same on every repeat, while the generation time may differ.

Breakers here: BMR-PAGINATION-TRAVERSAL@events (has_more true on the last page), BMR-GZIP@events
(a per-URL response cache that ignores Vary: Accept-Encoding) and BMR-TIMESTAMPS-EPOCH-MS@events:camel
(each event as a JavaScript client's serializer writes it: `occurredAt`, an ISO 8601 string), all in
this file.
"""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, g, request

from ..behaviour import Behaviour
from ..data import DataSet
from ..errors import ResourceNotFound, now_ms
from ..pagination import page_of
from ..queries import page_request
from ..responses import json_response

NAME = "events"
CACHE_CAPACITY = 10_000  # URLs the BMR-GZIP breaker's cache holds; a longer run's extra URLs pass uncached
# The headers a cached answer keeps. X-Request-Id is not among them: the app's after_request hook
# stamps each request's own on every answer, cached or not, so no request-id rule is touched.
CACHED_HEADERS = ("Content-Type", "Content-Encoding", "Vary")


def envelope_meta() -> dict[str, Any]:
    return {"generated_at": now_ms()}


@dataclass(frozen=True)
class CachedAnswer:
    body: bytes
    headers: tuple[tuple[str, str], ...]


class ResponseCache:
    """The BMR-GZIP@events breaker: the first 200 answer to each URL, replayed to every later GET.

    Its key is the URL alone. The compressed answer says `Vary: Accept-Encoding`, and a cache
    that honoured it would key on that request header too; this one ignores it, so whichever
    encoding the first client of a URL asked for is what every later client of that URL gets:
    gzip included, to a client that never asked for it. (A first plain request caches a plain
    answer, which is harmless: gzip is optional.)
    """

    def __init__(self, capacity: int = CACHE_CAPACITY) -> None:
        self._capacity = capacity
        self._entries: dict[str, CachedAnswer] = {}
        self._lock = threading.Lock()  # werkzeug's server is threaded: the first answer stored wins

    def get(self, key: str) -> CachedAnswer | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: str, answer: CachedAnswer) -> None:
        with self._lock:
            if key not in self._entries and len(self._entries) < self._capacity:
                self._entries[key] = answer


def cache_key() -> str:
    # Path and raw query string: what a URL-keyed cache sees. Behind --prefix the app's own path.
    return f"{request.path}?{request.query_string.decode('latin-1')}"


def asks_for_gzip() -> bool:
    """Whether the request names gzip with a non-zero quality.

    Not werkzeug's `accept_encodings["gzip"]`, which counts `*` as gzip: a request that does not
    mention gzip must never get it from a fresh answer, only (the breaker) from the cache.
    """
    return any(value.lower() == "gzip" and quality > 0 for value, quality in request.accept_encodings)


def compress(response: Response) -> None:
    # mtime=0: the same bytes for the same body, so the data set stays deterministic.
    response.set_data(gzip.compress(response.get_data(), mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")


def create_blueprint(behaviour: Behaviour, data: DataSet) -> Blueprint:
    bp = Blueprint(NAME, __name__, url_prefix="/v1/events")

    def breaks(rule: str, variant: str | None = None) -> bool:
        return behaviour.breaks(rule, NAME, variant)

    def serialise(event: dict[str, Any]) -> dict[str, Any]:
        if breaks("BMR-TIMESTAMPS-EPOCH-MS", "camel"):
            # A serializer shared with a JavaScript front end: camelCase keys for times, and times
            # as `new Date(ms).toISOString()` writes them.
            out = {k: v for k, v in event.items() if k != "occurred_at"}
            moment = datetime.fromtimestamp(event["occurred_at"] / 1000, UTC)
            out["occurredAt"] = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            return out
        return event

    @bp.get("")
    def list_events() -> Response:
        page = page_of([serialise(e) for e in data.events], page_request(),
                       more_on_last_page=breaks("BMR-PAGINATION-TRAVERSAL"))
        return json_response({**page, "meta": envelope_meta()})

    @bp.get("/<event_id>")
    def get_event(event_id: str) -> Response:
        item = data.events_by_id.get(event_id)
        if item is None:
            raise ResourceNotFound("no such event", {"event_id": event_id})
        return json_response({"data": serialise(item), "meta": envelope_meta()})

    if breaks("BMR-GZIP"):
        cache = ResponseCache()

        # Blueprint hooks run after the app's (authentication and the Content-Type rejection come
        # first, so the cache never answers a request the app refuses) and only for requests routed
        # to this blueprint. HEAD is left alone: werkzeug answers it from the view, uncompressed.
        @bp.before_request
        def replay_cached() -> Response | None:
            if request.method != "GET":
                return None
            hit = cache.get(cache_key())
            if hit is None:
                return None
            g.events_cache_hit = True
            return Response(hit.body, status=200, headers=list(hit.headers))

        @bp.after_request
        def compress_and_store(response: Response) -> Response:
            if request.method != "GET" or response.status_code != 200 or g.get("events_cache_hit"):
                return response
            if asks_for_gzip():
                compress(response)
            cache.put(cache_key(), CachedAnswer(response.get_data(), tuple(
                (name, response.headers[name]) for name in CACHED_HEADERS if name in response.headers)))
            return response

    return bp
