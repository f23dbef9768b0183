"""Exception handlers: every error body is `{detail, code}`, a 400 maps fields to messages.

FastAPI's defaults are not the document's: HTTPException answers `{"detail": ...}` without a code
(Starlette's router raises it for every unrouted path, 404, and for a wrong method, 405),
RequestValidationError answers 422 with a list of pydantic errors, and an unhandled exception
is Starlette's plain-text "Internal Server Error". Each is replaced here.

A request body's errors map to the field's name, a nested field's to its dotted path
(`lines.0.quantity`, `billing.address.country`), and an error of the body as a whole (not an
object, or absent) to `non_field_errors`; a missing field reads "This field is required.". A
body that is not JSON at all is a 400 `{detail, code: parse_error}`, once the credentials are
known to be good: FastAPI parses a body before any dependency runs, so the credentials are
checked here first (a stranger gets its 401 whatever it sends).

Where the handlers run matters for the rate-limit headers: handlers keyed by an exception class
run in Starlette's ExceptionMiddleware, inside the rate limiter, so their answers are stamped; the
`Exception` handler runs in ServerErrorMiddleware, outside every user middleware, so a 500 from an
unforeseen bug would lack them. That is why the data layer turns its failures into DatabaseError,
handled inside.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from .db import DatabaseError
from .settings import Settings

# The code of each status Starlette or the server itself may raise, in DRF's spelling (the
# document's own example is DRF's "permission_denied").
CODES = {400: "bad_request", 401: "not_authenticated", 403: "permission_denied", 404: "not_found",
         405: "method_not_allowed", 406: "not_acceptable", 413: "request_too_large", 415: "unsupported_media_type",
         429: "throttled", 500: "server_error"}
NOT_FOUND = "Not found."
NON_FIELD = "non_field_errors"
METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
JSON_TYPES = {dict: "object", list: "array", str: "string", int: "integer", float: "number", bool: "boolean"}
REQUIRED = "This field is required."


class ApiError(Exception):
    """An error the API answers on purpose: its status, detail and code (and headers, e.g. a challenge)."""

    def __init__(self, status: int, detail: str, code: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.code, self.headers = status, detail, code, dict(headers or {})


def not_found() -> ApiError:
    return ApiError(404, NOT_FOUND, "not_found")


def error(status: int, detail: str, code: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error(exc.status, exc.detail, exc.code, exc.headers)


def allowed(request: Request) -> list[str]:
    """The methods the OpenAPI document gives the request's path (every route of it, in the usual order)."""
    document: dict[str, Any] = request.app.openapi()
    for template, item in document.get("paths", {}).items():
        pattern = "[^/]+".join(re.escape(part) for part in re.split(r"\{[^}]*\}", template))
        if re.fullmatch(pattern, request.url.path):
            return [m for m in METHOD_ORDER if m.lower() in item]
    return []


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own: 404 for a path no route matches, 405 (with Allow) for a method a route lacks."""
    assert isinstance(exc, StarletteHTTPException)
    settings: Settings = request.app.state.settings
    if exc.status_code == 404 and settings.breaks("BGA-ERROR-FORMAT", "unrouted"):
        # Breaker: FastAPI's default handler left in place for unrouted paths, {"detail": "Not Found"}.
        # The server itself never raises HTTPException (it raises ApiError), so routed 404s keep their code.
        return await http_exception_handler(request, exc)
    if exc.status_code == 404:
        detail = NOT_FOUND
    elif exc.status_code == 405:
        detail = f'Method "{request.method}" not allowed.'
        # Starlette's Allow names the methods of the first route matching the path only (GET of a
        # list that has a POST route too): every operation of the path is named here.
        if methods := allowed(request):
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(methods)}
    else:
        detail = str(exc.detail)
    return error(exc.status_code, detail, CODES.get(exc.status_code, "error"), exc.headers)


def field_of(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location -> the field's name: ("query", "limit") -> "limit", ("body", "lines",
    0, "quantity") -> "lines.0.quantity", ("body",) -> "non_field_errors"."""
    if loc[:1] == ("body",):
        return ".".join(str(p) for p in loc[1:]) or NON_FIELD
    parts = [str(p) for p in loc[1:]] or [str(p) for p in loc]
    return parts[0] if parts else NON_FIELD


def message_of(e: Mapping[str, Any]) -> str:
    whole = tuple(e.get("loc", ())) == ("body",)
    if e.get("type") == "missing":
        return "No data provided." if whole else REQUIRED
    if whole and e.get("type") == "model_attributes_type":
        got = JSON_TYPES.get(type(e.get("input")), "null" if e.get("input") is None else "value")
        return f"Invalid data. Expected an object, but got {'an' if got[0] in 'aeiou' else 'a'} {got}."
    return str(e.get("msg", "Invalid value."))


def plugin_of(request: Request) -> str | None:
    """The plugin of the route the request matched (its router's tag), if any."""
    tags = getattr(request.scope.get("route"), "tags", None) or []
    return str(tags[0]) if tags else None


async def validation_error(request: Request, exc: Exception) -> Response:
    """400 with a field map (not FastAPI's 422); a path parameter that is no valid id is a 404.

    `/api/tasks/abc/` names no task, as `/api/tasks/999/` does not: the document's 404 is
    "Resource not found", whatever the reason the path names nothing.
    """
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    plugin = plugin_of(request)
    if any(e.get("type") == "json_invalid" for e in errors):
        # Raised before the route's dependencies ran: its credentials are checked here, as they would have been.
        from .auth import identify  # auth imports this module

        try:
            await identify(request, plugin, write=True)
        except ApiError as refused:
            return error(refused.status, refused.detail, refused.code, refused.headers)
    if any(e.get("loc", ("",))[0] == "path" for e in errors):
        return error(404, NOT_FOUND, "not_found")
    settings: Settings = request.app.state.settings
    if plugin is not None and settings.breaks("BGA-WRITE-INVALID", plugin) \
            and any(e.get("loc", ("",))[0] == "body" for e in errors):
        # Breaker: FastAPI's status kept for this plugin's payloads: 422, in the error format of the
        # rest of the API ({detail, code}) but without a field map and not the documented 400.
        first = errors[0] if errors else {}
        return error(422, f"{field_of(tuple(first.get('loc', ())))}: {message_of(first)}", "unprocessable_entity")
    for e in errors:
        if e.get("type") == "json_invalid":
            problem = (e.get("ctx") or {}).get("error", "")
            return error(400, f"JSON parse error - {problem}".rstrip(" -"), "parse_error")
    fields: dict[str, list[str]] = {}
    for e in errors:
        fields.setdefault(field_of(tuple(e.get("loc", ()))), []).append(message_of(e))
    return JSONResponse(fields, status_code=400)


async def database_error(request: Request, exc: Exception) -> Response:
    # No logging: stderr is a pipe nobody reads while the server runs (tests/independent/serving.py).
    return error(500, "A server error occurred.", "server_error")


async def unexpected_error(request: Request, exc: Exception) -> Response:
    """Last resort, in ServerErrorMiddleware (see the module's docstring): JSON, not Starlette's text."""
    return error(500, "A server error occurred.", "server_error")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(DatabaseError, database_error)
    app.add_exception_handler(Exception, unexpected_error)
