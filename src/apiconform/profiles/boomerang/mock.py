"""The Boomerang reference mock: follows every rule of boomerang-overview.txt.

`create_app(mutant)` returns the conformant app, or one that breaks exactly one rule
(see MUTANTS). Endpoints are the DESIGN.md examples:
- GET /v1/example/resource?id=example-1   -> {"data": {...}}
- GET /v1/example/resources?page=&limit=  -> {"items": [...], "pagination": {...}}
"""

from __future__ import annotations

import gzip
import re
import time
import uuid
from typing import Any

from apiconform.mocks import Mutant
from apiconform.mocks.asgi import (
    Receive,
    Request,
    Response,
    Scope,
    Send,
    json_response,
    read_request,
    send_response,
)

# No English word of 8 letters or more in it: redaction masks any 8-character run of a key,
# wherever it appears ("reference" would vanish from every message of an embedded run).
CREDENTIALS = {"primary": "bmr-tok-3f9a1c7e5b20d4a8c61e"}

_MUTANTS = [
    ("BMR-TRANSPORT-HTTPS", "serves plain HTTP like an internal listener that trusts its network (no token)"),
    ("BMR-PATH-VERSIONED", "also serves the unversioned form of every path (/example/resource)"),
    ("BMR-AUTH-MISSING", "serves requests that carry no Authorization header at all"),
    ("BMR-AUTH-INVALID", "accepts any non-empty Bearer token, not only the issued one"),
    ("BMR-METHOD-GET-ONLY", "answers POST/PUT/PATCH/DELETE/... like GET (200)"),
    ("BMR-REQUEST-BODY", "reads a JSON request body as query overrides (a GET body changes the answer)"),
    ("BMR-CONTENT-TYPE-REJECTED", "ignores a request Content-Type instead of rejecting it"),
    ("BMR-RESPONSE-CONTENT-TYPE", "success Content-Type is application/json without charset"),
    ("BMR-RESPONSE-JSON", "answers a client that does not ask for application/json with a text body"),
    ("BMR-GZIP", "claims Content-Encoding: gzip but sends a truncated gzip stream"),
    ("BMR-ENVELOPE-DATA", "returns the resource unwrapped, without the data envelope"),
    ("BMR-ENVELOPE-PAGINATED", "names the page's array `results` instead of `items`"),
    ("BMR-PAGINATION-LIMIT", "caps limit at 150 instead of 100 (limit=120 returns 120 items)"),
    ("BMR-PAGINATION-TRAVERSAL", "has_more stays true on the last page"),
    ("BMR-MALFORMED-QUERY", "parses limit/page leniently (1.5 -> 1, abc -> default) instead of 400"),
    ("BMR-NO-5XX", "an id holding anything but letters, digits, - and _ crashes the lookup (500)"),
    ("BMR-TIMESTAMPS-EPOCH-MS", "timestamps in epoch seconds instead of milliseconds"),
    ("BMR-ERROR-FIELDS", "error bodies lack trace_id"),
    ("BMR-ERROR-HTTP-STATUS", "error bodies always say http_status 400"),
    ("BMR-REQUEST-ID-ECHO", "error responses carry a fresh X-Request-Id instead of the client's"),
    ("BMR-REQUEST-ID-GENERATED", "generates the same X-Request-Id for every request"),
    ("BMR-IDEMPOTENT-GET", "every GET counts a view into the resource it reads (data.views, items[].views), "
                           "so the state a repeated GET returns differs"),
]
MUTANTS: dict[str, Mutant] = {rule: Mutant(rule, rule, text) for rule, text in _MUTANTS}

TOTAL_ITEMS = 237  # more than the maximum limit, so the cap of 100 is observable
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_BASE_MS = 1763205835591  # the document's example timestamp
_VERSIONED = re.compile(r"^/v[0-9]+/")


def _items() -> list[dict[str, Any]]:
    return [
        {"id": f"example-{n}", "name": f"Example Resource {n}",
         "created_at": _BASE_MS + n * 60_000, "updated_at": _BASE_MS + n * 90_000}
        for n in range(1, TOTAL_ITEMS + 1)
    ]


ITEMS = _items()


def _accepts_gzip(accept_encoding: str) -> bool:
    for part in accept_encoding.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


class BoomerangMock:
    def __init__(self, mutant: str | None = None, enforce_https: bool = True) -> None:
        self.mutant = mutant
        self.enforce_https = enforce_https
        self.served = 0  # success responses so far (the BMR-IDEMPOTENT-GET mutant shows it)

    def broken(self, rule: str) -> bool:
        return self.mutant == rule

    def ms(self, value: int) -> int:
        return value // 1000 if self.broken("BMR-TIMESTAMPS-EPOCH-MS") else value

    # -- responses -------------------------------------------------------------------
    def error(self, status: int, code: str, message: str, details: Any = None) -> Response:
        body = {
            "status": "error",
            "code": code,
            "http_status": 400 if self.broken("BMR-ERROR-HTTP-STATUS") else status,
            "message": message,
            "timestamp": self.ms(int(time.time() * 1000)),
            "trace_id": uuid.uuid4().hex,
            "details": details if details is not None else {},
        }
        if self.broken("BMR-ERROR-FIELDS"):
            del body["trace_id"]
        return json_response(status, body)

    def ok(self, payload: dict[str, Any]) -> Response:
        self.served += 1
        if self.broken("BMR-IDEMPOTENT-GET"):
            # State, not envelope metadata (a generation time there may differ, DESIGN.md): the
            # GET changes the resource it reads.
            if isinstance(payload.get("data"), dict):
                payload = {**payload, "data": {**payload["data"], "views": self.served}}
            if isinstance(payload.get("items"), list):
                payload = {**payload, "items": [{**i, "views": self.served} for i in payload["items"]]}
        content_type = "application/json" if self.broken("BMR-RESPONSE-CONTENT-TYPE") else None
        return json_response(200, payload, content_type or "application/json; charset=utf-8")

    def item(self, item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "created_at": self.ms(item["created_at"]), "updated_at": self.ms(item["updated_at"])}

    # -- request handling ------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        if self.enforce_https and req.scheme != "https" and not self.broken("BMR-TRANSPORT-HTTPS"):
            return self.error(403, "HTTPS_REQUIRED", "Only HTTPS is supported.")
        if not _VERSIONED.match(req.path):
            if not self.broken("BMR-PATH-VERSIONED"):
                return self.error(404, "NOT_FOUND", "All requests must target a versioned path such as /v1/.")
            req.path = "/v1" + req.path
        if req.method not in ("GET", "HEAD") and not self.broken("BMR-METHOD-GET-ONLY"):
            resp = self.error(405, "METHOD_NOT_ALLOWED", f"{req.method} is not supported (GET only).",
                              {"method": req.method})
            resp.set_header("Allow", "GET, HEAD")
            return resp
        if "content-type" in req.headers and not self.broken("BMR-CONTENT-TYPE-REJECTED"):
            return self.error(400, "VALIDATION_FAILED", "Content-Type is not accepted on GET-only endpoints.",
                              {"header": "Content-Type"})
        if not self.authorized(req):
            return self.error(401, "UNAUTHORIZED", "A valid Bearer token is required.")
        if self.broken("BMR-REQUEST-BODY") and req.body:
            # The bug: a GET body read as query parameters.
            try:
                overrides = req.json()
            except ValueError:
                overrides = None
            if isinstance(overrides, dict):
                req.query = [*[(k, v) for k, v in req.query if k not in overrides],
                             *[(str(k), str(v)) for k, v in overrides.items()]]
        if req.path == "/v1/example/resource":
            return self.resource(req)
        if req.path == "/v1/example/resources":
            return self.resources(req)
        return self.error(404, "NOT_FOUND", "No such endpoint.")

    def authorized(self, req: Request) -> bool:
        if self.broken("BMR-TRANSPORT-HTTPS") and self.enforce_https and req.scheme != "https":
            return True  # the bug: a plain-HTTP listener that trusts its network
        if "authorization" not in req.headers:
            return self.broken("BMR-AUTH-MISSING")
        scheme, _, token = req.headers["authorization"].partition(" ")
        if scheme.lower() != "bearer":  # the auth scheme is case-insensitive (RFC 9110 11.1)
            return False
        if self.broken("BMR-AUTH-INVALID"):
            return bool(token.strip())
        return token.strip() == CREDENTIALS["primary"]

    def resource(self, req: Request) -> Response:
        ident = req.arg("id")
        if not ident:
            return self.error(400, "VALIDATION_FAILED", "Query parameter id is required.", {"field": "id"})
        if self.broken("BMR-NO-5XX") and not re.fullmatch(r"[A-Za-z0-9_-]+", ident):
            return self.error(500, "INTERNAL", "Unexpected error while looking the resource up.")
        for item in ITEMS:
            if item["id"] == ident:
                data = self.item(item)
                return self.ok(data if self.broken("BMR-ENVELOPE-DATA") else {"data": data})
        return self.error(404, "NOT_FOUND", f"No resource with id {ident!r}.")

    def _int_param(self, req: Request, name: str, default: int, low: int, high: int | None) -> int | Response:
        raw = req.arg(name)
        if raw is None:
            return default
        if self.broken("BMR-MALFORMED-QUERY"):
            try:
                value = int(float(raw))
            except ValueError:
                return default
        elif not re.fullmatch(r"[0-9]{1,9}", raw):  # ASCII digits only: no sign, space, unicode digit
            return self.error(400, "VALIDATION_FAILED", f"{name} must be an integer.", {"field": name})
        else:
            value = int(raw)
        if high is not None and self.broken("BMR-PAGINATION-LIMIT"):
            high = 150
        if value < low or (high is not None and value > high):
            return self.error(400, "VALIDATION_FAILED", f"{name} is out of range.", {"field": name})
        return value

    def resources(self, req: Request) -> Response:
        limit = self._int_param(req, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        if isinstance(limit, Response):
            return limit
        page = self._int_param(req, "page", 1, 1, None)
        if isinstance(page, Response):
            return page
        total = len(ITEMS)
        pages = max(1, -(-total // limit))
        start = (page - 1) * limit
        items = [self.item(i) for i in ITEMS[start:start + limit]]
        has_more = page <= pages if self.broken("BMR-PAGINATION-TRAVERSAL") else page < pages
        return self.ok({
            "results" if self.broken("BMR-ENVELOPE-PAGINATED") else "items": items,
            "pagination": {"page": page, "limit": limit, "total_items": total,
                           "total_pages": pages, "has_more": has_more},
        })

    def finish(self, req: Request, resp: Response) -> Response:
        request_id = req.headers.get("x-request-id")
        if not request_id or (self.broken("BMR-REQUEST-ID-ECHO") and resp.status >= 400):
            request_id = "req-0000" if self.broken("BMR-REQUEST-ID-GENERATED") else str(uuid.uuid4())
        resp.set_header("X-Request-Id", request_id)
        if self.broken("BMR-RESPONSE-JSON") and resp.status < 300 and \
                "application/json" not in req.headers.get("accept", ""):
            # The bug: a "friendly" text rendering for clients that did not ask for JSON.
            resp.body = b"OK " + resp.body.replace(b'"', b"")
        if _accepts_gzip(req.headers.get("accept-encoding", "")) and resp.body:
            resp.body = gzip.compress(resp.body, mtime=0)
            if self.broken("BMR-GZIP"):
                resp.body = resp.body[: len(resp.body) // 2]  # a stream cut short
            resp.set_header("Content-Encoding", "gzip")
            resp.set_header("Vary", "Accept-Encoding")
        resp.drop_header("Content-Length")  # recomputed for the final body by send_response
        return resp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        req = await read_request(scope, receive)
        resp = self.finish(req, self.handle(req))
        await send_response(send, resp, head_only=req.method == "HEAD")


def create_app(mutant: str | None = None, *, enforce_https: bool = True) -> BoomerangMock:
    return BoomerangMock(mutant, enforce_https)
