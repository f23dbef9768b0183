"""The kit against an independently written Booga server on FastAPI, with no files plugin.

tests/independent/booga_fastapi is built the way a real FastAPI deployment would be (a router per
plugin, Pydantic models, security dependencies for both key headers, exception handlers replacing
FastAPI's 422 and bare-`detail` defaults, a rate-limit middleware, sqlite, the generated OpenAPI
document brought down to 3.0.3) and shares no code with the reference mock nor with booga_drf.
Each server runs in its own process over real HTTP, like a live target, with no target file: the
kit must work from DESIGN.md's defaults and what the server's OpenAPI document declares.

Its plugins are tasks, contacts and invoices, with integer ids: every endpoint is one the kit
learns from the document, none is the files resource of the document's example. These tests
state the goal: the conformant server passes (with its filters, and `--bare` without any), every
endpoint of its document is on the kit's surface, and each single-rule breaker fails exactly its
own rule, on the endpoints of the one plugin it breaks. The breakers are first shown to misbehave
as described, and only there, by plain HTTP requests (no kit involved).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import jsonschema
import pytest
from tests.independent.booga_fastapi import (
    BREAKERS,
    ENDPOINTS,
    FILTERS,
    KEY_A,
    KEY_B,
    MODULE,
    PLUGINS,
    SCHEMA_PATH,
    SEEDED,
    WRITE_BREAKERS,
)
from tests.independent.serving import served

from apiconform.catalog import dependents, find_rule
from apiconform.runner import RunOutcome, run
from apiconform.session import Options

RATE_HEADERS = ("X-RateLimit-Limit-Minute", "X-RateLimit-Remaining-Minute",
                "X-RateLimit-Limit-Hour", "X-RateLimit-Remaining-Hour")
DOCUMENT_FILTERS = ("BGA-FILTER-CREATED-AFTER", "BGA-FILTER-SEARCH", "BGA-FILTER-ORDERING", "BGA-FILTER-STATUS")
UNKNOWN_ID = 999_999  # an integer id no plugin issued
UNROUTED = "unrouted"
NAME_FIELD = {"tasks": "title", "contacts": "name", "invoices": "number"}  # each plugin's name-like field
# This module runs the kit read-only: the write breakers (a read-only run cannot see them) are
# tests/test_booga_fastapi_writes_server.py's.
READ_BREAKERS = tuple(b for b in BREAKERS if b not in WRITE_BREAKERS)


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both tenants' keys: the tenancy and per-key rules need tenant B.
    monkeypatch.setenv("APICONFORM_TOKEN", KEY_A)
    monkeypatch.setenv("APICONFORM_TOKEN_B", KEY_B)


@pytest.fixture(scope="module")
def conformant() -> Iterator[str]:
    with served(MODULE) as url:
        yield url


@pytest.fixture(scope="module")
def bare() -> Iterator[str]:
    with served(MODULE, "--bare") as url:
        yield url


@pytest.fixture(scope="module", params=READ_BREAKERS)
def broken(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """(breaker, base URL): one server per breaker, shared by the HTTP check and the kit's run."""
    breaker: str = request.param
    with served(MODULE, "--break", breaker) as url:
        yield breaker, url


def kit(url: str) -> RunOutcome:
    # Default settings, read-only, no target file: what a user pointing the kit at it would run.
    return run("booga", Options(base_url=url, write_reports=False))


def verdicts(outcome: RunOutcome) -> dict[str, tuple[str, str]]:
    return {r.rule.id: (r.verdict, r.reason) for r in outcome.run.results}


def with_verdict(outcome: RunOutcome, *wanted: str) -> dict[str, str]:
    """Rule id -> reason of every rule whose verdict is one of `wanted` (the assertion message)."""
    return {rule: reason for rule, (verdict, reason) in verdicts(outcome).items() if verdict in wanted}


def documented(path: str) -> bool:
    """The path is one of the deployment's documented endpoints (an id filled in or not)."""
    return any(re.fullmatch("[^/]+".join(map(re.escape, re.split(r"\{[^}]*\}", t))), path) for t in ENDPOINTS)


# -- the kit's verdicts ----------------------------------------------------------------------------
def test_conformant_server_passes(conformant: str) -> None:
    outcome = kit(conformant)
    assert with_verdict(outcome, "fail", "error") == {}
    assert outcome.exit_code == 0
    # No files resource: the file's fields have nothing to be judged on (DESIGN.md: a deployment
    # without a files plugin is conformant).
    assert verdicts(outcome)["BGA-RESOURCE-FIELDS"][0] == "skip", verdicts(outcome)["BGA-RESOURCE-FIELDS"]
    # Every filter the document names is declared by some list here, and judged.
    assert {rule: verdicts(outcome)[rule] for rule in DOCUMENT_FILTERS
            if verdicts(outcome)[rule][0] != "pass"} == {}


def test_bare_server_passes_with_every_filter_skipped(bare: str) -> None:
    # "Exact filtering parameters vary by endpoint": a deployment declaring none of the four is
    # conformant, and the filter rules have nothing to judge.
    outcome = kit(bare)
    assert with_verdict(outcome, "fail", "error") == {}
    assert outcome.exit_code == 0
    assert {rule: verdicts(outcome)[rule][0] for rule in DOCUMENT_FILTERS} == dict.fromkeys(DOCUMENT_FILTERS, "skip"), \
        {rule: verdicts(outcome)[rule] for rule in DOCUMENT_FILTERS}


def test_every_endpoint_of_the_document_is_on_the_surface(conformant: str) -> None:
    outcome = kit(conformant)
    rows = {row["endpoint"]: row for row in outcome.run.extra["coverage"]["endpoints"]}
    # Exactly the document's endpoints: no /api/files/ where the deployment has no files plugin.
    assert set(rows) == set(ENDPOINTS), sorted(rows)
    for plugin in PLUGINS:
        assert rows[f"/api/{plugin}/"]["kind"] == "list", rows[f"/api/{plugin}/"]
        assert rows[f"/api/{plugin}/{{id}}/"]["kind"] == "single", rows[f"/api/{plugin}/{{id}}/"]
    assert rows[SCHEMA_PATH]["kind"] == "other"
    assert outcome.run.extra["coverage"]["uncovered"] == []


def test_breaker_fails_exactly_its_rule(broken: tuple[str, str]) -> None:
    breaker, url = broken
    rule, _, where = breaker.partition("@")
    outcome = kit(url)
    failed = with_verdict(outcome, "fail")
    # Its own rule, and at most the rules the catalog says depend on it (a list that skips the
    # wrong rows also repeats results when next is followed: BGA-LIST-TRAVERSAL depends on OFFSET).
    assert rule in failed and set(failed) <= {rule} | dependents(find_rule(rule)), {
        "failed": failed, "errors": with_verdict(outcome, "error")}
    assert outcome.exit_code == 1, (outcome.exit_code, with_verdict(outcome, "error"))
    result = next(r for r in outcome.run.results if r.rule.id == rule)
    blamed = {row["endpoint"] for row in result.endpoints if row["verdict"] == "fail"}
    if where == UNROUTED:
        # The report's endpoint rows name only the deployment's own endpoints, and none of them is
        # broken; the evidence shows a path the document does not have.
        assert not blamed & set(ENDPOINTS), blamed
        paths = [urlsplit(ex.request.url).path for ex in result.evidence]
        assert any(not documented(p) for p in paths), paths
    else:
        assert blamed and all(w.startswith(f"/api/{where}/") for w in blamed), blamed


# -- the server itself, by plain HTTP requests ------------------------------------------------------
def client(url: str, key: str | None = KEY_A) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"} if key else {}, timeout=10)


def page(http: httpx.Client, plugin: str, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
    r = http.get(f"/api/{plugin}/", params=params, headers=headers)
    assert r.status_code == 200, (r.status_code, r.text[:300])
    body: dict[str, Any] = r.json()
    return body


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def forged(key: str) -> str:
    """A key of the issued length that is not issued: its last character changed."""
    return key[:-1] + ("0" if key[-1] != "0" else "1")


# Each rule's symptom, looked for at one place (a plugin, or "unrouted"): what the misbehaviour
# looks like, or None where that place behaves as the document says. A filter's symptom is looked
# for only on the lists that declare the filter.
Symptom = Callable[[httpx.Client, str], str | None]


def limit_zero_served(http: httpx.Client, where: str) -> str | None:
    r = http.get(f"/api/{where}/", params={"limit": 0})
    return f"limit=0 answered 200 with {len(r.json()['results'])} results" if r.status_code == 200 else None


def offset_overflow(http: httpx.Client, where: str) -> str | None:
    r = http.get(f"/api/{where}/", params={"offset": 2**63})
    if r.status_code < 500:
        return None
    # A 500 as the error handler makes it: in the document's format, stamped like every answer.
    assert set(r.json()) == {"detail", "code"} and all(h in r.headers for h in RATE_HEADERS), (r.text, r.headers)
    return f"offset=2**63 answered {r.status_code}"


def links_elsewhere(http: httpx.Client, where: str) -> str | None:
    r = http.get(f"/api/{where}/", params={"limit": 2, "offset": 2, "tag": "x"})
    body = r.json()
    here = origin(str(r.request.url))
    off = [link for link in (body["next"], body["previous"]) if origin(link) != here]
    for link in (body["next"], body["previous"]):
        # Only the origin is wrong: the path and every query parameter are kept.
        assert urlsplit(link).path == f"/api/{where}/" and dict(parse_qsl(urlsplit(link).query))["tag"] == "x"
    return f"links on another origin: {off}" if off else None


def error_without_code(http: httpx.Client, where: str) -> str | None:
    # Unrouted: a plugin nobody installed. Routed: an unknown id, and a method the list lacks.
    answers = ([http.get("/api/no-such-plugin/"), http.get("/api/no-such-plugin/1/")] if where == UNROUTED
               else [http.get(f"/api/{where}/{UNKNOWN_ID}/"), http.post(f"/api/{where}/")])
    # Only error answers are this rule's (an unknown id answered 200 is BGA-NOT-FOUND's symptom).
    bad = [(r.status_code, r.text) for r in answers if r.status_code >= 400 and set(r.json()) != {"detail", "code"}]
    return f"error bodies without code: {bad}" if bad else None


def unknown_id_found(http: httpx.Client, where: str) -> str | None:
    r = http.get(f"/api/{where}/{UNKNOWN_ID}/")
    return f"an unknown id answered {r.status_code} {r.text[:60]}" if r.status_code != 404 else None


def forged_key_accepted(http: httpx.Client, where: str) -> str | None:
    # Bearer stays correct everywhere; only X-API-Key may be taken without a lookup.
    bearer = http.get(f"/api/{where}/", headers={"Authorization": f"Bearer {forged(KEY_A)}"})
    assert bearer.status_code == 401, bearer.status_code
    answers = [http.get(path, headers={"Authorization": "", "X-API-Key": forged(KEY_A)})
               for path in (f"/api/{where}/", f"/api/{where}/1/")]
    accepted = [r.status_code for r in answers if r.status_code != 401]
    return f"a forged X-API-Key was answered {accepted}" if accepted else None


def descending_ignored(http: httpx.Client, where: str) -> str | None:
    if "ordering" not in FILTERS[where]:
        return None
    up = [i["created_at"] for i in page(http, where, ordering="created_at", limit=100)["results"]]
    down = [i["created_at"] for i in page(http, where, ordering="-created_at", limit=100)["results"]]
    assert up == sorted(up), "ascending ordering must stay honoured"
    return "ordering=-created_at is not descending" if down != sorted(down, reverse=True) else None


def default_page_size(http: httpx.Client, where: str) -> str | None:
    body = page(http, where)
    got, want = len(body["results"]), min(20, body["count"])
    return f"the default page holds {got}, not {want}" if got != want else None


def offset_misapplied(http: httpx.Client, where: str) -> str | None:
    ids = [i["id"] for i in page(http, where, limit=10)["results"]]
    got = [i["id"] for i in page(http, where, limit=5, offset=3)["results"]]
    return f"offset=3 gave {got}, not {ids[3:8]}" if got != ids[3:8] else None


def other_tenants_item(http: httpx.Client, where: str) -> str | None:
    theirs = page(http, where, limit=1)["results"][0]["id"]
    r = http.get(f"/api/{where}/{theirs}/", headers={"Authorization": f"Bearer {KEY_B}"})
    return f"tenant B read tenant A's {where} {theirs}: {r.status_code}" if r.status_code not in (403, 404) else None


def status_ignored(http: httpx.Client, where: str) -> str | None:
    if "status" not in FILTERS[where]:
        return None
    other = {i["status"] for i in page(http, where, status="done", limit=100)["results"]} - {"done"}
    return f"status=done returned statuses {sorted(other)}" if other else None


def search_ignored(http: httpx.Client, where: str) -> str | None:
    if "search" not in FILTERS[where]:
        return None
    count = page(http, where, search="zqxjkvbnmwpl'%_")["count"]
    return f"a random search term found {count}" if count else None


def created_after_wrong(http: httpx.Client, where: str) -> str | None:
    if "created_after" not in FILTERS[where]:
        return None
    day = date(2026, 2, 9)
    early = [i["created_at"] for i in page(http, where, created_after=day.isoformat(), limit=100)["results"]
             if i["created_at"] < f"{day.isoformat()}T00:00:00Z"]
    return f"created_after={day} returned rows created {early[:2]}" if early else None


def rate_headers_missing(http: httpx.Client, where: str) -> str | None:
    answers = [http.get(f"/api/{where}/"), http.get(f"/api/{where}/{UNKNOWN_ID}/"),
               http.get(f"/api/{where}/", headers={"Authorization": ""})]  # a 401
    bare = [r.status_code for r in answers if not all(h in r.headers for h in RATE_HEADERS)]
    return f"answers {bare} lack X-RateLimit-* headers" if bare else None


def listings_shared(http: httpx.Client, where: str) -> str | None:
    mine = {i["id"] for i in page(http, where, limit=100)["results"]}
    theirs = {i["id"] for i in page(http, where, limit=100, headers={"Authorization": f"Bearer {KEY_B}"})["results"]}
    return f"{len(mine & theirs)} rows in both tenants' listings" if mine & theirs else None


SYMPTOMS: dict[str, Symptom] = {
    "BGA-LIST-LIMIT-INVALID": limit_zero_served,
    "BGA-NO-5XX": offset_overflow,
    "BGA-LIST-LINKS": links_elsewhere,
    "BGA-ERROR-FORMAT": error_without_code,
    "BGA-NOT-FOUND": unknown_id_found,
    "BGA-AUTH-INVALID": forged_key_accepted,
    "BGA-FILTER-ORDERING": descending_ignored,
    "BGA-LIST-DEFAULT-LIMIT": default_page_size,
    "BGA-LIST-OFFSET": offset_misapplied,
    "BGA-TENANCY-ITEM": other_tenants_item,
    "BGA-FILTER-STATUS": status_ignored,
    "BGA-FILTER-SEARCH": search_ignored,
    "BGA-FILTER-CREATED-AFTER": created_after_wrong,
    "BGA-RATE-HEADERS": rate_headers_missing,
    "BGA-TENANCY-LIST": listings_shared,
}


def places(rule: str) -> tuple[str, ...]:
    return (UNROUTED, *PLUGINS) if rule == "BGA-ERROR-FORMAT" else PLUGINS


def test_every_breaker_has_a_symptom() -> None:
    assert {b.split("@")[0] for b in READ_BREAKERS} == set(SYMPTOMS)


def test_conformant_server_shows_no_symptom(conformant: str) -> None:
    with client(conformant) as http:
        found = {(rule, where): why for rule, symptom in SYMPTOMS.items() for where in places(rule)
                 if (why := symptom(http, where)) is not None}
    assert found == {}


def test_breaker_misbehaves_where_it_says_and_nowhere_else(broken: tuple[str, str]) -> None:
    breaker, url = broken
    rule, _, where = breaker.partition("@")
    with client(url) as http:
        found = {place: why for place in places(rule) if (why := SYMPTOMS[rule](http, place)) is not None}
        assert set(found) == {where}, found
        # Every other rule's symptom is absent everywhere: the breaker breaks one rule.
        others = {(other, place): why for other, symptom in SYMPTOMS.items() if other != rule
                  for place in places(other) if (why := symptom(http, place)) is not None}
    assert others == {}


def test_conformant_answers_by_hand(conformant: str) -> None:
    with client(conformant) as http, client(conformant, key=None) as anonymous:
        # Both headers are accepted; no key, an unknown key or another scheme is 401 {detail, code}.
        assert http.get("/api/tasks/").status_code == 200
        assert anonymous.get("/api/tasks/", headers={"X-API-Key": KEY_A}).status_code == 200
        for headers in ({}, {"X-API-Key": forged(KEY_A)}, {"Authorization": f"Bearer {forged(KEY_A)}"},
                        {"Authorization": f"Basic {KEY_A}"}):
            r = anonymous.get("/api/contacts/", headers=headers)
            assert r.status_code == 401 and set(r.json()) == {"detail", "code"}, (headers, r.text)
            assert r.headers["WWW-Authenticate"].startswith("Bearer")
        # FastAPI's defaults replaced: 400 field maps (not 422), {detail, code} for 404 and 405.
        r = http.get("/api/invoices/", params={"limit": 1000, "offset": "x"})
        assert r.status_code == 400 and set(r.json()) == {"limit", "offset"}, r.text
        assert all(isinstance(m, list) and m for m in r.json().values())
        for path in ("/api/nothing/", "/api/tasks", "/api/tasks/abc/", f"/api/tasks/{2**64}/", "/"):
            r = http.get(path)
            assert (r.status_code, r.json()["code"]) == (404, "not_found"), (path, r.text)
        r = http.delete("/api/contacts/1/")  # contacts are read-only (tasks and invoices are writable)
        assert r.status_code == 405 and r.json()["code"] == "method_not_allowed" and "GET" in r.headers["Allow"]
        # Rate-limit headers on every answer, counted per key.
        for r in (http.get("/api/tasks/"), anonymous.get("/api/tasks/"), http.get("/api/nothing/")):
            assert all(h in r.headers for h in RATE_HEADERS), r.headers
        first = int(http.get("/api/tasks/").headers["X-RateLimit-Remaining-Minute"])
        assert int(http.get("/api/tasks/").headers["X-RateLimit-Remaining-Minute"]) == first - 1
        # Pagination: links on the request's origin keeping the query; the seeded counts; tenancy.
        body = page(http, "contacts", limit=7, offset=7, search="a")
        assert origin(body["next"]) == origin(conformant) and "search=a" in body["next"]
        assert dict(parse_qsl(urlsplit(body["previous"]).query)) == {"search": "a", "limit": "7"}
        for plugin in PLUGINS:
            assert page(http, plugin)["count"] == SEEDED[plugin]
            mine = {i["id"] for i in page(http, plugin, limit=100)["results"]}
            theirs = page(http, plugin, headers={"Authorization": f"Bearer {KEY_B}"})["results"]
            assert len(theirs) == 3 and not mine & {i["id"] for i in theirs}
            assert all(i[NAME_FIELD[plugin]].startswith("Partner ") for i in theirs), theirs
        # Distinct creation times over several days.
        stamps = [i["created_at"] for i in page(http, "invoices", limit=100)["results"]]
        assert len(set(stamps)) == len(stamps) and len({s[:10] for s in stamps}) > 7


def schema(url: str, **params: str) -> dict[str, Any]:
    with client(url) as http:
        r = http.get(SCHEMA_PATH, params=params)
    assert r.status_code == 200, r.text
    document: dict[str, Any] = r.json()
    return document


def operations(document: dict[str, Any]) -> dict[str, set[str]]:
    """Path -> the query parameters its GET declares."""
    return {path: {p["name"] for p in item["get"].get("parameters", []) if p["in"] == "query"}
            for path, item in document["paths"].items()}


def test_openapi_document_is_valid_303_and_filtered_by_plugin(conformant: str, bare: str) -> None:
    from schemathesis.specs.openapi.definitions import OPENAPI_30  # the official OpenAPI 3.0 JSON Schema

    with client(conformant, key=None) as anonymous:
        assert anonymous.get(SCHEMA_PATH).status_code == 401  # a key, like every endpoint
    for url, declared in ((conformant, FILTERS), (bare, dict.fromkeys(PLUGINS, ()))):
        document = schema(url)
        assert document["openapi"] == "3.0.3"
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:120]}"
                  for e in jsonschema.Draft4Validator(OPENAPI_30).iter_errors(document)]
        assert errors == []
        assert set(document["paths"]) == set(ENDPOINTS)
        for plugin in PLUGINS:
            assert operations(document)[f"/api/{plugin}/"] == {"limit", "offset", *declared[plugin]}
        assert {t for item in document["paths"].values() for t in item["get"]["tags"]} == {*PLUGINS, "api-management"}
    for plugin in PLUGINS:
        assert set(schema(conformant, plugin=plugin)["paths"]) == {f"/api/{plugin}/", f"/api/{plugin}/{{id}}/"}
    both = schema(conformant, include_plugins="tasks,invoices")
    assert set(both["paths"]) == {"/api/tasks/", "/api/tasks/{id}/", "/api/invoices/", "/api/invoices/{id}/"}
