"""An independently written Boomerang Developer API server, built the way a Starlette deployment would be.

Written from boomerang-overview.txt and DESIGN.md's assumptions alone (it shares no code with the
kit's reference mock): Starlette routes, pure-ASGI middleware for auth / Content-Type / X-Request-Id,
Starlette's own GZipMiddleware with its default settings, and exception handlers that put every
non-2xx answer (Starlette's own 404 and 405 included) into the standard error body.

    python -m tests.independent.boomerang_starlette --port 0 [--break RULE-ID] [--missing-example]

`--break RULE-ID` breaks exactly that one rule (see BREAKERS); `--missing-example` serves resources
under other ids, so `GET /v1/example/resource?id=example-1` is a 404 while other methods stay 405.
The server prints `listening on http://127.0.0.1:PORT` once it accepts connections.
"""

from __future__ import annotations

import argparse
import gzip
import hmac
import logging
import re
import socket
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN = "bmr-starlette-4f1c9e07a2d84b6f"  # the one server-scoped token this deployment issues

BREAKERS = (
    "BMR-ENVELOPE-DATA",
    "BMR-PAGINATION-LIMIT",
    "BMR-PAGINATION-TRAVERSAL",
    "BMR-ERROR-FIELDS",
    "BMR-REQUEST-ID-ECHO",
    "BMR-REQUEST-ID-GENERATED",
    "BMR-AUTH-MISSING",
    "BMR-METHOD-GET-ONLY",
    "BMR-RESPONSE-CONTENT-TYPE",
    "BMR-GZIP",
    "BMR-CONTENT-TYPE-REJECTED",
    "BMR-TIMESTAMPS-EPOCH-MS",
    "BMR-NO-5XX",
)

ITEM_COUNT = 60
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
BROKEN_MAX_LIMIT = 500  # BMR-PAGINATION-LIMIT breaker: an over-generous cap
GZIP_THRESHOLD = 500  # the same size as GZipMiddleware's default minimum_size
# Fixed creation times (not "now"): two identical GETs must return identical bodies.
EPOCH_MS_BASE = 1_763_205_835_591
HOUR_MS = 3_600_000
# A signed run of ASCII digits. Not int(): it also accepts " 5", "1_000" and non-ASCII digits,
# which the kit (and a careful server) treats as malformed rather than as numbers.
INTEGER = re.compile(r"[+-]?[0-9]+")
SAFE_ID = re.compile(r"[A-Za-z0-9_-]+")
REQUEST_ID_KEY = "boomerang.request_id"  # where the middleware leaves the response's X-Request-Id


@dataclass(frozen=True)
class Behaviour:
    """Which rule (if any) this process breaks, and whether the example resource exists."""

    broken: str | None = None
    missing_example: bool = False

    def breaks(self, rule: str) -> bool:
        return self.broken == rule


# -- responses --------------------------------------------------------------------------------
class Utf8JSONResponse(JSONResponse):
    """JSONResponse that declares its charset.

    Starlette appends `; charset=utf-8` only to text/* media types, so its JSONResponse sends a
    bare `application/json`; the document requires `application/json; charset=utf-8`.
    """

    media_type = "application/json; charset=utf-8"


def json_response(behaviour: Behaviour, content: Any, status_code: int = 200,
                  headers: Mapping[str, str] | None = None) -> Response:
    cls = JSONResponse if behaviour.breaks("BMR-RESPONSE-CONTENT-TYPE") else Utf8JSONResponse
    return cls(content, status_code=status_code, headers=headers)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def error_body(status: int, code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {
        "status": "error",
        "code": code,
        "message": message,
        "http_status": status,
        "timestamp": now_ms(),
        "trace_id": uuid.uuid4().hex,
        "details": details if details is not None else {},
    }


def error_response(behaviour: Behaviour, status: int, code: str, message: str, details: Any = None,
                   headers: Mapping[str, str] | None = None) -> Response:
    return json_response(behaviour, error_body(status, code, message, details), status, headers)


# Codes for the statuses Starlette itself raises (404 for an unknown path, 405 for a method).
HTTP_CODES = {400: "VALIDATION_FAILED", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
              405: "METHOD_NOT_ALLOWED", 406: "NOT_ACCEPTABLE", 415: "UNSUPPORTED_MEDIA_TYPE"}


# -- data -------------------------------------------------------------------------------------
def make_items(behaviour: Behaviour) -> list[dict[str, Any]]:
    # With --missing-example the ids differ from the document's example id.
    prefix = "sample" if behaviour.missing_example else "example"
    items = []
    for n in range(1, ITEM_COUNT + 1):
        created = EPOCH_MS_BASE - n * HOUR_MS
        items.append({
            "id": f"{prefix}-{n}",
            "name": f"Example Resource {n}",
            # Long enough that even a one-item page passes GZipMiddleware's 500-byte minimum.
            "description": (f"Resource number {n} of the Boomerang example collection. It exists so that "
                            "clients can exercise pagination, envelopes, compression and error handling "
                            "against a predictable, idempotent data set. ") * 2,
            "created_at": created // 1000 if behaviour.breaks("BMR-TIMESTAMPS-EPOCH-MS") else created,
            "updated_at": created + 90_000,
            "tags": ["example", f"group-{n % 5}"],
        })
    return items


class Store:
    def __init__(self, behaviour: Behaviour) -> None:
        self.items = make_items(behaviour)
        self.by_id = {item["id"]: item for item in self.items}


# -- query parsing ----------------------------------------------------------------------------
class InjectedFault(Exception):
    """The BMR-NO-5XX breaker's unhandled exception (its own class, so the log filter knows it)."""


class ValidationFailed(Exception):
    def __init__(self, message: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.message, self.details = message, details


def int_param(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not INTEGER.fullmatch(raw):
        raise ValidationFailed(f"{name} must be an integer", {"parameter": name, "value": raw})
    value = int(raw)
    # Out of range is rejected rather than clamped: DESIGN.md allows either.
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValidationFailed(f"{name} must be {bound}", {"parameter": name, "value": raw})
    return value


# -- endpoints --------------------------------------------------------------------------------
def make_routes(behaviour: Behaviour, store: Store) -> list[Route]:
    def one(request: Request, resource_id: str | None) -> Response:
        if not resource_id:
            return error_response(behaviour, 400, "VALIDATION_FAILED", "id is required",
                                  {"parameter": "id"})
        if behaviour.breaks("BMR-NO-5XX") and not SAFE_ID.fullmatch(resource_id):
            # A careless lookup that assumes ids are always slugs: an unhandled exception (a 500).
            raise InjectedFault(f"unexpected characters in id {resource_id!r}")
        item = store.by_id.get(resource_id)
        if item is None:
            return error_response(behaviour, 404, "NOT_FOUND", "no such resource", {"id": resource_id})
        if behaviour.breaks("BMR-ENVELOPE-DATA"):
            return json_response(behaviour, item)
        return json_response(behaviour, {"data": item})

    async def resource(request: Request) -> Response:
        return one(request, request.query_params.get("id"))

    async def resource_by_path(request: Request) -> Response:
        return one(request, request.path_params["resource_id"])

    async def resources(request: Request) -> Response:
        high = BROKEN_MAX_LIMIT if behaviour.breaks("BMR-PAGINATION-LIMIT") else MAX_LIMIT
        try:
            limit = int_param(request, "limit", DEFAULT_LIMIT, 1, high)
            page = int_param(request, "page", 1, 1, None)
        except ValidationFailed as exc:
            return error_response(behaviour, 400, "VALIDATION_FAILED", exc.message, exc.details)
        total = len(store.items)
        pages = -(-total // limit)
        start = (page - 1) * limit
        has_more = page < pages or behaviour.breaks("BMR-PAGINATION-TRAVERSAL")
        return json_response(behaviour, {
            "items": store.items[start:start + limit],
            "pagination": {"page": page, "limit": limit, "total_items": total, "total_pages": pages,
                           "has_more": has_more},
        })

    # Starlette adds HEAD to a GET route by itself; anything else is its 405 with Allow.
    list_methods = ["GET", "POST"] if behaviour.breaks("BMR-METHOD-GET-ONLY") else ["GET"]
    # --missing-example serves its collection elsewhere: neither example path has a GET that works.
    collection = "/v1/example/items" if behaviour.missing_example else "/v1/example/resources"
    return [
        Route("/v1/example/resource", resource, methods=["GET"]),
        Route(collection, resources, methods=list_methods),
        Route("/v1/example/resources/{resource_id}", resource_by_path, methods=["GET"]),
    ]


# -- middleware -------------------------------------------------------------------------------
def header_value(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value)
    return None


def fresh_request_id() -> str:
    return str(uuid.uuid4())


def response_request_id(behaviour: Behaviour, supplied: bytes | None, status: int) -> bytes | None:
    """The X-Request-Id a response carries: the client's, exactly, else a fresh one."""
    if supplied is not None and (status < 300 or not behaviour.breaks("BMR-REQUEST-ID-ECHO")):
        return supplied
    if supplied is None and behaviour.breaks("BMR-REQUEST-ID-GENERATED"):
        return None
    return fresh_request_id().encode()


class RequestIdMiddleware:
    """Stamps X-Request-Id on every response that passes through it.

    Responses made by Starlette's ServerErrorMiddleware (the 500 handler) do not pass through
    here: that middleware sits outside every user middleware. So the supplied id is also left
    in the scope for the 500 handler to stamp itself.
    """

    def __init__(self, app: ASGIApp, behaviour: Behaviour) -> None:
        self.app, self.behaviour = app, behaviour

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Raw bytes, so the echo is exact whatever characters the client used.
        supplied = header_value(scope, b"x-request-id")
        scope[REQUEST_ID_KEY] = supplied

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=message.setdefault("headers", []))
                if "x-request-id" in headers:
                    del headers["x-request-id"]
                value = response_request_id(self.behaviour, supplied, message["status"])
                if value is not None:
                    message["headers"].append((b"x-request-id", value))
            await send(message)

        await self.app(scope, receive, stamped)


class GatekeeperMiddleware:
    """Bearer authentication, then the document's rejection of any request Content-Type."""

    def __init__(self, app: ASGIApp, behaviour: Behaviour) -> None:
        self.app, self.behaviour = app, behaviour

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rejection = self.reject(Headers(scope=scope))
        if rejection is not None:
            await rejection(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def reject(self, headers: Headers) -> Response | None:
        b = self.behaviour
        challenge = {"WWW-Authenticate": 'Bearer realm="boomerang"'}
        value = headers.get("authorization")
        if value is None:
            if b.breaks("BMR-AUTH-MISSING"):
                # Served without any credential (a 403 would still be a rejection: the page names
                # no status for it, DESIGN.md).
                return None
            return error_response(b, 401, "UNAUTHORIZED", "an Authorization: Bearer token is required",
                                  headers=challenge)
        scheme, _, token = value.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            # A malformed header is a 401 too (RFC 6750 would also allow 400 invalid_request).
            return error_response(b, 401, "UNAUTHORIZED", "the Authorization header is not 'Bearer <token>'",
                                  headers={"WWW-Authenticate": 'Bearer realm="boomerang", error="invalid_request"'})
        # compare_digest on bytes: constant time, and no TypeError on non-ASCII header text.
        if not hmac.compare_digest(token.encode("utf-8", "surrogateescape"), TOKEN.encode()):
            return error_response(b, 401, "UNAUTHORIZED", "the token is not valid",
                                  headers={"WWW-Authenticate": 'Bearer realm="boomerang", error="invalid_token"'})
        if "content-type" in headers and not b.breaks("BMR-CONTENT-TYPE-REJECTED"):
            return error_response(b, 400, "VALIDATION_FAILED", "Content-Type is not accepted on GET-only endpoints",
                                  {"header": "Content-Type"})
        return None


class AlwaysGzipMiddleware:
    """BMR-GZIP breaker: gzips every response body over 500 bytes, whatever Accept-Encoding says."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffered(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            assert start is not None
            body = b"".join(chunks)
            headers = MutableHeaders(raw=start.setdefault("headers", []))
            if len(body) > GZIP_THRESHOLD and "content-encoding" not in headers:
                body = gzip.compress(body)
                headers["Content-Encoding"] = "gzip"
                headers["Content-Length"] = str(len(body))
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffered)


# -- exception handlers -----------------------------------------------------------------------
def make_handlers(behaviour: Behaviour) -> dict[Any, Any]:
    async def http_error(request: Request, exc: Exception) -> Response:
        # Starlette's router raises HTTPException(404) for an unknown path and
        # HTTPException(405, headers={"Allow": ...}) for a method; its default handler answers
        # those in plain text, which is not the document's error format.
        assert isinstance(exc, HTTPException)
        status = exc.status_code
        code = HTTP_CODES.get(status, "CLIENT_ERROR" if status < 500 else "INTERNAL_ERROR")
        details: dict[str, Any] = {"path": request.url.path, "method": request.method}
        if exc.headers and "Allow" in exc.headers:
            details["allowed_methods"] = [m.strip() for m in exc.headers["Allow"].split(",")]
        return error_response(behaviour, status, code, str(exc.detail), details, exc.headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        # Called by ServerErrorMiddleware, which sits outside RequestIdMiddleware and
        # GZipMiddleware: this response must carry its X-Request-Id itself.
        response = error_response(behaviour, 500, "INTERNAL_ERROR", "internal server error")
        value = response_request_id(behaviour, request.scope.get(REQUEST_ID_KEY), 500)
        if value is not None:
            response.raw_headers.append((b"x-request-id", value))
        return response

    handlers: dict[Any, Any] = {Exception: server_error}
    if behaviour.breaks("BMR-ERROR-FIELDS"):
        # Only the unknown-path 404 gets the error format: a 405 falls through to Starlette's
        # default handler (plain text "Method Not Allowed").
        handlers[404] = http_error
    else:
        handlers[HTTPException] = http_error
    return handlers


# -- the application --------------------------------------------------------------------------
def create_app(behaviour: Behaviour | None = None) -> Starlette:
    behaviour = behaviour or Behaviour()
    if behaviour.broken is not None and behaviour.broken not in BREAKERS:
        raise ValueError(f"unknown breaker {behaviour.broken!r}; one of {', '.join(BREAKERS)}")
    compression = (Middleware(AlwaysGzipMiddleware) if behaviour.breaks("BMR-GZIP")
                   else Middleware(GZipMiddleware))  # Starlette's own, default settings
    # Listed outermost first: compression sees the final body, and every response made by the
    # gatekeeper or the exception handlers passes through the X-Request-Id stamp.
    middleware = [
        compression,
        Middleware(RequestIdMiddleware, behaviour=behaviour),
        Middleware(GatekeeperMiddleware, behaviour=behaviour),
    ]
    return Starlette(routes=make_routes(behaviour, Store(behaviour)), middleware=middleware,
                     exception_handlers=make_handlers(behaviour))


class _InjectedFaultFilter(logging.Filter):
    """Shortens uvicorn's traceback for the BMR-NO-5XX breaker's deliberate exceptions to one line.

    The test harness pipes stderr and never reads it: dozens of full tracebacks would fill the
    pipe and block the server mid-run.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], InjectedFault):
            record.msg, record.args, record.exc_info = f"injected 500: {record.exc_info[1]}", (), None
        return True


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--break", dest="broken", choices=BREAKERS, help="break this one rule")
    parser.add_argument("--missing-example", action="store_true",
                        help="serve no resource with the document's example id")
    args = parser.parse_args(list(argv) if argv is not None else None)
    app = create_app(Behaviour(broken=args.broken, missing_example=args.missing_example))

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Without TCP_NODELAY, small keep-alive answers wait on Nagle + delayed ACK (~40 ms each).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(128)
    print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    # h11 explicitly: uvicorn picks httptools when it is installed (uvicorn[standard]), whose
    # parser answers a method it does not know with its own plain-text 400 before the app sees it.
    config = uvicorn.Config(app, log_level="warning", lifespan="off", http="h11")
    logging.getLogger("uvicorn.error").addFilter(_InjectedFaultFilter())
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1:])
