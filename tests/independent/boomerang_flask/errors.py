"""The standard error body, the exceptions views raise to produce it, and the handlers.

"All non-2xx responses use a standard JSON error format with fields such as status, code,
http_status, timestamp, trace_id, and details." Flask answers its own errors (werkzeug's 404 for
an unknown path, 405 for a method, 500 for an exception) with HTML pages; the handlers installed
here turn every one of them into that body, keeping the headers werkzeug attaches (Allow,
WWW-Authenticate, Location).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from .responses import json_response

# The error `code` for statuses werkzeug (or http.server) raises by itself.
STATUS_CODES: dict[int, str] = {
    400: "VALIDATION_FAILED",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    408: "REQUEST_TIMEOUT",
    413: "PAYLOAD_TOO_LARGE",
    414: "URI_TOO_LONG",
    415: "UNSUPPORTED_MEDIA_TYPE",
    431: "HEADERS_TOO_LARGE",
    500: "INTERNAL_ERROR",
    501: "NOT_IMPLEMENTED",
}
# The order methods are listed in an Allow header. werkzeug builds its list from a set, so its own
# order changes with the process's hash seed; a deployment wants the same header every time.
METHOD_ORDER = ("GET", "HEAD", "OPTIONS")


def code_for(status: int) -> str:
    if status in STATUS_CODES:
        return STATUS_CODES[status]
    if status < 400:
        return "REDIRECT"
    return "CLIENT_ERROR" if status < 500 else "INTERNAL_ERROR"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def error_body(status: int, code: str, message: str, details: Any = None, *,
               with_trace_id: bool = True) -> dict[str, Any]:
    """The document's error format; `with_trace_id=False` only for the BMR-ERROR-FIELDS breaker."""
    body: dict[str, Any] = {
        "status": "error",
        "code": code,
        "message": message,
        "http_status": status,
        "timestamp": now_ms(),
        "trace_id": str(uuid.uuid4()),
        "details": details if details is not None else {},
    }
    if not with_trace_id:
        del body["trace_id"]
    return body


def allow_header(methods: Iterable[str]) -> str:
    ordered = sorted({m.upper() for m in methods},
                     key=lambda m: (METHOD_ORDER.index(m) if m in METHOD_ORDER else len(METHOD_ORDER), m))
    return ", ".join(ordered)


# -- exceptions the views and hooks raise -------------------------------------------------
class ValidationFailed(BadRequest):
    """400 VALIDATION_FAILED: a malformed or out-of-range parameter, or a rejected header."""

    error_code = "VALIDATION_FAILED"

    def __init__(self, message: str, details: dict[str, Any]) -> None:
        super().__init__(description=message)
        self.details = details


class ResourceNotFound(NotFound):
    """404 NOT_FOUND for an identifier the data set does not hold."""

    error_code = "NOT_FOUND"

    def __init__(self, message: str, details: dict[str, Any]) -> None:
        super().__init__(description=message)
        self.details = details


class RoutingRedirect(HTTPException):
    """werkzeug's slash redirect (`/v1//widgets` -> 308 `/v1/widgets`) as an ordinary HTTPException.

    Flask hands a RequestRedirect (a RoutingException) straight back as werkzeug's HTML page,
    bypassing every error handler; re-raised as this class, it gets the error body like any
    other non-2xx answer ("All non-2xx responses" includes 3xx) and keeps its Location.
    """

    def __init__(self, redirect: RequestRedirect) -> None:
        super().__init__(description=f"the canonical URL is {redirect.new_url}")
        self.code = redirect.code
        self.new_url = redirect.new_url

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        return [("Location", self.new_url)]


class Int64Overflow(OverflowError):
    """The BMR-NO-5XX breaker's storage layer: a page window that does not fit a signed 64-bit int."""


# -- handlers ----------------------------------------------------------------------------------
def request_details() -> dict[str, Any]:
    # root_path: behind --prefix the path the client used, not the one the app was mounted at.
    return {"path": request.root_path + request.path, "method": request.method}


def http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = getattr(exc, "error_code", None) or code_for(status)
    details = getattr(exc, "details", None)
    if details is None:
        details = request_details()
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        details["allowed_methods"] = allow_header(exc.valid_methods).split(", ")
    # werkzeug's own headers (Allow, WWW-Authenticate, Location) stay; its text/html Content-Type goes.
    headers = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = allow_header(exc.valid_methods)
    return json_response(error_body(status, code, exc.description or "", details), status, headers)


def server_error(exc: InternalServerError) -> Response:
    # Flask wraps any unhandled exception in InternalServerError(original_exception=...); its
    # message and traceback stay in the log, never in the body.
    return json_response(error_body(500, "INTERNAL_ERROR", "internal server error", {}), 500)


def install(app: Flask) -> None:
    # A handler for HTTPException also receives werkzeug's routing 404/405 (raised when Flask
    # dispatches the request); the 500 handler gets every exception the views do not handle.
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(InternalServerError, server_error)
