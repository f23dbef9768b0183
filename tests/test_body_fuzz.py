"""Any body becomes a verdict, never a traceback (DESIGN.md: "JSON is RFC 8259 …").

- The bounded decoder (jsonbody.py) over arbitrary bytes and generated JSON-like text (deep
  nesting, long numbers, NaN tokens, unicode, lone surrogates, truncation): it never raises and
  tells "not JSON" (the target's fault) from "the kit's limit stopped it".
- Every registered check of both profiles over exchanges built from arbitrary bodies, headers
  and statuses: none raises, and each message can be written to a UTF-8 report.
- Targeted: NaN fails the JSON rules; a 200,000-deep body and a 100,000-digit integer over real
  HTTP end a full `apiconform run` with report.json and junit.xml; a body cut at
  `max_body_bytes` is `error` naming that setting, never `fail`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.servers import behaviours as b
from tests.servers.raw import Behaviour, RawServer
from tests.servers.runs import assert_readable_verdicts, read_report, target_file

from apiconform import checks, jsonbody
from apiconform.catalog import find_rule
from apiconform.cli import main
from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange, RecordedRequest, RecordedResponse
from apiconform.judge import judge_rule
from apiconform.results import RuleResult
from apiconform.runner import run
from apiconform.session import Options

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=100,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TOKEN = "live-token-3f9a77c2e1"
LIMIT = jsonbody.int_digits_limit()
# Rules whose checks judge whether a body is JSON, or an envelope inside it.
BODY_RULES = ("BGA-RESPONSE-JSON", "BGA-LIST-ENVELOPE", "BGA-ERROR-FORMAT", "BGA-RESOURCE-FIELDS",
              "BMR-RESPONSE-JSON", "BMR-ENVELOPE-DATA", "BMR-ENVELOPE-PAGINATED", "BMR-ERROR-FIELDS",
              "BMR-ERROR-HTTP-STATUS", "BMR-TIMESTAMPS-EPOCH-MS")


# -- strategies: JSON text, valid by construction ---------------------------------------------
def _long_int(n: int, sign: str) -> str:
    return sign + "7" + "3" * (n - 1)


scalar_text = st.one_of(
    st.sampled_from(["null", "true", "false", "0", "-0", "1e400", "-1.5E-3", "0.0", "1E+2"]),
    st.integers().map(str),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.builds(_long_int, st.integers(min_value=LIMIT - 2, max_value=LIMIT + 300), st.sampled_from(["", "-"])),
    st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
    st.text(max_size=12).map(json.dumps),
    st.text(max_size=12).map(lambda s: json.dumps(s, ensure_ascii=False)),
    st.sampled_from(['"\\ud800"', '"x\\udfff"', '"\\ud83d\\ude00"', '"\\u0000"', '"\\"\\\\/\\b\\f\\n\\r\\t"']),
)


def _obj(pairs: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in pairs) + "}"


json_text = st.recursive(
    scalar_text,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(st.text(max_size=6), inner), max_size=4).map(_obj),
    ),
    max_leaves=12,
)


@st.composite
def nested(draw: Any, inner: st.SearchStrategy[str] = json_text, max_depth: int = 1200) -> tuple[str, int]:
    """(text, wrapping depth): `inner` wrapped in arrays or objects `depth` levels deep."""
    depth = draw(st.one_of(st.integers(0, 20), st.integers(0, max_depth),
                           st.sampled_from([jsonbody.MAX_DEPTH - 15, jsonbody.MAX_DEPTH + 1])))
    text = draw(inner)
    if draw(st.booleans()):
        return "[" * depth + text + "]" * depth, depth
    return '{"a":' * depth + text + "}" * depth, depth


def _stdlib(text: str) -> tuple[bool, Any]:
    try:
        return True, json.loads(text)
    except (ValueError, RecursionError):
        return False, None


def _assert_one_outcome(decoded: jsonbody.Decoded) -> None:
    outcomes = [decoded.value is not jsonbody.MISSING, decoded.error is not None, decoded.kit_limit is not None]
    assert sum(outcomes) == 1, decoded


# -- (a) the decoder ----------------------------------------------------------------------------
JSONISH = st.lists(st.sampled_from([b"[", b"]", b"{", b"}", b'"', b"\\", b",", b":", b"1", b"-", b"e", b".",
                                    b"NaN", b"Infinity", b"true", b"nul", b" ", b"\n", b"\xff", b"\xc3\xa9",
                                    b"\\ud800", b"9" * (LIMIT + 1)]), max_size=80).map(b"".join)


@FUZZ
@given(st.one_of(st.binary(max_size=300), JSONISH))
def test_decoder_never_raises_on_any_bytes(body: bytes) -> None:
    decoded = jsonbody.decode(body)
    _assert_one_outcome(decoded)
    assert jsonbody.decode(body) == decoded or decoded.value is not jsonbody.MISSING  # same verdict again
    response = RecordedResponse(200, [], body)
    assert response.is_json == decoded.ok
    assert (response.json_error is None) == decoded.ok
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        assert decoded.error and "UTF-8" in decoded.error
        return
    ok, value = _stdlib(text)
    if decoded.ok and not re.search("[0-9]{" + str(LIMIT + 1) + r"}|\\u[dD][89a-fA-F]", text):
        assert ok and value == decoded.value
    if decoded.error and ok:
        assert re.search(r"NaN|Infinity", text), text  # the only JSON Python accepts and RFC 8259 does not


@FUZZ
@given(nested())
def test_decoder_on_json_text_decodes_or_names_the_kits_limit(case: tuple[str, int]) -> None:
    text, depth = case
    decoded = jsonbody.decode(text.encode())
    _assert_one_outcome(decoded)
    assert decoded.error is None, decoded.error  # valid JSON is never the target's fault
    if depth + 12 <= jsonbody.MAX_DEPTH:
        assert decoded.ok, decoded.kit_limit
        ok, value = _stdlib(text)
        if ok and depth < 100 and not re.search(r"\\u[dD][89a-fA-F]", text):
            assert value == decoded.value
    if depth > jsonbody.MAX_DEPTH:
        assert decoded.kit_limit and f"bound of {jsonbody.MAX_DEPTH} levels" in decoded.kit_limit
    if decoded.ok:
        # What a check or a report does with a value never raises (long integers, surrogates).
        repr(decoded.value)
        json.dumps(decoded.value, ensure_ascii=False).encode("utf-8")


@FUZZ
@given(nested(), st.sampled_from(["NaN", "Infinity", "-Infinity"]))
def test_nan_and_infinity_are_never_json_at_any_depth(case: tuple[str, int], token: str) -> None:
    text, _ = case
    bad = text.replace("null", token, 1) if "null" in text else f"[{text}, {token}]"
    decoded = jsonbody.decode(bad.encode())
    assert decoded.error and not decoded.kit_limit, decoded


@FUZZ
@given(nested(max_depth=jsonbody.MAX_DEPTH - 15), st.data())
def test_a_cut_body_is_not_json_or_json_never_the_kits_limit(case: tuple[str, int], data: Any) -> None:
    text, _ = case
    cut = text[: data.draw(st.integers(0, max(0, len(text) - 1)))]
    decoded = jsonbody.decode(cut.encode())
    _assert_one_outcome(decoded)
    assert decoded.kit_limit is None
    # Cut by the kit at its size cap, the same bytes are the kit's limit, naming the setting.
    capped = RecordedResponse(200, [], cut.encode(), truncated=True, size_cap=len(cut) + 1)
    assert not capped.is_json and capped.kit_limit and "[target] max_body_bytes" in capped.kit_limit


# -- (b) every registered check over arbitrary exchanges -----------------------------------------
field = st.one_of(json_text, st.sampled_from([
    '"f8c1d2e3-4a5b-6c7d-8e9f-0a1b2c3d4e5f"', '"2026-03-15T10:30:00Z"', '"2026-03-15T10:30:00+99:00"',
    '"2026-13-45T99:99"', "1763205835591", "1763205835", "401", "404", "-1", '""', '"x"', "[]", "{}",
    '["a"]', '[{"a": ["b"]}]', _long_int(LIMIT + 5, ""), _long_int(LIMIT + 5, "-"),
]))


def shaped(*keys: str) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(keys), unique=True).flatmap(
        lambda chosen: st.tuples(*[st.tuples(st.just(k), field) for k in chosen]).map(lambda kv: _obj(list(kv))))


FILE = shaped("id", "name", "size", "content_type", "created_at", "updated_at")
PAGINATION = shaped("page", "limit", "total_items", "total_pages", "has_more")
SHAPED = st.one_of(
    st.tuples(field, field, field, st.lists(st.one_of(FILE, field), max_size=3)).map(
        lambda t: f'{{"count": {t[0]}, "next": {t[1]}, "previous": {t[2]}, "results": [{", ".join(t[3])}]}}'),
    FILE,
    shaped("detail", "code", "limit", "name", "nested"),
    shaped("status", "code", "http_status", "timestamp", "trace_id", "details"),
    st.one_of(FILE, field).map(lambda d: f'{{"data": {d}}}'),
    st.tuples(st.lists(st.one_of(FILE, field), max_size=3), PAGINATION).map(
        lambda t: f'{{"items": [{", ".join(t[0])}], "pagination": {t[1]}}}'),
    shaped("created_at", "updated_at", "timestamp", "deleted_at", "data", "items"),
)
BODY = st.one_of(
    SHAPED.map(str.encode),
    nested(SHAPED).map(lambda c: c[0].encode()),
    json_text.map(str.encode),
    SHAPED.map(lambda t: t.replace("null", "NaN", 1).encode()),
    st.tuples(SHAPED, st.integers(0, 60)).map(lambda t: t[0][: t[1]].encode()),
    st.binary(max_size=200),
)
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=30)
NUMBERISH = st.one_of(st.integers(-5, 10**6).map(str), st.just("9" * (LIMIT + 10)), HEADER_TEXT,
                      st.from_regex(r"\A ?[0-9]{1,30} ?\Z"))
CONTENT_TYPE = st.one_of(st.sampled_from(["application/json", "application/json; charset=utf-8",
                                          "application/problem+json", "text/html", "application/json; charset",
                                          "application/json; charset=\"UTF-8\"", ";", ""]), HEADER_TEXT)
ACCEPT_ENCODING = st.one_of(st.sampled_from(["identity", "gzip", "gzip;q=0", "gzip;q=1.2.3", "*;q=.", "br, gzip"]),
                            st.text("gzip;q=0.1, *identity", max_size=20))
RATE_NAMES = ("X-RateLimit-Limit-Minute", "X-RateLimit-Remaining-Minute", "X-RateLimit-Limit-Hour",
              "X-RateLimit-Remaining-Hour")
PATHS = ("/api/files/", "/api/files/f8c1d2e3-4a5b-6c7d-8e9f-0a1b2c3d4e5f/", "/api/chat/messages/",
         "/api/api-management/openapi-schema/", "/v1/example/resources", "/v1/example/resource", "/", "/x y")
QUERY_VALUE = st.one_of(st.integers().map(str), st.just("9" * (LIMIT + 10)), st.text(max_size=8),
                        st.sampled_from(["", " 5", "-1", "1e3", "0x10"]))


@st.composite
def exchanges(draw: Any) -> Exchange:
    query = draw(st.dictionaries(st.sampled_from(["limit", "offset", "page", "id", "ordering", "search"]),
                                 QUERY_VALUE, max_size=3))
    url = "https://t.invalid" + draw(st.sampled_from(PATHS)) + (f"?{urlencode(query)}" if query else "")
    req_headers = [("Accept-Encoding", draw(ACCEPT_ENCODING))]
    if draw(st.booleans()):
        req_headers.append(("X-Request-Id", draw(HEADER_TEXT)))
    headers: list[tuple[str, str]] = []
    if draw(st.integers(0, 4)):
        headers.append(("Content-Type", draw(CONTENT_TYPE)))
    for name in RATE_NAMES:
        if draw(st.integers(0, 3)):
            headers.append((name, draw(NUMBERISH)))
    for name, values in (("Content-Encoding", st.sampled_from(["gzip", "identity", "br", "", "x-gzip, gzip"])),
                         ("X-Request-Id", HEADER_TEXT), ("Retry-After", NUMBERISH), ("Allow", HEADER_TEXT)):
        if draw(st.integers(0, 3)) == 0:
            headers.append((name, draw(values)))
    response = RecordedResponse(
        status=draw(st.one_of(st.sampled_from([200, 201, 204, 304, 400, 401, 404, 405, 429, 500, 501, 503]),
                              st.integers(100, 599))),
        headers=headers, body=draw(BODY), truncated=draw(st.integers(0, 5)) == 0,
        decode_error=draw(st.one_of(st.none(), st.none(), st.just("Content-Encoding: gzip stream is cut short"))),
        size_cap=1000)
    method = draw(st.sampled_from(["GET", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "BREW"]))
    return Exchange(RecordedRequest(method, url, req_headers), response)


SETTINGS = [{}, {"params": {"limit": "page_size", "offset": "skip"}, "paths": {"list": "/api/chat/messages/"},
                 "timestamp_fields": ["ts", "timestamp"]}]


@settings(FUZZ, max_examples=250)
@given(exchanges(), st.sampled_from(SETTINGS))
def test_every_registered_check_over_any_exchange_never_raises(ex: Exchange, values: dict[str, Any]) -> None:
    rules = checks.checked_rules()
    assert any(r.startswith("BGA-") for r in rules) and any(r.startswith("BMR-") for r in rules)
    with checks.configured(values):
        for rule_id in rules:
            for registered in checks.REGISTRY[rule_id]:
                if not registered.applies(ex):
                    continue
                for message in registered.func(ex):
                    assert isinstance(message, str)
                    message.encode("utf-8")  # it can be written to report.json
            found = checks.violations(rule_id, ex)
            assert not [m for m in found if isinstance(m, checks.Remark | checks.Unjudged)]
            if ex.response is not None and ex.response.kit_limit and rule_id in BODY_RULES:
                # The kit's own limit is never the target's fault (a Content-Type is a header).
                assert all("Content-Type" in m for m in found), (rule_id, found)
    json.dumps(ex.to_dict(), ensure_ascii=False).encode("utf-8")
    ex.describe()


# -- the Unjudged finding: judge and ctx.check ---------------------------------------------------
def _capped(status: int = 200) -> Exchange:
    response = RecordedResponse(status, [("Content-Type", "application/json; charset=utf-8")], b'{"data": {"id"',
                                truncated=True, size_cap=8000)
    return Exchange(RecordedRequest("GET", "https://t.invalid/v1/example/resource"), response)


def test_unjudged_is_no_violation_and_makes_an_otherwise_passing_rule_error() -> None:
    ex = _capped()
    found = checks.findings("BMR-RESPONSE-JSON", ex)
    assert found and all(isinstance(m, checks.Unjudged) for m in found)
    assert "max_body_bytes" in found[0] and "8000 bytes" in found[0]
    assert checks.violations("BMR-RESPONSE-JSON", ex) == []
    result = RuleResult(find_rule("BMR-RESPONSE-JSON"), verdict="pass")
    good = Exchange(ex.request, RecordedResponse(200, ex.response.headers, b'{"data": {"id": "x"}}'))  # type: ignore[union-attr]
    judge_rule(result, [good, ex])
    assert result.verdict == "error" and "1 of 2 exchanges" in result.reason and "max_body_bytes" in result.reason
    assert result.evidence == [ex] and result.judged == 1
    failing = RuleResult(result.rule, verdict="pass")
    bad = Exchange(ex.request, RecordedResponse(200, ex.response.headers, b"<html>"))  # type: ignore[union-attr]
    judge_rule(failing, [ex, bad])
    assert failing.verdict == "fail" and failing.evidence == [bad]  # a real violation still wins


def test_ctx_check_raises_incomplete_for_an_unjudged_exchange() -> None:
    ctx = Context.__new__(Context)
    ctx.target = type("T", (), {"settings": {}})()  # type: ignore[assignment]
    ctx.rule = None
    ctx.notes = []
    ctx._surface = None
    with pytest.raises(Incomplete, match="max_body_bytes") as info:
        ctx.check(_capped(), "BMR-RESPONSE-JSON")
    assert info.value.exchange is not None


# -- targeted ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_fail_the_json_rules(token: str) -> None:
    body = f'{{"data": {{"id": "example-1", "score": {token}}}}}'.encode()
    headers = [("Content-Type", "application/json; charset=utf-8")]
    for rule_id, path in (("BGA-RESPONSE-JSON", "/api/files/x/"), ("BMR-RESPONSE-JSON", "/v1/example/resource")):
        ex = Exchange(RecordedRequest("GET", "https://t.invalid" + path), RecordedResponse(200, headers, body))
        problems = checks.violations(rule_id, ex)
        assert problems and token in problems[0] and "RFC 8259" in problems[0], (rule_id, problems)


def test_long_integers_and_deep_bodies_decode_or_say_why() -> None:
    value = jsonbody.decode(b'{"count": ' + b"9" * 100_000 + b"}").value
    big = value["count"]
    assert isinstance(big, int) and big > 10**100 and big != 404 and big == jsonbody.LongInt("9" * 100_000)
    assert "100000 digits" in repr(big) and "100000 digits" in f"{big}" and json.dumps(value)
    deep = jsonbody.decode(b"[" * 200_000 + b"]" * 200_000)
    assert deep.kit_limit and "200000 levels" in deep.kit_limit and deep.error is None
    assert jsonbody.decode(b"[" * jsonbody.MAX_DEPTH + b"]" * jsonbody.MAX_DEPTH).ok
    assert jsonbody.decode(b"[" * 200_000).error  # unbalanced: not JSON, however deep


ABUSE: dict[str, Behaviour] = {"deep-arrays": b.deep_arrays, "long-integer": b.long_integer}
E2E = [(p, c) for p in ("boomerang", "booga") for c in ABUSE]


@pytest.mark.parametrize(("profile", "case"), E2E, ids=[f"{p}:{c}" for p, c in E2E])
def test_abusive_json_over_http_ends_in_verdicts(profile: str, case: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("APICONFORM_TOKEN", TOKEN)
    out = tmp_path / "r"
    with RawServer(ABUSE[case]) as server:
        code = main(["run", profile, "--base-url", server.url, "--report-dir", str(out), "--quiet",
                     "--target", target_file(tmp_path, max_body_bytes=1_000_000)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert code in (1, 3), captured.err
    assert (out / "junit.xml").is_file()
    report = read_report(out)
    assert_readable_verdicts(report)
    rules = {r["id"]: r for r in report["rules"]}
    if case == "deep-arrays":
        json_rules = ["BGA-RESPONSE-JSON"] if profile == "booga" else \
            ["BMR-RESPONSE-JSON", "BMR-ENVELOPE-DATA", "BMR-ENVELOPE-PAGINATED"]
        for rule_id in json_rules:
            assert rules[rule_id]["verdict"] == "error", rules[rule_id]
            assert "bound of 500 levels" in rules[rule_id]["reason"], rules[rule_id]
    elif profile == "booga":
        # A 100,000-digit integer is JSON: BGA-RESPONSE-JSON does not fail it.
        assert rules["BGA-RESPONSE-JSON"]["verdict"] in ("pass", "error"), rules["BGA-RESPONSE-JSON"]
    else:
        # JSON, judged: but Boomerang's success body is an object or an array.
        assert rules["BMR-RESPONSE-JSON"]["verdict"] == "fail", rules["BMR-RESPONSE-JSON"]
        assert "not an object or array" in rules["BMR-RESPONSE-JSON"]["reason"]


def _fails(profile: str, tmp_path: Path, cap: int | None) -> tuple[set[str], list[dict[str, str]]]:
    target = tmp_path / f"{profile}-{cap}.toml"
    target.write_text(f"[target]\nmax_body_bytes = {cap}\n" if cap else "[target]\n", encoding="utf-8")
    outcome = run(profile, Options(target_file=str(target), write_reports=False))
    rules = [{"id": r.rule.id, "verdict": r.verdict, "reason": r.reason} for r in outcome.run.results]
    return {r["id"] for r in rules if r["verdict"] == "fail"}, rules


@pytest.mark.parametrize("profile", ["booga", "boomerang"])
def test_a_body_cut_at_the_size_cap_is_the_kits_limit_not_a_failure(profile: str, tmp_path: Path) -> None:
    capped_fails, rules = _fails(profile, tmp_path, 8000)
    # Against the conformant embedded mock the cap may add errors, never a failure (a rule the
    # uncapped run fails for reasons of its own is left to the suites' own tests).
    uncapped_fails, _ = _fails(profile, tmp_path, None) if capped_fails else (set(), [])
    assert capped_fails <= uncapped_fails, [r for r in rules if r["id"] in capped_fails - uncapped_fails]
    errors = [r for r in rules if r["verdict"] == "error"]
    assert errors and any("[target] max_body_bytes" in r["reason"] for r in errors), errors
