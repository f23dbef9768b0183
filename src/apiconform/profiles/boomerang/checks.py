"""Per-exchange checks of the Boomerang conventions (boomerang-overview.txt).

Each check speaks only for its own rule and stays silent where another rule's
precondition is already broken (an envelope check says nothing about a body that is not
JSON: that is BMR-RESPONSE-JSON's business). So a target breaking one rule fails that
rule and no other, whichever traffic — the suites' probes or generated requests — it sees.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from apiconform.checks import (
    Remark,
    check,
    configured_surface,
    endpoint_of,
    is_get,
    json_object,
    setting,
    settings,
    unjudged,
)
from apiconform.checks.plain_schema import plainly_valid
from apiconform.exchange import Exchange
from apiconform.jsonbody import integer
from apiconform.locations import fixtures_dir

ERROR_FIELDS = ("status", "code", "http_status", "timestamp", "trace_id", "details")
MAX_LIMIT = 100
# Plausible epoch milliseconds: 2000-01-01T00:00:00Z .. 2100-01-01T00:00:00Z.
EPOCH_MS_MIN = 946_684_800_000
EPOCH_MS_MAX = 4_102_444_800_000
DEFAULT_TIMESTAMP_FIELDS = ("timestamp",)


# -- predicates ----------------------------------------------------------------------------
def is_success_get(ex: Exchange) -> bool:
    return ex.response is not None and is_get(ex) and 200 <= ex.response.status < 300


def is_error_response(ex: Exchange) -> bool:
    """A non-2xx answer to anything but HEAD (a HEAD answer has no body by definition): "All
    non-2xx responses" takes in 3xx too, but not 304, which has no body by HTTP (DESIGN.md)."""
    if ex.response is None or ex.request.method.upper() == "HEAD":
        return False
    status = ex.response.status
    return status >= 300 and status != 304


def parsed_body(ex: Exchange) -> Any:
    """What a client would read: the parsed JSON, else the raw bytes (for comparing answers)."""
    if ex.response is None:
        return None
    if ex.response.is_json:
        return ex.response.json()
    return ("not JSON", ex.response.status, ex.response.body)


def error_code(ex: Exchange) -> object:
    """The `code` of an error body, or None."""
    body = parsed_body(ex)
    return body.get("code") if isinstance(body, dict) else None


def looks_paginated(body: dict[str, Any]) -> bool:
    return "items" in body or "pagination" in body


def request_query(ex: Exchange) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(ex.request.url).query, keep_blank_values=True))


def mentions_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding value names gzip (or `*`) at all, whatever its q-value."""
    for part in (header or "").split(","):
        coding = part.strip().partition(";")[0].strip().lower()
        if coding in ("gzip", "x-gzip", "*"):
            return True
    return False


def accepts_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding value admits gzip (a q=0 refuses it, as HTTP reads it)."""
    for part in (header or "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            q = re.search(r"q\s*=\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)", params)  # always a float's text
            if q is None or float(q.group(1)) > 0:
                return True
    return False


def content_coding(ex: Exchange) -> str:
    assert ex.response is not None
    return ",".join(v.strip().lower() for v in ex.response.header_all("content-encoding") if v.strip())


# -- JSON Schemas of fixtures/boomerang/schemas ------------------------------------------------
@cache
def schema(name: str) -> dict[str, Any]:
    path = fixtures_dir("boomerang") / "schemas" / name
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def schema_violations(instance: Any, name: str, what: str) -> list[str]:
    if plainly_valid(instance, schema(name)):
        return []  # jsonschema is only imported for a body that may not match: see plain_schema.py
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema(name))
    out = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        out.append(f"{what} does not match {name} at {where}: {_said(err)}")
    return out


# bool before int: a bool is an int to isinstance (and a LongInt, from jsonbody, is an int too).
_JSON_KINDS = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
               float: "a number", type(None): "null"}


def _said(err: Any) -> str:
    """jsonschema's message without the whole instance in it (a page of items, say)."""
    text = str(err.message)
    if len(text) <= 200:
        return text
    if err.validator == "type":
        kind = next((word for t, word in _JSON_KINDS.items() if isinstance(err.instance, t)), "a value")
        return f"{kind} where {err.validator_value} is expected"
    return text[:200] + "…"


# -- error bodies ----------------------------------------------------------------------------
@check("BMR-ERROR-FIELDS", applies=is_error_response, scope="every 3xx (not 304), 4xx and 5xx")
def error_body_has_standard_fields(ex: Exchange) -> Iterator[str]:
    assert ex.response is not None
    if (limited := unjudged(ex)) is not None:
        yield limited  # the kit's size cap or nesting bound, not the target's fault
        return
    if not ex.response.is_json:
        yield f"{ex.response.status} error body is not JSON: {ex.response.json_error}"
        return
    body = ex.response.json()
    if not isinstance(body, dict):
        yield f"{ex.response.status} error body is a JSON {type(body).__name__}, not an object"
        return
    missing = [f for f in ERROR_FIELDS if f not in body]
    if missing:
        present = ", ".join(sorted(body)) or "nothing"
        yield f"{ex.response.status} error body lacks {', '.join(missing)} (it has {present})"
        return
    # The page names these as the fields of the format, and a null carries none: none of them
    # may be null. (error.json types code, http_status and trace_id; status, timestamp and
    # details it leaves open.) `details` with nothing to add may be {} or [], never null.
    nulls = [f for f in ERROR_FIELDS if body[f] is None]
    if nulls:
        yield (f"{ex.response.status} error body's {', '.join(nulls)} {'is' if len(nulls) == 1 else 'are'} null: "
               "the standard fields carry values")
    yield from schema_violations(body, "error.json", f"{ex.response.status} error body")


@check("BMR-ERROR-HTTP-STATUS", applies=is_error_response, scope="every 3xx (not 304), 4xx and 5xx")
def error_http_status_matches(ex: Exchange) -> Iterator[str]:
    assert ex.response is not None
    if (limited := unjudged(ex)) is not None:
        yield limited
        return
    body = json_object(ex)
    if body is None or "http_status" not in body:
        return  # no error body to compare: BMR-ERROR-FIELDS reports that
    value = body["http_status"]
    if isinstance(value, bool) or value != ex.response.status:
        yield f"error body says http_status {value!r} but the status line is {ex.response.status}"


# -- response format -------------------------------------------------------------------------
@check("BMR-RESPONSE-CONTENT-TYPE", applies=is_success_get, scope="every 2xx to a GET")
def success_content_type(ex: Exchange) -> Iterator[str]:
    assert ex.response is not None
    value = ex.response.header("content-type")
    if value is None:
        yield "success response has no Content-Type (expected application/json; charset=utf-8)"
        return
    if ex.response.media_type != "application/json" or ex.response.charset != "utf-8":
        yield f"success response Content-Type is {value!r}, expected application/json; charset=utf-8"


@check("BMR-RESPONSE-JSON", applies=is_success_get, scope="every 2xx to a GET")
def success_body_is_json(ex: Exchange) -> Iterator[str]:
    assert ex.response is not None
    if ex.response.decode_error:
        return  # a Content-Encoding that does not decode is BMR-GZIP's business
    if (limited := unjudged(ex)) is not None:
        yield limited  # the kit's own limit, not the target's fault
        return
    if not ex.response.is_json:
        yield f"success body is not JSON: {ex.response.json_error}: {ex.response.text[:80]!r}"
        return
    body = ex.response.json()
    if not isinstance(body, dict | list):
        kind = type(body).__name__
        yield f"success body is a JSON {kind} ({ex.response.text[:40]!r}), not an object or array"


@check("BMR-GZIP", scope="every response")
def gzip_only_when_asked_and_decodable(ex: Exchange) -> Iterator[str]:
    # "May be compressed with gzip if the client sends Accept-Encoding: gzip": gzip to a request
    # that never named it breaks that; one that named it with q=0 is HTTP's business (common
    # middleware, Starlette's and Django's among them, ignores q-values), so a remark.
    assert ex.response is not None
    coding = content_coding(ex)
    if coding in ("", "identity"):
        return
    asked = ex.request.header("accept-encoding")
    if coding in ("gzip", "x-gzip"):
        if not mentions_gzip(asked):
            yield f"response is Content-Encoding: {coding} but the request sent Accept-Encoding: {asked!r}"
        elif not accepts_gzip(asked):
            yield Remark(f"gzip was sent although the request refused it with q=0 ({asked!r}); "
                         "the document only says gzip may be used when asked for")
    else:
        yield f"response uses Content-Encoding {coding!r}; the document offers only gzip (asked: {asked!r})"
    if ex.response.decode_error:
        yield ex.response.decode_error


# -- envelopes ------------------------------------------------------------------------------
def data_envelope_violations(ex: Exchange) -> list[str]:
    body = json_object(ex)
    if body is None:
        assert ex.response is not None
        if ex.response.is_json:
            kind = type(ex.response.json()).__name__
            return [f'success body is a JSON {kind}, not a {{"data": {{…}}}} object']
        return []  # not JSON at all: BMR-RESPONSE-JSON
    return schema_violations(body, "data-envelope.json", "non-paginated success body")


def paginated_envelope_violations(ex: Exchange) -> list[str]:
    assert ex.response is not None
    if not ex.response.is_json:
        return []  # BMR-RESPONSE-JSON
    return schema_violations(ex.response.json(), "paginated-envelope.json", "paginated success body")


def _envelope_kind(ex: Exchange) -> str | None:
    """"list" or "single" for a 2xx JSON answer to a GET: the kind of its endpoint in the
    deployment's surface, whatever the body's shape (a paginated endpoint answering a bare
    array breaks its envelope); for a path the surface does not hold, told by the body: one
    with `items` or `pagination` is taken as a page, any other object as a single resource."""
    # A body the kit's own limit kept it from decoding is still judged: as unjudged (error).
    if not is_success_get(ex) or ex.response is None or not (ex.response.is_json or ex.response.kit_limit):
        return None
    endpoint = endpoint_of(ex)
    if endpoint is not None:
        return "list" if endpoint.kind == "list" else "single"
    body = json_object(ex)
    if body is None:
        return None
    return "list" if looks_paginated(body) else "single"


def _non_paginated(ex: Exchange) -> bool:
    return _envelope_kind(ex) == "single"


def _paginated(ex: Exchange) -> bool:
    return _envelope_kind(ex) == "list"


def asked_identifier(ex: Exchange) -> str | None:
    """The identifier a GET asked for: its endpoint's last path parameter, else its `id` query
    parameter (the page's own example, `?id=example-1`); None when it names none."""
    endpoint = endpoint_of(ex)
    path = urlsplit(ex.request.url).path
    if endpoint is not None and endpoint.path_params:
        # The value sits where the template's last placeholder is, counted from the end.
        tail = endpoint.template.rsplit("{", 1)[1]
        after = tail.split("}", 1)[1]
        segments_after = len([s for s in after.split("/") if s])
        parts = [s for s in path.split("/") if s]
        index = len(parts) - 1 - segments_after
        return parts[index] if 0 <= index < len(parts) else None
    return request_query(ex).get("id")


def resource_violations(ex: Exchange) -> list[str]:
    """`data` is the resource asked for, not an error object wrapped in the success envelope: it
    holds the identifier the request named (as `id` or any other field)."""
    body = json_object(ex)
    data = body.get("data") if body is not None else None
    asked = asked_identifier(ex)
    if not isinstance(data, dict) or asked is None:
        return []
    held = {str(v) for v in data.values() if isinstance(v, str | int) and not isinstance(v, bool)}
    if asked in held:
        return []
    if "id" in data:
        return [f"asked for {asked!r}, the data is the resource {data['id']!r}"]
    looks = sorted(k for k in data if k.lower() in ("error", "errors", "code", "message", "status"))
    return [f"asked for {asked!r}, the data holds no such identifier"
            + (f" (it holds {', '.join(looks)}: an error wrapped in a success envelope)" if looks else "")]


@check("BMR-ENVELOPE-DATA", applies=_non_paginated, scope="every 2xx non-paginated GET")
def data_envelope(ex: Exchange) -> Iterator[str]:
    if (limited := unjudged(ex)) is not None:
        yield limited
        return
    problems = data_envelope_violations(ex)
    yield from problems
    if not problems:
        yield from resource_violations(ex)


@check("BMR-ENVELOPE-PAGINATED", applies=_paginated, scope="every 2xx page")
def paginated_envelope(ex: Exchange) -> Iterator[str]:
    if (limited := unjudged(ex)) is not None:
        yield limited
        return
    yield from paginated_envelope_violations(ex)


@check("BMR-PAGINATION-LIMIT", applies=_paginated, scope="every 2xx page")
def page_within_limit(ex: Exchange) -> Iterator[str]:
    # The deployment's own cap (a target file's pagination.max_limit), not the assumed 100.
    yield from limit_violations(ex, setting("params", "limit", "limit"),
                                int(setting("pagination", "max_limit", MAX_LIMIT)))


def _plain_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def pagination_violations(ex: Exchange) -> list[str]:
    """`page`, `limit`, `total_items`, `total_pages` and `has_more` agree with each other and with
    `items` on any page (DESIGN.md): total_pages = ceil(total_items / limit), has_more exactly
    when page < total_pages, and the page holds what its position leaves."""
    body = json_object(ex)
    meta = body.get("pagination") if body is not None else None
    if not (isinstance(meta, dict) and isinstance(body, dict) and isinstance(body.get("items"), list)):
        return []  # BMR-ENVELOPE-PAGINATED's business
    names = {k: str(setting("pagination", k, k)) for k in ("page", "limit", "total_items", "total_pages",
                                                            "has_more")}
    numbers = [meta.get(names[k]) for k in ("page", "limit", "total_items", "total_pages")]
    more = meta.get(names["has_more"])
    out: list[str] = []
    if not (all(_plain_int(n) for n in numbers) and isinstance(more, bool)):
        present = {k: meta.get(v) for k, v in names.items()}
        return [f"pagination fields are not integers and a boolean: {present}"]
    page, limit, total, pages = (int(n) for n in numbers if n is not None)
    if limit < 1 or page < 1:
        return []  # a page or limit out of range is BMR-PAGINATION-LIMIT's (or MALFORMED-QUERY's) business
    if total < 0:
        return [f"total_items is {total}: a count cannot be negative"]
    expected_pages = -(-total // limit)
    if pages != expected_pages and not (total == 0 and pages in (0, 1)):
        out.append(f"total_pages is {pages}, expected ceil({total}/{limit}) = {expected_pages}")
    if more != (page < pages):
        out.append(f"has_more is {more} on page {page} of {pages}")
    size = len(body["items"])
    expected = max(0, min(limit, total - (page - 1) * limit))
    if size != expected:
        out.append(f"page {page} of {pages} (limit {limit}, total_items {total}) holds {size} items, expected "
                   f"{expected}")
    return out


@check("BMR-PAGINATION-TRAVERSAL", applies=_paginated, scope="every 2xx page")
def pagination_is_consistent(ex: Exchange) -> Iterator[str]:
    yield from pagination_violations(ex)


def limit_violations(ex: Exchange, limit_name: str, max_limit: int = MAX_LIMIT) -> list[str]:
    body = json_object(ex)
    if body is None or not isinstance(body.get("items"), list):
        return []  # BMR-ENVELOPE-PAGINATED
    count = len(body["items"])
    out = []
    if count > max_limit:
        out.append(f"page holds {count} items, more than the maximum of {max_limit}")
    raw = request_query(ex).get(limit_name)
    if raw is not None and re.fullmatch(r"[0-9]+", raw) and 1 <= integer(raw) <= max_limit and count > integer(raw):
        out.append(f"page holds {count} items but {limit_name}={raw} was requested")
    return out


# -- timestamps -----------------------------------------------------------------------------
def _members(path: str, value: Any) -> Iterator[tuple[str, Any, Any]]:
    """(where, key or None, value) of each member of an object or element of an array."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (f"{path}.{key}" if path else str(key)), key, inner
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield f"{path}[{i}]", None, inner


# A name that says "a point in time" in either case convention: created_at, createdAt.
_CAMEL_AT = re.compile(r"[a-z0-9]At$")


def is_timestamp_name(key: str, fields: frozenset[str]) -> bool:
    """`*_at`, its camelCase form `*At`, or one of the named fields (the target file's, the
    deployment's OpenAPI document's)."""
    return key.endswith("_at") or bool(_CAMEL_AT.search(key)) or key in fields


def _timestamp_values(value: Any, fields: frozenset[str], path: str = "") -> Iterator[tuple[str, Any]]:
    # In document order, with a stack instead of recursion: a body may nest as deep as
    # jsonbody.MAX_DEPTH, and every level of `yield from` would be a frame.
    stack = [_members(path, value)]
    while stack:
        for where, key, inner in stack[-1]:
            if isinstance(key, str) and is_timestamp_name(key, fields):
                yield where, inner
            elif isinstance(inner, dict | list):
                stack.append(_members(where, inner))
                break
        else:
            stack.pop()


def timestamps_present(ex: Exchange, fields: Iterable[str] = DEFAULT_TIMESTAMP_FIELDS) -> list[str]:
    """Where the body holds a timestamp (a `*_at` or named field with a value): whether the rule
    had anything to judge in it."""
    if ex.response is None or not ex.response.is_json:
        return []
    return [where for where, value in _timestamp_values(ex.response.json(), frozenset(fields)) if value is not None]


def timestamp_violations(ex: Exchange, fields: Iterable[str] = DEFAULT_TIMESTAMP_FIELDS) -> list[str]:
    """Every `*_at` field and named timestamp field must be an integer of epoch milliseconds."""
    if ex.response is None or not ex.response.is_json or ex.request.method.upper() == "HEAD":
        return []
    out = []
    for where, value in _timestamp_values(ex.response.json(), frozenset(fields)):
        if value is None:
            continue  # an absent optional time (e.g. deleted_at: null) is not a timestamp
        if isinstance(value, bool) or not isinstance(value, int):
            out.append(f"{where} is {value!r} ({type(value).__name__}), not an integer of epoch milliseconds")
        elif not EPOCH_MS_MIN <= value < EPOCH_MS_MAX:
            hint = " (epoch seconds?)" if EPOCH_MS_MIN // 1000 <= value < EPOCH_MS_MAX // 1000 else ""
            out.append(f"{where} is {value}, outside epoch milliseconds of 2000..2100{hint}")
    return out


@check("BMR-TIMESTAMPS-EPOCH-MS", scope="every JSON body")
def timestamps_are_epoch_ms(ex: Exchange) -> Iterator[str]:
    if ex.request.method.upper() != "HEAD" and (limited := unjudged(ex)) is not None:
        yield limited  # its timestamps were never seen
        return
    yield from timestamp_violations(ex, timestamp_fields())


def settings_timestamp_fields() -> tuple[str, ...]:
    named = settings().get("timestamp_fields")
    return tuple(named) if isinstance(named, list | tuple) else DEFAULT_TIMESTAMP_FIELDS


def timestamp_fields() -> tuple[str, ...]:
    """The fields named as timestamps for the running target: the target file's (else
    `timestamp`), and those the deployment's OpenAPI document declares as times (a vendor's
    `lastSeen` of `format: date-time`): where a document speaks, the kit holds the field to the page."""
    surface = configured_surface()
    declared = sorted(surface.timestamp_fields) if surface is not None else []
    return tuple(dict.fromkeys([*settings_timestamp_fields(), *declared]))


# -- server errors ----------------------------------------------------------------------------
@check("BMR-NO-5XX", scope="every response")
def no_server_error(ex: Exchange) -> Iterator[str]:
    # "Requests with malformed query parameters are treated as validation failures": whatever
    # the kit sends, a 5xx is the server failing, never the documented answer.
    assert ex.response is not None
    if ex.response.status == 501 and ex.request.method.upper() not in ("GET", "HEAD"):
        return  # RFC 9110's answer to a method the server does not implement: a rejection
    if (ex.response.status == 503 and ex.answered_on_retry is not None
            and ex.response.header("retry-after") is not None):
        # "Retry only idempotent GET requests, and only when appropriate (for example, transient
        # network issues or 5xx errors)": a 503 with Retry-After that the kit waited out and that
        # was answered when sent again is the server's load, not the request's fault (DESIGN.md).
        # Its body is still held to the error format.
        yield Remark(f"{ex.request.method} {urlsplit(ex.request.url).path} was answered 503 with Retry-After once; "
                     f"sent again after the wait it was answered {ex.answered_on_retry}: the server's load, not a "
                     "5xx the request caused")
        return
    if ex.response.status >= 500:
        query = urlsplit(ex.request.url).query
        yield (f"{ex.request.method} {urlsplit(ex.request.url).path}" + (f"?{query[:120]}" if query else "")
               + f" answered {ex.response.status}")


# -- X-Request-Id ---------------------------------------------------------------------------
def _sent_request_id(ex: Exchange) -> bool:
    return ex.response is not None and bool(ex.request.header("x-request-id"))


@check("BMR-REQUEST-ID-ECHO", applies=_sent_request_id, scope="every response to a request with X-Request-Id")
def request_id_echoed(ex: Exchange) -> Iterator[str]:
    assert ex.response is not None
    sent = ex.request.header("x-request-id")
    got = ex.response.header_all("x-request-id")
    if got != [sent]:
        shown = got[0] if len(got) == 1 else got or "no X-Request-Id"
        yield f"sent X-Request-Id {sent!r}, the {ex.response.status} response carries {shown!r}"


@check("BMR-REQUEST-ID-GENERATED", scope="every response to a request without X-Request-Id",
       applies=lambda ex: ex.response is not None and ex.request.header("x-request-id") is None)
def request_id_generated(ex: Exchange) -> Iterator[str]:
    assert ex.response is not None
    got = [v.strip() for v in ex.response.header_all("x-request-id")]
    if not got or not got[0]:
        yield f"no X-Request-Id was sent and the {ex.response.status} response carries no generated one"
