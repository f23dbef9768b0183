"""Bounded decoding of a response body as JSON (RFC 8259), for RecordedResponse.

Every body ends in exactly one of three outcomes, so that a check can say who is to blame:

- decoded: the value (`Decoded.value`);
- not JSON (`Decoded.error`): the target's fault, e.g. invalid UTF-8, a syntax error, or
  NaN / Infinity / -Infinity, which Python's json accepts and RFC 8259 §6 does not;
- the kit's own limit stopped it (`Decoded.kit_limit`): the body may well be JSON, the kit
  did not decode it. Checks report that as unjudged (`error`), never as the target's fault.

Bounds, and why:

- Nesting: at most MAX_DEPTH (500) levels of arrays and objects. Python's json decoder, and
  `repr`, `==` and the checks that walk a body, each recurse once per level, and on CPython 3.11
  they share one recursion limit (1000 by default) with the call stack they run on (pytest,
  hypothesis, the plugin: a few hundred frames at most). 500 leaves that room; it is far beyond
  what APIs send (serde_json stops at 128, Ruby's JSON at 100). A deeper body is scanned, not
  decoded: a character that no JSON text can hold outside a string, or unbalanced brackets,
  still make it "not JSON"; otherwise it is the kit's limit.
- Integers: Python converts at most `sys.get_int_max_str_digits()` digits (4300 by default)
  between text and int, and raises past that (in `int(text)`, `str(n)`, `repr(n)`,
  `json.dumps(n)`). A longer JSON integer is valid JSON and decodes to a `LongInt`: an int of
  the right sign whose value stands in for the number in comparisons with anything shorter,
  equal only to the same digits, and whose text (`str`, `repr`, `format`) is a short excerpt,
  so no later check or report raises over it.
- Lone surrogates (`"\\ud800"`) are grammatical JSON that Python keeps as unencodable str;
  they are replaced with U+FFFD so that a message quoting one can still be written as UTF-8.
"""

from __future__ import annotations

import json
import re
import sys
from array import array
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Any

MAX_DEPTH = 500


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()  # Decoded.value when nothing was decoded

# A complete JSON string (RFC 8259 §7), written so that the regex engine never backtracks.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
# Outside strings a JSON text holds only these: structure, white space, numbers, true/false/null.
_STRAY = re.compile(r"[^\[\]{},: \t\n\r0-9eE.+\-truefalsn]")
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Decoded:
    value: Any = MISSING
    error: str | None = None  # not JSON: the target's fault
    kit_limit: str | None = None  # the kit's own bound stopped decoding (see the module docstring)

    @property
    def ok(self) -> bool:
        return self.error is None and self.kit_limit is None


def int_digits_limit() -> int:
    """How many digits Python converts between text and int (0, unlimited, reads as the default)."""
    return sys.get_int_max_str_digits() or sys.int_info.default_max_str_digits


class LongInt(int):
    """A JSON integer longer than `int_digits_limit()` digits.

    Its int value is the sign and leading digits of the number (at most half the limit of
    them): larger in magnitude than any number of fewer digits, as the number itself is, so a
    check comparing it with a bound or a status gets the right answer, and arithmetic on it stays
    printable. Equality and hashing use the exact digits; `str`/`repr` show an excerpt.
    """

    text: str  # the number exactly as the body wrote it

    def __new__(cls, text: str) -> LongInt:
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("-")
        obj = super().__new__(cls, sign * int(digits[: max(1, int_digits_limit() // 2)]))
        obj.text = text
        return obj

    @property
    def digits(self) -> int:
        return len(self.text.lstrip("-"))

    def __repr__(self) -> str:
        return f"<integer of {self.digits} digits: {self.text[:24]}…>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else int(self).__format__(spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LongInt) and other.text == self.text

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self.text)

    def __reduce__(self) -> tuple[type[LongInt], tuple[str]]:
        return LongInt, (self.text,)


class _NotJson(Exception):
    pass


def _reject_constant(name: str) -> Any:
    raise _NotJson(f"body is not valid JSON ({name} is not a JSON value: RFC 8259 §6 permits no "
                   "NaN or Infinity)")


def integer(text: str) -> int:
    """The int a JSON integer's text (or any run of ASCII digits) stands for: a LongInt when it
    has more digits than Python converts, so that it never raises."""
    if len(text) - text.startswith("-") > int_digits_limit():
        return LongInt(text)
    return int(text)


def decode(body: bytes) -> Decoded:
    """The body decoded as JSON, or why not (never raises)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Decoded(error=f"body is not valid UTF-8 ({exc.reason} at byte {exc.start})")
    try:
        return _decode_text(text)
    except RecursionError:
        return Decoded(kit_limit="body nests deeper than the kit's stack allows here; the kit did not decode it")
    except (ValueError, TypeError, MemoryError) as exc:  # not expected: said, never raised
        return Decoded(kit_limit=f"the kit's JSON decoder gave up ({type(exc).__name__}: {str(exc)[:200]})")


def _decode_text(text: str) -> Decoded:
    if text.count("[") + text.count("{") > MAX_DEPTH:
        too_deep = _too_deep(text)
        if too_deep is not None:
            return too_deep
    limit = int_digits_limit()
    # A body no longer than the limit holds no integer past it: nearly every body, never scanned.
    long_ints = len(text) > limit and _digit_run(limit + 1).search(text) is not None
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_int=integer if long_ints else None)
    except json.JSONDecodeError as exc:
        return Decoded(error=f"body is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})")
    except _NotJson as exc:
        return Decoded(error=str(exc))
    if _SURROGATE_ESCAPE.search(text):
        value = _without_lone_surrogates(value)
    return Decoded(value=value)


@lru_cache(maxsize=4)
def _digit_run(length: int) -> re.Pattern[str]:
    return re.compile("[0-9]{" + str(length) + "}")


@lru_cache(maxsize=8)
def _too_deep(text: str) -> Decoded | None:
    """None when the body nests at most MAX_DEPTH levels; else why it is not decoded.

    Kept for the last few bodies: a target answering every request with the same huge body
    costs one scan. (What is kept holds no decoded value, only the verdict.)"""
    outside = _STRING.sub("", text)
    stray = _STRAY.search(outside)
    if stray is not None:
        # Past the depth bound, but no JSON text can hold this outside a string.
        return Decoded(error=f"body is not valid JSON ({stray.group()!r} outside a string, nested "
                             f"deeper than the kit's bound of {MAX_DEPTH} levels)")
    brackets = _NOT_BRACKET.sub("", outside)
    if brackets.count("[") + brackets.count("{") != brackets.count("]") + brackets.count("}"):
        return Decoded(error="body is not valid JSON (its brackets do not balance)")
    depth = max(accumulate(array("b", brackets.encode("ascii").translate(_BRACKET_STEPS))), default=0)
    if depth <= MAX_DEPTH:
        return None
    return Decoded(kit_limit=f"body nests {depth} levels deep, more than the kit's bound of {MAX_DEPTH} "
                             "levels: the kit did not decode it (a fixed bound, not a setting)")


def _without_lone_surrogates(value: Any) -> Any:
    """The value with every unpaired surrogate in its strings (keys too) replaced by U+FFFD."""
    def fix(item: Any) -> Any:
        return _SURROGATE.sub("\ufffd", item) if isinstance(item, str) else item

    root = [fix(value)]
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            for i, item in enumerate(node):
                node[i] = fix(item)
                if isinstance(node[i], list | dict):
                    stack.append(node[i])
        elif isinstance(node, dict):
            items = [(fix(k), fix(v)) for k, v in node.items()]
            node.clear()
            node.update(items)
            stack.extend(v for _, v in items if isinstance(v, list | dict))
    return root[0]
