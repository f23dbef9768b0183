"""The independent Flask Boomerang deployment itself (tests/independent/boomerang_flask/), not the kit.

The kit's verdicts against this server are only worth something if the server is what it claims:
the conformant deployment follows every documented rule on every endpoint of every module, its
vendor OpenAPI document parses and describes what is served, `--prefix` mounts it like a gateway,
and each `--break RULE-ID@module[:variant]` changes exactly the described behaviour and nothing else.

"Nothing else" is checked by a fixed set of probes (PROBES): every breaker's answers are compared
with the conformant server's, and exactly the probes named for that breaker may differ.

Every server runs in its own process over real HTTP on 127.0.0.1 (tests.independent.serving).
"""

from __future__ import annotations

import gzip
import json
import math
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import schemathesis
import yaml
from tests.independent.boomerang_flask import (
    BREAKERS,
    EVENT_ID,
    EXAMPLE_ID,
    MODULE,
    MODULES,
    OPENAPI,
    ORDER_ID,
    TOKEN,
    UNROUTED,
    WIDGET_ID,
    breaker_parts,
)
from tests.independent.boomerang_flask.behaviour import Behaviour
from tests.independent.serving import served

AUTH = {"Authorization": f"Bearer {TOKEN}"}
WRONG = {"Authorization": "Bearer not-the-token"}
JSON_UTF8 = "application/json; charset=utf-8"
ALLOW = "GET, HEAD"
EPOCH_MS_MIN, EPOCH_MS_MAX = 946_684_800_000, 4_102_444_800_000  # 2000 .. 2100
ERROR_FIELDS = {"status", "code", "http_status", "timestamp", "trace_id", "details"}
INT64_MAX = 2**63 - 1
PAST_64_BITS = "99999999999999999999999"

SINGLE = {
    "/v1/example/resource?id=example-1": EXAMPLE_ID,
    f"/v1/widgets/{WIDGET_ID}": WIDGET_ID,
    f"/v1/orders/{ORDER_ID}": ORDER_ID,
    "/v1/stats/summary": None,
    f"/v1/events/{EVENT_ID}": EVENT_ID,
}
PAGINATED = ("/v1/example/resources", "/v1/widgets", "/v1/orders", "/v1/events")
# The events module adds envelope metadata beside data/items: when the answer was generated.
WITH_META = (f"/v1/events/{EVENT_ID}", "/v1/events")
ORDERS, EVENTS = 53, 347
ENDPOINTS = (*SINGLE, *PAGINATED)
METHODS = ("OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE", "PROPFIND", "SEARCH", "PURGE")
# Raw (already percent-encoded) query values no parameter should choke on: quotes, NUL, control
# characters, non-ASCII digits and text, bytes that are not UTF-8, broken escapes, very long values.
ODD_VALUES = ("%27", "%22", "%00", "%09", "1%3BDROP%20TABLE", "%C3%A9", "%D9%A3", "%F0%9D%9F%99", "%EF%BC%91",
              "-0", "%2B1", "0x10", "%5B%5D", "%ff%fe", "%zz", "a" * 5000, "9" * 5000)
QUERY_NAMES = ("id", "page", "limit", "color", "status", "created_after", "unknown")


# -- helpers -----------------------------------------------------------------------------------
def is_uuid(value: str | None) -> bool:
    try:
        uuid.UUID(value or "")
    except ValueError:
        return False
    return True


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The document's error body, with the status it claims and the charset, on this response."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == JSON_UTF8
    body = response.json()
    assert isinstance(body, dict)
    assert body.keys() >= ERROR_FIELDS, sorted(body)
    assert body["status"] == "error"
    assert body["http_status"] == status
    assert isinstance(body["timestamp"], int) and EPOCH_MS_MIN <= body["timestamp"] < EPOCH_MS_MAX
    assert is_uuid(body["trace_id"])
    assert isinstance(body["details"], dict | list)
    if code is not None:
        assert body["code"] == code
    assert len(response.headers.get_list("x-request-id")) == 1  # echoed or generated, once
    return body


def resource_data(body: dict[str, Any]) -> dict[str, Any]:
    """A success body without its envelope metadata: what an idempotent GET must repeat."""
    return {key: value for key, value in body.items() if key != "meta"}


def is_recent_epoch_ms(value: Any) -> bool:
    """An epoch-millisecond time within a minute of now: the events module's meta.generated_at."""
    return isinstance(value, int) and not isinstance(value, bool) and abs(value - time.time() * 1000) < 60_000


def walk(client: httpx.Client, path: str, limit: int = 20) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every page of `path` by has_more: (items, pagination objects)."""
    items: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    page = 1
    while True:
        r = client.get(path, params={"page": page, "limit": limit}, headers=AUTH)
        assert r.status_code == 200, r.text[:300]
        body = r.json()
        items += body["items"]
        pages.append(body["pagination"])
        if not body["pagination"]["has_more"]:
            return items, pages
        page += 1
        assert page < 1000, "has_more never turned false"


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with served(MODULE) as base:
        yield base


@pytest.fixture(scope="module")
def client(url: str) -> Iterator[httpx.Client]:
    # No default headers of the client's own beyond httpx's: each test sends the credential it means to.
    with httpx.Client(base_url=url, timeout=15) as c:
        yield c


# -- envelopes, data, media type -------------------------------------------------------------
@pytest.mark.parametrize("path", list(SINGLE))
def test_single_resources_use_the_data_envelope(client: httpx.Client, path: str) -> None:
    r = client.get(path, headers=AUTH)
    assert r.status_code == 200
    assert r.headers["content-type"] == JSON_UTF8
    assert "content-encoding" not in r.headers  # httpx asked for gzip; the deployment never compresses
    body = r.json()
    assert list(body) == (["data", "meta"] if path in WITH_META else ["data"]) and isinstance(body["data"], dict)
    if path in WITH_META:
        assert list(body["meta"]) == ["generated_at"] and is_recent_epoch_ms(body["meta"]["generated_at"])
    if SINGLE[path] is not None:
        assert body["data"]["id"] == SINGLE[path]
    for key, value in body["data"].items():
        if key.endswith("_at"):
            assert isinstance(value, int) and EPOCH_MS_MIN <= value < EPOCH_MS_MAX, (key, value)


def test_example_resource_is_the_documents_example(client: httpx.Client) -> None:
    r = client.get("/v1/example/resource", params={"id": EXAMPLE_ID}, headers=AUTH)
    assert r.json() == {"data": {"id": "example-1", "name": "Example Resource", "created_at": 1763205835591}}


def test_order_and_stats_fields(client: httpx.Client) -> None:
    order = client.get(f"/v1/orders/{ORDER_ID}", headers=AUTH).json()["data"]
    assert {"created_at", "updated_at", "status", "widget_id"} <= order.keys()
    assert order["updated_at"] > order["created_at"] > EPOCH_MS_MIN
    stats = client.get("/v1/stats/summary", headers=AUTH).json()["data"]
    assert stats["widgets"] == 160 and stats["orders"] == ORDERS and stats["example_resources"] == 45
    assert isinstance(stats["generated_at"], int) and stats["generated_at"] > EPOCH_MS_MIN


@pytest.mark.parametrize("path", PAGINATED)
def test_pages_walk_the_whole_collection(client: httpx.Client, path: str) -> None:
    first = client.get(path, headers=AUTH)
    assert first.status_code == 200 and first.headers["content-type"] == JSON_UTF8
    body = first.json()
    assert list(body) == (["items", "pagination", "meta"] if path in WITH_META else ["items", "pagination"])
    assert body["pagination"]["page"] == 1 and body["pagination"]["limit"] == 20  # the defaults
    assert len(body["items"]) == 20
    items, pages = walk(client, path)
    total = pages[0]["total_items"]
    assert len(pages) >= 3 and len(pages) == pages[0]["total_pages"]
    assert [p["page"] for p in pages] == list(range(1, len(pages) + 1))
    assert all(p["total_items"] == total and p["limit"] == 20 for p in pages)
    assert [p["has_more"] for p in pages] == [True] * (len(pages) - 1) + [False]
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == total
    assert 40 <= total <= 70 or path in ("/v1/widgets", "/v1/events")
    assert all(p["total_pages"] == math.ceil(total / 20) for p in pages)
    for item in items:
        for key, value in item.items():
            if key.endswith("_at"):
                assert isinstance(value, int) and EPOCH_MS_MIN <= value < EPOCH_MS_MAX


@pytest.mark.parametrize("path", PAGINATED)
def test_limit_bounds_and_pages_past_the_end(client: httpx.Client, path: str) -> None:
    assert len(client.get(path, params={"limit": 1}, headers=AUTH).json()["items"]) == 1
    full = client.get(path, params={"limit": 100}, headers=AUTH).json()
    assert len(full["items"]) == min(100, full["pagination"]["total_items"])
    past = client.get(path, params={"page": 1000}, headers=AUTH)
    assert past.status_code == 200
    assert past.json()["items"] == [] and past.json()["pagination"]["has_more"] is False
    # The largest page the OpenAPI document admits (int64) is answered, empty, never a 500.
    top = client.get(path, params={"page": INT64_MAX}, headers=AUTH)
    assert top.status_code == 200 and top.json()["items"] == []


def test_widgets_hold_more_than_a_page_cap(client: httpx.Client) -> None:
    # So that an honoured limit above 100 (BMR-PAGINATION-LIMIT@widgets) would show.
    assert client.get("/v1/widgets", headers=AUTH).json()["pagination"]["total_items"] == 160


def test_events_are_a_long_list_whose_last_page_says_so(client: httpx.Client) -> None:
    # More than three full pages of 100 (what a kit may not walk to the end), and a prime count:
    # the last page is partly filled at every limit but 1 and 347.
    for limit in (1, 7, 20, 100):
        pages = math.ceil(EVENTS / limit)
        last = client.get("/v1/events", params={"page": pages, "limit": limit}, headers=AUTH).json()
        assert last["pagination"] == {"page": pages, "limit": limit, "total_items": EVENTS, "total_pages": pages,
                                      "has_more": False}
        assert len(last["items"]) == EVENTS - (pages - 1) * limit
        before = client.get("/v1/events", params={"page": pages - 1, "limit": limit}, headers=AUTH).json()
        assert pages == 1 or before["pagination"]["has_more"] is True
    assert EVENTS > 300 and all(EVENTS % limit for limit in range(2, EVENTS))  # prime


def test_orders_count_is_no_multiple_of_a_common_limit(client: httpx.Client) -> None:
    # So that total_pages by floor division (BMR-PAGINATION-TRAVERSAL@orders:floor) shows at any limit.
    assert client.get("/v1/orders", headers=AUTH).json()["pagination"]["total_items"] == ORDERS
    assert all(ORDERS % limit for limit in range(2, ORDERS))


def test_limit_zero_is_a_validation_failure_everywhere(client: httpx.Client) -> None:
    # What BMR-PAGINATION-LIMIT@orders breaks: neither a 400 nor a clamp, but an empty page.
    for path in PAGINATED:
        body = assert_error(client.get(path, params={"limit": 0}, headers=AUTH), 400, "VALIDATION_FAILED")
        assert body["details"] == {"parameter": "limit", "value": "0", "minimum": 1, "maximum": 100}


BAD_LIMITS = ("abc", "1.5", "", " 5", "5 ", "1_0", "٣", "0x10", "1e2", "0", "-1", "101", "150", PAST_64_BITS,
              "-" + PAST_64_BITS, str(2**63), "9" * 5000)
BAD_PAGES = ("abc", "1.5", "", " 1", "٣", "0", "-1", PAST_64_BITS, str(2**63), "-" + PAST_64_BITS, "9" * 5000)


@pytest.mark.parametrize("path", PAGINATED)
def test_malformed_or_out_of_range_page_and_limit_are_400(client: httpx.Client, path: str) -> None:
    for name, values in (("limit", BAD_LIMITS), ("page", BAD_PAGES)):
        for value in values:
            r = client.get(path, params={name: value}, headers=AUTH)
            body = assert_error(r, 400, "VALIDATION_FAILED")
            assert body["details"]["parameter"] == name, (name, value)


def test_signed_and_padded_integers_are_integers(client: httpx.Client) -> None:
    # "An optionally signed run of ASCII digits": +2 and 0002 are page 2.
    for value in ("+2", "0002"):
        r = client.get("/v1/widgets", params={"page": value}, headers=AUTH)
        assert r.status_code == 200 and r.json()["pagination"]["page"] == 2


def test_filters(client: httpx.Client) -> None:
    red = client.get("/v1/widgets", params={"color": "red", "limit": 100}, headers=AUTH).json()
    assert red["items"] and all(w["color"] == "red" for w in red["items"])
    assert red["pagination"]["total_items"] < 160
    opened = client.get("/v1/orders", params={"status": "open", "limit": 100}, headers=AUTH).json()
    assert opened["items"] and all(o["status"] == "open" for o in opened["items"])
    since = 1_763_000_000_000
    recent = client.get("/v1/orders", params={"created_after": since, "limit": 100}, headers=AUTH).json()
    assert 0 < recent["pagination"]["total_items"] < ORDERS
    assert all(o["created_at"] > since for o in recent["items"])
    nothing = client.get("/v1/orders", params={"created_after": INT64_MAX}, headers=AUTH).json()
    assert nothing["items"] == [] and nothing["pagination"]["total_pages"] == 0
    for path, name, value in (("/v1/widgets", "color", "purple"), ("/v1/widgets", "color", "RED"),
                              ("/v1/widgets", "color", ""), ("/v1/orders", "status", "bogus"),
                              ("/v1/orders", "status", "Open"), ("/v1/orders", "created_after", "abc"),
                              ("/v1/orders", "created_after", "1.5"), ("/v1/orders", "created_after", "-1"),
                              ("/v1/orders", "created_after", PAST_64_BITS)):
        body = assert_error(client.get(path, params={name: value}, headers=AUTH), 400, "VALIDATION_FAILED")
        assert body["details"]["parameter"] == name


def test_unknown_query_parameters_are_ignored(client: httpx.Client) -> None:
    plain = client.get("/v1/widgets", params={"limit": 5}, headers=AUTH)
    extra = client.get("/v1/widgets", params={"limit": 5, "sort": "name", "foo": "'"}, headers=AUTH)
    assert extra.status_code == 200 and extra.content == plain.content


@pytest.mark.parametrize("path", ENDPOINTS)
def test_odd_query_values_never_cause_a_5xx(client: httpx.Client, path: str) -> None:
    base, _, fixed = path.partition("?")  # the example resource keeps its id unless id is the one tried
    for name in QUERY_NAMES:
        keep = f"{fixed}&" if fixed and name != "id" else ""
        for value in ODD_VALUES:
            r = client.get(f"{base}?{keep}{name}={value}", headers=AUTH)
            assert r.status_code < 500, (path, name, value)
            if r.status_code >= 400:
                assert_error(r, r.status_code)


def test_identical_gets_give_identical_bodies(client: httpx.Client) -> None:
    # Byte for byte, except the events module's envelope metadata (its generation time).
    for path in (*ENDPOINTS, "/v1/orders?page=2&status=open", "/v1/events?page=18"):
        first, second = (client.get(path, headers=AUTH) for _ in range(2))
        assert first.status_code == second.status_code == 200, path
        if path.partition("?")[0] in WITH_META:
            assert resource_data(first.json()) == resource_data(second.json()), path
        else:
            assert first.content == second.content, path


def test_events_envelope_metadata_is_the_time_of_each_answer(client: httpx.Client) -> None:
    # Conformant (DESIGN.md: idempotent GET is about state): the resource data repeats exactly,
    # the generation time beside it does not.
    for path in WITH_META:
        first = client.get(path, headers=AUTH).json()
        time.sleep(0.01)
        second = client.get(path, headers=AUTH).json()
        assert resource_data(first) == resource_data(second), path
        assert is_recent_epoch_ms(first["meta"]["generated_at"]) and is_recent_epoch_ms(second["meta"]["generated_at"])
        assert second["meta"]["generated_at"] > first["meta"]["generated_at"], path


def test_unknown_ids_and_missing_id(client: httpx.Client) -> None:
    assert_error(client.get("/v1/example/resource", params={"id": "nope"}, headers=AUTH), 404, "NOT_FOUND")
    assert_error(client.get("/v1/widgets/wdg_999", headers=AUTH), 404, "NOT_FOUND")
    assert_error(client.get("/v1/orders/ord_999", headers=AUTH), 404, "NOT_FOUND")
    assert_error(client.get("/v1/events/evt_9999", headers=AUTH), 404, "NOT_FOUND")
    assert_error(client.get("/v1/widgets/%00%ff'", headers=AUTH), 404, "NOT_FOUND")
    for query in ("", "?id=", "?ID=example-1"):
        assert_error(client.get(f"/v1/example/resource{query}", headers=AUTH), 400, "VALIDATION_FAILED")


def test_unknown_paths_are_404_in_the_error_format(client: httpx.Client) -> None:
    for path in ("/", "/v1", "/v1/nope", "/v2/widgets", "/v1/widgets/", "/static/app.js", "/v1/stats",
                 "/v1/widgets/wdg_001/parts", "/v1/events/"):
        assert_error(client.get(path, headers=AUTH), 404, "NOT_FOUND")


def test_a_merged_slash_redirect_is_in_the_error_format(client: httpx.Client) -> None:
    # werkzeug canonicalises `//` with a 308; Flask would send it as an HTML page.
    r = client.get("/v1//widgets", headers=AUTH)
    assert_error(r, 308, "REDIRECT")
    assert urlsplit(r.headers["location"]).path == "/v1/widgets"


# -- requests: auth, Content-Type, methods, body ------------------------------------------------
BAD_CREDENTIALS: tuple[Mapping[str, str] | Mapping[bytes, bytes], ...] = (
    {}, WRONG, {"Authorization": f"Basic {TOKEN}"}, {"Authorization": "Bearer"}, {"Authorization": TOKEN},
    {"Authorization": f"Bearer {TOKEN}x"}, {b"Authorization": "Bearer é".encode("latin-1")},
)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_missing_or_invalid_credentials_are_401(client: httpx.Client, path: str) -> None:
    for headers in BAD_CREDENTIALS:
        r = client.get(path, headers=headers)
        assert_error(r, 401, "UNAUTHORIZED")
        assert r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", ENDPOINTS)
def test_any_request_content_type_is_400(client: httpx.Client, path: str) -> None:
    for value in ("application/json", "text/plain", "application/x-www-form-urlencoded", ""):
        body = assert_error(client.get(path, headers={**AUTH, "Content-Type": value}), 400, "VALIDATION_FAILED")
        assert body["details"]["header"] == "Content-Type"


@pytest.mark.parametrize("path", ENDPOINTS)
def test_other_methods_are_405_with_allow(client: httpx.Client, path: str) -> None:
    for method in METHODS:
        r = client.request(method, path, headers=AUTH)
        assert_error(r, 405, "METHOD_NOT_ALLOWED")
        assert r.headers["allow"] == ALLOW, method


def test_head_is_served_like_get_without_a_body(client: httpx.Client) -> None:
    for path in ENDPOINTS:
        get, head = client.get(path, headers=AUTH), client.head(path, headers=AUTH)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-type"] == JSON_UTF8
        assert head.headers["content-length"] == get.headers["content-length"]


def test_a_body_on_a_get_is_ignored(client: httpx.Client) -> None:
    plain = client.get("/v1/widgets", headers=AUTH)
    with_body = client.request("GET", "/v1/widgets", headers=AUTH, content=b'{"limit": 1}')
    assert with_body.status_code == 200 and with_body.content == plain.content


def test_lowercase_method_tokens_are_read_as_upper_case(client: httpx.Client) -> None:
    # werkzeug upper-cases REQUEST_METHOD: `get` is served as GET (a quirk the kit may meet).
    assert client.request("get", "/v1/widgets", headers=AUTH).status_code == 200


# -- X-Request-Id and error bodies -----------------------------------------------------------
REQUEST_ID_CASES: tuple[tuple[str, dict[str, str], int], ...] = (
    ("/v1/widgets", AUTH, 200),
    ("/v1/widgets?limit=abc", AUTH, 400),
    ("/v1/widgets", {}, 401),
    ("/v1/widgets/wdg_999", AUTH, 404),
    ("/v1/nope", AUTH, 404),
)


def test_request_id_is_echoed_or_generated(client: httpx.Client) -> None:
    for path, headers, status in REQUEST_ID_CASES:
        for sent in ("9d2f7a1c-4f0a-4a71-9dd2-7fd9c1a3b210", "client id with spaces", "é-latin-1", "x" * 200):
            raw = {name.encode(): value.encode() for name, value in headers.items()}
            r = client.get(path, headers={**raw, b"X-Request-Id": sent.encode("latin-1")})
            assert r.status_code == status
            assert r.headers.get_list("x-request-id") == [sent], path
        generated = [client.get(path, headers=headers).headers.get_list("x-request-id") for _ in range(2)]
        assert all(len(ids) == 1 and is_uuid(ids[0]) for ids in generated)
        assert generated[0] != generated[1]
    r = client.request("PROPFIND", "/v1/widgets", headers={**AUTH, "X-Request-Id": "abc"})
    assert r.status_code == 405 and r.headers["x-request-id"] == "abc"


def raw_exchange(url: str, request: bytes) -> tuple[bytes, dict[str, str], Any]:
    """Send raw bytes, read to EOF: (status line, headers, parsed JSON body)."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    assert host is not None and port is not None
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(request)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return status.encode(), headers, json.loads(body) if body else None


def test_http_servers_own_errors_are_in_the_error_format(client: httpx.Client, url: str) -> None:
    # Written by http.server before the WSGI app runs: too many header lines (431), a header line
    # or a request line over 64 KiB (431, 414; httpx refuses to send URLs that long).
    many = {f"X-Filler-{n}": "x" for n in range(120)}
    assert_error(client.get("/v1/widgets", headers={**AUTH, **many, "X-Request-Id": "many"}), 431)
    for request, status in ((b"GET /v1/widgets?x=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
                            (b"GET /v1/widgets HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", 431)):
        line, headers, body = raw_exchange(url, request)
        assert line.startswith(f"HTTP/1.1 {status} ".encode()), line
        assert headers["content-type"] == JSON_UTF8 and is_uuid(headers["x-request-id"])
        assert body.keys() >= ERROR_FIELDS and body["http_status"] == status


# -- the vendor OpenAPI document ---------------------------------------------------------------
def operations() -> list[Any]:
    schema: Any = schemathesis.openapi.from_path(str(OPENAPI))
    return [result.ok() for result in schema.get_all_operations()]  # ok() raises for one that does not parse


def test_openapi_document_parses() -> None:
    document = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    assert document["openapi"] == "3.0.3"
    assert document["servers"] == [{"url": "https://gateway.bmrg.app/v1"}]
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert document["security"] == [{"bearerAuth": []}]
    found = {(op.method.upper(), op.path) for op in operations()}
    assert found == {("GET", p) for p in ("/example/resource", "/example/resources", "/widgets",
                                          "/widgets/{widget_id}", "/orders", "/orders/{order_id}",
                                          "/stats/summary", "/events", "/events/{event_id}")}


def example_request(op: Any) -> tuple[str, dict[str, Any]]:
    """The path (under /v1) and query an operation's declared examples make."""
    path, query = op.path, {}
    for parameter in op.definition.raw.get("parameters", []):
        if "$ref" in parameter or "example" not in parameter:
            continue
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", str(parameter["example"]))
        elif parameter["in"] == "query" and parameter.get("required"):
            query[parameter["name"]] = parameter["example"]
    return "/v1" + path, query


def test_every_operation_is_served_and_its_examples_exist(client: httpx.Client) -> None:
    for op in operations():
        declared = [p for p in op.definition.raw.get("parameters", []) if p.get("in") == "path"]
        assert all("example" in p for p in declared), op.path
        path, query = example_request(op)
        r = client.get(path, params=query, headers=AUTH)
        assert r.status_code == 200, (op.path, path, r.text[:200])
        op.validate_response(r)  # the 200 schema describes what is served
        # And a 4xx answer matches the declared error response.
        op.validate_response(client.get(path, params=query))


def test_declared_bounds_are_the_servers() -> None:
    document = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    limit = document["components"]["parameters"]["Limit"]["schema"]
    page = document["components"]["parameters"]["Page"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 100, 20)
    assert (page["minimum"], page["maximum"], page["default"]) == (1, INT64_MAX, 1)


# -- behind a gateway prefix -------------------------------------------------------------------
def test_prefix_mounts_the_whole_api() -> None:
    with served(MODULE, "--prefix", "/gw") as base, httpx.Client(base_url=base, timeout=15) as c:
        for path in ENDPOINTS:
            r = c.get("/gw" + path, headers=AUTH)
            assert r.status_code == 200 and r.headers["content-type"] == JSON_UTF8, path
        outside = c.get("/v1/widgets", headers={**AUTH, "X-Request-Id": "gw-1"})
        body = assert_error(outside, 404, "NOT_FOUND")
        assert outside.headers["x-request-id"] == "gw-1" and body["details"]["path"] == "/v1/widgets"
        assert_error(c.get("/v1/widgets"), 404, "NOT_FOUND")  # the gateway's 404 needs no credential
        inside = assert_error(c.get("/gw/v1/nope", headers=AUTH), 404, "NOT_FOUND")
        assert inside["details"]["path"] == "/gw/v1/nope"
        assert_error(c.get("/gw/v1/widgets"), 401, "UNAUTHORIZED")
        r = c.request("OPTIONS", "/gw/v1/widgets", headers=AUTH)
        assert_error(r, 405, "METHOD_NOT_ALLOWED")
        assert r.headers["allow"] == ALLOW


# -- breakers ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Probe:
    """One fixed request whose answer is compared between the conformant server and a breaker."""

    name: str
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=lambda: dict(AUTH))
    request_id: bool = True  # send an X-Request-Id (else the response must generate one)


def probes() -> list[Probe]:
    ct = {**AUTH, "Content-Type": "application/json"}
    return [
        Probe("e_res", "/v1/example/resource?id=example-1"),
        Probe("e_res_missing", "/v1/example/resource"),
        Probe("e_res_unknown", "/v1/example/resource?id=nope"),
        Probe("e_list", "/v1/example/resources"),
        Probe("e_list_p2", "/v1/example/resources?page=2"),
        Probe("e_list_abc", "/v1/example/resources?limit=abc"),
        Probe("e_list_big", f"/v1/example/resources?limit={PAST_64_BITS}"),
        Probe("e_list_150", "/v1/example/resources?limit=150"),
        Probe("e_opts", "/v1/example/resources", "OPTIONS"),
        Probe("e_propfind", "/v1/example/resource?id=example-1", "PROPFIND"),
        Probe("e_ct", "/v1/example/resources", headers=ct),
        Probe("e_noauth", "/v1/example/resources", headers={}),
        Probe("e_badtoken", "/v1/example/resource?id=example-1", headers=dict(WRONG)),
        Probe("e_norid", "/v1/example/resource?id=example-1", request_id=False),
        Probe("e_head", "/v1/example/resources", "HEAD"),
        Probe("w_list", "/v1/widgets"),
        Probe("w_list_p2", "/v1/widgets?page=2"),
        Probe("w_red", "/v1/widgets?color=red&limit=5"),
        Probe("w_purple", "/v1/widgets?color=purple"),
        Probe("w_150", "/v1/widgets?limit=150"),
        Probe("w_abc", "/v1/widgets?limit=abc"),
        Probe("w_big", f"/v1/widgets?limit={PAST_64_BITS}"),
        Probe("w_one", f"/v1/widgets/{WIDGET_ID}"),
        Probe("w_unknown", "/v1/widgets/wdg_999"),
        Probe("w_opts", "/v1/widgets", "OPTIONS"),
        Probe("w_propfind", "/v1/widgets", "PROPFIND"),
        Probe("w_one_opts", f"/v1/widgets/{WIDGET_ID}", "OPTIONS"),
        Probe("w_one_search", f"/v1/widgets/{WIDGET_ID}", "SEARCH"),
        Probe("w_ct", "/v1/widgets", headers=ct),
        Probe("w_noauth", "/v1/widgets", headers={}),
        Probe("w_badtoken", f"/v1/widgets/{WIDGET_ID}", headers=dict(WRONG)),
        Probe("w_one_norid", f"/v1/widgets/{WIDGET_ID}", request_id=False),
        Probe("w_head", "/v1/widgets", "HEAD"),
        Probe("o_list", "/v1/orders"),
        Probe("o_p2", "/v1/orders?page=2"),
        Probe("o_p3", "/v1/orders?page=3"),
        Probe("o_abc", "/v1/orders?limit=abc"),
        Probe("o_page_frac", "/v1/orders?page=1.5"),
        Probe("o_big_limit", f"/v1/orders?limit={PAST_64_BITS}"),
        Probe("o_big_page", f"/v1/orders?page={PAST_64_BITS}"),
        Probe("o_limit0", "/v1/orders?limit=0"),
        Probe("o_limit100", "/v1/orders?limit=100"),
        Probe("o_open", "/v1/orders?status=open"),
        Probe("o_bogus", "/v1/orders?status=bogus"),
        Probe("o_after", "/v1/orders?created_after=1763000000000"),
        Probe("o_after_abc", "/v1/orders?created_after=abc"),
        Probe("o_one", f"/v1/orders/{ORDER_ID}"),
        Probe("o_unknown", "/v1/orders/ord_999"),
        Probe("o_ct", "/v1/orders", headers=ct),
        Probe("o_one_ct", f"/v1/orders/{ORDER_ID}", headers=ct),
        Probe("o_noauth", "/v1/orders", headers={}),
        Probe("o_badtoken", "/v1/orders", headers=dict(WRONG)),
        Probe("o_one_badtoken", f"/v1/orders/{ORDER_ID}", headers=dict(WRONG)),
        Probe("o_opts", "/v1/orders", "OPTIONS"),
        Probe("s_sum", "/v1/stats/summary"),
        Probe("s_noauth", "/v1/stats/summary", headers={}),
        Probe("s_badtoken", "/v1/stats/summary", headers=dict(WRONG)),
        Probe("s_ct", "/v1/stats/summary", headers={**AUTH, "Content-Type": "text/plain"}),
        Probe("s_opts", "/v1/stats/summary", "OPTIONS"),
        Probe("s_head", "/v1/stats/summary", "HEAD"),
        Probe("ev_list", "/v1/events"),
        Probe("ev_p2", "/v1/events?page=2"),
        Probe("ev_last", "/v1/events?page=18"),
        Probe("ev_last_100", "/v1/events?page=4&limit=100"),
        Probe("ev_past", "/v1/events?page=19"),
        Probe("ev_limit0", "/v1/events?limit=0"),
        Probe("ev_one", f"/v1/events/{EVENT_ID}"),
        Probe("ev_unknown", "/v1/events/evt_9999"),
        Probe("ev_noauth", "/v1/events", headers={}),
        Probe("ev_ct", "/v1/events", headers=ct),
        Probe("ev_opts", "/v1/events", "OPTIONS"),
        Probe("ev_head", "/v1/events", "HEAD"),
        Probe("ev_one_head", f"/v1/events/{EVENT_ID}", "HEAD"),
        Probe("unknown_path", "/v1/nope"),
        Probe("unknown_noauth", "/v1/nope", headers={}),
        Probe("unknown_ct", "/v1/nope", headers=ct),
        Probe("unknown_opts", "/v1/nope", "OPTIONS"),
        Probe("unknown_slash", "/v1/widgets/"),
        Probe("unknown_deep", f"/v1/widgets/{WIDGET_ID}/parts"),
        Probe("unknown_v2", "/v2/widgets"),
        Probe("unknown_root", "/nope"),
    ]


# Exactly these probes answer differently under each breaker; every other answer is unchanged.
CHANGED: dict[str, set[str]] = {
    "BMR-ENVELOPE-PAGINATED@widgets": {"w_list", "w_list_p2", "w_red"},
    "BMR-ENVELOPE-DATA@stats": {"s_sum"},
    "BMR-CONTENT-TYPE-REJECTED@orders": {"o_ct", "o_one_ct"},
    "BMR-METHOD-GET-ONLY@widgets": {"w_opts", "w_propfind", "w_one_opts", "w_one_search"},
    "BMR-TIMESTAMPS-EPOCH-MS@orders": {"o_list", "o_p2", "o_p3", "o_open", "o_after", "o_one", "o_limit100"},
    "BMR-MALFORMED-QUERY@orders": {"o_abc", "o_page_frac"},
    "BMR-NO-5XX@orders": {"o_big_page"},
    # w_big: its 400 now names the breaker's maximum, 500, in message and details.
    "BMR-PAGINATION-LIMIT@widgets": {"w_150", "w_big"},
    "BMR-REQUEST-ID-ECHO@widgets": {"w_one"},
    "BMR-AUTH-MISSING@stats": {"s_noauth"},
    "BMR-AUTH-INVALID@orders": {"o_badtoken"},
    "BMR-ERROR-FIELDS@widgets": {"w_unknown"},
    "BMR-RESPONSE-CONTENT-TYPE@stats": {"s_sum", "s_head"},
    "BMR-PAGINATION-TRAVERSAL@orders": {"o_p2", "o_p3"},
    # Only the last page (at any limit) says has_more; the page past it does not.
    "BMR-PAGINATION-TRAVERSAL@events": {"ev_last", "ev_last_100"},
    # Every orders page whose count is not a multiple of its limit: all of them (53 is prime).
    "BMR-PAGINATION-TRAVERSAL@orders:floor": {"o_list", "o_p2", "o_p3", "o_open", "o_after", "o_limit100"},
    # o_big_limit: its 400 now names the breaker's minimum, 0, in message and details.
    "BMR-PAGINATION-LIMIT@orders": {"o_limit0", "o_big_limit"},
    "BMR-ENVELOPE-DATA@widgets": {"w_unknown"},
    # The routing 404s under /v1/, whatever the method; not the 401 nor the 400 the hooks give first,
    # nor the unrouted paths outside /v1/.
    "BMR-ERROR-FIELDS@unrouted": {"unknown_path", "unknown_opts", "unknown_slash", "unknown_deep"},
    # httpx asks for gzip: each events GET is the first to its URL, so it is compressed (as asked)
    # and cached. That gzip reaches clients that did not ask is broken_gzip's business.
    "BMR-GZIP@events": {"ev_list", "ev_p2", "ev_last", "ev_last_100", "ev_past", "ev_one"},
    # Every events answer that holds an event (the page past the end holds none, HEAD no body).
    "BMR-TIMESTAMPS-EPOCH-MS@events:camel": {"ev_list", "ev_p2", "ev_last", "ev_last_100", "ev_one"},
}


def normalised(body: Any) -> Any:
    """A body with what differs on every request (error timestamp, trace_id, the events module's
    meta.generated_at) replaced by its kind."""
    if isinstance(body, dict) and isinstance(body.get("meta"), dict) and is_recent_epoch_ms(
            body["meta"].get("generated_at")):
        return {**body, "meta": {**body["meta"], "generated_at": "<epoch ms now>"}}
    if isinstance(body, dict) and body.get("status") == "error":
        out = dict(body)
        if isinstance(out.get("timestamp"), int) and EPOCH_MS_MIN <= out["timestamp"] < EPOCH_MS_MAX:
            out["timestamp"] = "<epoch ms>"
        if "trace_id" in out and is_uuid(out["trace_id"]):
            out["trace_id"] = "<uuid>"
        return out
    return body


def observe(client: httpx.Client, probe: Probe) -> dict[str, Any]:
    sent = f"probe-{probe.name}" if probe.request_id else None
    headers = {**probe.headers, **({"X-Request-Id": sent} if sent else {})}
    r = client.request(probe.method, probe.path, headers=headers)
    got = r.headers.get_list("x-request-id")
    request_id = "echo" if sent and got == [sent] else "uuid" if not sent and len(got) == 1 and is_uuid(got[0]) \
        else f"other: {got}"
    seen: dict[str, Any] = {
        "status": r.status_code,
        "content-type": r.headers.get("content-type"),
        "allow": r.headers.get("allow"),
        "www-authenticate": r.headers.get("www-authenticate"),
        "content-encoding": r.headers.get("content-encoding"),
        "request-id": request_id,
    }
    if probe.method != "HEAD":
        seen["body"] = normalised(r.json()) if r.content else None
    return seen


def observe_all(url: str) -> dict[str, dict[str, Any]]:
    with httpx.Client(base_url=url, timeout=15) as c:
        return {probe.name: observe(c, probe) for probe in probes()}


@pytest.fixture(scope="module")
def conformant_answers(url: str) -> dict[str, dict[str, Any]]:
    return observe_all(url)


def test_the_probes_see_a_conformant_server(conformant_answers: dict[str, dict[str, Any]]) -> None:
    for name, seen in conformant_answers.items():
        assert seen["request-id"] in ("echo", "uuid"), name
        assert seen["content-encoding"] is None
        if seen["status"] == 200:
            assert seen["content-type"] == JSON_UTF8
        elif seen.get("body") is not None:
            assert seen["body"].keys() >= ERROR_FIELDS, name
        if seen["status"] == 405:
            assert seen["allow"] == ALLOW
    assert {n for n, s in conformant_answers.items() if s["status"] == 200} == {
        "e_res", "e_list", "e_list_p2", "e_norid", "e_head", "w_list", "w_list_p2", "w_red", "w_one",
        "w_one_norid", "w_head", "o_list", "o_p2", "o_p3", "o_open", "o_after", "o_one", "o_limit100", "s_sum",
        "s_head", "ev_list", "ev_p2", "ev_last", "ev_last_100", "ev_past", "ev_one", "ev_head", "ev_one_head"}


def json_of(r: httpx.Response) -> Any:
    assert r.status_code == 200, (r.status_code, r.text[:200])
    return r.json()


def broken_envelope_paginated(c: httpx.Client) -> None:
    body = json_of(c.get("/v1/widgets", headers=AUTH))
    assert isinstance(body, list) and len(body) == 20 and body[0]["id"] == WIDGET_ID
    assert "items" in json_of(c.get("/v1/orders", headers=AUTH))


def broken_envelope_data(c: httpx.Client) -> None:
    body = json_of(c.get("/v1/stats/summary", headers=AUTH))
    assert "data" not in body and body["widgets"] == 160 and isinstance(body["generated_at"], int)
    assert "data" in json_of(c.get(f"/v1/widgets/{WIDGET_ID}", headers=AUTH))


def broken_content_type_rejected(c: httpx.Client) -> None:
    ct = {**AUTH, "Content-Type": "application/json"}
    assert json_of(c.get("/v1/orders", headers=ct)) == json_of(c.get("/v1/orders", headers=AUTH))
    assert json_of(c.get(f"/v1/orders/{ORDER_ID}", headers=ct))["data"]["id"] == ORDER_ID
    assert_error(c.get("/v1/widgets", headers=ct), 400, "VALIDATION_FAILED")
    assert_error(c.get("/v1/example/resources", headers=ct), 400, "VALIDATION_FAILED")


def broken_method_get_only(c: httpx.Client) -> None:
    for path in ("/v1/widgets", f"/v1/widgets/{WIDGET_ID}"):
        expected = c.get(path, headers=AUTH).content
        for method in METHODS:
            r = c.request(method, path, headers=AUTH)
            assert r.status_code == 200 and r.content == expected, (method, path)
            assert r.headers["content-type"] == JSON_UTF8
    assert_error(c.request("OPTIONS", "/v1/orders", headers=AUTH), 405)
    assert_error(c.request("PROPFIND", "/v1/example/resources", headers=AUTH), 405)


def broken_timestamps(c: httpx.Client) -> None:
    order = json_of(c.get(f"/v1/orders/{ORDER_ID}", headers=AUTH))["data"]
    assert 1_000_000_000 < order["created_at"] < 10_000_000_000  # whole seconds
    assert all(o["updated_at"] < 10_000_000_000 for o in json_of(c.get("/v1/orders", headers=AUTH))["items"])
    assert json_of(c.get(f"/v1/widgets/{WIDGET_ID}", headers=AUTH))["data"]["created_at"] > EPOCH_MS_MIN
    assert_error(c.get("/v1/orders/ord_999", headers=AUTH), 404)  # error timestamps stay milliseconds


def broken_malformed_query(c: httpx.Client) -> None:
    for query in ({"limit": "abc"}, {"limit": "1.5"}, {"page": "abc"}, {"page": "1.5", "limit": ""}):
        page = json_of(c.get("/v1/orders", params=query, headers=AUTH))["pagination"]
        assert (page["page"], page["limit"]) == (1, 20), query
    for query in ({"limit": "0"}, {"limit": "101"}, {"page": "0"}, {"limit": PAST_64_BITS}):
        assert_error(c.get("/v1/orders", params=query, headers=AUTH), 400, "VALIDATION_FAILED")
    assert_error(c.get("/v1/widgets", params={"limit": "abc"}, headers=AUTH), 400, "VALIDATION_FAILED")


def broken_no_5xx(c: httpx.Client) -> None:
    for query in ({"page": str(2**63)}, {"page": PAST_64_BITS}, {"page": "-" + PAST_64_BITS},
                  {"page": PAST_64_BITS, "limit": "5"}):
        r = c.get("/v1/orders", params=query, headers={**AUTH, "X-Request-Id": "overflow"})
        assert_error(r, 500, "INTERNAL_ERROR")
        assert r.headers["x-request-id"] == "overflow"
    # Only the page overflows: a limit past 64 bits is still a validation failure (BMR-PAGINATION-LIMIT
    # holds), as is a page that fits 64 bits but is out of range.
    for query in ({"limit": str(2**63)}, {"limit": PAST_64_BITS}, {"limit": str(INT64_MAX)}, {"page": "0"}):
        assert_error(c.get("/v1/orders", params=query, headers=AUTH), 400, "VALIDATION_FAILED")
    assert_error(c.get("/v1/widgets", params={"page": PAST_64_BITS}, headers=AUTH), 400)


def broken_pagination_limit(c: httpx.Client) -> None:
    assert len(json_of(c.get("/v1/widgets", params={"limit": 150}, headers=AUTH))["items"]) == 150
    assert len(json_of(c.get("/v1/widgets", params={"limit": 500}, headers=AUTH))["items"]) == 160
    assert_error(c.get("/v1/widgets", params={"limit": 501}, headers=AUTH), 400)
    assert_error(c.get("/v1/orders", params={"limit": 150}, headers=AUTH), 400)


def broken_request_id_echo(c: httpx.Client) -> None:
    sent = {**AUTH, "X-Request-Id": "mine"}
    r = c.get(f"/v1/widgets/{WIDGET_ID}", headers=sent)
    assert r.status_code == 200 and r.headers.get_list("x-request-id") != ["mine"]
    assert is_uuid(r.headers["x-request-id"])
    assert c.get("/v1/widgets", headers=sent).headers["x-request-id"] == "mine"
    assert c.get(f"/v1/orders/{ORDER_ID}", headers=sent).headers["x-request-id"] == "mine"


def broken_auth_missing(c: httpx.Client) -> None:
    assert "data" in json_of(c.get("/v1/stats/summary"))
    assert_error(c.get("/v1/stats/summary", headers=WRONG), 401, "UNAUTHORIZED")
    assert_error(c.get("/v1/orders"), 401, "UNAUTHORIZED")


def broken_auth_invalid(c: httpx.Client) -> None:
    assert "items" in json_of(c.get("/v1/orders", headers=WRONG))
    assert "items" in json_of(c.get("/v1/orders", headers={"Authorization": "Bearer anything-at-all"}))
    assert_error(c.get("/v1/orders"), 401, "UNAUTHORIZED")
    assert_error(c.get(f"/v1/orders/{ORDER_ID}", headers=WRONG), 401, "UNAUTHORIZED")
    assert_error(c.get("/v1/widgets", headers=WRONG), 401, "UNAUTHORIZED")


def broken_error_fields(c: httpx.Client) -> None:
    r = c.get("/v1/widgets/wdg_999", headers=AUTH)
    assert r.status_code == 404 and r.headers["content-type"] == JSON_UTF8
    body = r.json()
    assert "trace_id" not in body and (ERROR_FIELDS - {"trace_id"}) <= body.keys()
    assert_error(c.get("/v1/nope", headers=AUTH), 404)
    assert_error(c.get("/v1/orders/ord_999", headers=AUTH), 404)
    assert_error(c.get("/v1/widgets?color=purple", headers=AUTH), 400)


def broken_response_content_type(c: httpx.Client) -> None:
    r = c.get("/v1/stats/summary", headers=AUTH)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert "data" in r.json()
    assert c.get("/v1/widgets", headers=AUTH).headers["content-type"] == JSON_UTF8
    assert c.get("/v1/stats/summary").headers["content-type"] == JSON_UTF8  # the 401 keeps its charset


def broken_pagination_traversal(c: httpx.Client) -> None:
    first = json_of(c.get("/v1/orders", params={"page": 1}, headers=AUTH))
    second = json_of(c.get("/v1/orders", params={"page": 2}, headers=AUTH))
    assert second["items"][0] == first["items"][-1]
    assert second["pagination"]["total_items"] == first["pagination"]["total_items"] == ORDERS
    items = []
    page = 1
    while True:
        body = json_of(c.get("/v1/orders", params={"page": page}, headers=AUTH))
        items += [o["id"] for o in body["items"]]
        if not body["pagination"]["has_more"]:
            break
        page += 1
    assert len(items) > len(set(items)) == ORDERS  # repeats, nothing lost
    example_ids = [r["id"] for r in walk(c, "/v1/example/resources")[0]]
    assert len(example_ids) == len(set(example_ids))


def broken_traversal_last_page(c: httpx.Client) -> None:
    for limit in (7, 20, 100):
        pages = math.ceil(EVENTS / limit)
        last = json_of(c.get("/v1/events", params={"page": pages, "limit": limit}, headers=AUTH))
        # Everything right but has_more, on the last page only.
        assert last["pagination"] == {"page": pages, "limit": limit, "total_items": EVENTS, "total_pages": pages,
                                      "has_more": True}
        assert len(last["items"]) == EVENTS - (pages - 1) * limit
        assert json_of(c.get("/v1/events", params={"page": pages - 1, "limit": limit},
                             headers=AUTH))["pagination"]["has_more"] is True
        past = json_of(c.get("/v1/events", params={"page": pages + 1, "limit": limit}, headers=AUTH))
        assert past["items"] == [] and past["pagination"]["has_more"] is False
    # A client walking by has_more asks for one empty page too much, and loses nothing.
    items, pages_seen = walk(c, "/v1/events", limit=100)
    assert len(pages_seen) == 5 and len(items) == len({i["id"] for i in items}) == EVENTS
    # Every other list ends with has_more false.
    for path in ("/v1/example/resources", "/v1/widgets", "/v1/orders"):
        first = json_of(c.get(path, headers=AUTH))["pagination"]
        last = json_of(c.get(path, params={"page": first["total_pages"]}, headers=AUTH))["pagination"]
        assert last["has_more"] is False, path


def broken_traversal_floor(c: httpx.Client) -> None:
    for limit in (None, 7, 25, 100):
        query = {} if limit is None else {"limit": limit}
        first = json_of(c.get("/v1/orders", params=query, headers=AUTH))["pagination"]
        assert first["total_items"] == ORDERS
        assert first["total_pages"] == ORDERS // first["limit"] != math.ceil(ORDERS / first["limit"])
    # has_more follows the short count: the walk stops a page early; the last page is still there.
    items, pages_seen = walk(c, "/v1/orders")
    assert len(pages_seen) == 2 and len(items) == 40
    third = json_of(c.get("/v1/orders", params={"page": 3}, headers=AUTH))
    assert len(third["items"]) == ORDERS - 40 and third["pagination"]["total_pages"] == 2
    assert json_of(c.get("/v1/orders", params={"status": "open"}, headers=AUTH))["pagination"]["total_pages"] == 0
    for path in ("/v1/example/resources", "/v1/widgets", "/v1/events"):
        page = json_of(c.get(path, params={"limit": 7}, headers=AUTH))["pagination"]
        assert page["total_pages"] == math.ceil(page["total_items"] / 7), path


def broken_limit_zero(c: httpx.Client) -> None:
    for query in ({"limit": "0"}, {"limit": "0", "page": "2"}, {"limit": "00"}):
        body = json_of(c.get("/v1/orders", params=query, headers=AUTH))
        assert body["items"] == [], query
        assert body["pagination"]["limit"] == 0 and body["pagination"]["total_items"] == ORDERS  # not clamped
    for value in ("-1", "101", "abc"):
        assert_error(c.get("/v1/orders", params={"limit": value}, headers=AUTH), 400, "VALIDATION_FAILED")
    assert len(json_of(c.get("/v1/orders", params={"limit": 1}, headers=AUTH))["items"]) == 1
    for path in ("/v1/example/resources", "/v1/widgets", "/v1/events"):
        assert_error(c.get(path, params={"limit": 0}, headers=AUTH), 400, "VALIDATION_FAILED")


def broken_envelope_data_unknown_id(c: httpx.Client) -> None:
    for widget_id in ("wdg_999", "apiconform-no-such-id"):
        r = c.get(f"/v1/widgets/{widget_id}", headers={**AUTH, "X-Request-Id": "lost"})
        assert r.status_code == 200 and r.headers["content-type"] == JSON_UTF8
        assert r.json() == {"data": {"error": {"code": "NOT_FOUND", "message": "no such widget"}}}
        assert r.headers["x-request-id"] == "lost"
    assert json_of(c.get(f"/v1/widgets/{WIDGET_ID}", headers=AUTH))["data"]["id"] == WIDGET_ID
    assert_error(c.get("/v1/orders/ord_999", headers=AUTH), 404, "NOT_FOUND")
    assert_error(c.get("/v1/events/evt_9999", headers=AUTH), 404, "NOT_FOUND")
    assert_error(c.get("/v1/example/resource", params={"id": "nope"}, headers=AUTH), 404, "NOT_FOUND")
    assert_error(c.get("/v1/widgets/wdg_999"), 401, "UNAUTHORIZED")


def broken_unrouted_falcon(c: httpx.Client) -> None:
    for method, path in (("GET", "/v1/nope"), ("GET", "/v1/widgets/"), ("GET", "/v1/stats"),
                         ("GET", f"/v1/widgets/{WIDGET_ID}/parts"), ("PROPFIND", "/v1/nope")):
        r = c.request(method, path, headers={**AUTH, "X-Request-Id": "falcon"})
        assert r.status_code == 404, (method, path)
        assert r.json() == {"title": "404 Not Found"} and not ERROR_FIELDS & r.json().keys()
        assert r.headers["content-type"] == "application/json" and r.headers["x-request-id"] == "falcon"
    # Routed endpoints, the hooks' answers on any path, and paths outside /v1/ keep the error format.
    assert_error(c.get("/v1/widgets/wdg_999", headers=AUTH), 404, "NOT_FOUND")
    assert_error(c.get("/v1/events/evt_9999", headers=AUTH), 404, "NOT_FOUND")
    assert_error(c.get("/v1/nope"), 401, "UNAUTHORIZED")
    assert_error(c.get("/v1/nope", headers={**AUTH, "Content-Type": "text/plain"}), 400, "VALIDATION_FAILED")
    assert_error(c.request("OPTIONS", "/v1/widgets", headers=AUTH), 405, "METHOD_NOT_ALLOWED")
    for path in ("/nope", "/v2/widgets", "/v1"):
        assert_error(c.get(path, headers=AUTH), 404, "NOT_FOUND")


def raw_get(c: httpx.Client, path: str, accept_encoding: str, request_id: str) -> tuple[httpx.Headers, bytes]:
    """The response's headers and its body as sent, before httpx undoes any Content-Encoding."""
    headers = {**AUTH, "Accept-Encoding": accept_encoding, "X-Request-Id": request_id}
    with c.stream("GET", path, headers=headers) as r:
        assert r.status_code == 200, (path, r.status_code)
        return r.headers, b"".join(r.iter_raw())


def broken_gzip(c: httpx.Client) -> None:
    # Gzip first, then plain, to URLs nobody fetched before: the plain request gets the cached gzip.
    for path, ids in (("/v1/events?page=3&limit=7", [f"evt_{n:04d}" for n in range(15, 22)]),
                      ("/v1/events/evt_0002", ["evt_0002"])):
        zipped_headers, zipped = raw_get(c, path, "gzip", "first")
        assert zipped_headers["content-encoding"] == "gzip" and "Accept-Encoding" in zipped_headers["vary"]
        for accept_encoding in ("identity", "br", "gzip;q=0"):
            headers, body = raw_get(c, path, accept_encoding, "later")
            assert headers["content-encoding"] == "gzip" and body == zipped, (path, accept_encoding)
            assert headers["x-request-id"] == "later"  # the request's own id, never the cached one
        body = json.loads(gzip.decompress(zipped))  # a sound gzip stream of the right answer
        assert [item["id"] for item in body.get("items", [body.get("data")])] == ids
    # A plain first answer is what the URL keeps: gzip asked for later gets it plain (allowed).
    plain_headers, plain = raw_get(c, "/v1/events?page=4&limit=7", "identity", "first")
    headers, body = raw_get(c, "/v1/events?page=4&limit=7", "gzip", "later")
    assert "content-encoding" not in plain_headers and "content-encoding" not in headers and body == plain
    # Only the events module compresses or caches; HEAD, errors and refused requests are never cached.
    for path in ("/v1/orders?page=2", f"/v1/widgets/{WIDGET_ID}", "/v1/stats/summary", "/v1/example/resources"):
        for accept_encoding in ("gzip", "identity"):
            headers, _ = raw_get(c, path, accept_encoding, "x")
            assert "content-encoding" not in headers, (path, accept_encoding)
    assert "content-encoding" not in c.head("/v1/events?page=5&limit=7",
                                            headers={**AUTH, "Accept-Encoding": "gzip"}).headers
    r = c.get("/v1/events/evt_9999", headers={**AUTH, "Accept-Encoding": "gzip"})
    assert_error(r, 404, "NOT_FOUND")
    assert "content-encoding" not in r.headers
    assert_error(c.get("/v1/events?page=3&limit=7", headers={"Accept-Encoding": "gzip"}), 401, "UNAUTHORIZED")


def broken_timestamps_camel(c: httpx.Client) -> None:
    event = json_of(c.get(f"/v1/events/{EVENT_ID}", headers=AUTH))["data"]
    assert "occurred_at" not in event and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["occurredAt"])
    page = json_of(c.get("/v1/events", headers=AUTH))
    assert all(isinstance(e["occurredAt"], str) for e in page["items"])
    assert is_recent_epoch_ms(page["meta"]["generated_at"])  # the envelope's time stays milliseconds
    order = json_of(c.get(f"/v1/orders/{ORDER_ID}", headers=AUTH))["data"]
    assert order["created_at"] > EPOCH_MS_MIN  # every other module keeps epoch milliseconds
    assert_error(c.get("/v1/events/evt_9999", headers=AUTH), 404)  # error timestamps stay milliseconds


BROKEN: dict[str, Callable[[httpx.Client], None]] = {
    "BMR-ENVELOPE-PAGINATED@widgets": broken_envelope_paginated,
    "BMR-ENVELOPE-DATA@stats": broken_envelope_data,
    "BMR-CONTENT-TYPE-REJECTED@orders": broken_content_type_rejected,
    "BMR-METHOD-GET-ONLY@widgets": broken_method_get_only,
    "BMR-TIMESTAMPS-EPOCH-MS@orders": broken_timestamps,
    "BMR-MALFORMED-QUERY@orders": broken_malformed_query,
    "BMR-NO-5XX@orders": broken_no_5xx,
    "BMR-PAGINATION-LIMIT@widgets": broken_pagination_limit,
    "BMR-REQUEST-ID-ECHO@widgets": broken_request_id_echo,
    "BMR-AUTH-MISSING@stats": broken_auth_missing,
    "BMR-AUTH-INVALID@orders": broken_auth_invalid,
    "BMR-ERROR-FIELDS@widgets": broken_error_fields,
    "BMR-RESPONSE-CONTENT-TYPE@stats": broken_response_content_type,
    "BMR-PAGINATION-TRAVERSAL@orders": broken_pagination_traversal,
    "BMR-PAGINATION-TRAVERSAL@events": broken_traversal_last_page,
    "BMR-PAGINATION-TRAVERSAL@orders:floor": broken_traversal_floor,
    "BMR-PAGINATION-LIMIT@orders": broken_limit_zero,
    "BMR-ENVELOPE-DATA@widgets": broken_envelope_data_unknown_id,
    "BMR-ERROR-FIELDS@unrouted": broken_unrouted_falcon,
    "BMR-GZIP@events": broken_gzip,
    "BMR-TIMESTAMPS-EPOCH-MS@events:camel": broken_timestamps_camel,
}


def test_every_breaker_is_described() -> None:
    assert set(BROKEN) == set(CHANGED) == set(BREAKERS)
    assert all(re.fullmatch(r"BMR-[A-Z0-9-]+@[a-z]+(:[a-z0-9-]+)?", name) for name in BREAKERS)
    for name in BREAKERS:
        rule, where, variant = breaker_parts(name)
        # The rule is what precedes "@", the module what lies between "@" and ":", the variant the rest.
        assert rule == name.split("@")[0] and where == name.split("@")[1].split(":")[0], name
        assert variant == (name.split(":")[1] if ":" in name else None), name
        assert where in (*MODULES, UNROUTED) and where != "example", name
    assert len({breaker_parts(name) for name in BREAKERS}) == len(BREAKERS)
    names = {p.name for p in probes()}
    assert all(changed <= names for changed in CHANGED.values())


def test_a_breaker_switches_on_exactly_its_rule_module_and_variant() -> None:
    floor = Behaviour("BMR-PAGINATION-TRAVERSAL@orders:floor")
    assert floor.breaks("BMR-PAGINATION-TRAVERSAL", "orders", "floor")
    assert not floor.breaks("BMR-PAGINATION-TRAVERSAL", "orders")  # the off-by-one breaker stays off
    plain = Behaviour("BMR-PAGINATION-TRAVERSAL@orders")
    assert plain.breaks("BMR-PAGINATION-TRAVERSAL", "orders")
    assert not plain.breaks("BMR-PAGINATION-TRAVERSAL", "orders", "floor")
    assert not plain.breaks("BMR-PAGINATION-TRAVERSAL", "events") and not plain.breaks("BMR-PAGINATION-TRAVERSAL", None)
    unrouted = Behaviour("BMR-ERROR-FIELDS@unrouted")
    assert unrouted.breaks("BMR-ERROR-FIELDS", UNROUTED) and not unrouted.breaks("BMR-ERROR-FIELDS", "widgets")
    assert not Behaviour().breaks("BMR-GZIP", "events")
    with pytest.raises(ValueError, match="unknown breaker"):
        Behaviour("BMR-GZIP@orders")


@pytest.mark.parametrize("breaker", BREAKERS)
def test_breaker_changes_exactly_its_rule(breaker: str, conformant_answers: dict[str, dict[str, Any]]) -> None:
    with served(MODULE, "--break", breaker) as base:
        answers = observe_all(base)
        with httpx.Client(base_url=base, timeout=15) as c:
            BROKEN[breaker](c)
    changed = {name for name, seen in answers.items() if seen != conformant_answers[name]}
    unexpected = {name: (conformant_answers[name], answers[name]) for name in changed - CHANGED[breaker]}
    assert not unexpected, f"{breaker} also changed: {unexpected}"
    assert changed == CHANGED[breaker], f"{breaker} left unchanged: {CHANGED[breaker] - changed}"
