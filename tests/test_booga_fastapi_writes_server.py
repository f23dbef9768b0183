"""The FastAPI deployment's writes, by plain HTTP requests (httpx; no kit involved).

tests/independent/booga_fastapi lets a client write to tasks and invoices: POST on the list,
PUT/PATCH/DELETE on the item, tenant-scoped, behind an issued key, with arrays and nested
objects that a write replaces whole. These tests state what the conformant server does (201,
204 then 404, 400 field maps, 401 that change nothing, another tenant's writes 404 and leave
the row as it was, the same PUT or PATCH twice giving the same row, created rows invisible to
the other tenant, request-body schemas in its OpenAPI document), and that each write breaker
misbehaves as its comment in the package says, on its plugin only, its reads untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jsonschema
import pytest
from tests.independent.booga_fastapi import (
    KEY_A,
    KEY_B,
    MODULE,
    PAYLOADS,
    PLUGINS,
    SCHEMA_PATH,
    SEEDED,
    WRITABLE,
    WRITE_BREAKERS,
)
from tests.independent.booga_fastapi.snapshot import snapshot
from tests.independent.serving import served

RATE_HEADERS = ("X-RateLimit-Limit-Minute", "X-RateLimit-Remaining-Minute",
                "X-RateLimit-Limit-Hour", "X-RateLimit-Remaining-Hour")
VOLATILE = ("updated_at",)  # may move with every write, idempotent or not
SERVER_FIELDS = {"id", "created_at", "updated_at"}
# A full replacement (PUT) and a partial update (PATCH) per plugin, each changing arrays and nested objects.
REPLACEMENTS: dict[str, dict[str, Any]] = {
    "tasks": {**PAYLOADS["tasks"], "title": "Release notes, replaced", "status": "in_progress", "due_date": None,
              "labels": ["replaced"], "checklist": [{"text": "Publish", "done": False}]},
    "invoices": {**PAYLOADS["invoices"], "number": "INV-API-0002", "status": "sent", "tags": [],
                 "lines": [{"description": "Support plan", "quantity": 12, "unit_price": 20.25}],
                 "billing": {"name": "Globex Paris", "address": {"city": "Paris", "country": "FR"}}},
}
PATCHES: dict[str, dict[str, Any]] = {
    "tasks": {"labels": ["patched", "twice"], "checklist": [{"text": "Only this", "done": True}], "priority": 5},
    "invoices": {"lines": [{"description": "Hosting", "quantity": 2, "unit_price": 99.5}], "tags": ["patched"],
                 "billing": {"name": "Globex Leeds", "address": {"city": "Leeds", "country": "GB"}}},
}
# A filter each writable list declares, and a value the created row matches.
MATCHING_FILTER: dict[str, Callable[[dict[str, Any]], dict[str, str]]] = {
    "tasks": lambda row: {"status": row["status"], "ordering": "-created_at"},
    "invoices": lambda row: {"created_after": row["created_at"][:10]},
}


def forged(key: str) -> str:
    """A key of the issued length that is not issued: its last character changed."""
    return key[:-1] + ("0" if key[-1] != "0" else "1")


def client(url: str, key: str | None = KEY_A, **headers: str) -> httpx.Client:
    auth = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=url, headers={**auth, **headers}, timeout=10)


def item(plugin: str, ident: int) -> str:
    return f"/api/{plugin}/{ident}/"


def create(http: httpx.Client, plugin: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    r = http.post(f"/api/{plugin}/", json=payload or PAYLOADS[plugin])
    assert 200 <= r.status_code < 300, (r.status_code, r.text[:300])
    body: dict[str, Any] = r.json()
    return body


def read(http: httpx.Client, plugin: str, ident: int) -> dict[str, Any]:
    r = http.get(item(plugin, ident))
    assert r.status_code == 200, (r.status_code, r.text[:300])
    body: dict[str, Any] = r.json()
    return body


def listed(http: httpx.Client, plugin: str, **params: Any) -> set[int]:
    r = http.get(f"/api/{plugin}/", params={"limit": 100, **params})
    assert r.status_code == 200, (r.status_code, r.text[:300])
    return {row["id"] for row in r.json()["results"]}


def remove(http: httpx.Client, plugin: str, ident: int) -> None:
    """Clean up: delete a row (a 2xx: whether it is 204 is BGA-WRITE-DELETE's business)."""
    r = http.delete(item(plugin, ident))
    assert 200 <= r.status_code < 300, (r.status_code, r.text[:300])


def stable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in VOLATILE}


def sent(row: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """The fields of `payload` as `row` has them (to compare what was written with what was asked)."""
    return {k: row.get(k) for k in payload}


def is_error(r: httpx.Response, status: int, code: str | None = None) -> bool:
    """`r` is `status` in the document's error format {detail, code} (with that code), rate-limit headers on."""
    try:
        body = r.json()
    except ValueError:
        return False
    return (r.status_code == status and isinstance(body, dict) and set(body) == {"detail", "code"}
            and (code is None or body["code"] == code) and all(h in r.headers for h in RATE_HEADERS))


def is_field_map(r: httpx.Response, *fields: str) -> bool:
    """`r` is a 400 mapping field names (these among them) to non-empty lists of messages."""
    body = r.json()
    return (r.status_code == 400 and isinstance(body, dict) and set(fields) <= set(body)
            and all(isinstance(v, list) and v and all(isinstance(m, str) for m in v) for v in body.values()))


def oldest_of_a(url: str, plugin: str) -> int:
    """Tenant A's oldest row (seeded: the conformant server's are never written to by this module)."""
    return min(row["id"] for row in snapshot(url, KEY_A)[plugin])


@dataclass(frozen=True)
class Server:
    url: str
    seeded: dict[str, dict[str, list[dict[str, Any]]]]  # key label -> snapshot, before any write


def start(*args: str) -> Iterator[Server]:
    with served(MODULE, *args) as url:
        yield Server(url, {"A": snapshot(url, KEY_A), "B": snapshot(url, KEY_B)})


@pytest.fixture(scope="module")
def conformant() -> Iterator[Server]:
    yield from start()


@pytest.fixture(scope="module", params=WRITE_BREAKERS)
def broken(request: pytest.FixtureRequest) -> Iterator[tuple[str, Server]]:
    breaker: str = request.param
    for server in start("--break", breaker):
        yield breaker, server


# -- the conformant server --------------------------------------------------------------------------
@pytest.mark.parametrize("plugin", WRITABLE)
def test_create_read_replace_patch_delete(conformant: Server, plugin: str) -> None:
    url = conformant.url
    with client(url) as http:
        r = http.post(f"/api/{plugin}/", json=PAYLOADS[plugin])
        assert r.status_code == 201 and all(h in r.headers for h in RATE_HEADERS), (r.status_code, r.text)
        made = r.json()
        ident = made["id"]
        try:
            assert isinstance(ident, int) and not isinstance(ident, bool)
            assert sent(made, PAYLOADS[plugin]) == PAYLOADS[plugin], made
            assert made["created_at"] == made["updated_at"]
            assert read(http, plugin, ident) == made
            assert ident in listed(http, plugin)
            if plugin == "invoices":
                assert made["amount_cents"] == 3 * 15_000 + 8_990  # the lines' sum, the server's

            # PUT: a full replacement, twice the same state; arrays and nested objects replaced, not merged.
            states = []
            for _ in range(2):
                r = http.put(item(plugin, ident), json=REPLACEMENTS[plugin])
                assert r.status_code == 200 and all(h in r.headers for h in RATE_HEADERS), (r.status_code, r.text)
                assert r.json() == read(http, plugin, ident)
                states.append(stable(r.json()))
            assert states[0] == states[1]
            assert sent(states[1], REPLACEMENTS[plugin]) == REPLACEMENTS[plugin], states[1]
            assert states[1]["created_at"] == made["created_at"]
            if plugin == "invoices":
                assert states[1]["amount_cents"] == 12 * 2_025

            # PATCH: the fields sent replaced whole, the others kept; twice the same state.
            states = []
            for _ in range(2):
                r = http.patch(item(plugin, ident), json=PATCHES[plugin])
                assert r.status_code == 200, (r.status_code, r.text)
                states.append(stable(read(http, plugin, ident)))
            assert states[0] == states[1]
            assert sent(states[1], PATCHES[plugin]) == PATCHES[plugin], states[1]
            untouched = {k: v for k, v in REPLACEMENTS[plugin].items() if k not in PATCHES[plugin]}
            assert sent(states[1], untouched) == untouched, states[1]
            # A PATCH of nothing changes nothing (but updated_at).
            r = http.patch(item(plugin, ident), json={})
            assert r.status_code == 200 and stable(r.json()) == states[1]
        finally:
            r = http.delete(item(plugin, ident))
        assert r.status_code == 204 and r.content == b"" and all(h in r.headers for h in RATE_HEADERS), r
        assert is_error(http.get(item(plugin, ident)), 404, "not_found")
        assert ident not in listed(http, plugin)
        for method in ("DELETE", "PUT", "PATCH"):
            body = REPLACEMENTS[plugin] if method == "PUT" else (PATCHES[plugin] if method == "PATCH" else None)
            assert is_error(http.request(method, item(plugin, ident), json=body), 404, "not_found"), method


@pytest.mark.parametrize("plugin", WRITABLE)
def test_created_rows_belong_to_their_tenant(conformant: Server, plugin: str) -> None:
    url = conformant.url
    with client(url) as a, client(url, KEY_B) as b:
        mine, theirs = create(a, plugin), create(b, plugin)
        try:
            for own, other, row in ((a, b, mine), (b, a, theirs)):
                assert read(own, plugin, row["id"]) == row
                assert is_error(other.get(item(plugin, row["id"])), 404, "not_found")
                assert row["id"] in listed(own, plugin) and row["id"] not in listed(other, plugin)
                matching = MATCHING_FILTER[plugin](row)
                assert row["id"] in listed(own, plugin, **matching)
                assert row["id"] not in listed(other, plugin, **matching)
            # One sequence of integer ids for both tenants: distinct, and never reused after a delete.
            assert mine["id"] != theirs["id"]
        finally:
            assert a.delete(item(plugin, mine["id"])).status_code == 204
            assert b.delete(item(plugin, theirs["id"])).status_code == 204
        again = create(a, plugin)
        assert a.delete(item(plugin, again["id"])).status_code == 204
        assert again["id"] > max(mine["id"], theirs["id"])
        # Tenant B still sees its three seeded rows and nothing of A's.
        assert snapshot(url, KEY_B)[plugin] == conformant.seeded["B"][plugin]


@pytest.mark.parametrize("plugin", WRITABLE)
def test_another_tenants_writes_are_404_and_change_nothing(conformant: Server, plugin: str) -> None:
    url = conformant.url
    with client(url) as a, client(url, KEY_B) as b:
        made = create(a, plugin)["id"]
        try:
            for ident in (made, oldest_of_a(url, plugin)):
                before = read(a, plugin, ident)
                for method, body in (("PUT", REPLACEMENTS[plugin]), ("PATCH", PATCHES[plugin]), ("DELETE", None)):
                    r = b.request(method, item(plugin, ident), json=body)
                    assert is_error(r, 404, "not_found"), (method, r.status_code, r.text)
                assert read(a, plugin, ident) == before  # updated_at included
        finally:
            assert a.delete(item(plugin, made)).status_code == 204
    assert snapshot(url, KEY_A)[plugin] == conformant.seeded["A"][plugin]


def test_writes_need_an_issued_key_and_change_nothing(conformant: Server) -> None:
    url = conformant.url
    before = snapshot(url, KEY_A)
    credentials: tuple[dict[str, str], ...] = (
        {}, {"Authorization": f"Bearer {forged(KEY_A)}"}, {"X-API-Key": forged(KEY_A)},
        {"Authorization": f"Basic {KEY_A}"}, {"Authorization": "Bearer"})
    with client(url, key=None) as anonymous:
        for plugin in WRITABLE:
            ident = before[plugin][0]["id"]
            for headers in credentials:
                answers = {
                    "POST": anonymous.post(f"/api/{plugin}/", json=PAYLOADS[plugin], headers=headers),
                    "PUT": anonymous.put(item(plugin, ident), json=REPLACEMENTS[plugin], headers=headers),
                    "PATCH": anonymous.patch(item(plugin, ident), json=PATCHES[plugin], headers=headers),
                    "DELETE": anonymous.delete(item(plugin, ident), headers=headers),
                    # A body FastAPI cannot parse is parsed before any dependency runs: still a 401.
                    "POST unparsable": anonymous.post(f"/api/{plugin}/", content=b"{not json", headers={
                        **headers, "Content-Type": "application/json"}),
                    "POST not JSON": anonymous.post(f"/api/{plugin}/", content=b"title=x", headers={
                        **headers, "Content-Type": "application/x-www-form-urlencoded"}),
                }
                refused = {what: r.status_code for what, r in answers.items() if not is_error(r, 401)}
                assert refused == {}, (plugin, headers, refused)
                assert all(r.headers["WWW-Authenticate"].startswith("Bearer") for r in answers.values())
    assert snapshot(url, KEY_A) == before


@pytest.mark.parametrize("plugin", WRITABLE)
def test_invalid_payloads_are_400_field_maps(conformant: Server, plugin: str) -> None:
    required = {"tasks": "title", "invoices": "number"}[plugin]
    wrong_type = {"tasks": ("priority", "high"), "invoices": ("tags", "not-a-list")}[plugin]
    nested_cases: dict[str, tuple[dict[str, Any], str]] = {
        "tasks": ({"checklist": [{"text": "ok"}, {"done": "maybe"}]}, "checklist.1"),
        "invoices": ({"lines": [{"description": "x", "quantity": 0, "unit_price": 1}],
                      "billing": {"name": "n", "address": {"city": "c", "country": "DEU"}}}, "lines.0.quantity"),
    }
    nested = nested_cases[plugin]
    url = conformant.url
    before = snapshot(url, KEY_A)
    with client(url) as http:
        r = http.post(f"/api/{plugin}/", json={k: v for k, v in PAYLOADS[plugin].items() if k != required})
        assert is_field_map(r, required) and r.json()[required] == ["This field is required."], r.text
        r = http.post(f"/api/{plugin}/", json={**PAYLOADS[plugin], wrong_type[0]: wrong_type[1]})
        assert is_field_map(r, wrong_type[0]) and set(r.json()) == {wrong_type[0]}, r.text
        r = http.post(f"/api/{plugin}/", json={**PAYLOADS[plugin], **nested[0]})
        assert is_field_map(r) and any(k.startswith(nested[1]) for k in r.json()), r.text
        if plugin == "invoices":
            assert set(r.json()) == {"lines.0.quantity", "billing.address.country"}, r.text
        # PUT is a full replacement: every writable field is required.
        ident = before[plugin][0]["id"]
        r = http.put(item(plugin, ident), json={required: PAYLOADS[plugin][required]})
        assert is_field_map(r) and required not in r.json() and len(r.json()) >= 2, r.text
        r = http.patch(item(plugin, ident), json={wrong_type[0]: wrong_type[1]})
        assert is_field_map(r, wrong_type[0]), r.text
        r = http.patch(item(plugin, ident), json={required: None})  # not nullable
        assert is_field_map(r, required), r.text
        # The body as a whole: not an object, or absent, is non_field_errors; not JSON at all is a parse error.
        for body in ([PAYLOADS[plugin]], "text"):
            r = http.post(f"/api/{plugin}/", json=body)
            assert is_field_map(r, "non_field_errors"), r.text
        r = http.post(f"/api/{plugin}/", content=b"", headers={"Content-Type": "application/json"})
        assert is_field_map(r, "non_field_errors"), r.text
        assert is_error(http.post(f"/api/{plugin}/", content=b"{not json", headers={
            "Content-Type": "application/json"}), 400, "parse_error")
        # A body that is not JSON: 415 in the error format.
        assert is_error(http.post(f"/api/{plugin}/", data={"title": "x"}), 415, "unsupported_media_type")
        assert is_error(http.post(f"/api/{plugin}/"), 415, "unsupported_media_type")
    assert snapshot(url, KEY_A) == before


def test_contacts_stay_read_only(conformant: Server) -> None:
    with client(conformant.url) as http:
        for method, path in (("POST", "/api/contacts/"), ("PUT", "/api/contacts/1/"), ("PATCH", "/api/contacts/1/"),
                             ("DELETE", "/api/contacts/1/")):
            r = http.request(method, path, json={"name": "x"})
            assert is_error(r, 405, "method_not_allowed") and r.headers["Allow"] == "GET", (method, path, r.text)
        # The writable plugins' Allow names every method of the path.
        assert http.put("/api/tasks/").headers["Allow"] == "GET, POST"
        assert http.post("/api/invoices/1/").headers["Allow"] == "GET, PUT, PATCH, DELETE"
    assert snapshot(conformant.url, KEY_A)["contacts"] == conformant.seeded["A"]["contacts"]


def test_openapi_declares_the_request_bodies(conformant: Server) -> None:
    from schemathesis.specs.openapi.definitions import OPENAPI_30  # the official OpenAPI 3.0 JSON Schema

    with client(conformant.url) as http:
        document = http.get(SCHEMA_PATH).json()
    assert document["openapi"] == "3.0.3"
    assert [e.message for e in jsonschema.Draft4Validator(OPENAPI_30).iter_errors(document)] == []
    schemas = document["components"]["schemas"]

    def body_schema(path: str, method: str) -> dict[str, Any]:
        operation = document["paths"][path][method]
        assert operation["requestBody"]["required"] is True
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        found: dict[str, Any] = schemas[ref.rsplit("/", 1)[1]]
        return found

    def resolved(prop: dict[str, Any]) -> dict[str, Any]:
        ref = prop.get("$ref") or (prop.get("allOf") or [{}])[0].get("$ref")
        return schemas[ref.rsplit("/", 1)[1]] if ref else prop

    for plugin in WRITABLE:
        assert set(document["paths"][f"/api/{plugin}/"]) == {"get", "post"}
        assert set(document["paths"][f"/api/{plugin}/{{id}}/"]) == {"get", "put", "patch", "delete"}
        assert "201" in document["paths"][f"/api/{plugin}/"]["post"]["responses"]
        assert "204" in document["paths"][f"/api/{plugin}/{{id}}/"]["delete"]["responses"]
        bodies = {"post": body_schema(f"/api/{plugin}/", "post"),
                  "put": body_schema(f"/api/{plugin}/{{id}}/", "put"),
                  "patch": body_schema(f"/api/{plugin}/{{id}}/", "patch")}
        for method, found in bodies.items():
            assert found["type"] == "object" and set(PAYLOADS[plugin]) == set(found["properties"]), (method, found)
            assert not SERVER_FIELDS & set(found["properties"]), (method, found)
            for name, prop in found["properties"].items():
                assert "type" in resolved(prop) or "enum" in resolved(prop), (method, name, prop)
                if resolved(prop).get("type") == "array":
                    assert "type" in resolved(resolved(prop)["items"]), (method, name, prop)
        assert set(bodies["put"]["required"]) == set(PAYLOADS[plugin])  # a full replacement
        assert "required" not in bodies["patch"]
        assert set(bodies["post"]["required"]) < set(PAYLOADS[plugin])
    line = resolved(schemas["InvoiceCreate"]["properties"]["lines"]["items"])
    assert {k: v["type"] for k, v in line["properties"].items()} == {
        "description": "string", "quantity": "integer", "unit_price": "number"}
    address = resolved(resolved(schemas["InvoiceCreate"]["properties"]["billing"])["properties"]["address"])
    assert address["properties"]["country"]["pattern"] == "^[A-Z]{2}$"
    for resource in ("Task", "Invoice"):
        assert all(schemas[resource]["properties"][f].get("readOnly") for f in SERVER_FIELDS)


def test_snapshot_reads_every_row_of_each_list(conformant: Server) -> None:
    seeded = conformant.seeded
    assert set(seeded["A"]) == set(PLUGINS)
    for plugin in PLUGINS:
        ids = [row["id"] for row in seeded["A"][plugin]]
        assert len(ids) == SEEDED[plugin] and ids == sorted(set(ids)), plugin  # all pages, each row once
        assert len(seeded["B"][plugin]) == 3 and not set(ids) & {row["id"] for row in seeded["B"][plugin]}
    assert seeded["A"]["invoices"][0]["lines"] and seeded["A"]["invoices"][0]["billing"]["address"]["country"]


# -- each write rule's symptom, looked for on one writable plugin ----------------------------------
# Each returns what the misbehaviour looks like, or None where the plugin behaves as documented,
# and cleans up what it created. Asserts inside state what no write breaker may change.
Symptom = Callable[[str, str], str | None]


def other_tenant_deletes(url: str, plugin: str) -> str | None:
    ident = oldest_of_a(url, plugin)
    with client(url) as a, client(url, KEY_B) as b:
        before = read(a, plugin, ident)
        for method, body in (("GET", None), ("PUT", REPLACEMENTS[plugin]), ("PATCH", PATCHES[plugin])):
            r = b.request(method, item(plugin, ident), json=body)
            assert is_error(r, 404, "not_found"), (method, r.status_code, r.text)
        assert read(a, plugin, ident) == before
        r = b.delete(item(plugin, ident))
        if is_error(r, 404, "not_found"):
            return None
        gone = a.get(item(plugin, ident)).status_code
        return f"tenant B's DELETE of A's {plugin} {ident} answered {r.status_code}; A's GET now {gone}"


def unknown_bearer_writes(url: str, plugin: str) -> str | None:
    bogus = forged(KEY_A)
    with client(url) as a, client(url, bogus) as forger, client(url, key=None) as anonymous:
        # What no write breaker changes: reads with the unknown key, writes without credentials or with an
        # unknown X-API-Key.
        assert is_error(forger.get(f"/api/{plugin}/"), 401)
        assert is_error(anonymous.post(f"/api/{plugin}/", json=PAYLOADS[plugin]), 401)
        assert is_error(anonymous.post(f"/api/{plugin}/", json=PAYLOADS[plugin], headers={"X-API-Key": bogus}), 401)
        target = create(a, plugin)["id"]
        answers = {"POST": forger.post(f"/api/{plugin}/", json=PAYLOADS[plugin]),
                   "PUT": forger.put(item(plugin, target), json=REPLACEMENTS[plugin]),
                   "PATCH": forger.patch(item(plugin, target), json=PATCHES[plugin]),
                   "DELETE": forger.delete(item(plugin, target))}
        accepted = {m: r.status_code for m, r in answers.items() if not is_error(r, 401)}
        if answers["POST"].status_code < 300:
            a.delete(item(plugin, answers["POST"].json()["id"]))
        a.delete(item(plugin, target))
    return f"writes with an unknown Bearer key answered {accepted}" if accepted else None


def created_for_another_tenant(url: str, plugin: str) -> str | None:
    with client(url) as a, client(url, KEY_B) as b:
        made = create(a, plugin)
        ident = made["id"]
        assert read(a, plugin, ident) == made  # its creator reads it, whatever else
        shown = [where for where, seen in (("by id", b.get(item(plugin, ident)).status_code == 200),
                                           ("in the list", ident in listed(b, plugin))) if seen]
        remove(a, plugin, ident)
    return f"tenant A's new {plugin} {ident} is shown to tenant B {' and '.join(shown)}" if shown else None


def same_update_twice(method: str, updates: dict[str, dict[str, Any]]) -> Symptom:
    def differs(url: str, plugin: str) -> str | None:
        with client(url) as a:
            ident = create(a, plugin)["id"]
            states = []
            for _ in range(2):
                r = a.request(method, item(plugin, ident), json=updates[plugin])
                assert r.status_code == 200, (r.status_code, r.text)
                states.append(stable(read(a, plugin, ident)))
            remove(a, plugin, ident)
        if states[0] != states[1] or sent(states[1], updates[plugin]) != updates[plugin]:
            changed = {k: (states[0].get(k), v) for k, v in states[1].items() if states[0].get(k) != v}
            return f"the same {method} twice: {changed or 'not what was sent'}"
        return None

    return differs


def create_not_201(url: str, plugin: str) -> str | None:
    with client(url) as a:
        r = a.post(f"/api/{plugin}/", json=PAYLOADS[plugin])
        assert 200 <= r.status_code < 300 and sent(r.json(), PAYLOADS[plugin]) == PAYLOADS[plugin], r.text
        assert read(a, plugin, r.json()["id"]) == r.json()  # created all the same
        remove(a, plugin, r.json()["id"])
    return f"POST answered {r.status_code}" if r.status_code != 201 else None


def delete_not_204(url: str, plugin: str) -> str | None:
    with client(url) as a:
        ident = create(a, plugin)["id"]
        r = a.delete(item(plugin, ident))
        assert 200 <= r.status_code < 300, r.status_code
        assert is_error(a.get(item(plugin, ident)), 404, "not_found")  # deleted all the same
    return f"DELETE answered {r.status_code} with {r.content[:80]!r}" if r.status_code != 204 or r.content else None


def invalid_not_field_map(url: str, plugin: str) -> str | None:
    required = {"tasks": "title", "invoices": "number"}[plugin]
    with client(url) as a:
        before = snapshot(url, KEY_A)[plugin]
        array = {"tasks": "labels", "invoices": "tags"}[plugin]
        answers = [a.post(f"/api/{plugin}/", json={k: v for k, v in PAYLOADS[plugin].items() if k != required}),
                   a.post(f"/api/{plugin}/", json={**PAYLOADS[plugin], array: 7}),
                   a.patch(item(plugin, before[0]["id"]), json={required: 7})]
        assert snapshot(url, KEY_A)[plugin] == before  # refused all the same
        # What no write breaker changes: a bad query parameter is a 400 field map.
        assert is_field_map(a.get(f"/api/{plugin}/", params={"limit": 1000}), "limit")
    bad = [(r.status_code, r.text[:100]) for r in answers if not is_field_map(r)]
    return f"invalid payloads answered {bad}" if bad else None


WRITE_SYMPTOMS: dict[str, Symptom] = {
    "BGA-TENANCY-WRITE": other_tenant_deletes,
    "BGA-AUTH-WRITE": unknown_bearer_writes,
    "BGA-TENANCY-CREATE": created_for_another_tenant,
    "BGA-WRITE-PUT-IDEMPOTENT": same_update_twice("PUT", REPLACEMENTS),
    "BGA-WRITE-PATCH-IDEMPOTENT": same_update_twice("PATCH", PATCHES),
    "BGA-WRITE-CREATE": create_not_201,
    "BGA-WRITE-DELETE": delete_not_204,
    "BGA-WRITE-INVALID": invalid_not_field_map,
}


def test_every_write_breaker_has_a_symptom() -> None:
    assert {b.split("@")[0] for b in WRITE_BREAKERS} == set(WRITE_SYMPTOMS)
    assert {b.split("@")[1] for b in WRITE_BREAKERS} <= set(WRITABLE)


def test_conformant_server_shows_no_write_symptom(conformant: Server) -> None:
    found = {(rule, plugin): why for rule, symptom in WRITE_SYMPTOMS.items() for plugin in WRITABLE
             if (why := symptom(conformant.url, plugin)) is not None}
    assert found == {}


# -- each breaker, as its comment describes it ----------------------------------------------------
def tenancy_write(url: str) -> None:
    ident = oldest_of_a(url, "invoices")
    with client(url) as a, client(url, KEY_B) as b:
        assert b.delete(item("invoices", ident)).status_code == 204
        assert is_error(a.get(item("invoices", ident)), 404, "not_found")  # really gone


def auth_write(url: str) -> None:
    with client(url) as a, client(url, forged(KEY_A)) as forger:
        made = forger.post("/api/tasks/", json=PAYLOADS["tasks"])
        assert made.status_code == 201, made.text
        ident = made.json()["id"]
        assert read(a, "tasks", ident) == made.json()  # tenant A's
        assert is_error(forger.get(item("tasks", ident)), 401)
        assert forger.put(item("tasks", ident), json=REPLACEMENTS["tasks"]).status_code == 200
        assert forger.patch(item("tasks", ident), json=PATCHES["tasks"]).status_code == 200
        assert forger.delete(item("tasks", ident)).status_code == 204
        assert is_error(a.get(item("tasks", ident)), 404)
        assert is_error(forger.post("/api/invoices/", json=PAYLOADS["invoices"]), 401)


def tenancy_create(url: str) -> None:
    with client(url) as a, client(url, KEY_B) as b:
        made = create(a, "invoices")
        ident = made["id"]
        assert read(b, "invoices", ident) == made and ident in listed(b, "invoices")
        assert read(a, "invoices", ident) == made and ident in listed(a, "invoices")  # the creator is remembered
        # B's own invoices are B's; tasks created by A stay A's.
        theirs = create(b, "invoices")["id"]
        assert is_error(a.get(item("invoices", theirs)), 404)
        task = create(a, "tasks")["id"]
        assert is_error(b.get(item("tasks", task)), 404)


def put_appends_lines(url: str) -> None:
    with client(url) as a:
        made = create(a, "invoices")
        for _ in range(2):
            assert a.put(item("invoices", made["id"]), json=REPLACEMENTS["invoices"]).status_code == 200
        after = read(a, "invoices", made["id"])
        assert after["lines"] == PAYLOADS["invoices"]["lines"] + 2 * REPLACEMENTS["invoices"]["lines"]
        rest = {k: v for k, v in REPLACEMENTS["invoices"].items() if k != "lines"}
        assert sent(after, rest) == rest  # every other field replaced
        assert after["amount_cents"] == 53_990 + 2 * 24_300  # summed over the lines it keeps
        assert is_field_map(a.put(item("invoices", made["id"]), json={"number": "x"}), "lines")  # PUT still validates


def patch_extends_labels(url: str) -> None:
    with client(url) as a:
        made = create(a, "tasks")
        for _ in range(2):
            assert a.patch(item("tasks", made["id"]), json={"labels": ["x"]}).status_code == 200
        assert read(a, "tasks", made["id"])["labels"] == made["labels"] + ["x", "x"]
        replaced = a.put(item("tasks", made["id"]), json=REPLACEMENTS["tasks"]).json()
        assert replaced["labels"] == REPLACEMENTS["tasks"]["labels"]  # PUT still replaces


def create_200(url: str) -> None:
    with client(url) as a:
        r = a.post("/api/tasks/", json=PAYLOADS["tasks"])
        assert r.status_code == 200 and read(a, "tasks", r.json()["id"]) == r.json()
        assert a.post("/api/invoices/", json=PAYLOADS["invoices"]).status_code == 201


def delete_200(url: str) -> None:
    with client(url) as a:
        made = create(a, "tasks")
        r = a.delete(item("tasks", made["id"]))
        assert r.status_code == 200 and r.headers["content-type"] == "application/json" and r.json() == made
        assert is_error(a.get(item("tasks", made["id"])), 404, "not_found")


def invalid_422(url: str) -> None:
    with client(url) as a:
        r = a.post("/api/invoices/", json={**PAYLOADS["invoices"], "lines": [{"quantity": "many"}]})
        assert r.status_code == 422 and all(h in r.headers for h in RATE_HEADERS), r.text
        assert is_error(r, 422, "unprocessable_entity") and "lines.0." in r.json()["detail"], r.text
        # Everything but an invoice payload still answers as the conformant server does.
        assert is_field_map(a.post("/api/tasks/", json={"priority": "high"}), "title", "priority")
        assert is_field_map(a.get("/api/invoices/", params={"limit": 0}), "limit")
        assert is_error(a.post("/api/invoices/", content=b"x", headers={"Content-Type": "text/plain"}), 415)
        assert is_error(a.get("/api/invoices/999999/"), 404, "not_found")


AS_DESCRIBED: dict[str, Callable[[str], None]] = {
    "BGA-TENANCY-WRITE@invoices": tenancy_write,
    "BGA-AUTH-WRITE@tasks": auth_write,
    "BGA-TENANCY-CREATE@invoices": tenancy_create,
    "BGA-WRITE-PUT-IDEMPOTENT@invoices": put_appends_lines,
    "BGA-WRITE-PATCH-IDEMPOTENT@tasks": patch_extends_labels,
    "BGA-WRITE-CREATE@tasks": create_200,
    "BGA-WRITE-DELETE@tasks": delete_200,
    "BGA-WRITE-INVALID@invoices": invalid_422,
}


def test_write_breaker_misbehaves_where_it_says_and_nowhere_else(conformant: Server,
                                                                 broken: tuple[str, Server]) -> None:
    breaker, server = broken
    rule, _, where = breaker.partition("@")
    # Its reads are the conformant server's: every row either tenant sees, as seeded.
    assert server.seeded == conformant.seeded
    found = {plugin: why for plugin in WRITABLE if (why := WRITE_SYMPTOMS[rule](server.url, plugin)) is not None}
    assert set(found) == {where}, found
    others = {(other, plugin): why for other, symptom in WRITE_SYMPTOMS.items() if other != rule
              for plugin in WRITABLE if (why := symptom(server.url, plugin)) is not None}
    assert others == {}
    AS_DESCRIBED[breaker](server.url)


def test_every_write_breaker_is_described() -> None:
    assert set(AS_DESCRIBED) == set(WRITE_BREAKERS)


def test_snapshot_is_independent_of_the_server_code() -> None:
    # snapshot.py imports httpx alone: a test may use it on any server, in any process.
    import ast
    from pathlib import Path

    source = Path(snapshot.__code__.co_filename).read_text(encoding="utf-8")
    imported = {alias.name.split(".")[0] for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(ast.parse(source))
                 if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    assert imported <= {"httpx", "__future__", "typing"}, imported
