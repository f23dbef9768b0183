"""Telling whether a Booga list is sorted, and reading the values it is sorted by.

Shared by the ordering and created_after rules on the configured list and on every further one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apiconform.profiles.booga.checks import parse_iso, plain_int

# Database collations differ: names may sort by code point, case-insensitively, or ignoring
# punctuation (e.g. PostgreSQL's en_US). Any of these is "sorted by name".
NAME_KEYS: list[Callable[[str], Any]] = [
    lambda s: s,
    lambda s: s.casefold(),
    lambda s: re.sub(r"[^0-9a-z]", "", s.casefold()),
]
# Time zones span UTC-12..UTC+14: the day a server reads a bare date in is not specified.
EARLIEST_ZONE = timedelta(hours=14)
LATEST_ZONE = timedelta(hours=12)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sort_value(field: str, item: Any) -> Any:
    value = item.get(field) if isinstance(item, dict) else None
    if field.endswith("_at"):
        parsed = parse_iso(value)
        return _utc(parsed) if parsed else None
    if plain_int(value) or isinstance(value, float):
        return value
    if field != "name" and isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        return int(value)  # a number sent as a string is BGA-RESOURCE-FIELDS' business, not ordering's
    return value if isinstance(value, str) else None


def is_sorted(values: list[Any], descending: bool, key: Callable[[Any], Any] = lambda v: v) -> bool:
    keys = [key(v) for v in values]
    pairs = itertools.pairwise(keys)
    return all(a >= b for a, b in pairs) if descending else all(a <= b for a, b in pairs)


