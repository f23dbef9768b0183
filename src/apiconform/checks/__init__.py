"""Checks: small pure functions over one recorded exchange, registered per rule.

A check yields one message per violation (nothing when the exchange conforms). Each is
registered with the id of the rule it guards and a predicate saying which exchanges it
applies to, so that the suites, the schemathesis integration and the kit's own tests all
hold every response to the same documented conventions:

    @check("BMR-ERROR-FIELDS", applies=is_error)
    def error_has_fields(ex):
        ...
        yield "error body lacks trace_id"
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from apiconform.exchange import Exchange

CheckFn = Callable[[Exchange], Iterable[str]]
Applies = Callable[[Exchange], bool]


@dataclass(frozen=True)
class RegisteredCheck:
    rule_id: str
    name: str
    func: CheckFn
    applies: Applies


REGISTRY: dict[str, list[RegisteredCheck]] = {}


def always(_: Exchange) -> bool:
    return True


def has_response(ex: Exchange) -> bool:
    return ex.response is not None


def is_success(ex: Exchange) -> bool:
    return ex.response is not None and 200 <= ex.response.status < 300


def is_error(ex: Exchange) -> bool:
    return ex.response is not None and not 200 <= ex.response.status < 300


def is_get(ex: Exchange) -> bool:
    return ex.request.method.upper() == "GET"


def json_body(ex: Exchange) -> Any:
    """The parsed body, or None when there is none or it is not JSON (another rule's business)."""
    if ex.response is None or not ex.response.is_json:
        return None
    return ex.response.json()


def json_object(ex: Exchange) -> dict[str, Any] | None:
    """The response body as a JSON object, or None when it is not one (another rule's business)."""
    body = json_body(ex)
    return body if isinstance(body, dict) else None


def check(rule_id: str, *, applies: Applies = has_response) -> Callable[[CheckFn], CheckFn]:
    def register(func: CheckFn) -> CheckFn:
        REGISTRY.setdefault(rule_id, []).append(RegisteredCheck(rule_id, func.__name__, func, applies))
        return func

    return register


def violations(rule_id: str, exchange: Exchange) -> list[str]:
    """Messages for every registered check of `rule_id` that `exchange` breaks."""
    _load_profiles()
    found: list[str] = []
    for registered in REGISTRY.get(rule_id, []):
        if registered.applies(exchange):
            found.extend(registered.func(exchange))
    return found


def all_violations(exchange: Exchange, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(rule id, message) for every registered check (optionally of one profile's prefix)."""
    _load_profiles()
    for rule_id in sorted(REGISTRY):
        if rule_id.startswith(prefix):
            for message in violations(rule_id, exchange):
                yield rule_id, message


def _load_profiles() -> None:
    # Importing the profile modules registers their checks.
    from apiconform.checks import booga, boomerang  # noqa: F401
