"""One APIRouter per plugin (tasks, contacts, invoices), each built for the process's Settings.

Routers are built by a function rather than at import time because the settings change what
they declare: --bare drops the filters from the signatures (so from the OpenAPI document too),
and a breaker changes one router's validators or queries.

The error responses every operation may give, for the OpenAPI document (FastAPI would otherwise
document only its own 422, which this API never sends: errors.py answers 400).
"""

from __future__ import annotations

from typing import Any

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
