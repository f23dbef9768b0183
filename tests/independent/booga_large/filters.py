"""Reading a list's declared filters into SQL, the way a FilterSet does: parse every value, collect
the errors, then answer 400 with a field map (a strict list) or drop what could not be read (a
lenient one). An empty value is no filter. Parameters the list does not declare are ignored.

Every value is checked before it reaches sqlite: integers within 64 bits (and the declared bounds),
numbers finite, dates and date-times parseable, enum values declared, regular expressions
compiled. The planted bugs (catalog.PLANTS) are the places where one list's code skips that: its
`Plant.bug` names which reader replaces the checked one, and its exception is nobody's to catch.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from .catalog import Filter, Plugin

INT64 = (-(2**63), 2**63 - 1)
CENT = Decimal("0.01")
SQL = {"exact": "= ?", "lt": "< ?", "lte": "<= ?", "gt": "> ?", "gte": ">= ?", "after": ">= ?"}
LIKE = {"iexact": ("", ""), "icontains": ("%", "%"), "istartswith": ("", "%"), "iendswith": ("%", "")}


class Invalid(ValueError):
    """A value a filter cannot read: its message goes into the 400's field map."""


@dataclass
class Selection:
    """What a list request asks for: SQL conditions with their values, and the order."""

    where: list[tuple[str, list[Any]]] = field(default_factory=list)
    order: str = "created_at"
    descending: bool = True
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, sql: str, *values: Any) -> None:
        self.where.append((sql, list(values)))


# -- the checked readers ----------------------------------------------------------------------------
def read_int(raw: str, flt: Filter) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise Invalid("A valid integer is required.") from None
    low = flt.schema.get("minimum", INT64[0])
    high = flt.schema.get("maximum", INT64[1])
    assert isinstance(low, int) and isinstance(high, int)
    if not max(low, INT64[0]) <= value <= min(high, INT64[1]):
        raise Invalid(f"Ensure this value is between {max(low, INT64[0])} and {min(high, INT64[1])}.")
    return value


def read_number(raw: str, flt: Filter) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise Invalid("A valid number is required.") from None
    if not math.isfinite(value) or abs(value) > 1e15:
        raise Invalid("Ensure this value is a finite number of at most 15 digits.")
    return value


def read_bool(raw: str, flt: Filter) -> int:
    value = raw.strip().lower()
    if value in ("true", "1"):
        return 1
    if value in ("false", "0"):
        return 0
    raise Invalid("Must be true or false.")


def read_date(raw: str, flt: Filter) -> str:
    try:
        return date.fromisoformat(raw.strip()).isoformat()
    except ValueError:
        raise Invalid("Enter a valid date (YYYY-MM-DD).") from None


def read_datetime(raw: str, flt: Filter) -> str:
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise Invalid("Enter a valid date/time (ISO 8601).") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError):  # a moment near year 1 or 9999 moved past the calendar by its offset
        raise Invalid("Enter a date/time between the years 1 and 9999.") from None


def read_enum(raw: str, flt: Filter) -> str:
    if raw not in flt.enum:
        raise Invalid(f"Select a valid choice. {raw!r} is not one of the available choices.")
    return raw


def read_regex(raw: str, flt: Filter) -> str:
    try:
        re.compile(raw)
    except (re.error, RecursionError, OverflowError):
        raise Invalid("Enter a valid regular expression.") from None
    return raw


def read_string(raw: str, flt: Filter) -> str:
    return raw


READERS: dict[str, Callable[[str, Filter], Any]] = {
    "integer": read_int, "number": read_number, "boolean": read_bool, "date": read_date,
    "date-time": read_datetime, "enum": read_enum, "string": read_string,
}


# -- the planted readers: each is the checked one with the check forgotten ---------------------------------
def planted_reader(bug: str, plugin: Plugin) -> Callable[[str, Filter], Any]:
    if bug == "regex-unchecked":
        return lambda raw, flt: raw  # handed to sqlite's REGEXP as it is
    if bug == "isoformat":
        # No try: datetime.fromisoformat's ValueError leaves the form's error collection.
        return lambda raw, flt: stamp_of(datetime.fromisoformat(raw))
    if bug == "strptime":
        return lambda raw, flt: stamp_of(datetime.strptime(raw[:19], "%Y-%m-%dT%H:%M:%S"))
    if bug == "int-unbounded":
        def unbounded(raw: str, flt: Filter) -> int:
            try:
                return int(raw)  # checked for being a number, not for fitting in 64 bits
            except ValueError:
                raise Invalid("A valid integer is required.") from None
        return unbounded
    if bug == "enum-by-name":
        # The plugin's statuses as an Enum, looked up by member name.
        status = Enum("Status", {value.upper(): value for value in plugin.statuses})  # type: ignore[misc]
        return lambda raw, flt: status[raw.upper()].value  # KeyError for a name it does not have
    if bug == "decimal-quantize":
        # Amounts are compared in cents; Decimal raises InvalidOperation for text that is no number
        # and for a value past the context's 28 digits once quantized.
        return lambda raw, flt: int(Decimal(raw).quantize(CENT) * 100)
    raise ValueError(bug)


def stamp_of(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- from the query string to SQL -------------------------------------------------------------------
def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def read_id(raw: str, plugin: Plugin) -> Any:
    if plugin.id_type == "uuid":
        try:
            return str(uuid.UUID(raw.strip()))
        except ValueError:
            raise Invalid(f"{raw!r} is not a valid UUID.") from None
    return read_int(raw, Filter("id", "id", "in", "integer", {"minimum": 1}, ""))


def apply(plugin: Plugin, flt: Filter, raw: str, selection: Selection) -> None:
    """Add one filter's condition; Invalid when its value cannot be read (anything else is a bug)."""
    column = "amount_cents" if flt.column == "amount" else flt.column
    plant = plugin.plant if plugin.plant is not None and plugin.plant.param == flt.name else None
    if flt.op == "search":
        words = raw.split()
        fields = ["name"] + (["description"] if plugin.has("description") else [])
        for word in words:
            like = f"%{escape_like(word)}%"
            selection.add("(" + " OR ".join(f"{f} LIKE ? ESCAPE '\\'" for f in fields) + ")", *[like] * len(fields))
        return
    if flt.op == "ordering":
        value = read_enum(raw, flt)
        selection.order, selection.descending = value.lstrip("-"), value.startswith("-")
        return
    if flt.op == "in":
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        if column == "id":
            values = [read_id(p, plugin) for p in parts]
        elif column == "owner_id":
            values = [read_int(p, Filter(flt.name, column, "in", "integer", {"minimum": 1}, "")) for p in parts]
        elif flt.enum:
            values = [read_enum(p, flt) for p in parts]
        else:
            values = parts
        if values:
            selection.add(f"{column} IN ({', '.join('?' for _ in values)})", *values)
        return
    if flt.op == "iregex":
        reader = planted_reader(plant.bug, plugin) if plant else read_regex
        selection.add(f"{column} REGEXP ?", reader(raw, flt))
        return
    if flt.op in LIKE:
        before, after = LIKE[flt.op]
        selection.add(f"{column} LIKE ? ESCAPE '\\'", f"{before}{escape_like(raw)}{after}")
        return
    reader = planted_reader(plant.bug, plugin) if plant else READERS[flt.kind]
    value = reader(raw, flt)
    if flt.column == "amount" and not plant:
        value = round(value * 100)  # the checked reader gives a finite number of at most 15 digits
    if flt.op == "after":
        value = f"{value}T00:00:00Z"  # midnight UTC of the day
    elif flt.kind == "date-time" and flt.op in ("lt", "lte", "gt", "gte"):
        pass  # stored and compared as YYYY-MM-DDTHH:MM:SSZ: text order is time order
    selection.add(f"{column} {SQL[flt.op]}", value)


def select(plugin: Plugin, query: Mapping[str, str]) -> Selection:
    """Every declared filter of the list with a value in `query`. A strict list records each
    unreadable value in `errors` (the caller answers 400); a lenient one drops it."""
    selection = Selection()
    for flt in plugin.filters:
        raw = query.get(flt.name)
        if raw is None or raw == "":
            continue
        try:
            apply(plugin, flt, raw, selection)
        except Invalid as exc:
            if not plugin.lenient:
                selection.errors.setdefault(flt.name, []).append(str(exc))
    return selection
