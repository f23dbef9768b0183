"""Unit tests of the Booga checks (pure functions of an exchange) and of the mock's limiter."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from apiconform import checks
from apiconform.exchange import Exchange, RecordedRequest, RecordedResponse
from apiconform.inprocess import InProcessTransport
from apiconform.profiles.booga.checks import envelope_violations, file_violations, parse_iso, validation_violations
from apiconform.profiles.booga.mock import CREDENTIALS, create_app

GOOD_FILE = {"id": "f8c1d2e3-4a5b-6c7d-8e9f-0a1b2c3d4e5f", "name": "Q4-Report.pdf", "size": 1048576,
             "content_type": "application/pdf", "created_at": "2026-03-15T10:30:00Z",
             "updated_at": "2026-03-15T10:30:00Z"}
RATE = [("X-RateLimit-Limit-Minute", "60"), ("X-RateLimit-Remaining-Minute", "59"),
        ("X-RateLimit-Limit-Hour", "3600"), ("X-RateLimit-Remaining-Hour", "3542")]


def exchange(status: int, body: Any, url: str = "https://api.example/api/files/", method: str = "GET",
             headers: list[tuple[str, str]] | None = None) -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    hdrs = [("Content-Type", "application/json")] + (RATE if headers is None else headers)
    return Exchange(RecordedRequest(method, url), RecordedResponse(status, hdrs, raw))


def test_document_example_file_conforms_and_extra_fields_are_allowed() -> None:
    assert file_violations(GOOD_FILE) == []
    assert file_violations({**GOOD_FILE, "owner": {"id": 1}, "tags": []}) == []


@pytest.mark.parametrize(("change", "needle"), [
    ({"size": "1048576"}, "size"), ({"size": True}, "size"), ({"id": "Q4"}, "id"),
    ({"created_at": "15/03/2026"}, "created_at"), ({"name": None}, "name")])
def test_file_field_violations(change: dict[str, Any], needle: str) -> None:
    problems = file_violations({**GOOD_FILE, **change})
    assert problems and needle in problems[0]


def test_iso_timestamps() -> None:
    assert parse_iso("2026-03-15T10:30:00.123456+02:00") is not None
    assert parse_iso("2026-03-15") is None  # a date is not a date-time


def test_envelope() -> None:
    assert envelope_violations({"count": 0, "next": None, "previous": None, "results": []}) == []
    assert envelope_violations({"count": "3", "next": None, "previous": None, "results": []})
    assert envelope_violations({"items": []})


def test_validation_body_must_name_the_field_with_messages() -> None:
    ok = exchange(400, {"limit": ["Ensure this value is less than or equal to 100."]})
    assert validation_violations(ok, ("limit",)) == ([], [])
    problems, _ = validation_violations(exchange(400, {"detail": "Invalid.", "code": "invalid"}), ("limit",))
    assert problems
    problems, remarks = validation_violations(exchange(400, {"limit": "too big"}), ("limit",))
    assert not problems and remarks  # a bare string: tolerated with a remark


def test_registered_checks_per_exchange() -> None:
    bad_error = exchange(404, {"error": "nope"}, "https://api.example/api/files/x/")
    assert checks.violations("BGA-ERROR-FORMAT", bad_error)
    no_headers = exchange(401, {"detail": "x", "code": "y"}, headers=[])
    assert checks.violations("BGA-RATE-HEADERS", no_headers)
    over = exchange(200, {}, headers=[("X-RateLimit-Limit-Minute", "60"), ("X-RateLimit-Remaining-Minute",
                                                                           "61")])
    assert checks.violations("BGA-RATE-HEADER-VALUES", over)
    big = exchange(200, {"count": 150, "next": None, "previous": None, "results": [GOOD_FILE] * 101},
                   "https://api.example/api/files/?limit=1000")
    assert checks.violations("BGA-LIST-LIMIT-INVALID", big)
    assert checks.violations("BGA-NO-5XX", exchange(502, {"detail": "x", "code": "y"}))
    html = Exchange(RecordedRequest("GET", "https://api.example/api/files/"),
                    RecordedResponse(200, [("Content-Type", "text/html")], b"<html>"))
    assert checks.violations("BGA-RESPONSE-JSON", html)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_mock_limits_follow_the_injected_clock() -> None:
    clock = FakeClock()
    app = create_app(limits={"primary": (60, 3600)}, clock=clock)
    client = httpx.Client(transport=InProcessTransport(app), base_url="https://booga.test")
    headers = {"X-API-Key": CREDENTIALS["primary"]}
    clock.now = 1020.0  # inside one fixed minute window [960, 1020) -> [1020, 1080)
    statuses = [client.get("/api/files/", headers=headers).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429
    last = client.get("/api/files/", headers=headers)
    assert last.headers["X-RateLimit-Remaining-Minute"] == "0" and "Retry-After" in last.headers
    clock.now += 60  # the next window
    again = client.get("/api/files/", headers=headers)
    assert again.status_code == 200
    assert again.headers["X-RateLimit-Remaining-Minute"] == "59"
    assert again.headers["X-RateLimit-Remaining-Hour"] == str(3600 - 61)
    # The legacy signature keeps working.
    assert create_app(None, enforce_https=False) is not None
