"""The kit's conventions as schemathesis checks: hold your own generated traffic to them.

Importing this module registers one schemathesis check per profile, and does nothing else:

- `boomerang_conventions`: every `BMR-…` per-exchange check of `apiconform.checks`;
- `booga_conventions`: every `BGA-…` one.

Each converts schemathesis' response (and the request it answers) into the kit's `Exchange`
and fails with one finding per broken rule, naming the rule id, the violation and the
documented clause. An API follows one of the two documents, so choose its profile:

    # schemathesis CLI: load the hooks, pick the profile
    APICONFORM_PROFILE=booga SCHEMATHESIS_HOOKS=apiconform.st_checks \\
        st run https://api.example.com/api/api-management/openapi-schema/ \\
        -H "Authorization: Bearer $TOKEN"

    # or in a schemathesis pytest suite
    import apiconform.st_checks  # noqa: F401  (registers the checks)
    schema = schemathesis.openapi.from_url(...)

    @schema.parametrize()
    def test_api(case):
        case.call_and_validate()

Without `APICONFORM_PROFILE` both checks are registered, and schemathesis runs every
registered check: select one with `st run --exclude-checks booga_conventions` (or list the
checks you want with `--checks`). Registering is the only side effect: no request is sent,
no configuration is read beyond `APICONFORM_PROFILE`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import schemathesis
from schemathesis.core.failures import Failure, FailureGroup

from apiconform import checks
from apiconform.catalog import find_rule
from apiconform.exchange import Exchange, RecordedRequest, RecordedResponse

PREFIXES = {"boomerang": "BMR-", "booga": "BGA-"}
PROFILE_ENV = "APICONFORM_PROFILE"


class ConventionViolation(Failure):
    """One documented rule broken by one response (a schemathesis custom-check failure)."""

    code = "ST901"  # schemathesis' code for custom checks
    kind_title = "apiconform convention violated"
    __slots__ = ("rule_id",)

    def __init__(self, *, operation: str | None, rule_id: str, message: str) -> None:
        super().__init__(operation=operation, title=f"{rule_id}: {_title(rule_id)}", message=message)
        self.rule_id = rule_id

    @property
    def _unique_key(self) -> str:
        # schemathesis keeps one finding per operation and key: one per rule, not one per check.
        return self.rule_id


class ConventionViolations(FailureGroup, AssertionError):
    """Several rules broken by one response: a schemathesis failure group that is also an
    AssertionError, so a check called from a plain pytest or hypothesis test fails it."""


def _title(rule_id: str) -> str:
    try:
        return find_rule(rule_id).title
    except KeyError:
        return "documented convention"


def _clause(rule_id: str) -> str:
    try:
        return f'\n\n{rule_id} ({find_rule(rule_id).section}): "{find_rule(rule_id).clause}"'
    except KeyError:
        return ""


# -- conversion: schemathesis' objects -> the kit's evidence -------------------------------
def exchange_from_response(response: Any, case: Any = None) -> Exchange:
    """The kit's `Exchange` for a `schemathesis.Response` (its `request` is what was sent).

    schemathesis' transports undo Content-Encoding themselves, so the body is already the
    decoded one; a stream that did not decode never reaches a check.
    """
    request = response.request
    body = request.body
    if isinstance(body, str):
        body = body.encode("utf-8")
    method = str(getattr(request, "method", None) or getattr(case, "method", "GET")).upper()
    recorded_request = RecordedRequest(
        method=method,
        url=str(request.url),
        headers=[(str(k), str(v)) for k, v in request.headers.items()],
        body=body if isinstance(body, bytes) else None,
    )
    content: bytes = response.content or b""
    size = getattr(response, "content_size", None) or len(content)
    recorded_response = RecordedResponse(
        status=int(response.status_code),
        # schemathesis keeps each header as a list of values: one pair per value, in order.
        headers=[(name, value) for name, values in response.headers.items() for value in values],
        body=content,
        elapsed=float(response.elapsed or 0.0),
        raw_size=size,
        truncated=size > len(content),  # schemathesis kept only the leading bytes
    )
    return Exchange(request=recorded_request, response=recorded_response,
                    note="sent by schemathesis")


def violations_by_rule(exchange: Exchange, profile: str) -> dict[str, list[str]]:
    """Rule id -> messages, for every per-exchange check of the profile the exchange breaks."""
    found: dict[str, list[str]] = {}
    for rule_id, message in checks.all_violations(exchange, prefix=PREFIXES[profile]):
        found.setdefault(rule_id, []).append(message)
    return found


def hold(profile: str, response: Any, case: Any) -> None:
    """Raise schemathesis failures (one per broken rule) unless the response conforms."""
    exchange = exchange_from_response(response, case)
    found = violations_by_rule(exchange, profile)
    if not found:
        return
    operation = getattr(getattr(case, "operation", None), "label", None)
    failures = [ConventionViolation(operation=operation, rule_id=rule_id,
                                    message="\n".join(messages) + _clause(rule_id))
                for rule_id, messages in sorted(found.items())]
    if len(failures) == 1:
        raise failures[0]
    raise ConventionViolations(failures)


# -- the registered checks -----------------------------------------------------------------
def boomerang_conventions(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                          case: schemathesis.Case) -> None:
    """Boomerang Developer API conventions (apiconform BMR- rules)."""
    hold("boomerang", response, case)


def booga_conventions(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                      case: schemathesis.Case) -> None:
    """Booga Enterprise REST API conventions (apiconform BGA- rules)."""
    hold("booga", response, case)


CHECKS: dict[str, Callable[..., None]] = {
    "boomerang": boomerang_conventions,
    "booga": booga_conventions,
}


def register(*profiles: str) -> None:
    """Register the checks of these profiles with schemathesis (all of them by default)."""
    for profile in profiles or tuple(CHECKS):
        if profile not in CHECKS:
            raise ValueError(f"{PROFILE_ENV}: unknown profile {profile!r}; choose from {sorted(CHECKS)}")
        schemathesis.check(CHECKS[profile])


def _profiles_from_env() -> tuple[str, ...]:
    value = os.environ.get(PROFILE_ENV, "")
    return tuple(p.strip().lower() for p in value.split(",") if p.strip())


register(*_profiles_from_env())
