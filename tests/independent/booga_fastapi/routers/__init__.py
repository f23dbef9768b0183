"""One APIRouter per plugin (tasks, contacts, invoices), each built for the process's Settings.

Routers are built by a function rather than at import time because the settings change what
they declare: --bare drops the filters from the signatures (so from the OpenAPI document too),
and a breaker changes one router's validators or queries.

The error responses every operation may give, for the OpenAPI document (FastAPI would otherwise
document only its own 422, which this API never sends: errors.py answers 400), and what the
writable plugins (tasks, invoices) share: a JSON body is required (`require_json`, a 415 for any
other Content-Type, checked after the credentials so that a stranger learns nothing).
"""

from __future__ import annotations

from email.message import Message
from typing import Any

from fastapi import Request

from ..errors import ApiError
from ..models import ErrorBody, FieldErrors

AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or invalid credentials."},
    429: {"model": ErrorBody, "description": "Rate limit exceeded."},
}
LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": FieldErrors, "description": "Invalid parameters: each field name mapped to its messages."},
    **AUTH_RESPONSES,
}
ITEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Resource not found."},
    **AUTH_RESPONSES,
}
BODY_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": FieldErrors, "description": "Invalid payload: each field name (a dotted path for a nested "
                                               "one, e.g. lines.0.quantity) mapped to its messages."},
    415: {"model": ErrorBody, "description": "The body is not application/json."},
}
CREATE_RESPONSES: dict[int | str, dict[str, Any]] = {**BODY_RESPONSES, **AUTH_RESPONSES}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {**BODY_RESPONSES, **ITEM_RESPONSES}
DELETE_RESPONSES: dict[int | str, dict[str, Any]] = ITEM_RESPONSES


def require_json(request: Request) -> None:
    """A write's body must be JSON (application/json, or a +json type): else 415 {detail, code}."""
    raw = request.headers.get("content-type", "")
    message = Message()
    message["content-type"] = raw
    subtype = message.get_content_subtype()
    if not raw or message.get_content_maintype() != "application" or not (subtype == "json" or
                                                                          subtype.endswith("+json")):
        raise ApiError(415, f'Unsupported media type "{raw}" in request.', "unsupported_media_type")
