"""Checks: small pure functions over one recorded exchange, registered per rule.

A check yields one message per violation (nothing when the exchange conforms). Each is
registered with the id of the rule it guards and a predicate saying which exchanges it
applies to, so that the suites, the schemathesis integration and the kit's own tests all
hold every response to the same documented conventions:

    @check("BMR-ERROR-FIELDS", applies=is_error)
    def error_has_fields(ex):
        ...
        yield "error body lacks trace_id"

A check may also yield a `Remark`: something unusual that the document allows (a note in the
report, never a failure), or an `Unjudged`: the kit's own limit kept it from judging the
exchange (a body cut at the size cap, nested past the decoder's bound), never the target's fault.
Checks that need the target's own names (a renamed query parameter,
the list path of a target file) read them from `settings()`, which the runner sets for the
run; outside a run they see the profile defaults of DESIGN.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.surface import Endpoint, Surface

CheckFn = Callable[[Exchange], Iterable[str]]
Applies = Callable[[Exchange], bool]


@dataclass(frozen=True)
class RegisteredCheck:
    rule_id: str
    name: str
    func: CheckFn
    applies: Applies
    scope: str  # which exchanges of a run it judges, in a few words (README, `apiconform rules`)


REGISTRY: dict[str, list[RegisteredCheck]] = {}
_SETTINGS: ContextVar[Mapping[str, Any] | None] = ContextVar("apiconform_check_settings", default=None)
_SURFACE: ContextVar[Surface | None] = ContextVar("apiconform_check_surface", default=None)


class Remark(str):
    """A message a check yields for behaviour the document allows but that is worth saying."""


class Unjudged(str):
    """A message a check yields when the kit's own limit (its size cap, its nesting bound) kept
    it from judging the exchange: neither a violation nor a pass (`error` where nothing else
    decides the rule). Build one with `unjudged(ex)`."""


def unjudged(ex: Exchange) -> Unjudged | None:
    """The finding for an exchange whose body the kit could not decode by its own limit, else None."""
    if ex.response is None or ex.response.kit_limit is None:
        return None
    return Unjudged(f"the kit could not judge this exchange: {ex.response.kit_limit}")


def require_decoded(ex: Exchange) -> None:
    """For a test reading a body itself: `Incomplete` (the rule's verdict is `error`, never `fail`)
    when the kit's own limit kept it from decoding the body; nothing otherwise."""
    limited = unjudged(ex)
    if limited is not None:
        raise Incomplete(str(limited), ex)


def settings() -> Mapping[str, Any]:
    """The running target's settings (TargetConfig.settings); empty outside a run."""
    return _SETTINGS.get() or {}


@contextmanager
def configured(values: Mapping[str, Any], surface: Surface | None = None) -> Iterator[None]:
    """Checks called inside this block read `values` as the target's settings, and the
    deployment's `surface` (when known) for which kind of endpoint an exchange went to."""
    token, surface_token = _SETTINGS.set(values), _SURFACE.set(surface)
    try:
        yield
    finally:
        _SETTINGS.reset(token)
        _SURFACE.reset(surface_token)


def configured_surface() -> Surface | None:
    """The deployment's surface the running checks were configured with (None outside a run, or
    before it is known): what the deployment's OpenAPI document said, for the checks to read."""
    return _SURFACE.get()


def endpoint_of(ex: Exchange) -> Endpoint | None:
    """The endpoint of the deployment's surface the exchange went to; None when the surface
    is not known or does not hold the path (then a check tells by the body alone)."""
    surface = _SURFACE.get()
    return surface.match(ex.request.url) if surface is not None else None


def setting(section: str, name: str, default: Any) -> Any:
    """One named value of a settings section (`params`, `paths`, ...), else the default."""
    value = settings().get(section, {})
    return value.get(name, default) if isinstance(value, Mapping) else default


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


def check(rule_id: str, *, applies: Applies = has_response, scope: str = "every response"
          ) -> Callable[[CheckFn], CheckFn]:
    def register(func: CheckFn) -> CheckFn:
        REGISTRY.setdefault(rule_id, []).append(RegisteredCheck(rule_id, func.__name__, func, applies, scope))
        return func

    return register


def findings(rule_id: str, exchange: Exchange) -> list[str]:
    """Every message of every registered check of `rule_id` for `exchange`: violations,
    `Remark`s and `Unjudged` alike (tell them apart with isinstance)."""
    _load_profiles()
    found: list[str] = []
    for registered in REGISTRY.get(rule_id, []):
        if registered.applies(exchange):
            found.extend(registered.func(exchange))
    return found


def violations(rule_id: str, exchange: Exchange) -> list[str]:
    """Messages for every registered check of `rule_id` that `exchange` breaks."""
    return [m for m in findings(rule_id, exchange) if not isinstance(m, Remark | Unjudged)]


def remarks(rule_id: str, exchange: Exchange) -> list[str]:
    """Remarks (allowed but unusual behaviour) of the rule's checks for `exchange`."""
    return [m for m in findings(rule_id, exchange) if isinstance(m, Remark)]


def applies(rule_id: str, exchange: Exchange) -> bool:
    """Whether any registered check of the rule judges this exchange."""
    _load_profiles()
    return any(r.applies(exchange) for r in REGISTRY.get(rule_id, []))


def scope(rule_id: str) -> str | None:
    """Which exchanges of a run the rule's checks judge, or None for a rule without checks."""
    _load_profiles()
    scopes = list(dict.fromkeys(r.scope for r in REGISTRY.get(rule_id, [])))
    return "; ".join(scopes) if scopes else None


def checked_rules(prefix: str = "") -> list[str]:
    """Ids of the rules that have registered checks (optionally of one profile)."""
    _load_profiles()
    return sorted(r for r in REGISTRY if r.startswith(prefix) and REGISTRY[r])


def all_violations(exchange: Exchange, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(rule id, message) for every registered check (optionally of one profile's prefix)."""
    _load_profiles()
    for rule_id in sorted(REGISTRY):
        if rule_id.startswith(prefix):
            for message in violations(rule_id, exchange):
                yield rule_id, message


_LOADED: list[bool] = []  # set once the profiles' checks are registered (asked for per exchange and rule)


def _load_profiles() -> None:
    if _LOADED:
        return
    # Importing the profile modules registers their checks.
    from apiconform.profiles.booga import checks as _booga  # noqa: F401
    from apiconform.profiles.boomerang import checks as _boomerang  # noqa: F401

    _LOADED.append(True)
