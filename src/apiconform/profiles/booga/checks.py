"""Per-exchange checks of the Booga conventions (booga-using-the-api.txt).

Each check speaks only for its own rule and stays silent where another rule's
precondition is already broken (the envelope check says nothing about a body that is not
JSON: that is BGA-RESPONSE-JSON's business), so a target breaking one rule fails that rule
and no other, whichever traffic — the suites' probes or generated requests — it sees.

The helpers (`file_violations`, `envelope_violations`, `validation_violations`, ...) are
also what the suite calls with the target's own paths; the registered checks recognise
list and item responses by the reference layout (DESIGN.md) for generated traffic.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from apiconform.checks import Remark, check, endpoint_of, is_get, is_success, json_body, json_object, setting, unjudged
from apiconform.exchange import Exchange
from apiconform.jsonbody import integer

MAX_LIMIT = 100
RATE_HEADERS = ("X-RateLimit-Limit-Minute", "X-RateLimit-Remaining-Minute",
                "X-RateLimit-Limit-Hour", "X-RateLimit-Remaining-Hour")
ERROR_STATUSES = (401, 403, 404, 405, 429)
FILE_FIELDS = ("id", "name", "size", "content_type", "created_at", "updated_at")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
_DEFAULT_LIST = "/api/files/"
_DEFAULT_ITEM = "/api/files/{id}/"


# -- small readers ----------------------------------------------------------------------------
def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def path_of(url: str) -> str:
    return urlsplit(url).path


def parse_iso(value: Any) -> datetime | None:
    """An ISO 8601 date-time (date and time; `Z` or an offset, or none), else None."""
    if not isinstance(value, str) or not _ISO.match(value):
        return None
    text = value.strip()
    if text[-1:] in "zZ":
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def plain_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# -- files -------------------------------------------------------------------------------------
def file_violations(obj: Any, where: str = "file") -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where} is a JSON {type(obj).__name__}, not an object"]
    out = []
    missing = [f for f in FILE_FIELDS if f not in obj]
    if missing:
        out.append(f"{where} lacks {', '.join(missing)} (it has {', '.join(sorted(obj)) or 'nothing'})")
    if "id" in obj:
        if not isinstance(obj["id"], str):
            out.append(f"{where}.id is {obj['id']!r}, not a UUID string")
        else:
            try:
                uuid.UUID(obj["id"])
            except ValueError:
                out.append(f"{where}.id is {obj['id']!r}, not a UUID")
    for name in ("name", "content_type"):
        if name in obj and not isinstance(obj[name], str):
            out.append(f"{where}.{name} is {obj[name]!r} ({type(obj[name]).__name__}), not a string")
    if "size" in obj and not plain_int(obj["size"]):
        out.append(f"{where}.size is {obj['size']!r} ({type(obj['size']).__name__}), not an integer")
    for name in ("created_at", "updated_at"):
        if name in obj and parse_iso(obj[name]) is None:
            out.append(f"{where}.{name} is {obj[name]!r}, not an ISO 8601 date-time")
    return out


def files_in(body: Any) -> list[tuple[str, Any]]:
    """(where, file) for a list envelope's results or a single file."""
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return [(f"results[{i}]", item) for i, item in enumerate(body["results"])]
    if isinstance(body, dict):
        return [("file", body)]
    return []


def is_files_path(path: str) -> bool:
    """The target's file list or item path (DESIGN.md's layout, or the target file's)."""
    list_path = str(setting("paths", "list", _DEFAULT_LIST))
    head, _, tail = str(setting("paths", "item", _DEFAULT_ITEM)).partition("{id}")
    item = re.compile(re.escape(head) + r"[^/]+" + re.escape(tail) + "$")
    return path.endswith(list_path) or bool(item.search(path))


def _file_response(ex: Exchange) -> bool:
    if not is_success(ex) or ex.request.method.upper() not in ("GET", "POST", "PUT", "PATCH"):
        return False
    return is_files_path(path_of(ex.request.url))


@check("BGA-RESOURCE-FIELDS", applies=_file_response, scope="every 2xx file list or file answer")
def files_have_documented_fields(ex: Exchange) -> Iterator[str]:
    if (limited := unjudged(ex)) is not None:
        yield limited  # the kit's size cap or nesting bound: the files were never seen
        return
    for where, obj in files_in(json_body(ex)):
        yield from file_violations(obj, where)


# -- response format -------------------------------------------------------------------------
def asks_for_an_archive(ex: Exchange) -> bool:
    """A request the document itself answers with a ZIP archive: "Add &download=zip to receive a
    ZIP archive" (the SDK endpoint)."""
    return query_of(ex.request.url).get("download", "").strip().lower() == "zip"


def _has_body_to_judge(ex: Exchange) -> bool:
    return (ex.response is not None and ex.response.status != 204 and ex.request.method.upper() != "HEAD"
            and not (asks_for_an_archive(ex) and 200 <= ex.response.status < 300))


@check("BGA-RESPONSE-JSON", applies=_has_body_to_judge,
       scope="every response with a body (204, HEAD and a 2xx to download=zip aside)")
def body_is_json(ex: Exchange) -> Iterator[str]:
    assert ex.response is not None
    media = ex.response.media_type
    if media is None:
        yield f"{ex.response.status} response has no Content-Type (expected a JSON media type)"
    elif media != "application/json" and not media.endswith("+json"):
        declared = ex.response.header("content-type")
        yield f"{ex.response.status} response Content-Type is {declared!r}, not JSON"
    if (limited := unjudged(ex)) is not None:
        yield limited  # the kit's own limit, not the target's fault
    elif not ex.response.is_json:
        yield f"{ex.response.status} body is not JSON: {ex.response.json_error}: {ex.response.text[:80]!r}"


# -- list envelope and limits ---------------------------------------------------------------
def looks_like_list(body: Any) -> bool:
    return isinstance(body, dict) and any(k in body for k in ("count", "results", "next", "previous"))


def envelope_violations(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return [f"list body is a JSON {type(body).__name__}, not a {{count, next, previous, results}} object"]
    out = []
    missing = [k for k in ("count", "next", "previous", "results") if k not in body]
    if missing:
        has = ", ".join(sorted(body)) or "nothing"
        out.append(f"list envelope lacks {', '.join(missing)} (it has {has})")
    if "count" in body and not (plain_int(body["count"]) and body["count"] >= 0):
        out.append(f"count is {body['count']!r} ({type(body['count']).__name__}), not a non-negative integer")
    for link in ("next", "previous"):
        if link in body and body[link] is not None and not (isinstance(body[link], str) and body[link]):
            out.append(f"{link} is {body[link]!r}: expected a URL string or null")
    if "results" in body and not isinstance(body["results"], list):
        out.append(f"results is a JSON {type(body['results']).__name__}, not an array")
    return out


def _list_response(ex: Exchange) -> bool:
    """A 2xx to a GET of a list endpoint of the deployment's surface, whatever its body's shape
    (a list answering a bare array breaks the envelope); where the surface does not hold the
    path (generated traffic before discovery, say), a body that looks like a page."""
    if not (is_success(ex) and is_get(ex)):
        return False
    endpoint = endpoint_of(ex)
    if endpoint is not None:
        # A body the kit's own limit kept it from decoding is still judged: as unjudged (error).
        return endpoint.kind == "list" and ex.response is not None and (
            ex.response.is_json or ex.response.kit_limit is not None)
    return looks_like_list(json_body(ex))


@check("BGA-LIST-ENVELOPE", applies=_list_response, scope="every list page")
def list_envelope(ex: Exchange) -> Iterator[str]:
    if (limited := unjudged(ex)) is not None:
        yield limited
        return
    yield from envelope_violations(json_body(ex))


def page_size(ex: Exchange) -> int | None:
    body = json_object(ex)
    if body is None or not isinstance(body.get("results"), list):
        return None
    return len(body["results"])


@check("BGA-LIST-LIMIT", applies=_list_response, scope="every list page asked for a limit")
def page_within_requested_limit(ex: Exchange) -> Iterator[str]:
    size = page_size(ex)
    raw = query_of(ex.request.url).get(setting("params", "limit", "limit"))
    if size is None or raw is None or not re.fullmatch(r"[0-9]+", raw):
        return
    if 1 <= integer(raw) <= MAX_LIMIT and size > integer(raw):
        yield f"page holds {size} results but limit={raw} was requested"


@check("BGA-LIST-TRAVERSAL", applies=_list_response, scope="every last list page (next null) asked for a limit")
def page_holds_what_count_leaves(ex: Exchange) -> Iterator[str]:
    """"count — total number of results matching the query": the last page (next null) asked for
    limit L at offset O holds min(L, count − O) results, so that following next visits count
    results. (More than L, or a short page in the middle, is BGA-LIST-LIMIT's business.)"""
    size, body = page_size(ex), json_object(ex)
    query = query_of(ex.request.url)
    raw = query.get(setting("params", "limit", "limit"))
    offset = (query.get(setting("params", "offset", "offset"), "0").strip() or "0")
    count = body.get("count") if body is not None else None
    if body is None or body.get("next") is not None:
        return
    if size is None or raw is None or not plain_int(count) or not re.fullmatch(r"[0-9]+", raw) \
            or not re.fullmatch(r"[0-9]+", offset) or not 1 <= integer(raw) <= MAX_LIMIT or size > integer(raw) \
            or integer(offset) >= 2**63:
        return
    expected = max(0, min(integer(raw), int(count or 0) - integer(offset)))
    if size != expected:
        yield f"page holds {size} results; limit={raw} at offset {offset} of count {count} leaves {expected}"


@check("BGA-LIST-LIMIT-INVALID", applies=_list_response, scope="every list page")
def page_within_max_limit(ex: Exchange) -> Iterator[str]:
    size = page_size(ex)
    if size is not None and size > MAX_LIMIT:
        yield f"page holds {size} results, more than the maximum limit of {MAX_LIMIT}"


def link_violations(ex: Exchange) -> list[str]:
    """previous null exactly on the first page, next null exactly on the last, on any list page.

    The page's position is the request's offset (0 when absent) and its end is offset plus the
    results it holds: a page's links must agree with both, whatever limit it was asked for.
    """
    body = json_object(ex)
    if body is None or not isinstance(body.get("results"), list) or not plain_int(body.get("count")):
        return []  # BGA-LIST-ENVELOPE's business
    raw = query_of(ex.request.url).get(setting("params", "offset", "offset"), "0")
    if not re.fullmatch(r"[0-9]+", raw.strip() or "0") or integer(raw.strip() or "0") >= 2**63:
        return []  # an offset the server may have read any way (past 64 bits too): position unknown
    offset, size, count = integer(raw.strip() or "0"), len(body["results"]), body["count"]
    where = f"the page at offset {offset} ({size} results of {count})"
    out = []
    here = urlsplit(ex.request.url)
    for name in ("next", "previous"):
        link = body.get(name)
        if isinstance(link, str) and link.startswith(("http://", "https://")):
            there = urlsplit(link)
            if (there.scheme, there.netloc.lower()) != (here.scheme, here.netloc.lower()):
                # A client following it sends its key elsewhere (DESIGN.md: never followed).
                out.append(f"{name} points to another origin ({there.scheme}://{there.netloc}) than the request "
                           f"({here.scheme}://{here.netloc})")
    for name, want in (("previous", offset > 0), ("next", offset + size < count)):
        value = body.get(name)
        if want and not (isinstance(value, str) and value):
            out.append(f"{name} is {value!r} on {where}: expected a URL")
        elif not want and value is not None:
            out.append(f"{name} is {value!r} on {where}: expected null")
    return out


@check("BGA-LIST-LINKS", applies=_list_response, scope="every list page, whatever its limit")
def links_match_position(ex: Exchange) -> Iterator[str]:
    yield from link_violations(ex)


# -- errors -------------------------------------------------------------------------------------
def error_format_violations(ex: Exchange) -> list[str]:
    assert ex.response is not None
    status = ex.response.status
    if not ex.response.is_json:
        return [f"{status} error body is not JSON: {ex.response.json_error}"]
    body = ex.response.json()
    if not isinstance(body, dict):
        return [f"{status} error body is a JSON {type(body).__name__}, not a {{detail, code}} object"]
    out = []
    for name in ("detail", "code"):
        if name not in body:
            out.append(f"{status} error body lacks {name} (it has {', '.join(sorted(body)) or 'nothing'})")
        elif not isinstance(body[name], str) or not body[name].strip():
            out.append(f"{status} error body's {name} is {body[name]!r}, not a non-empty string")
    return out


def _client_error(ex: Exchange) -> bool:
    """Every error status of the document's table, 5xx included (DESIGN.md); never a HEAD."""
    return ex.response is not None and ex.response.status >= 400 and ex.request.method.upper() != "HEAD"


def is_field_map(body: Any) -> bool:
    """A 400 body "maps field names to error messages": each value a message, a list of them,
    or (nested serializers) another such map. (A loop, not recursion: a body may nest as deep as
    jsonbody.MAX_DEPTH.)"""
    maps = [body]
    while maps:
        current = maps.pop()
        if not isinstance(current, dict) or not current:
            return False
        for value in current.values():
            if isinstance(value, str) and value.strip():
                continue
            if isinstance(value, list) and value and all(isinstance(m, str | dict) for m in value):
                continue
            if isinstance(value, dict):
                maps.append(value)
                continue
            return False
    return True


@check("BGA-ERROR-FORMAT", applies=_client_error, scope="every 4xx and 5xx")
def error_has_detail_and_code(ex: Exchange) -> Iterator[str]:
    # Every 4xx is a structured error body: {detail, code}, or for a 400 the field map. A body
    # that is not JSON at all is BGA-RESPONSE-JSON's to report, not this rule's.
    assert ex.response is not None
    if (limited := unjudged(ex)) is not None:
        yield limited
        return
    if not ex.response.is_json:
        return
    body = ex.response.json()
    # A body with `detail` is the {detail, code} form (DRF's ParseError, say), so it needs code.
    if ex.response.status == 400 and isinstance(body, dict) and "detail" not in body and is_field_map(body):
        return
    yield from error_format_violations(ex)


def validation_violations(ex: Exchange, fields: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """(violations, remarks) of a 400 body against "maps field names to error messages".

    Each field must map to a list of message strings (the document's form); a bare string
    message is accepted with a remark. `fields` are names the body must mention (the ones
    the request got wrong).
    """
    assert ex.response is not None
    if not ex.response.is_json:
        return [f"400 body is not JSON: {ex.response.json_error}"], []
    body = ex.response.json()
    if not isinstance(body, dict) or not body:
        return [f"400 body {ex.response.text[:120]!r} is not an object mapping field names to messages"], []
    out: list[str] = []
    remarks: list[str] = []
    missing = [f for f in fields if f not in body]
    if missing:
        out.append(f"400 body does not name the invalid field {', '.join(missing)}: "
                   f"{ex.response.text[:160]!r}")
    for name in fields:
        value = body.get(name)
        if name not in body:
            continue
        if isinstance(value, str) and value.strip():
            remarks.append(f"400 body maps {name} to a bare string, not a list of messages")
        elif not (isinstance(value, list) and value and all(isinstance(m, str) and m for m in value)):
            out.append(f"400 body maps {name} to {value!r}, not a list of error messages")
    return out, remarks


# -- 5xx ------------------------------------------------------------------------------------------
def waited_out_503(ex: Exchange) -> bool:
    """A 503 with Retry-After that the kit waited out and that was answered when sent again: the
    server's load, not the request's fault (DESIGN.md). Its body is still the error format's."""
    return (ex.response is not None and ex.response.status == 503 and ex.answered_on_retry is not None
            and ex.response.header("retry-after") is not None)


@check("BGA-NO-5XX", scope="every response")
def no_server_error(ex: Exchange) -> Iterator[str]:
    assert ex.response is not None
    if waited_out_503(ex):
        yield Remark(f"{ex.request.method} {path_of(ex.request.url)} was answered 503 with Retry-After once; sent "
                     f"again after the wait it was answered {ex.answered_on_retry}: the server's load, not a 5xx "
                     "the request caused")
        return
    if ex.response.status >= 500:
        yield f"{ex.request.method} answered {ex.response.status} ({ex.response.text[:100]!r})"


# -- rate-limit headers ----------------------------------------------------------------------
@check("BGA-RATE-HEADERS", scope="every response")
def rate_headers_present(ex: Exchange) -> Iterator[str]:
    assert ex.response is not None
    missing = [h for h in RATE_HEADERS if ex.response.header(h) is None]
    if missing:
        yield f"{ex.response.status} response lacks {', '.join(missing)}"


def rate_value(ex: Exchange, name: str) -> int | None:
    """A rate-limit header as a non-negative integer, None when absent or malformed."""
    assert ex.response is not None
    raw = ex.response.header(name)
    if raw is None or not re.fullmatch(r"[0-9]+", raw.strip()):
        return None
    return integer(raw.strip())  # digits past Python's conversion limit never raise


def _has_rate_header(ex: Exchange) -> bool:
    """An answer carrying any rate-limit header: there are values to judge (their absence is
    BGA-RATE-HEADERS' business, and judges nothing here)."""
    return ex.response is not None and any(ex.response.header(h) is not None for h in RATE_HEADERS)


@check("BGA-RATE-HEADER-VALUES", applies=_has_rate_header, scope="every response carrying a rate-limit header")
def rate_header_values(ex: Exchange) -> Iterator[str]:
    assert ex.response is not None
    for window in ("Minute", "Hour"):
        values = {}
        for kind in ("Limit", "Remaining"):
            name = f"X-RateLimit-{kind}-{window}"
            raw = ex.response.header(name)
            if raw is None:
                continue  # BGA-RATE-HEADERS
            if rate_value(ex, name) is None:
                yield f"{name} is {raw!r}, not a non-negative integer"
            else:
                values[kind] = rate_value(ex, name)
        if len(values) == 2 and values["Remaining"] > values["Limit"]:  # type: ignore[operator]
            yield (f"X-RateLimit-Remaining-{window} {values['Remaining']} exceeds "
                   f"X-RateLimit-Limit-{window} {values['Limit']}")
