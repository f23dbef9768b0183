"""Error bodies: {"detail", "code"} for every non-validation error, field maps for validation.

DRF's default handler writes only {"detail": ...}; this one wraps it and adds the exception's
code. Django's own 400/403/404/500 views (URL not matched, disallowed host, an unhandled
exception) answer JSON in the same shape, as an API-only deployment configures them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # DRF converts these two Django exceptions itself; converting first gives us their codes.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response  # not an API error: Django's handler500 answers
    if isinstance(exc, exceptions.ValidationError):
        if isinstance(response.data, list):
            # A ValidationError raised with a message rather than a field map (DRF does this in a
            # few places): file it under DRF's own key for errors that belong to no one field.
            response.data = {api_settings.NON_FIELD_ERRORS_KEY: response.data}
        return response  # the field map stays as DRF built it
    if isinstance(response.data, dict) and "detail" in response.data and "code" not in response.data:
        codes = exc.get_codes()
        response.data["code"] = codes if isinstance(codes, str) else exc.default_code
    return response


def _error(status: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _error(400, "Bad request.", "bad_request")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _error(403, "You do not have permission to perform this action.", "permission_denied")


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _error(404, "Not found.", "not_found")


def server_error(request: HttpRequest) -> JsonResponse:
    return _error(500, "A server error occurred.", "server_error")
