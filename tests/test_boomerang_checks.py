"""Unit tests of the Boomerang per-exchange checks, the schemas, and mutant specificity."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
import yaml

from apiconform import checks
from apiconform.client import decode_body
from apiconform.exchange import Exchange, RecordedRequest, RecordedResponse
from apiconform.locations import fixtures_dir
from apiconform.profiles.boomerang.checks import accepts_gzip, schema

CT = ("Content-Type", "application/json; charset=utf-8")


def exchange(status: int, body: Any = None, *, headers: list[tuple[str, str]] | None = None,
             req_headers: list[tuple[str, str]] | None = None, method: str = "GET",
             url: str = "https://x.invalid/v1/example/resources?limit=5",
             raw: bytes | None = None) -> Exchange:
    data = raw if raw is not None else json.dumps(body).encode()
    enc = dict((k.lower(), v) for k, v in headers or []).get("content-encoding")
    decoded, error = decode_body(data, enc)
    resp = RecordedResponse(status, headers if headers is not None else [CT], decoded, decode_error=error)
    return Exchange(RecordedRequest(method, url, req_headers or [("Accept-Encoding", "identity")]), resp)


def typed(content_type: str) -> Exchange:
    return exchange(200, {}, headers=[("Content-Type", content_type)])


ERROR = {"status": "error", "code": "X", "http_status": 401, "timestamp": 1763205835591, "trace_id": "t",
         "details": {}}


@pytest.mark.parametrize(("rule", "ex", "bad"), [
    ("BMR-ERROR-FIELDS", exchange(401, ERROR), False),
    ("BMR-ERROR-FIELDS", exchange(401, {**ERROR, "trace_id": ""}), True),
    ("BMR-ERROR-FIELDS", exchange(401, {k: v for k, v in ERROR.items() if k != "details"}), True),
    ("BMR-ERROR-FIELDS", exchange(401, raw=b"Unauthorized"), True),
    ("BMR-ERROR-FIELDS", exchange(401, raw=b"", method="HEAD"), False),
    ("BMR-ERROR-HTTP-STATUS", exchange(404, ERROR), True),
    ("BMR-ERROR-HTTP-STATUS", exchange(401, ERROR), False),
    ("BMR-RESPONSE-CONTENT-TYPE", typed("application/json;charset=UTF-8"), False),
    ("BMR-RESPONSE-CONTENT-TYPE", typed("application/json ; charset=utf-8"), False),
    ("BMR-RESPONSE-CONTENT-TYPE", typed('application/json; charset="utf-8"'), False),
    ("BMR-RESPONSE-CONTENT-TYPE", typed("application/json"), True),
    ("BMR-RESPONSE-CONTENT-TYPE", typed("text/json; charset=utf-8"), True),
    ("BMR-RESPONSE-JSON", exchange(200, [1]), False),
    ("BMR-RESPONSE-JSON", exchange(200, "text"), True),
    ("BMR-RESPONSE-JSON", exchange(200, raw=b"<html>"), True),
    ("BMR-TIMESTAMPS-EPOCH-MS", exchange(200, {"data": {"x_at": 1763205835591, "y_at": None}}), False),
    ("BMR-TIMESTAMPS-EPOCH-MS", exchange(200, {"data": {"created_at": 1763205835}}), True),
    ("BMR-TIMESTAMPS-EPOCH-MS", exchange(200, {"data": {"created_at": 1763205835591.5}}), True),
    ("BMR-TIMESTAMPS-EPOCH-MS", exchange(200, {"data": {"created_at": "2025-11-15T11:23:55Z"}}), True),
    ("BMR-TIMESTAMPS-EPOCH-MS", exchange(401, {**ERROR, "timestamp": 1763205835}), True),
    ("BMR-ENVELOPE-DATA", exchange(200, {"data": {"id": "a"}, "extra": 1}), False),
    ("BMR-ENVELOPE-DATA", exchange(200, {"id": "a"}), True),
    ("BMR-ENVELOPE-PAGINATED", exchange(200, {"items": [], "pagination": {}}), False),
    ("BMR-ENVELOPE-PAGINATED", exchange(200, {"results": [], "pagination": {}}), True),
    ("BMR-PAGINATION-LIMIT", exchange(200, {"items": [1] * 5, "pagination": {}}), False),
    ("BMR-PAGINATION-LIMIT", exchange(200, {"items": [1] * 6, "pagination": {}}), True),
    ("BMR-PAGINATION-LIMIT", exchange(200, {"items": [1] * 101, "pagination": {}},
                                      url="https://x.invalid/v1/r?limit=500"), True),
    ("BMR-REQUEST-ID-ECHO", exchange(200, {}, headers=[CT, ("X-Request-Id", "Ab.1")],
                                     req_headers=[("X-Request-Id", "Ab.1")]), False),
    ("BMR-REQUEST-ID-ECHO", exchange(200, {}, headers=[CT, ("X-Request-Id", "ab.1")],
                                     req_headers=[("X-Request-Id", "Ab.1")]), True),
    ("BMR-REQUEST-ID-GENERATED", exchange(200, {}, headers=[CT, ("X-Request-Id", "g-1")]), False),
    ("BMR-REQUEST-ID-GENERATED", exchange(200, {}), True),
    ("BMR-GZIP", exchange(200, headers=[CT, ("Content-Encoding", "gzip")], raw=gzip.compress(b"{}"),
                          req_headers=[("Accept-Encoding", "gzip")]), False),
    ("BMR-GZIP", exchange(200, headers=[CT, ("Content-Encoding", "gzip")], raw=gzip.compress(b"{}")), True),
    ("BMR-GZIP", exchange(200, headers=[CT, ("Content-Encoding", "gzip")], raw=gzip.compress(b"{}")[:-6],
                          req_headers=[("Accept-Encoding", "gzip")]), True),
])
def test_check_verdicts(rule: str, ex: Exchange, bad: bool) -> None:
    found = checks.violations(rule, ex)
    assert bool(found) == bad, found
    assert all(isinstance(m, str) and m for m in found)


def test_accepts_gzip() -> None:
    assert accepts_gzip("gzip") and accepts_gzip("deflate, gzip;q=0.5") and accepts_gzip("*")
    assert not accepts_gzip("identity") and not accepts_gzip("gzip;q=0") and not accepts_gzip(None)


@pytest.mark.parametrize(("name", "component"), [("data-envelope.json", "DataEnvelope"),
                                                 ("paginated-envelope.json", "PaginatedEnvelope"),
                                                 ("error.json", "Error")])
def test_openapi_components_are_the_json_schemas(name: str, component: str) -> None:
    doc = yaml.safe_load((fixtures_dir("boomerang") / "openapi.yaml").read_text(encoding="utf-8"))
    assert doc["openapi"] == "3.0.3"
    strip = {"title", "description"}
    ours = {k: v for k, v in schema(name).items() if k not in strip}
    theirs = {k: v for k, v in doc["components"]["schemas"][component].items() if k not in strip}
    assert ours == theirs
