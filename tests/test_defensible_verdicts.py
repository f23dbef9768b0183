"""Every verdict defensible in an audit: rows that used to pass on partial evidence, blame the
target for the kit's limits, or be stricter or more lenient than the text.

Each probe server is the reference mock with one behaviour changed by a small ASGI wrapper,
run in-process (session.harness), so only the point under test differs from a conformant
deployment. Each test failed on the kit before these fixes.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from tests.servers.rewrite import Answer, Rewrite

from apiconform import mocks
from apiconform.checks import violations
from apiconform.exchange import Exchange, RecordedRequest, RecordedResponse
from apiconform.inprocess import InProcessTransport
from apiconform.profiles.booga import probes as probes_booga
from apiconform.runner import RunOutcome, run
from apiconform.session import Options, harness


def verdict(outcome: RunOutcome, rule: str) -> tuple[str, str]:
    result = next(r for r in outcome.run.results if r.rule.id == rule)
    return result.verdict, result.reason


def embedded(profile: str, app: Any, *rules: str, **options: Any) -> RunOutcome:
    with harness(app=app):
        return run(profile, Options(write_reports=False, rules=list(rules), **options))


def query(scope: dict[str, Any]) -> dict[str, str]:
    return dict(parse_qsl(scope.get("query_string", b"").decode()))


# -- passes without the evidence it needs ---------------------------------------------------
def test_the_plugin_filter_with_one_plugin_is_not_a_pass(tmp_path: Any) -> None:
    # One plugin named: a schema endpoint that ignores plugin= answers exactly like one that filters.
    target = tmp_path / "target.toml"
    target.write_text('profile = "booga"\n[openapi_plugins]\nfiles = "/api/files/"\n')
    outcome = run("booga", Options(write_reports=False, rules=["BGA-OPENAPI-PLUGIN"], target_file=str(target),
                                   mutant="BGA-OPENAPI-PLUGIN"))
    assert verdict(outcome, "BGA-OPENAPI-PLUGIN")[0] == "error", verdict(outcome, "BGA-OPENAPI-PLUGIN")


def test_a_walk_cut_at_the_kits_page_cap_reads_the_last_page_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    # The mock's 237 files take 3 pages of 79: with a cap of 2 pages the walk stops early, and the
    # last page is fetched directly (the end of the list is shown, not assumed); the note says so.
    monkeypatch.setattr(probes_booga, "WALK_CAP", 2)
    outcome = run("booga", Options(write_reports=False, rules=["BGA-LIST-TRAVERSAL"]))
    result = next(r for r in outcome.run.results if r.rule.id == "BGA-LIST-TRAVERSAL")
    assert result.verdict == "pass", result.reason
    assert any("the last page read directly" in note for note in result.notes), result.notes
    assert any(path == "/api/files/" for _, path in outcome.run.methods)
    last = [ex for ex in result.seen if "offset=200" in ex.request.url]
    assert last and last[0].status == 200


def test_a_last_page_that_still_has_next_fails_the_traversal(monkeypatch: pytest.MonkeyPatch) -> None:
    # A list too long to walk whose last page (read directly) still offers next: the walk never ends.
    def endless(scope: dict[str, Any], _: bytes, answer: Answer) -> Answer:
        status, headers, body = answer
        if scope["path"] == "/api/files/" and query(scope).get("offset") == "200":
            page = json.loads(body)
            page["next"] = "https://booga.apiconform.invalid/api/files/?limit=100&offset=300"
            return status, headers, json.dumps(page).encode()
        return answer

    monkeypatch.setattr(probes_booga, "WALK_CAP", 2)
    outcome = embedded("booga", Rewrite(mocks.create_app("booga"), endless), "BGA-LIST-TRAVERSAL", "BGA-LIST-LINKS")
    assert verdict(outcome, "BGA-LIST-LINKS")[0] == "fail"


def test_created_after_on_an_unclean_walk_is_not_a_pass() -> None:
    outcome = run("booga", Options(write_reports=False, rules=["BGA-FILTER-CREATED-AFTER"],
                                   mutant="BGA-LIST-TRAVERSAL"))
    state, reason = verdict(outcome, "BGA-FILTER-CREATED-AFTER")
    assert state == "error" and "walk" in reason, (state, reason)


class PlainHttpTimesOut(httpx.BaseTransport):
    """https reaches the mock; the plain-HTTP probe times out (a firewall dropping port 80)."""

    def __init__(self, app: Any) -> None:
        self.inner = InProcessTransport(app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "http":
            raise httpx.ReadTimeout("timed out", request=request)
        return self.inner.handle_request(request)


def test_a_timed_out_plain_http_probe_is_not_a_pass() -> None:
    with harness(transport=PlainHttpTimesOut(mocks.create_app("boomerang"))):
        outcome = run("boomerang", Options(write_reports=False, rules=["BMR-TRANSPORT-HTTPS"]))
    state, reason = verdict(outcome, "BMR-TRANSPORT-HTTPS")
    assert state == "error" and "no answer" in reason, (state, reason)


def test_a_body_that_is_read_is_a_failure_even_when_its_id_is_unknown() -> None:
    # The deployment reads `id` from a GET's JSON body; the id it names does not exist there: a
    # 404 is the body changing the answer, not a rejection of it.
    def reads_the_body(scope: dict[str, Any], body: bytes, answer: Answer) -> Answer:
        try:
            sent = json.loads(body) if body else None
        except ValueError:
            sent = None
        if isinstance(sent, dict) and "id" in sent and sent["id"] != query(scope).get("id"):
            error = {"status": "error", "code": "NOT_FOUND", "http_status": 404, "timestamp": 1763205835591,
                     "trace_id": "00000000-0000-4000-8000-000000000000", "details": {"id": sent["id"]}}
            return 404, [(b"content-type", b"application/json; charset=utf-8")], json.dumps(error).encode()
        return answer

    outcome = embedded("boomerang", Rewrite(mocks.create_app("boomerang"), reads_the_body), "BMR-REQUEST-BODY")
    state, reason = verdict(outcome, "BMR-REQUEST-BODY")
    assert state == "fail" and "404" in reason, (state, reason)


def test_previous_pointing_at_the_wrong_page_fails_the_links_rule() -> None:
    # From the third page on, previous says offset 0 (page 2's previous is right either way).
    def wrong_previous(scope: dict[str, Any], _: bytes, answer: Answer) -> Answer:
        status, headers, body = answer
        params = query(scope)
        limit, offset = int(params.get("limit", "20") or 20), int(params.get("offset", "0") or 0)
        if scope["path"] == "/api/files/" and status == 200 and offset >= 2 * limit:
            page = json.loads(body)
            page["previous"] = "https://booga.apiconform.invalid/api/files/?" + urlencode(
                {"limit": params.get("limit", "20")})
            body = json.dumps(page).encode()
        return status, headers, body

    outcome = embedded("booga", Rewrite(mocks.create_app("booga"), wrong_previous), "BGA-LIST-LINKS")
    state, reason = verdict(outcome, "BGA-LIST-LINKS")
    assert state == "fail" and "previous" in reason, (state, reason)


# -- stricter than the text ------------------------------------------------------------------
def exchange(url: str, status: int, content_type: str, body: bytes) -> Exchange:
    return Exchange(RecordedRequest("GET", url, []), RecordedResponse(status, [("Content-Type", content_type)], body))


def test_the_sdk_archive_the_document_describes_is_not_judged_as_json() -> None:
    url = "https://api.example/api/api-management/generate-sdk/?language=python"
    zipped = b"PK\x03\x04apiconform"
    assert violations("BGA-RESPONSE-JSON", exchange(url + "&download=zip", 200, "application/zip", zipped)) == []
    assert violations("BGA-RESPONSE-JSON", exchange(url, 200, "application/zip", zipped))


# -- more lenient than the text --------------------------------------------------------------
def test_a_redirect_is_a_non_2xx_response_in_the_error_format() -> None:
    # "All non-2xx responses": a 301 with an HTML page for the unversioned path.
    def redirects(scope: dict[str, Any], _: bytes, answer: Answer) -> Answer:
        if not scope["path"].startswith("/v1/"):
            return 301, [(b"location", b"https://boomerang.apiconform.invalid/v1/"),
                         (b"content-type", b"text/html")], b"<html>moved</html>"
        return answer

    outcome = embedded("boomerang", Rewrite(mocks.create_app("boomerang"), redirects), "BMR-ERROR-FIELDS",
                       "BMR-PATH-VERSIONED")
    state, reason = verdict(outcome, "BMR-ERROR-FIELDS")
    assert state == "fail" and "301" in reason, (state, reason)


def test_a_5xx_is_in_the_booga_error_format_too() -> None:
    def crashes(scope: dict[str, Any], _: bytes, answer: Answer) -> Answer:
        if scope["path"] == "/api/files/" and query(scope).get("search") == "%_'\"":
            return 500, [(b"content-type", b"application/json")], b'{"error": "internal"}'
        return answer

    outcome = embedded("booga", Rewrite(mocks.create_app("booga"), crashes), "BGA-ERROR-FORMAT", "BGA-NO-5XX")
    assert verdict(outcome, "BGA-NO-5XX")[0] == "fail"
    state, reason = verdict(outcome, "BGA-ERROR-FORMAT")
    assert state == "fail" and "500" in reason, (state, reason)


# -- the evidence itself ---------------------------------------------------------------------
def test_a_json_body_cut_at_the_reports_cap_is_still_laid_out_in_the_html() -> None:
    from apiconform.report.html import _body

    cut = '{"count": 237, "results": [{"id": "f1", "name": "a, b \\" c"}, {"id": "f2", "na'
    shown = _body(cut)
    assert shown.splitlines()[:3] == ['{', '  "count": 237,', '  "results": [']
    assert '"name": "a, b \\" c"' in shown  # commas and quotes inside strings are left alone


def test_a_missing_token_rejected_with_403_is_a_rejection() -> None:
    # The Boomerang page names no status for a missing token: any 4xx in the error format
    # rejects it; 401 is recommended, a note.
    def forbids(scope: dict[str, Any], _: bytes, answer: Answer) -> Answer:
        status, headers, body = answer
        if status == 401:
            error = json.loads(body)
            error.update(code="FORBIDDEN", http_status=403)
            return 403, headers, json.dumps(error).encode()
        return answer

    outcome = embedded("boomerang", Rewrite(mocks.create_app("boomerang"), forbids), "BMR-AUTH-MISSING",
                       "BMR-AUTH-INVALID")
    for rule in ("BMR-AUTH-MISSING", "BMR-AUTH-INVALID"):
        result = next(r for r in outcome.run.results if r.rule.id == rule)
        assert result.verdict == "pass", (rule, result.reason)
        assert any("401 is recommended" in note for note in result.notes), result.notes


@pytest.mark.parametrize("value", ["0", str(2**64 + 1)])
def test_pages_below_1_and_past_64_bits_are_sent(value: str) -> None:
    # A deployment whose page parser crashes below 1 or past 64 bits fails BMR-NO-5XX.
    def crashes(scope: dict[str, Any], _: bytes, answer: Answer) -> Answer:
        if query(scope).get("page") == value:
            error = {"status": "error", "code": "INTERNAL", "http_status": 500, "timestamp": 1763205835591,
                     "trace_id": "00000000-0000-4000-8000-000000000000", "details": {}}
            return 500, [(b"content-type", b"application/json; charset=utf-8")], json.dumps(error).encode()
        return answer

    outcome = embedded("boomerang", Rewrite(mocks.create_app("boomerang"), crashes), "BMR-NO-5XX")
    state, reason = verdict(outcome, "BMR-NO-5XX")
    assert state == "fail" and "500" in reason, (state, reason)
