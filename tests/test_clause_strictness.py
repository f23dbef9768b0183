"""Every check exactly as strict as its clause (issue 23): verdicts that were stricter or looser
than the text, each shown against a server that differs from a conformant one in that point only.

The servers are the reference mocks with one behaviour changed (tests/servers/rewrite.py), run
in-process through session.harness, with virtual time where the kit would wait (tests/servers/
clock.py), or small apps of their own. Each test failed on the kit before its fix.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from tests.servers.clock import FakeClock
from tests.servers.rewrite import Answer, Rewrite, query

from apiconform import mocks
from apiconform.inprocess import InProcessTransport
from apiconform.results import RuleResult
from apiconform.runner import RunOutcome, run
from apiconform.session import Options, harness


def result_of(outcome: RunOutcome, rule: str) -> RuleResult:
    return next(r for r in outcome.run.results if r.rule.id == rule)


def in_virtual_time(profile: str, app: Any, **options: Any) -> tuple[RunOutcome, FakeClock]:
    """A whole embedded run of `app`, every wait of the kit's in virtual time."""
    clock = FakeClock()
    with harness(app=app, clock=clock.now, sleep=clock.sleep):
        outcome = run(profile, Options(write_reports=False, **options))
    return outcome, clock


# -- a transient 503 with Retry-After ----------------------------------------------------------
BOOGA_503 = json.dumps({"detail": "The service is busy; try again shortly.", "code": "service_unavailable"}).encode()


def boomerang_503(http_status: int = 503) -> bytes:
    return json.dumps({"status": "error", "code": "SERVICE_UNAVAILABLE", "http_status": http_status,
                       "timestamp": 1763205835591, "trace_id": "0f9a3c1e-2b4d-4e6f-8a1b-3c5d7e9f0a2b",
                       "details": {"retry_after_seconds": 1}}).encode()


class Busy:
    """Answers `times` requests matching `path` and `param=value` with 503 (Retry-After: 1 unless
    `retry_after` is None) and `body`, keeping the app's own headers (rate limits, X-Request-Id);
    every other request, and those after, as the app does."""

    def __init__(self, path: str, param: str, value: str, body: bytes, *, times: int = 1,
                 retry_after: str | None = "1") -> None:
        self.path, self.param, self.value, self.body = path, param, value, body
        self.left, self.retry_after, self.sent = times, retry_after, 0

    def __call__(self, scope: dict[str, Any], _: bytes, answer: Answer) -> Answer:
        if scope["path"] != self.path or query(scope).get(self.param) != self.value or self.left == 0:
            return answer
        self.left -= 1
        self.sent += 1
        _status, headers, _body = answer
        kept = [(k, v) for k, v in headers if k.lower() not in (b"content-type", b"retry-after")]
        kept.append((b"content-type", b"application/json; charset=utf-8"))
        if self.retry_after is not None:
            kept.append((b"retry-after", self.retry_after.encode()))
        return 503, kept, self.body


@pytest.mark.parametrize(("profile", "busy", "rules"), [
    ("booga", Busy("/api/files/", "offset", "-1", BOOGA_503), ("BGA-NO-5XX", "BGA-ERROR-FORMAT")),
    ("boomerang", Busy("/v1/example/resources", "page", "0", boomerang_503()),
     ("BMR-NO-5XX", "BMR-ERROR-FIELDS", "BMR-ERROR-HTTP-STATUS")),
], ids=["booga", "boomerang"])
def test_a_503_waited_out_and_then_answered_is_the_servers_load(profile: str, busy: Busy,
                                                                 rules: tuple[str, ...]) -> None:
    # The first request with the parameter meets a busy server; sent again after the second it
    # asked for, it is answered. Boomerang's page: "Retry ... when appropriate (for example,
    # transient network issues or 5xx errors)".
    outcome, clock = in_virtual_time(profile, Rewrite(mocks.create_app(profile), busy))
    assert busy.sent == 1 and 1.0 in clock.sleeps, (busy.sent, clock.sleeps)
    no_5xx, *format_rules = (result_of(outcome, rule) for rule in rules)
    assert no_5xx.verdict == "pass", no_5xx.reason
    assert any("503 with Retry-After" in note and "the server's load" in note for note in no_5xx.notes), no_5xx.notes
    # The 503's body is still judged, by the error format's rules (it conforms here).
    for result in format_rules:
        assert result.verdict == "pass", (result.rule.id, result.reason)
        assert any(ex.status == 503 for ex in result.seen), result.rule.id
    assert outcome.exit_code == 0, {r.rule.id: r.reason for r in outcome.run.results if r.verdict != "pass"}


def test_a_waited_out_503_is_still_held_to_the_error_format() -> None:
    busy = Busy("/v1/example/resources", "page", "0", boomerang_503(http_status=500))
    outcome, _ = in_virtual_time("boomerang", Rewrite(mocks.create_app("boomerang"), busy),
                                 rules=["BMR-NO-5XX", "BMR-ERROR-HTTP-STATUS", "BMR-PAGINATION-LIMIT"])
    assert result_of(outcome, "BMR-NO-5XX").verdict == "pass"
    failed = result_of(outcome, "BMR-ERROR-HTTP-STATUS")
    assert failed.verdict == "fail" and "503" in failed.reason, failed.reason


@pytest.mark.parametrize(("busy", "says"), [
    # No Retry-After: nothing asks the kit to come back; the 503 is the answer to that request.
    (Busy("/api/files/", "offset", "-1", BOOGA_503, retry_after=None), "offset=-1 -> 503"),
    # Retry-After, but every resend is a 503 again: never answered otherwise.
    (Busy("/api/files/", "offset", "-1", BOOGA_503, times=10), "offset=-1 -> 503"),
], ids=["without-retry-after", "never-answered"])
def test_a_503_that_is_never_answered_still_fails(busy: Busy, says: str) -> None:
    outcome, _ = in_virtual_time("booga", Rewrite(mocks.create_app("booga"), busy),
                                 rules=["BGA-NO-5XX", "BGA-LIST-OFFSET"])
    result = result_of(outcome, "BGA-NO-5XX")
    assert result.verdict == "fail" and says in result.reason, result.reason


# -- the deployment's own page cap --------------------------------------------------------------
class CapsAt50:
    """A Boomerang deployment whose maximum limit is 50 (a larger one is refused, 400) and whose
    default page holds `default` items: the reference mock with its query rewritten."""

    def __init__(self, app: Any, default: int) -> None:
        self.app, self.default = app, default

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/v1/example/resources":
            params = query(scope)
            limit = params.get("limit")
            if limit is None:
                params["limit"] = str(self.default)
            elif limit.strip().isdigit() and int(limit) > 50:
                params["limit"] = "101"  # past the mock's own cap: its 400 VALIDATION_FAILED
            scope = {**scope, "query_string": urlencode(params).encode()}
        await self.app(scope, receive, send)


@pytest.mark.parametrize(("default", "verdict"), [(60, "fail"), (20, "pass")])
def test_every_page_is_held_to_the_targets_own_max_limit(default: int, verdict: str, tmp_path: Path) -> None:
    # The target file says the deployment's cap is 50. A default page of 60 items is more than
    # it, though no limit was asked for and 60 is under the documents' assumed 100.
    target = tmp_path / "target.toml"
    target.write_text('profile = "boomerang"\n[pagination]\nmax_limit = 50\n', encoding="utf-8")
    with harness(app=CapsAt50(mocks.create_app("boomerang"), default)):
        outcome = run("boomerang", Options(write_reports=False, target_file=str(target),
                                           rules=["BMR-PAGINATION-LIMIT"]))
    result = result_of(outcome, "BMR-PAGINATION-LIMIT")
    assert result.verdict == verdict, result.reason
    if verdict == "fail":
        assert "60 items, more than the maximum of 50" in result.reason, result.reason


# -- null in the standard error fields ----------------------------------------------------------
def error_field_set_to(field: str, value: Any) -> Any:
    """Every error body of the mock with `field` set to `value`."""
    def transform(_scope: dict[str, Any], _: bytes, answer: Answer) -> Answer:
        status, headers, body = answer
        if status < 400 or not body:
            return answer
        error = json.loads(body)
        error[field] = value
        return status, headers, json.dumps(error).encode()
    return transform


@pytest.mark.parametrize(("field", "value", "verdict"), [
    ("timestamp", None, "fail"), ("status", None, "fail"), ("details", None, "fail"),
    ("details", {}, "pass"), ("details", [], "pass"),
])
def test_a_null_standard_error_field_carries_no_value(field: str, value: Any, verdict: str) -> None:
    app = Rewrite(mocks.create_app("boomerang"), error_field_set_to(field, value))
    with harness(app=app):
        outcome = run("boomerang", Options(write_reports=False, rules=["BMR-ERROR-FIELDS"]))
    result = result_of(outcome, "BMR-ERROR-FIELDS")
    assert result.verdict == verdict, result.reason
    if verdict == "fail":
        assert f"error body's {field} is null" in result.reason, result.reason


# -- a coverage cell says only what was judged there --------------------------------------------
def test_a_coverage_cell_reflects_only_rules_judged_there() -> None:
    from apiconform.catalog import find_rule
    from apiconform.coverage import coverage_report
    from apiconform.exchange import Exchange, RecordedRequest, RecordedResponse
    from apiconform.surface import Endpoint, Surface

    base = "https://gateway.bmrg.app"
    surface = Surface([Endpoint("/v1/example/resource", "single"), Endpoint("/v1/example/resources", "list")],
                      "test", base_url=base)
    # BMR-REQUEST-BODY's item passed on both endpoints, but judged an exchange on the list only
    # (on the single resource it returned before judging anything).
    body = RuleResult(rule=find_rule("BMR-REQUEST-BODY"))
    for endpoint in surface.endpoints:
        body.add_outcome(f"t[{endpoint.label}]", "pass", "", [], endpoint=endpoint.label)
    judged = Exchange(RecordedRequest("GET", f"{base}/v1/example/resources"), RecordedResponse(200, [], b"{}"))
    body.see([judged])
    table = {row["endpoint"]: row for row in coverage_report([body], surface)["coverage"]["endpoints"]}
    assert table["/v1/example/resources"]["families"]["REQUEST"] == "pass"
    assert table["/v1/example/resource"]["families"]["REQUEST"] == "skip"
    rows = {row["endpoint"]: row for row in body.endpoints}
    assert rows["/v1/example/resource"]["verdict"] == "skip" and rows["/v1/example/resource"]["judged"] == 0
    assert rows["/v1/example/resource"]["reason"], rows


# -- a timeout while fetching the OpenAPI document ----------------------------------------------
class SchemaTimesOut(httpx.BaseTransport):
    """The Booga mock in-process; the first `times` full schema GETs (the first is the run's auth
    probe, which discovery reads as the document's first try) time out, and later ones are answered."""

    def __init__(self, times: int) -> None:
        self.inner = InProcessTransport(mocks.create_app("booga"))
        self.left, self.seen = times, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/api-management/openapi-schema/" and not request.url.query:
            self.seen += 1
            if self.left > 0:
                self.left -= 1
                raise httpx.ReadTimeout("timed out", request=request)
        return self.inner.handle_request(request)


def test_one_timeout_of_the_openapi_document_is_tried_again(tmp_path: Path) -> None:
    transport = SchemaTimesOut(times=1)
    with harness(transport=transport) as hooks:
        outcome = run("booga", Options(report_dir=str(tmp_path)))
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    schema_gets = [status for method, url, status in hooks.clients[0].recorder.sequence
                   if url.endswith("/api/api-management/openapi-schema/")]
    # The auth probe (discovery's first try) timed out, discovery tried once more: answered.
    assert transport.left == 0 and schema_gets[:2] == [None, 200], schema_gets
    assert result_of(outcome, "BGA-OPENAPI-SCHEMA").verdict == "pass"
    # The whole surface: every list of the served document, not the documents' defaults.
    assert report["surface"]["source"].startswith("the OpenAPI document served at"), report["surface"]
    assert outcome.exit_code == 0, {r.rule.id: r.reason for r in outcome.run.results if r.verdict != "pass"}


def test_two_timeouts_of_the_openapi_document_are_an_error_and_the_surface_says_so(tmp_path: Path) -> None:
    with harness(transport=SchemaTimesOut(times=2)):
        outcome = run("booga", Options(report_dir=str(tmp_path)))
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    schema = result_of(outcome, "BGA-OPENAPI-SCHEMA")
    assert schema.verdict == "error" and "no answer" in schema.reason, (schema.verdict, schema.reason)
    source = report["surface"]["source"]
    assert source.startswith("the document's defaults") and "got no response" in source, source
    assert not [r.rule.id for r in outcome.run.results if r.verdict == "fail"]


# -- a live list that gains records mid-run -----------------------------------------------------
class Growing:
    """The Booga mock, whose tenant A gains a new file (the newest, so first in the default
    ordering) while the kit runs, as a live deployment in use does: before every `every`-th request,
    or (`after_offset_page`) once, just after the first page asked for limit=5 (an offset page).
    `files` cuts tenant A's files to that many (a list on one page)."""

    def __init__(self, every: int = 0, *, files: int | None = None, after_offset_page: bool = False) -> None:
        self.mock = mocks.create_app("booga")
        if files is not None:
            mine = [f for f in self.mock.files if f["tenant"] == "A"][:files]
            self.mock.files = mine + [f for f in self.mock.files if f["tenant"] != "A"]
        self.every, self.after_offset_page = every, after_offset_page
        self.seen, self.added, self.pending = 0, 0, False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.seen += 1
            if self.pending or (self.every and self.seen % self.every == 0):
                self.add()
                self.pending = False
            if self.after_offset_page and scope["path"] == "/api/files/" and query(scope).get("limit") == "5":
                self.pending, self.after_offset_page = True, False
        await self.mock(scope, receive, send)

    def add(self) -> None:
        from datetime import datetime, timedelta

        from apiconform.profiles.booga.mock import iso

        newest = max((f for f in self.mock.files if f["tenant"] == "A"), key=lambda f: f["created_at"])
        self.added += 1
        moment = iso(datetime.fromisoformat(newest["created_at"].replace("Z", "+00:00")) + timedelta(minutes=1))
        self.mock.files.append({**newest, "id": str(uuid.UUID(int=self.added, version=4)),
                                "name": f"added {self.added}.txt", "created_at": moment, "updated_at": moment})


def test_a_list_that_gains_a_record_between_reads_is_not_an_offset_failure() -> None:
    # A record arrives before every request: the page the offset page is compared with, however
    # close, always shows the list moved. That is said (error), never blamed on offset.
    app = Growing(every=1)
    with harness(app=app):
        outcome = run("booga", Options(write_reports=False, rules=["BGA-LIST-OFFSET"]))
    result = result_of(outcome, "BGA-LIST-OFFSET")
    assert result.verdict == "error", result.reason
    assert "/api/files/" in result.reason and "the list changed between two reads" in result.reason, result.reason
    assert "/api/chat/messages/" not in result.reason  # a list that holds still is judged there: pass
    assert result.endpoint_outcomes["/api/chat/messages/"].verdict == "pass"


def test_the_last_two_are_compared_with_the_list_as_it_is_then() -> None:
    # A list of 40 (on one page) gains a record after the offset page, before its last two are
    # read: the whole list read just before them shows it, not the run's first page of the list.
    app = Growing(files=40, after_offset_page=True)
    with harness(app=app):
        outcome = run("booga", Options(write_reports=False, rules=["BGA-LIST-OFFSET"]))
    result = result_of(outcome, "BGA-LIST-OFFSET")
    assert app.added == 1 and result.verdict == "pass", result.reason


@pytest.mark.parametrize("files", [None, 40], ids=["237-files", "40-files"])
@pytest.mark.parametrize("every", [2, 3, 5])
def test_a_list_that_grows_now_and_then_is_never_an_offset_failure(every: int, files: int | None) -> None:
    # Whether a record lands between the two reads depends on the run's order: either the
    # comparison holds (pass) or the list is seen to move (error); offset is never blamed.
    app = Growing(every=every, files=files)
    with harness(app=app):
        outcome = run("booga", Options(write_reports=False, rules=["BGA-LIST-OFFSET"]))
    result = result_of(outcome, "BGA-LIST-OFFSET")
    assert app.added > 0
    assert result.verdict in ("pass", "error"), result.reason
    if result.verdict == "error":
        assert "the list changed between two reads" in result.reason, result.reason


# -- timestamps the names or the vendor's OpenAPI document show -------------------------------
def with_field(name: str, value: Any) -> Any:
    """Every resource of the mock's success bodies (`data`, each of `items`) also carries `name`."""
    def transform(_scope: dict[str, Any], _: bytes, answer: Answer) -> Answer:
        status, headers, body = answer
        if status != 200 or not body:
            return answer
        page = json.loads(body)
        for resource in [page.get("data"), *(page.get("items") or [])]:
            if isinstance(resource, dict):
                resource[name] = value
        return status, headers, json.dumps(page).encode()
    return transform


def vendor_document(tmp_path: Path, name: str, schema: dict[str, Any]) -> str:
    """The reference layout's OpenAPI document, its resource declaring the property `name`."""
    from apiconform.locations import fixtures_dir
    from apiconform.yamlfile import safe_load

    document = safe_load((fixtures_dir("boomerang") / "openapi.yaml").read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    schemas["Timestamp"] = {"type": "integer", "format": "int64"}
    schemas["DataEnvelope"]["properties"]["data"]["properties"] = {"id": {"type": "string"}, name: schema}
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def timestamps_rule(app: Any, **options: Any) -> RuleResult:
    with harness(app=app):
        outcome = run("boomerang", Options(write_reports=False, rules=["BMR-TIMESTAMPS-EPOCH-MS"], **options))
    return result_of(outcome, "BMR-TIMESTAMPS-EPOCH-MS")


@pytest.mark.parametrize(("value", "verdict"), [("2026-03-01T10:00:00Z", "fail"), (1763205835591, "pass")])
def test_a_camel_case_time_is_a_timestamp(value: Any, verdict: str) -> None:
    result = timestamps_rule(Rewrite(mocks.create_app("boomerang"), with_field("updatedAt", value)))
    assert result.verdict == verdict, result.reason
    if verdict == "fail":
        assert "updatedAt is '2026-03-01T10:00:00Z'" in result.reason, result.reason


@pytest.mark.parametrize("schema", [{"type": "string", "format": "date-time"},
                                    {"$ref": "#/components/schemas/Timestamp"},
                                    {"type": "integer", "description": "Unix epoch milliseconds"}],
                         ids=["date-time", "ref", "description"])
def test_a_field_the_vendors_document_declares_a_time_is_a_timestamp(schema: dict[str, Any],
                                                                     tmp_path: Path) -> None:
    # `lastSeen` says nothing by its name: without a document the kit does not take it for a time
    # (lenient where the documents are silent); the vendor's document says it is one, and the page
    # says how every timestamp is represented.
    app = Rewrite(mocks.create_app("boomerang"), with_field("lastSeen", "2026-03-01T10:00:00Z"))
    assert timestamps_rule(app).verdict == "pass"
    result = timestamps_rule(app, openapi_file=vendor_document(tmp_path, "lastSeen", schema))
    assert result.verdict == "fail" and "lastSeen is '2026-03-01T10:00:00Z'" in result.reason, result.reason


def test_the_times_a_document_declares() -> None:
    from tests.independent.boomerang_flask import OPENAPI

    from apiconform.surface import declared_timestamps
    from apiconform.yamlfile import safe_load

    document = {"components": {"schemas": {
        "Stamp": {"type": "integer", "description": "Unix epoch timestamp in milliseconds."},
        "Thing": {"properties": {"seen": {"$ref": "#/components/schemas/Stamp"},
                                 "modified": {"type": "string", "format": "date-time"},
                                 "born": {"type": "string", "format": "date"},
                                 "name": {"type": "string"},
                                 "nested": {"type": "object", "properties": {"expiry": {"format": "date-time"}}}}},
    }}, "paths": {"/things": {"get": {"parameters": [
        {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}}]}}}}
    assert declared_timestamps(document) == {"seen", "modified", "expiry"}
    # The Flask deployment's document: every EpochMillis property.
    flask = declared_timestamps(safe_load(OPENAPI.read_text(encoding="utf-8")))
    assert {"created_at", "updated_at", "generated_at", "occurred_at", "timestamp"} <= flask
    assert not flask & {"id", "name", "status", "price_cents"}
