"""Independently written Boomerang servers: conformant ones that differ wherever the document
allows must pass, and ones that break one rule must fail exactly that rule.

The variants below share no code with the reference mock. They run in-process through the
embedded path of the runner (the mock factory is swapped for the variant), so every rule
runs, BMR-TRANSPORT-HTTPS included; one test also runs the suite over real HTTP (uvicorn).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from tests.servers.threaded import serve_in_thread

from apiconform import mocks
from apiconform.catalog import load_catalog
from apiconform.runner import RunOutcome, run
from apiconform.session import Options, harness

TOKEN = mocks.credentials("boomerang")["primary"]
CREATED = 1_700_000_000_000


class Variant:
    """A small Boomerang server; the keyword switches pick where it differs from the mock."""

    def __init__(self, *, clamp: bool = False, head: str = "serve",
                 content_type: str = "application/json; charset=utf-8",
                 plain_http: str = "403", method_status: int = 405, allow: bool = True, body: str = "ignore",
                 malformed_auth: int = 401, iso_timestamps: bool = False, http_status_text: bool = False,
                 items: int = 30) -> None:
        self.clamp, self.head, self.content_type = clamp, head, content_type
        self.plain_http, self.method_status, self.allow, self.body = plain_http, method_status, allow, body
        self.malformed_auth, self.iso_timestamps, self.http_status_text = malformed_auth, iso_timestamps, \
            http_status_text
        self.rows: list[dict[str, Any]] = [
            {"id": f"r{n:03d}", "title": f"R{n}", "created_at": CREATED + n, "deleted_at": None, "tags": []}
            for n in range(1, items + 1)]

    def when(self, ms: int) -> object:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000)) if self.iso_timestamps else ms

    def fail(self, status: int, code: str, **extra: str) -> tuple[int, Any, dict[str, str]]:
        return status, {"status": status, "code": code,
                        "http_status": str(status) if self.http_status_text else status,
                        "timestamp": int(time.time() * 1000), "trace_id": secrets.token_hex(8),
                        "details": [], "hint": "variant"}, extra

    def route(self, method: str, scheme: str, path: str, query: dict[str, str], headers: dict[str, str],
              body: bytes) -> tuple[int, Any, dict[str, str]]:
        if scheme != "https":
            if self.plain_http == "redirect":
                return 308, None, {"location": "https://boomerang.apiconform.invalid" + path}
            return self.fail(403 if self.plain_http == "403" else 400, "HTTPS_ONLY")
        if not path.startswith("/v1/"):
            return self.fail(404, "NOT_FOUND")
        if method == "HEAD" and self.head == "reject":
            return self.fail(400, "UNSUPPORTED")
        if method not in ("GET", "HEAD"):
            return self.fail(self.method_status, "METHOD", **({"allow": "GET"} if self.allow else {}))
        if "content-type" in headers:
            return self.fail(400, "VALIDATION_FAILED")
        if body and self.body == "reject":
            return self.fail(400, "VALIDATION_FAILED")
        scheme_, _, token = headers.get("authorization", "").partition(" ")
        if "authorization" not in headers:
            return self.fail(401, "UNAUTHORIZED")
        if scheme_.lower() != "bearer" or not token:
            return self.fail(self.malformed_auth, "UNAUTHORIZED")
        if token != TOKEN:
            return self.fail(401, "UNAUTHORIZED")
        if path == "/v1/example/resource":
            found = [r for r in self.rows if r["id"] == query.get("id")]
            # The reference layout's example id is example-1; this server maps it to its first row.
            row = found[0] if found else ({**self.rows[0], "id": "example-1"} if query.get("id") == "example-1"
                                          else None)
            if row is None:
                return self.fail(404, "NOT_FOUND")
            return 200, {"data": {**row, "created_at": self.when(row["created_at"])}, "meta": {"v": 1}}, {}
        if path == "/v1/example/resources":
            return self.page(query)
        return self.fail(404, "NOT_FOUND")

    def number(self, raw: str | None, default: int, low: int, high: int) -> int | None:
        if raw is None:
            return default
        if not (raw.isascii() and raw.isdigit()):
            return None
        value = int(raw)
        if self.clamp:
            return min(max(value, low), high)
        return value if low <= value <= high else None

    def page(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        limit = self.number(query.get("limit"), 20, 1, 100)
        page = self.number(query.get("page"), 1, 1, 10**6)
        if limit is None or page is None:
            return self.fail(400, "VALIDATION_FAILED")
        total = len(self.rows)
        pages = -(-total // limit)
        chunk = self.rows[(page - 1) * limit: page * limit]
        return 200, {"items": [{**r, "created_at": self.when(r["created_at"])} for r in chunk],
                     "pagination": {"page": page, "limit": limit, "total_items": total, "total_pages": pages,
                                    "has_more": page < pages}}, {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = dict(parse_qsl(scope["query_string"].decode(), keep_blank_values=True))
        status, payload, extra = self.route(scope["method"], scope["scheme"], scope["path"], query, headers,
                                            body)
        out = {"x-request-id": headers.get("x-request-id") or f"gen-{secrets.token_hex(6)}", **extra}
        data = b""
        if payload is not None:
            data = json.dumps(payload).encode()
            out["content-type"] = self.content_type if status < 300 else "application/json"
        out["content-length"] = str(len(data))
        await send({"type": "http.response.start", "status": status,
                    "headers": [(k.encode(), v.encode()) for k, v in out.items()]})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else data})


def run_variant(app: Variant, **options: Any) -> RunOutcome:
    """The suite against `app` in-process, in place of the embedded reference mock."""
    with harness(app=app):
        return run("boomerang", Options(write_reports=False, **options))


def verdicts(outcome: RunOutcome) -> dict[str, tuple[str, str]]:
    return {r.rule.id: (r.verdict, r.reason) for r in outcome.run.results}


CONFORMANT: dict[str, dict[str, Any]] = {
    "clamping-no-gzip": dict(clamp=True),
    "head-rejected-charset-upper": dict(head="reject", content_type="application/json;charset=UTF-8"),
    "redirect-405-without-allow": dict(plain_http="redirect", allow=False,
                                       content_type='application/json ; charset="utf-8"'),
    "400-for-http-501-methods": dict(plain_http="400", method_status=501, malformed_auth=400, body="reject"),
    "small-collection": dict(items=3),
}


@pytest.mark.parametrize("knobs", list(CONFORMANT.values()), ids=list(CONFORMANT))
def test_conformant_variant_passes_every_rule(knobs: dict[str, Any]) -> None:
    outcome = run_variant(Variant(**knobs))
    found = verdicts(outcome)
    assert set(found) == set(load_catalog("boomerang").ids)
    not_passed = {k: v for k, v in found.items() if v[0] != "pass"}
    assert not not_passed, f"a conformant variant ({knobs}) must pass every rule: {not_passed}"
    assert outcome.exit_code == 0


BROKEN: dict[str, dict[str, Any]] = {
    "BMR-TIMESTAMPS-EPOCH-MS": dict(iso_timestamps=True),
    "BMR-ERROR-FIELDS": dict(http_status_text=True),
    "BMR-TRANSPORT-HTTPS": dict(plain_http="serve"),
}


@pytest.mark.parametrize("rule", list(BROKEN), ids=list(BROKEN))
def test_broken_variant_fails_its_rule_only(rule: str) -> None:
    app = Variant(**BROKEN[rule])
    if rule == "BMR-TRANSPORT-HTTPS":
        # A plain-HTTP listener that trusts its network: serves without asking for the token.
        inner = app.route

        def trusting(m: str, s: str, p: str, q: dict[str, str], h: dict[str, str], b: bytes) -> Any:
            if s == "http":
                return inner(m, "https", p, q, {**h, "authorization": f"Bearer {TOKEN}"}, b)
            return inner(m, s, p, q, h, b)

        app.route = trusting  # type: ignore[method-assign,assignment]
    found = verdicts(run_variant(app))
    failed = {k for k, v in found.items() if v[0] == "fail"}
    # http_status "401" (text) is an ERROR-FIELDS violation; ERROR-HTTP-STATUS compares values.
    allowed = {"BMR-ERROR-HTTP-STATUS"} if rule == "BMR-ERROR-FIELDS" else set()
    assert rule in failed, f"{rule} should fail: {found[rule]}"
    assert failed - {rule} <= allowed, f"only {rule} should fail: {sorted(failed)}"


@pytest.fixture
def served_mock() -> Iterator[str]:
    """The reference mock over real HTTP on a free loopback port (as `apiconform serve`)."""
    with serve_in_thread(mocks.create_app("boomerang", enforce_https=False)) as url:
        yield url


def test_reference_mock_over_real_http(monkeypatch: pytest.MonkeyPatch, served_mock: str) -> None:
    monkeypatch.setenv("APICONFORM_TOKEN", TOKEN)
    outcome = run("boomerang", Options(base_url=served_mock, write_reports=False))
    found = verdicts(outcome)
    assert found["BMR-TRANSPORT-HTTPS"][0] == "skip"
    assert "https" in found["BMR-TRANSPORT-HTTPS"][1]
    others = {k: v for k, v in found.items() if k != "BMR-TRANSPORT-HTTPS" and v[0] != "pass"}
    assert not others, others
    assert outcome.exit_code == 0
