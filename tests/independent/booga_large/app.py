"""The Starlette application: a Mount per plugin, key auth, tenant scoping, pagination, errors, rate limits.

Where each kind of answer comes from (and why every one carries the rate-limit headers):

    ServerErrorMiddleware (Starlette's; never reached: the barrier below answers first)
      RateLimit      pure ASGI: counts the request against its key, 429 past a limit, stamps
                     X-RateLimit-* on whatever goes out
        Barrier      pure ASGI: an exception nobody caught becomes a JSON 500 {detail, code}
                     (Starlette's own handler for Exception runs outside every user middleware,
                     so its 500s would go out unstamped; this is the app's catch-all instead)
          ExceptionMiddleware   ApiError -> {detail, code}; Starlette's 404 (no route) and 405
                                (a method the route lacks) -> {detail, code}; FieldErrors -> 400 map
            Router              /api/<plugin>/ and /api/<plugin>/{id}/, the schema endpoint

The planted bugs (catalog.PLANTS) raise inside the router and end at the barrier, which is how a
real app's crash on a malformed filter value looks from outside: a 500 in the API's error format.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import URL, Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import KEY_A, KEY_B, SCHEMA_PATH, STATS_PATH
from .catalog import Plugin, field_list
from .document import build as build_document
from .document import encode, filtered
from .filters import INT64, Selection, select
from .store import TENANT_A, TENANT_B, Store, column_of, stamp, table

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="api"'}
CODES = {400: "bad_request", 401: "not_authenticated", 403: "permission_denied", 404: "not_found",
         405: "method_not_allowed", 415: "unsupported_media_type", 429: "throttled", 500: "server_error"}


@dataclass(frozen=True)
class Settings:
    plant_500s: bool = True  # --no-500s: every planted reader replaced by the checked one
    per_minute: int = 100_000  # generous: a conformance run must never be paced by this server
    per_hour: int = 1_000_000
    stats: bool = False  # serve STATS_PATH (the bench's request counter)


class ApiError(Exception):
    """An error the API answers on purpose: its status, detail, code (and headers, e.g. a challenge)."""

    def __init__(self, status: int, detail: str, code: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.code, self.headers = status, detail, code, headers or {}


class FieldErrors(Exception):
    """A 400 whose body maps each offending field (or parameter) to its messages."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__(fields)
        self.fields = fields


def error(status: int, detail: str, code: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


# -- authentication -----------------------------------------------------------------------------------
KEYS = {KEY_A: TENANT_A, KEY_B: TENANT_B}


def presented_key(headers: Headers) -> tuple[str | None, str]:
    """(the key, how it came): a Bearer credential first, else X-API-Key; ("", reason) when absent."""
    scheme, _, credential = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        return credential.strip(), "bearer"
    api_key = headers.get("x-api-key", "").strip()
    if api_key:
        return api_key, "api-key"
    if scheme:
        return None, "scheme"  # Authorization of another scheme (Basic, Token) and no X-API-Key
    return None, "none"


def tenant_of(request: Request) -> int:
    key, how = presented_key(request.headers)
    if key is None:
        if how == "scheme":
            raise ApiError(401, "Unsupported authorization scheme; use Bearer or X-API-Key.",
                           "authentication_failed", CHALLENGE)
        raise ApiError(401, "Authentication credentials were not provided.", "not_authenticated", CHALLENGE)
    tenant = KEYS.get(key)
    if tenant is None:
        raise ApiError(401, "Invalid API key.", "authentication_failed", CHALLENGE)
    return tenant


# -- pagination -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def page_of(plugin: Plugin, request: Request, errors: dict[str, list[str]]) -> Page:
    """limit 1-100 (default 20) and offset >= 0. A strict list adds what is wrong to `errors` (a 400);
    a lenient one falls back (a bad limit is the default, past 100 is 100; a bad offset is 0), as
    DRF's LimitOffsetPagination does. Offsets are capped where sqlite's 64-bit OFFSET ends."""
    limit, offset = DEFAULT_LIMIT, 0
    raw_limit, raw_offset = request.query_params.get("limit"), request.query_params.get("offset")
    if raw_limit not in (None, ""):
        try:
            limit = int(raw_limit)
            if not 1 <= limit <= MAX_LIMIT:
                if not plugin.lenient:
                    errors["limit"] = [f"Ensure this value is between 1 and {MAX_LIMIT}."]
                limit = DEFAULT_LIMIT if limit < 1 else MAX_LIMIT
        except ValueError:
            if not plugin.lenient:
                errors["limit"] = ["A valid integer is required."]
    if raw_offset not in (None, ""):
        try:
            offset = int(raw_offset)
            if not 0 <= offset <= INT64[1]:
                if not plugin.lenient:
                    errors["offset"] = [f"Ensure this value is between 0 and {INT64[1]}."]
                offset = 0 if offset < 0 else INT64[1]
        except ValueError:
            if not plugin.lenient:
                errors["offset"] = ["A valid integer is required."]
    return Page(limit, offset)


def links(url: URL, page: Page, count: int) -> tuple[str | None, str | None]:
    """(next, previous): absolute URLs on the request's own origin, every other query parameter kept."""
    following = None
    if page.offset + page.limit < count:
        following = str(url.include_query_params(limit=page.limit, offset=page.offset + page.limit))
    preceding = None
    if page.offset > 0:
        back = page.offset - page.limit
        preceding = str(url.include_query_params(limit=page.limit).remove_query_params("offset") if back <= 0
                        else url.include_query_params(limit=page.limit, offset=back))
    return following, preceding


# -- a plugin's handlers -------------------------------------------------------------------------------
@dataclass
class Resource:
    """One plugin's list and item handlers over its table."""

    plugin: Plugin
    store: Store
    fields: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.fields = [f.name for f in field_list(self.plugin)]

    def represent(self, row: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.fields:
            value = row.get(column_of(name))
            if name == "amount":
                value = None if value is None else f"{value / 100:.2f}"
            elif name == "is_archived":
                value = bool(value)
            out[name] = value
        return out

    def where(self, tenant: int, selection: Selection) -> tuple[str, list[Any]]:
        conditions = [("tenant_id = ?", [tenant]), *selection.where]
        return " AND ".join(f"({sql})" for sql, _ in conditions), [v for _, vs in conditions for v in vs]

    async def listing(self, request: Request) -> Response:
        if request.method == "POST":
            return await self.create(request)
        tenant = tenant_of(request)
        errors: dict[str, list[str]] = {}
        page = page_of(self.plugin, request, errors)
        selection = select(self.plugin, request.query_params)
        errors.update(selection.errors)
        if errors:
            raise FieldErrors(errors)
        where, values = self.where(tenant, selection)
        name = table(self.plugin)
        count = int(self.store.query(f"SELECT COUNT(*) AS n FROM {name} WHERE {where}", values)[0]["n"])
        direction = "DESC" if selection.descending else "ASC"
        # The order column comes from the ordering enum (catalog), never from the request's text.
        rows = self.store.query(
            f"SELECT * FROM {name} WHERE {where} ORDER BY {column_of(selection.order)} {direction}, id {direction} "
            "LIMIT ? OFFSET ?", [*values, page.limit, page.offset])
        following, preceding = links(request.url, page, count)
        return JSONResponse({"count": count, "next": following, "previous": preceding,
                             "results": [self.represent(r) for r in rows]})

    def ident(self, raw: str) -> Any:
        """The path's id as the table keys it, or None: a path naming no row is a 404 like any other."""
        if self.plugin.id_type == "uuid":
            try:
                return str(uuid.UUID(raw))
            except ValueError:
                return None
        return int(raw) if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= INT64[1] else None

    def row(self, tenant: int, raw: str) -> dict[str, Any]:
        ident = self.ident(raw)
        found = [] if ident is None else self.store.query(
            f"SELECT * FROM {table(self.plugin)} WHERE id = ? AND tenant_id = ?", [ident, tenant])
        if not found:
            raise ApiError(404, "Not found.", "not_found")
        return found[0]

    async def item(self, request: Request) -> Response:
        tenant = tenant_of(request)
        row = self.row(tenant, request.path_params["id"])
        if request.method == "GET" or request.method == "HEAD":
            return JSONResponse(self.represent(row))
        if request.method == "DELETE":
            self.store.query(f"DELETE FROM {table(self.plugin)} WHERE id = ?", [row["id"]])
            return Response(status_code=204)
        changes = self.validated(await self.payload(request), partial=request.method == "PATCH")
        if changes:
            changes["updated_at"] = stamp(datetime.now(UTC))
            assignments = ", ".join(f"{k} = ?" for k in changes)
            self.store.query(f"UPDATE {table(self.plugin)} SET {assignments} WHERE id = ?", [*changes.values(),
                                                                                             row["id"]])
        return JSONResponse(self.represent(self.row(tenant, request.path_params["id"])))

    async def create(self, request: Request) -> Response:
        tenant = tenant_of(request)
        values = self.validated(await self.payload(request), partial=False)
        now = stamp(datetime.now(UTC))
        row: dict[str, Any] = {"tenant_id": tenant, **values, "created_at": now, "updated_at": now}
        if self.plugin.id_type == "uuid":
            row["id"] = str(uuid.uuid4())
        ident = self.store.insert(self.plugin, row)
        return JSONResponse(self.represent(self.row(tenant, str(ident))), status_code=201)

    async def payload(self, request: Request) -> Any:
        if "json" not in request.headers.get("content-type", ""):
            raise ApiError(415, "Unsupported media type; send application/json.", "unsupported_media_type")
        try:
            return json.loads(await request.body())
        except ValueError:
            raise FieldErrors({"non_field_errors": ["Invalid JSON."]}) from None

    def validated(self, body: Any, partial: bool) -> dict[str, Any]:
        """The writable fields of a POST, PUT or PATCH body (name, description, status), or a 400 map."""
        if not isinstance(body, dict):
            raise FieldErrors({"non_field_errors": ["Invalid data. Expected a dictionary."]})
        errors: dict[str, list[str]] = {}
        values: dict[str, Any] = {}
        if "name" in body or not partial:
            name = body.get("name")
            if not isinstance(name, str) or not name.strip():
                errors["name"] = ["This field is required."]
            else:
                values["name"] = name
        if "description" in body and self.plugin.has("description"):
            if body["description"] is not None and not isinstance(body["description"], str):
                errors["description"] = ["Not a valid string."]
            else:
                values["description"] = body["description"]
        if "status" in body and self.plugin.has("status"):
            if body["status"] not in self.plugin.statuses:
                errors["status"] = [f"{body['status']!r} is not a valid choice."]
            else:
                values["status"] = body["status"]
        if errors:
            raise FieldErrors(errors)
        if not partial and self.plugin.has("status"):
            values.setdefault("status", self.plugin.statuses[0])
        return values


# -- the schema endpoint --------------------------------------------------------------------------
class Schema:
    """The document, encoded once; a filtered one is encoded when first asked for ("cached for one hour")."""

    def __init__(self, plugins: Sequence[Plugin]) -> None:
        self.document = build_document(plugins)
        self.full = encode(self.document)
        self.cache: dict[frozenset[str], bytes] = {}

    async def endpoint(self, request: Request) -> Response:
        tenant_of(request)
        names = {n.strip() for key in ("plugin", "include_plugins") for n in
                 request.query_params.get(key, "").split(",") if n.strip()}
        if not names:
            body = self.full
        else:
            wanted = frozenset(names)
            if wanted not in self.cache:
                if len(self.cache) > 64:
                    self.cache.clear()
                self.cache[wanted] = encode(filtered(self.document, set(wanted)))
            body = self.cache[wanted]
        return Response(body, media_type="application/json")


# -- middleware -------------------------------------------------------------------------------------
@dataclass
class Window:
    seconds: int
    start: int = 0
    used: int = 0

    def hit(self, now: float) -> None:
        start = int(now // self.seconds) * self.seconds
        if start != self.start:
            self.start, self.used = start, 0
        self.used += 1


@dataclass
class Counters:
    """What the server received and answered (the bench's figures for both tools, from one place):
    requests by method, answers by method and status, and the paths that answered 5xx."""

    requests: int = 0
    methods: dict[str, int] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)  # "GET 200" -> count
    server_errors: dict[str, int] = field(default_factory=dict)  # path -> count of 5xx answers

    def answered(self, method: str, path: str, status: int) -> None:
        key = f"{method} {status}"
        self.answers[key] = self.answers.get(key, 0) + 1
        if status >= 500:
            self.server_errors[path] = self.server_errors.get(path, 0) + 1


class RateLimit:
    """Per-key fixed minute and hour windows; unknown or missing keys share one anonymous bucket."""

    def __init__(self, app: ASGIApp, settings: Settings, counters: Counters) -> None:
        self.app, self.settings, self.counters = app, settings, counters
        self.buckets: dict[str, tuple[Window, Window]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == STATS_PATH:
            await self.app(scope, receive, send)
            return
        self.counters.requests += 1
        self.counters.methods[scope["method"]] = self.counters.methods.get(scope["method"], 0) + 1
        key, _ = presented_key(Headers(scope=scope))
        name = key if key in KEYS else "anonymous"
        minute, hour = self.buckets.setdefault(name, (Window(60), Window(3600)))
        now = time.time()
        minute.hit(now)
        hour.hit(now)
        stamp_headers = {
            "X-RateLimit-Limit-Minute": str(self.settings.per_minute),
            "X-RateLimit-Remaining-Minute": str(max(0, self.settings.per_minute - minute.used)),
            "X-RateLimit-Limit-Hour": str(self.settings.per_hour),
            "X-RateLimit-Remaining-Hour": str(max(0, self.settings.per_hour - hour.used)),
        }
        if minute.used > self.settings.per_minute or hour.used > self.settings.per_hour:
            window = minute if minute.used > self.settings.per_minute else hour
            retry = max(1, math.ceil(window.start + window.seconds - now))
            self.counters.answered(scope["method"], scope["path"], 429)
            await error(429, f"Request was throttled. Expected available in {retry} seconds.", "throttled",
                        {**stamp_headers, "Retry-After": str(retry)})(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(stamp_headers)
                self.counters.answered(scope["method"], scope["path"], message["status"])
            await send(message)

        await self.app(scope, receive, stamped)


class Barrier:
    """The app's catch-all: an exception that escaped every handler is answered 500 in the API's
    format (no traceback is written: stderr is a pipe nobody reads while the server runs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            if started:
                raise  # nothing sensible can follow a response already begun
            await error(500, "A server error occurred.", "server_error")(scope, receive, send)


# -- exception handlers -----------------------------------------------------------------------------
async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error(exc.status, exc.detail, exc.code, exc.headers)


async def field_errors(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FieldErrors)
    return JSONResponse(exc.fields, status_code=400)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own: 404 for a path no route matches, 405 (with Allow) for a method a route lacks."""
    assert isinstance(exc, HTTPException)
    detail = {404: "Not found.", 405: f'Method "{request.method}" not allowed.'}.get(exc.status_code, str(exc.detail))
    return error(exc.status_code, detail, CODES.get(exc.status_code, "error"), dict(exc.headers or {}))


def create_app(plugins: Sequence[Plugin], settings: Settings) -> Starlette:
    if not settings.plant_500s:
        # --no-500s: the same deployment with every planted reader replaced by the checked one.
        plugins = [replace(p, plant=None) for p in plugins]
    store = Store(plugins)
    schema = Schema(plugins)
    counters = Counters()
    routes: list[BaseRoute] = []
    for plugin in plugins:
        resource = Resource(plugin, store)
        list_methods = ["GET", "POST"] if plugin.writes else ["GET"]
        item_methods = ["GET", "PUT", "PATCH", "DELETE"] if plugin.writes else ["GET"]
        routes.append(Mount(f"/api/{plugin.name}", routes=[
            Route("/", resource.listing, methods=list_methods, name=f"{plugin.name}-list"),
            Route("/{id}/", resource.item, methods=item_methods, name=f"{plugin.name}-detail"),
        ]))
    routes.insert(0, Route(SCHEMA_PATH, schema.endpoint, methods=["GET"], name="openapi-schema"))
    if settings.stats:
        async def stats(request: Request) -> Response:
            return JSONResponse({"requests": counters.requests, "methods": counters.methods,
                                 "answers": counters.answers, "server_errors": counters.server_errors})

        routes.append(Route(STATS_PATH, stats, methods=["GET"]))
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        ApiError: api_error, FieldErrors: field_errors, HTTPException: http_error}
    app = Starlette(
        routes=routes,
        exception_handlers=handlers,
        middleware=[Middleware(RateLimit, settings=settings, counters=counters), Middleware(Barrier)],
    )
    # Starlette answers /api/files with a 307 to /api/files/ (an empty text body); an API-only
    # deployment answers a JSON 404 for a path it does not route, as for any other.
    app.router.redirect_slashes = False
    return app
