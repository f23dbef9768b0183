"""Per-exchange checks of the Boomerang conventions (boomerang-overview.txt)."""

from collections.abc import Iterator

from apiconform.checks import check, is_error
from apiconform.exchange import Exchange

ERROR_FIELDS = ("status", "code", "http_status", "timestamp", "trace_id", "details")


@check("BMR-ERROR-FIELDS", applies=is_error)
def error_body_has_standard_fields(ex: Exchange) -> Iterator[str]:
    assert ex.response is not None
    if not ex.response.is_json:
        yield f"error body is not JSON: {ex.response.json_error}"
        return
    body = ex.response.json()
    if not isinstance(body, dict):
        yield f"error body is a JSON {type(body).__name__}, not an object"
        return
    missing = [f for f in ERROR_FIELDS if f not in body]
    if missing:
        yield f"error body lacks {', '.join(missing)}"
