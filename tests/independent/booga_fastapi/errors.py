"""Exception handlers: every error body is `{detail, code}`, a 400 maps fields to messages.

FastAPI's defaults are not the document's: HTTPException answers `{"detail": ...}` without a code
(Starlette's router raises it for every unrouted path, 404, and for a wrong method, 405),
RequestValidationError answers 422 with a list of pydantic errors, and an unhandled exception
is Starlette's plain-text "Internal Server Error". Each is replaced here.

Where the handlers run matters for the rate-limit headers: handlers keyed by an exception class
run in Starlette's ExceptionMiddleware, inside the rate limiter, so their answers are stamped; the
`Exception` handler runs in ServerErrorMiddleware, outside every user middleware, so a 500 from an
unforeseen bug would lack them. That is why the data layer turns its failures into DatabaseError,
handled inside.
"""

from __future__ import annotations

from collections.abc import Mapping

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
    else:
        detail = str(exc.detail)
    return error(exc.status_code, detail, CODES.get(exc.status_code, "error"), exc.headers)


def field_of(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location -> the parameter's name: ("query", "limit") -> "limit"."""
    parts = [str(p) for p in loc[1:]] or [str(p) for p in loc]
    return parts[0] if parts else "non_field_errors"


async def validation_error(request: Request, exc: Exception) -> Response:
    """400 with a field map (not FastAPI's 422); a path parameter that is no valid id is a 404.

    `/api/tasks/abc/` names no task, as `/api/tasks/999/` does not: the document's 404 is
    "Resource not found", whatever the reason the path names nothing.
    """
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("loc", ("",))[0] == "path" for e in errors):
        return error(404, NOT_FOUND, "not_found")
    fields: dict[str, list[str]] = {}
    for e in errors:
        fields.setdefault(field_of(tuple(e.get("loc", ()))), []).append(str(e.get("msg", "Invalid value.")))
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
