"""Query-parameter parsing: integers, enums, and the page window.

"Requests with malformed query parameters are treated as validation failures": anything but an
optionally signed run of ASCII digits is not an integer here. Not int() on the raw text: it also
accepts " 5", "1_000" and non-ASCII digits, and it refuses (ValueError) strings past 4300 digits,
which would turn a long query value into a 500.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from flask import request

from .errors import Int64Overflow, ValidationFailed

INTEGER = re.compile(r"[+-]?[0-9]+")
# More significant digits than this and the value is far past any bound this API has (and past
# 64 bits), so its exact value never matters: only that it is out of range.
MAX_DIGITS = 40
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def parse_integer(raw: str) -> int | None:
    """The value of a signed run of ASCII digits (clipped to ±10**MAX_DIGITS), else None."""
    if not INTEGER.fullmatch(raw):
        return None
    sign = -1 if raw[0] == "-" else 1
    digits = raw.lstrip("+-").lstrip("0") or "0"
    if len(digits) > MAX_DIGITS:
        return sign * 10**MAX_DIGITS
    return sign * int(digits)


def integer(name: str, default: int, low: int, high: int, *, malformed_as_default: bool = False) -> int:
    """An integer query parameter in [low, high]; 400 VALIDATION_FAILED when malformed or out of range.

    Out of range is rejected rather than clamped (DESIGN.md allows either). `malformed_as_default`
    is the BMR-MALFORMED-QUERY breaker: a value that is not an integer at all reads as absent.
    """
    raw = request.args.get(name)
    if raw is None:
        return default
    value = parse_integer(raw)
    if value is None:
        if malformed_as_default:
            return default
        raise ValidationFailed(f"{name} must be an integer", {"parameter": name, "value": raw})
    if not low <= value <= high:
        raise ValidationFailed(f"{name} must be between {low} and {high}",
                               {"parameter": name, "value": raw, "minimum": low, "maximum": high})
    return value


def choice(name: str, allowed: Collection[str]) -> str | None:
    """An optional enum filter; a value outside the enum is 400 VALIDATION_FAILED (never ignored)."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if raw not in allowed:
        raise ValidationFailed(f"{name} must be one of {', '.join(allowed)}",
                               {"parameter": name, "value": raw, "allowed": list(allowed)})
    return raw


@dataclass(frozen=True)
class PageRequest:
    page: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def page_request(*, max_limit: int = MAX_LIMIT, min_limit: int = 1, malformed_as_default: bool = False,
                 int64_window: bool = False) -> PageRequest:
    """`page` (1-based, default 1) and `limit` (default 20, 1..max_limit), as DESIGN.md assumes them.

    `page` has no bound of its own but a signed 64-bit one: the OpenAPI document declares it int64,
    so a value past 64 bits is out of range (400), never a 500.

    `int64_window` is the BMR-NO-5XX breaker: the raw page number goes to a storage layer that
    packs it as int64 before any range check, so a page past 64 bits raises instead of being
    rejected. Only `page`: a limit past 64 bits answered 500 would also be a limit neither
    rejected with 400 nor clamped, which breaks BMR-PAGINATION-LIMIT as well.
    `min_limit=0` is the BMR-PAGINATION-LIMIT@orders breaker: a bound written as "not negative"
    rather than "at least 1", so limit=0 is taken as asked (page_of answers it with no items).
    """
    if int64_window:
        raw = request.args.get("page", "")
        value = parse_integer(raw)
        if value is not None and not INT64_MIN <= value <= INT64_MAX:
            raise Int64Overflow(f"page={raw[:40]} does not fit a signed 64-bit integer")
    limit = integer("limit", DEFAULT_LIMIT, min_limit, max_limit, malformed_as_default=malformed_as_default)
    page = integer("page", 1, 1, INT64_MAX, malformed_as_default=malformed_as_default)
    return PageRequest(page=page, limit=limit)
