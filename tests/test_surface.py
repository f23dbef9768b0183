"""The deployment's surface (surface.py): every GET operation of an OpenAPI document, classified,
placed under its server URL's path and the base URL's, and called with real path values."""

from __future__ import annotations

from typing import Any

import pytest

from apiconform.catalog import find_rule
from apiconform.client import Client, relative_to_base
from apiconform.coverage import family, settle_evidence
from apiconform.exchange import Exchange, RecordedRequest, RecordedResponse
from apiconform.results import RuleResult
from apiconform.surface import Endpoint, Param, Surface, from_openapi, servers_path

PAGE = {"type": "object", "properties": {"count": {"type": "integer"}, "results": {"type": "array"}}}
DRF_LIKE: dict[str, Any] = {
    "openapi": "3.0.3",
    "paths": {
        "/api/files/": {"get": {"parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}},
                                               {"name": "offset", "in": "query", "schema": {"type": "integer"}}],
                                "responses": {"200": {"content": {"application/json": {"schema": {
                                    "$ref": "#/components/schemas/PaginatedFileList"}}}}}}},
        "/api/files/{id}/": {"get": {"parameters": [{"name": "id", "in": "path", "required": True,
                                                     "schema": {"type": "string", "format": "uuid"}}]}},
        "/api/tickets/": {"get": {"parameters": [{"$ref": "#/components/parameters/Status"}],
                                  "responses": {"200": {"content": {"application/json": {"schema": {
                                      "allOf": [{"$ref": "#/components/schemas/PaginatedFileList"}]}}}}}}},
        "/api/api-management/generate-sdk/": {"get": {"parameters": [
            {"name": "language", "in": "query", "required": True, "schema": {"enum": ["python", "curl"]}}]}},
        "/api/files/{id}/content/": {"post": {}},
    },
    "components": {"schemas": {"PaginatedFileList": PAGE},
                   "parameters": {"Status": {"name": "status", "in": "query",
                                             "schema": {"type": "string", "enum": ["open", "closed"]}}}},
}


def test_every_get_operation_is_classified() -> None:
    surface = from_openapi("booga", DRF_LIKE, "test", ("limit", "offset"))
    kinds = {e.template: e.kind for e in surface.endpoints}
    # A list by its page schema ($ref and allOf resolved) or by declaring limit/offset; a path
    # ending in an identifier is a single resource; the rest other; POST-only paths are not GETs.
    assert kinds == {"/api/files/": "list", "/api/files/{id}/": "single", "/api/tickets/": "list",
                     "/api/api-management/generate-sdk/": "other"}
    tickets = surface.find("/api/tickets/")
    assert tickets is not None and tickets.param("status") is not None
    assert tickets.param("status").enum == ["open", "closed"]  # type: ignore[union-attr]
    sdk = surface.find("/api/api-management/generate-sdk/")
    assert sdk is not None and surface.required_query(sdk) == ({"language": "python"}, "")


def test_boomerang_kinds_and_the_servers_path() -> None:
    document = {"servers": [{"url": "https://gateway.bmrg.app/v1"}], "paths": {
        "/widgets": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {
            "properties": {"items": {"type": "array"}, "pagination": {"type": "object"}}}}}}}}},
        "/widgets/{widget_id}": {"get": {"parameters": [{"name": "widget_id", "in": "path", "required": True,
                                                         "example": "wdg_001", "schema": {"type": "string"}}]}},
        "/stats/summary": {"get": {}},
    }}
    assert servers_path(document) == "/v1"
    surface = from_openapi("boomerang", document, "test", ("page", "limit"))
    assert {e.template: e.kind for e in surface.endpoints} == {
        "/v1/widgets": "list", "/v1/widgets/{widget_id}": "single", "/v1/stats/summary": "single"}
    item = surface.find("/v1/widgets/{widget_id}")
    assert item is not None and item.parent == "/v1/widgets"
    assert Endpoint("/api/files/{id}/", "single").parent == "/api/files/"
    # The document's example, until the list shows a real id.
    assert surface.path_values(item) == ({"widget_id": "wdg_001"}, "")


def test_path_values_prefer_ids_seen_in_the_list_and_never_invent_one() -> None:
    item = Endpoint("/api/tickets/{id}/", "single", path_params=(Param("id", "path", required=True),))
    surface = Surface([item], "test")
    values, why = surface.path_values(item)
    assert values == {} and "no value is known" in why
    surface.remember_ids("/api/tickets/", ["7b1e", "7b1e", 3])
    assert surface.path_values(item) == ({"id": "7b1e"}, "")
    assert item.fill({"id": "a b/c"}) == "/api/tickets/a%20b%2Fc/"


@pytest.mark.parametrize(("base", "path", "sent"), [
    ("https://gateway.bmrg.app/v1", "/v1/example/resource", "https://gateway.bmrg.app/v1/example/resource"),
    ("https://gateway.bmrg.app/v1/", "/v1/example/resource", "https://gateway.bmrg.app/v1/example/resource"),
    ("https://gw.example/booga", "/api/files/", "https://gw.example/booga/api/files/"),
    ("https://api.example", "/api/files/?limit=1", "https://api.example/api/files/?limit=1"),
    ("https://gw.example/x/v2", "/v1/example/resource", "https://gw.example/x/v2/v1/example/resource"),
])
def test_a_base_url_with_a_path_is_taken_as_given(base: str, path: str, sent: str) -> None:
    client = Client(base)
    try:
        assert client.url(path) == sent
    finally:
        client.close()
    assert relative_to_base("/gw/v1", "/v1/") == ""


def test_urls_are_matched_to_endpoints_under_the_base_path() -> None:
    surface = Surface([Endpoint("/v1/widgets", "list"), Endpoint("/v1/widgets/{widget_id}", "single"),
                       Endpoint("/v1/widgets/summary", "single")], "test", base_url="http://h:1/gw/v1")
    assert surface.label_of("http://h:1/gw/v1/widgets?page=2") == "/v1/widgets"
    assert surface.label_of("http://h:1/gw/v1/widgets/wdg_9") == "/v1/widgets/{widget_id}"
    assert surface.label_of("http://h:1/gw/v1/widgets/summary") == "/v1/widgets/summary"  # literal first
    assert surface.label_of("http://h:1/gw/widgets") is None


def exchange(url: str, status: int, method: str = "GET") -> Exchange:
    return Exchange(RecordedRequest(method, url, []), RecordedResponse(status, [], b"{}"))


def test_a_failure_on_404s_only_is_an_error_pointing_at_the_base_url() -> None:
    surface = Surface([Endpoint("/api/files/", "list")], "test", base_url="http://h:1/wrong")
    sent = [exchange("http://h:1/wrong/api/files/", 404), exchange("http://h:1/wrong/api/files/?limit=1", 404)]
    failed = RuleResult(find_rule("BGA-LIST-ENVELOPE"), verdict="fail", reason="the list answered 404")
    failed.offending = sent[:1]
    failed.see(sent)
    empty = RuleResult(find_rule("BGA-LIST-LIMIT"), verdict="pass")
    settle_evidence([failed, empty], sent, "http://h:1/wrong", surface)
    assert failed.verdict == "error" and "base URL (http://h:1/wrong)" in failed.reason
    # A pass that judged nothing has no evidence: error, never pass.
    assert empty.verdict == "error" and "no exchange was judged" in empty.reason


def test_a_documented_path_answering_404_while_others_answer_is_the_targets_failure() -> None:
    # The schema path is fixed by the document: its 404 fails while the lists answer (the base URL
    # is proven right by them); only a run where nothing answered but 404 blames the base URL.
    surface = Surface([Endpoint("/api/tasks/", "list")], "test", base_url="http://h:1")
    schema = exchange("http://h:1/api/api-management/openapi-schema/", 404)
    sent = [schema, exchange("http://h:1/api/tasks/", 200)]
    failed = RuleResult(find_rule("BGA-OPENAPI-SCHEMA"), verdict="fail", reason="the schema endpoint answered 404")
    failed.offending = [schema]
    failed.see([schema])
    settle_evidence([failed], sent, "http://h:1", surface)
    assert failed.verdict == "fail"


def test_families() -> None:
    assert [family(r) for r in ("BGA-LIST-ENVELOPE", "BGA-NOT-FOUND", "BMR-REQUEST-ID-ECHO", "BMR-NO-5XX")] == [
        "LIST", "ERROR", "REQUEST", "ERROR"]


def test_a_run_says_what_it_found_and_what_it_expects_to_send(capsys: pytest.CaptureFixture[str]) -> None:
    from apiconform.runner import run
    from apiconform.session import Options

    outcome = run("booga", Options(write_reports=False, progress=True, rules=["BGA-LIST-ENVELOPE"]))
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "expecting about" in line)
    assert line.startswith("4 endpoints (2 list, 1 single, 1 other) from the OpenAPI document served at"), line
    assert "at the advertised" in line and "requests a minute" in line  # the mock advertises its limit
    assert outcome.run.extra["surface"]["endpoints"] == 4
