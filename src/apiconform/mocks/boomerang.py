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
from apiconform.mocks.asgi import Receive, Request, Response, Scope, Send, json_response, read_request, send_response

CREDENTIALS = {"primary": "bmr-reference-token-3f9a1c7e5b"}

_MUTANTS = [
    # (rule id, description) -- filled in rule by rule, one switch per rule.
]
MUTANTS: dict[str, Mutant] = {rule: Mutant(rule, rule, text) for rule, text in _MUTANTS}

TOTAL_ITEMS = 47
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


class BoomerangMock:
    def __init__(self, mutant: str | None = None, enforce_https: bool = True) -> None:
        self.mutant = mutant
        self.enforce_https = enforce_https

    def broken(self, rule: str) -> bool:
        return self.mutant == rule

    # -- responses -------------------------------------------------------------------
    def error(self, status: int, code: str, message: str, details: Any = None) -> Response:
        body = {
            "status": "error",
            "code": code,
            "http_status": status,
            "message": message,
            "timestamp": int(time.time() * 1000),
            "trace_id": uuid.uuid4().hex,
            "details": details if details is not None else {},
        }
        return json_response(status, body)

    def ok(self, payload: Any) -> Response:
        return json_response(200, payload)

    # -- request handling ------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        if self.enforce_https and req.scheme != "https":
            return self.error(403, "HTTPS_REQUIRED", "Only HTTPS is supported.")
        if not _VERSIONED.match(req.path):
            return self.error(404, "NOT_FOUND", "All requests must target a versioned path such as /v1/.")
        if req.method not in ("GET", "HEAD"):
            resp = self.error(405, "METHOD_NOT_ALLOWED", f"{req.method} is not supported; the API is GET-only.")
            resp.set_header("Allow", "GET, HEAD")
            return resp
        if "content-type" in req.headers:
            return self.error(400, "VALIDATION_FAILED", "Content-Type is not accepted on GET-only endpoints.",
                              {"header": "Content-Type"})
        auth = req.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != CREDENTIALS["primary"]:
            return self.error(401, "UNAUTHORIZED", "A valid Bearer token is required.")
        if req.path == "/v1/example/resource":
            return self.resource(req)
        if req.path == "/v1/example/resources":
            return self.resources(req)
        return self.error(404, "NOT_FOUND", "No such endpoint.")

    def resource(self, req: Request) -> Response:
        ident = req.arg("id")
        if not ident:
            return self.error(400, "VALIDATION_FAILED", "Query parameter id is required.", {"field": "id"})
        for item in ITEMS:
            if item["id"] == ident:
                return self.ok({"data": dict(item)})
        return self.error(404, "NOT_FOUND", f"No resource with id {ident!r}.")

    def _int_param(self, req: Request, name: str, default: int, low: int, high: int | None) -> int | Response:
        raw = req.arg(name)
        if raw is None:
            return default
        if not re.fullmatch(r"[0-9]+", raw.strip() if raw else raw):
            return self.error(400, "VALIDATION_FAILED", f"{name} must be an integer.", {"field": name})
        value = int(raw)
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
        items = ITEMS[start:start + limit]
        return self.ok({
            "items": [dict(i) for i in items],
            "pagination": {"page": page, "limit": limit, "total_items": total,
                           "total_pages": pages, "has_more": page < pages},
        })

    def finish(self, req: Request, resp: Response) -> Response:
        request_id = req.headers.get("x-request-id")
        resp.set_header("X-Request-Id", request_id if request_id else str(uuid.uuid4()))
        if "gzip" in req.headers.get("accept-encoding", "").lower() and resp.body:
            resp.body = gzip.compress(resp.body, mtime=0)
            resp.set_header("Content-Encoding", "gzip")
            resp.set_header("Vary", "Accept-Encoding")
        return resp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        req = await read_request(scope, receive)
        resp = self.finish(req, self.handle(req))
        await send_response(send, resp, head_only=req.method == "HEAD")


def create_app(mutant: str | None = None, *, enforce_https: bool = True) -> BoomerangMock:
    return BoomerangMock(mutant, enforce_https)
