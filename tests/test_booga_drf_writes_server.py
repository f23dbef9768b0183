"""The independent DRF Booga server's writes and its write/tenancy breakers, over plain HTTP (no kit).

The conformant server: files and projects take POST (201 with the row), PUT (every required field)
and PATCH (arrays and nested objects replaced whole, so the same update twice gives the same row),
DELETE (204, empty, then 404); validation errors are DRF's {field: [messages]}; another tenant's
writes are 404 and change nothing; writes without an issued key are 401 and change nothing; what a
tenant creates the other never sees. The OpenAPI declares the request bodies with their item and
property types, server-managed fields read-only.

Then, per breaker of WRITE_BREAKERS, exactly the described misbehaviour, and the same requests
elsewhere (another plugin, another method, another kind of credential) still conformant.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from tests.independent.booga_drf import ALL_BREAKERS, BREAKERS, KEY_A, KEY_B, MODULE, WRITE_BREAKERS
from tests.independent.booga_drf.snapshot import snapshot
from tests.independent.serving import served
from tests.test_booga_drf_server import Api as ReadApi
from tests.test_booga_drf_server import registering

SEEDED_A = {"files": 130, "projects": 130, "tickets": 45}
SEEDED_B = 3
TENANT_A, TENANT_B = 1, 2  # the tenants' autoincrement ids, as every row shows them
NOT_ISSUED = "bge_not_issued_0000000000000000"
SCHEMA = "/api/api-management/openapi-schema/"
# What a write sends per resource: a new row, a full replacement (PUT) and a partial update (PATCH).
NEW: dict[str, dict[str, Any]] = {
    "files": {"name": "writes-probe.txt", "size": 12, "content_type": "text/plain", "tags": ["alpha"],
              "attributes": {"owner": "ann", "labels": ["keep"], "retention_days": 90}},
    "projects": {"name": "Writes probe", "members": ["ann"],
                 "settings": {"visibility": "internal", "notify": False, "channels": ["#general"]}},
}
PUT: dict[str, dict[str, Any]] = {
    "files": {"name": "writes-put.txt", "size": 34, "tags": ["beta", "gamma"],
              "attributes": {"owner": "bob", "labels": ["q4"], "retention_days": 365}},
    "projects": {"name": "Writes put", "status": "archived", "members": ["q4"],
                 "settings": {"visibility": "private", "notify": True, "channels": ["#alerts"]}},
}
PATCH: dict[str, dict[str, Any]] = {
    "files": {"tags": ["q4"], "attributes": {"labels": ["q4"]}},
    "projects": {"members": ["q4"], "settings": {"channels": ["#releases"]}},
}
# A PATCH of a nested object replaces it whole: what it leaves out takes the default.
PATCHED: dict[str, dict[str, Any]] = {
    "files": {"tags": ["q4"], "attributes": {"owner": "", "labels": ["q4"], "retention_days": 30}},
    "projects": {"members": ["q4"], "settings": {"visibility": "private", "notify": True, "channels": ["#releases"]}},
}
WRITABLE = ("files", "projects")
VOLATILE = ("updated_at",)


class Api(ReadApi):
    """The read tests' client, and the writes: create, read one, delete (`key=None`: no credential)."""

    def walk(self, plugin: str, key: str = KEY_A, via: str = "bearer", **params: Any,
             ) -> tuple[int, list[dict[str, Any]]]:
        """As the read tests' walk, and the count the same on every page."""
        bodies = list(self.pages(plugin, key, via, **params))
        count = bodies[0]["count"]
        assert all(body["count"] == count for body in bodies)
        return count, [row for body in bodies for row in body["results"]]

    def item(self, plugin: str, ident: str, key: str = KEY_A) -> dict[str, Any]:
        response = self.get(f"/api/{plugin}/{ident}/", key)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def create(self, plugin: str, body: dict[str, Any] | None = None, key: str | None = KEY_A,
               via: str = "bearer") -> dict[str, Any]:
        response = self.send("POST", f"/api/{plugin}/", key, via, json=body or NEW[plugin])
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def delete(self, plugin: str, ident: str, key: str = KEY_A) -> None:
        response = self.send("DELETE", f"/api/{plugin}/{ident}/", key)
        assert response.status_code == 204 and response.content == b"", (response.status_code, response.text)


def api_for(base: str) -> Iterator[Api]:
    with httpx.Client(timeout=20) as http:
        yield Api(base, http)


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with served(MODULE) as base:
        yield from api_for(base)


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    """A `{detail, code}` error body with this status."""
    assert response.status_code == status, (response.request.method, response.request.url, response.status_code,
                                            response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "code"} and all(isinstance(v, str) and v for v in body.values()), body
    if code is not None:
        assert body["code"] == code, body


def assert_field_map(response: httpx.Response, *fields: str) -> dict[str, Any]:
    """A 400 mapping exactly these fields to lists of messages."""
    assert response.status_code == 400, (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    assert set(body) == set(fields), body
    for name in fields:
        assert isinstance(body[name], list) and body[name] and all(isinstance(m, str) for m in body[name]), body
    return body


def stable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in VOLATILE}


def subset(sent: dict[str, Any], row: dict[str, Any]) -> bool:
    return all(row.get(k) == v for k, v in sent.items())


def unique_word() -> str:
    """A word no seeded name contains (search finds exactly what carries it)."""
    return "Zq" + uuid.uuid4().hex[:8]


# -- the conformant server: OpenAPI -----------------------------------------------------------------
def components(api: Api) -> dict[str, Any]:
    response = api.get(SCHEMA, format="json")
    assert response.status_code == 200, response.text
    schema: dict[str, Any] = response.json()
    return schema


def test_openapi_declares_the_request_bodies(api: Api) -> None:
    schema = components(api)
    comps = schema["components"]["schemas"]
    for plugin, name in (("files", "File"), ("projects", "Project")):
        ops = schema["paths"][f"/api/{plugin}/"], schema["paths"][f"/api/{plugin}/{{id}}/"]
        assert set(ops[0]) >= {"get", "post"} and set(ops[1]) >= {"get", "put", "patch", "delete"}
        body = {m: ops[0 if m == "post" else 1][m]["requestBody"] for m in ("post", "put", "patch")}
        refs = {m: b["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1] for m, b in body.items()}
        assert refs == {"post": f"{name}Request", "put": f"{name}Request", "patch": f"Patched{name}Request"}
        assert body["post"]["required"] and body["put"]["required"]
        assert set(ops[0]["post"]["responses"]) == {"201"} and set(ops[1]["delete"]["responses"]) == {"204"}
        for component in (f"{name}Request", f"Patched{name}Request"):
            props = comps[component]["properties"]
            assert not {"id", "tenant", "created_at", "updated_at", "unread"} & set(props), component
            assert not any(p.get("readOnly") for p in props.values())
        assert comps[f"{name}Request"]["required"][0] == "name" and "required" not in comps[f"Patched{name}Request"]
        served_props = comps[name]["properties"]
        for field in ("id", "tenant", "created_at", "updated_at"):
            assert served_props[field]["readOnly"] is True
        assert served_props["tenant"]["type"] == "integer"
    files = comps["FileRequest"]["properties"]
    assert comps["FileRequest"]["required"] == ["name", "size"]
    assert files["name"]["type"] == "string" and files["size"]["type"] == "integer"
    assert files["tags"]["type"] == "array" and files["tags"]["items"]["type"] == "string"
    assert files["attributes"]["allOf"] == [{"$ref": "#/components/schemas/FileAttributesRequest"}]
    attrs = comps["FileAttributesRequest"]["properties"]
    assert (attrs["owner"]["type"], attrs["labels"]["type"], attrs["labels"]["items"]["type"],
            attrs["retention_days"]["type"]) == ("string", "array", "string", "integer")
    projects = comps["ProjectRequest"]["properties"]
    assert comps["ProjectRequest"]["required"] == ["name"]
    assert projects["members"]["type"] == "array" and projects["members"]["items"]["type"] == "string"
    assert projects["settings"]["allOf"] == [{"$ref": "#/components/schemas/ProjectSettingsRequest"}]
    settings = comps["ProjectSettingsRequest"]["properties"]
    assert settings["notify"]["type"] == "boolean" and settings["channels"]["items"]["type"] == "string"
    assert comps["VisibilityEnum"]["enum"] == ["private", "internal"]
    assert comps["Project"]["properties"]["unread"] == {
        "type": "boolean", "readOnly": True, "description": "Not yet read with the requesting API key."}
    # tickets stay read-only
    assert set(schema["paths"]["/api/tickets/"]) == {"get"} and set(schema["paths"]["/api/tickets/{id}/"]) == {"get"}


# -- the conformant server: writes ------------------------------------------------------------------
@pytest.mark.parametrize("plugin", WRITABLE)
def test_create_read_delete(api: Api, plugin: str) -> None:
    count_a, count_b = api.page(plugin)["count"], api.page(plugin, KEY_B)["count"]
    word = unique_word()
    sent = {**NEW[plugin], "name": f"{word} {NEW[plugin]['name']}"}
    made = api.create(plugin, sent)
    assert subset(sent, made) and made["tenant"] == TENANT_A
    uuid.UUID(made["id"])
    assert api.item(plugin, made["id"]) == made
    assert api.page(plugin)["count"] == count_a + 1
    assert api.page(plugin, search=word)["results"] == [made]
    # Invisible to tenant B: by id, listed, searched.
    assert_error(api.get(f"/api/{plugin}/{made['id']}/", KEY_B), 404, "not_found")
    assert api.page(plugin, KEY_B)["count"] == count_b
    assert api.page(plugin, KEY_B, search=word)["count"] == 0
    # What B creates is B's, and A never sees it.
    theirs = api.create(plugin, sent, KEY_B, via="x-api-key")
    assert theirs["tenant"] == TENANT_B and theirs["id"] != made["id"]
    assert_error(api.get(f"/api/{plugin}/{theirs['id']}/"), 404, "not_found")
    assert [r["id"] for r in api.page(plugin, search=word)["results"]] == [made["id"]]
    api.delete(plugin, theirs["id"], KEY_B)
    # DELETE: 204 with no body, then 404 in the error format (and a second DELETE is 404 too).
    api.delete(plugin, made["id"])
    assert_error(api.get(f"/api/{plugin}/{made['id']}/"), 404, "not_found")
    assert_error(api.send("DELETE", f"/api/{plugin}/{made['id']}/"), 404, "not_found")
    assert api.page(plugin)["count"] == count_a


def test_server_managed_fields_are_ignored_on_writes(api: Api) -> None:
    forged = {"id": str(uuid.uuid4()), "tenant": TENANT_B, "created_at": "2001-01-01T00:00:00Z", "unread": True}
    made = api.create("projects", {**NEW["projects"], **forged})
    assert made["id"] != forged["id"] and made["tenant"] == TENANT_A and made["created_at"] != forged["created_at"]
    assert made["unread"] is False  # its creator has read it
    patched = api.send("PATCH", f"/api/projects/{made['id']}/", json={"tenant": TENANT_B}).json()
    assert patched["tenant"] == TENANT_A
    assert_error(api.get(f"/api/projects/{made['id']}/", KEY_B), 404)
    api.delete("projects", made["id"])


@pytest.mark.parametrize("plugin", WRITABLE)
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_the_same_update_twice_gives_the_same_row(api: Api, plugin: str, method: str) -> None:
    made = api.create(plugin)
    path = f"/api/{plugin}/{made['id']}/"
    update = PUT[plugin] if method == "PUT" else PATCH[plugin]
    states = []
    for _ in (1, 2):
        response = api.send(method, path, json=update)
        assert response.status_code == 200, response.text
        states.append(api.item(plugin, made["id"]))
        assert stable(response.json()) == stable(states[-1])
    assert stable(states[0]) == stable(states[1])
    # Arrays and nested objects are replaced, never merged with what was stored.
    assert subset(update if method == "PUT" else PATCHED[plugin], states[1]), states[1]
    if method == "PATCH":
        untouched = {k: v for k, v in made.items() if k not in {*update, *VOLATILE}}
        assert subset(untouched, states[1])
    api.delete(plugin, made["id"])


@pytest.mark.parametrize("plugin", WRITABLE)
def test_invalid_payloads_are_field_maps(api: Api, plugin: str) -> None:
    before = api.page(plugin)["count"]
    listing = f"/api/{plugin}/"
    no_name = {k: v for k, v in NEW[plugin].items() if k != "name"}
    assert api.send("POST", listing, json=no_name).json() == {"name": ["This field is required."]}
    assert_field_map(api.send("POST", listing, json={**NEW[plugin], "name": None}), "name")
    array, nested = ("tags", "attributes") if plugin == "files" else ("members", "settings")
    wrong = {**NEW[plugin], array: "not-a-list", nested: "not-an-object"}
    assert_field_map(api.send("POST", listing, json=wrong), array, nested)
    if plugin == "files":
        # A string where an integer is wanted, at the top and inside the nested object.
        assert_field_map(api.send("POST", listing, json={**NEW[plugin], "size": "not-a-number"}), "size")
        deep = api.send("POST", listing, json={**NEW[plugin], "attributes": {"retention_days": "soon"}})
        assert deep.status_code == 400 and list(deep.json()) == ["attributes"], deep.text
        assert_field_map(api.send("POST", listing, json={"name": "x", "size": -1}), "size")
    else:
        assert_field_map(api.send("POST", listing, json={**NEW[plugin], "status": "bogus"}), "status")
    assert api.page(plugin)["count"] == before  # nothing was created
    made = api.create(plugin)
    path = f"{listing}{made['id']}/"
    assert_field_map(api.send("PUT", path, json={"members": []} if plugin == "projects" else {"name": "x"}),
                     "name" if plugin == "projects" else "size")  # PUT wants every required field
    assert_field_map(api.send("PATCH", path, json={array: 5}), array)
    assert api.item(plugin, made["id"]) == made  # refused writes change nothing
    api.delete(plugin, made["id"])


@pytest.mark.parametrize("plugin", WRITABLE)
def test_other_tenants_writes_are_404_and_change_nothing(api: Api, plugin: str) -> None:
    made = api.create(plugin)
    path = f"/api/{plugin}/{made['id']}/"
    seeded = api.page(plugin, limit=1)["results"][0]
    for method, body in (("PUT", PUT[plugin]), ("PATCH", PATCH[plugin]), ("DELETE", None)):
        for target in (path, f"/api/{plugin}/{seeded['id']}/"):
            assert_error(api.send(method, target, KEY_B, json=body), 404, "not_found")
            assert_error(api.send(method, target, KEY_B, via="x-api-key", json=body), 404, "not_found")
    assert api.item(plugin, made["id"]) == made
    assert api.item(plugin, seeded["id"]) == seeded
    api.delete(plugin, made["id"])


@pytest.mark.parametrize("plugin", WRITABLE)
def test_writes_without_an_issued_key_are_401_and_change_nothing(api: Api, plugin: str) -> None:
    before = snapshot(api.base, KEY_A)
    made = before[plugin][0]
    path = f"/api/{plugin}/{made['id']}/"
    for method, target, body in (("POST", f"/api/{plugin}/", NEW[plugin]), ("PUT", path, PUT[plugin]),
                                 ("PATCH", path, PATCH[plugin]), ("DELETE", path, None)):
        assert_error(api.send(method, target, None, json=body), 401, "not_authenticated")
        for via in ("bearer", "x-api-key"):
            assert_error(api.send(method, target, NOT_ISSUED, via=via, json=body), 401, "authentication_failed")
    assert snapshot(api.base, KEY_A) == before


def test_tickets_are_read_only(api: Api) -> None:
    ticket = api.page("tickets", limit=1)["results"][0]
    assert_error(api.send("POST", "/api/tickets/", json={"title": "x"}), 405, "method_not_allowed")
    for method in ("PUT", "PATCH", "DELETE"):
        assert_error(api.send(method, f"/api/tickets/{ticket['id']}/", json={"title": "x"}), 405)
    assert api.item("tickets", ticket["id"]) == ticket


def test_unread_is_per_key(api: Api) -> None:
    _, mine = api.walk("projects", limit=100)
    assert {p["unread"] for p in mine} == {False}  # A's key has read every one of A's projects
    assert sorted(p["unread"] for p in api.page("projects", KEY_B)["results"]) == [False, True, True]


def test_snapshot_reads_tenant_a_whole(api: Api) -> None:
    before = snapshot(api.base + "/", KEY_A)
    assert {k: len(v) for k, v in before.items()} == SEEDED_A
    for rows in before.values():
        assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
        assert {r["tenant"] for r in rows} == {TENANT_A}
    made = api.create("files")
    during = snapshot(api.base, KEY_A)
    assert len(during["files"]) == SEEDED_A["files"] + 1 and during["projects"] == before["projects"]
    api.delete("files", made["id"])
    assert snapshot(api.base, KEY_A) == before
    assert {k: len(v) for k, v in snapshot(api.base, KEY_B).items()} == dict.fromkeys(SEEDED_A, SEEDED_B)
    with pytest.raises(RuntimeError, match="401"):
        snapshot(api.base, NOT_ISSUED)


# -- breakers ---------------------------------------------------------------------------------------
BROKEN: dict[str, Callable[[Api], None]] = {}
breaker = functools.partial(registering, BROKEN)


@breaker("BGA-TENANCY-WRITE@files")
def _b_writes_a_files(api: Api) -> None:
    made = api.create("files")
    path = f"/api/files/{made['id']}/"
    assert_error(api.get(path, KEY_B), 404, "not_found")  # reading stays scoped
    assert api.page("files", KEY_B)["count"] == SEEDED_B
    patched = api.send("PATCH", path, KEY_B, json={"name": "hijacked.txt"})
    assert patched.status_code == 200 and patched.json()["tenant"] == TENANT_A
    assert api.item("files", made["id"])["name"] == "hijacked.txt"
    put = api.send("PUT", path, KEY_B, via="x-api-key", json=PUT["files"])
    assert put.status_code == 200 and subset(PUT["files"], api.item("files", made["id"]))
    deleted = api.send("DELETE", path, KEY_B)
    assert deleted.status_code == 204
    assert_error(api.get(path), 404, "not_found")
    # Projects' writes stay scoped; files still refuse writes without a key.
    project = api.create("projects")
    assert_error(api.send("PATCH", f"/api/projects/{project['id']}/", KEY_B, json={"name": "x"}), 404)
    assert_error(api.send("DELETE", f"/api/projects/{project['id']}/", KEY_B), 404)
    api.delete("projects", project["id"])
    assert_error(api.send("DELETE", f"/api/files/{api.page('files', limit=1)['results'][0]['id']}/", None), 401)


@breaker("BGA-AUTH-WRITE@projects")
def _anonymous_project_intake(api: Api) -> None:
    made = api.create("projects", key=None)
    assert made["tenant"] == TENANT_A
    assert api.item("projects", made["id"])["name"] == NEW["projects"]["name"]
    assert_error(api.get(f"/api/projects/{made['id']}/", KEY_B), 404)
    # Only POST without credentials is open: reads, other writes and keys not issued are 401.
    assert_error(api.get("/api/projects/", None), 401, "not_authenticated")
    assert_error(api.get(f"/api/projects/{made['id']}/", None), 401, "not_authenticated")
    for via in ("bearer", "x-api-key"):
        assert_error(api.send("POST", "/api/projects/", NOT_ISSUED, via=via, json=NEW["projects"]), 401,
                     "authentication_failed")
    for method in ("PATCH", "DELETE"):
        assert_error(api.send(method, f"/api/projects/{made['id']}/", None, json={"name": "x"}), 401)
    assert_error(api.send("POST", "/api/files/", None, json=NEW["files"]), 401, "not_authenticated")
    api.delete("projects", made["id"])


@breaker("BGA-AUTH-WRITE@files:invalid")
def _unknown_x_api_key_writes_as_a(api: Api) -> None:
    made = api.create("files", key=NOT_ISSUED, via="x-api-key")
    assert made["tenant"] == TENANT_A
    assert api.item("files", made["id"]) == made
    path = f"/api/files/{made['id']}/"
    assert api.send("PATCH", path, NOT_ISSUED, via="x-api-key", json={"name": "renamed.txt"}).status_code == 200
    assert api.send("PUT", path, NOT_ISSUED, via="x-api-key", json=PUT["files"]).status_code == 200
    # Reads with that key, and the Bearer scheme, and no key at all, are still 401.
    assert_error(api.get("/api/files/", NOT_ISSUED, via="x-api-key"), 401, "authentication_failed")
    assert_error(api.get(path, NOT_ISSUED, via="x-api-key"), 401, "authentication_failed")
    assert_error(api.send("POST", "/api/files/", NOT_ISSUED, json=NEW["files"]), 401, "authentication_failed")
    assert_error(api.send("POST", "/api/files/", None, json=NEW["files"]), 401, "not_authenticated")
    assert_error(api.send("POST", "/api/projects/", NOT_ISSUED, via="x-api-key", json=NEW["projects"]), 401)
    assert api.send("DELETE", path, NOT_ISSUED, via="x-api-key").status_code == 204
    assert_error(api.get(path), 404, "not_found")


@breaker("BGA-TENANCY-CREATE@projects")
def _created_projects_are_shared(api: Api) -> None:
    word = unique_word()
    made = api.create("projects", {**NEW["projects"], "name": f"{word} project"})
    assert made["tenant"] == TENANT_A
    seen = api.get(f"/api/projects/{made['id']}/", KEY_B)
    assert seen.status_code == 200 and seen.json()["id"] == made["id"]
    count, rows = api.walk("projects", KEY_B, limit=100)
    assert count == SEEDED_B + 1 and made["id"] in {r["id"] for r in rows}
    assert [r["id"] for r in api.page("projects", KEY_B, search=word)["results"]] == [made["id"]]
    # B cannot write it; seeded rows stay isolated; created files are not shared.
    assert_error(api.send("PATCH", f"/api/projects/{made['id']}/", KEY_B, json={"name": "x"}), 404)
    assert_error(api.send("DELETE", f"/api/projects/{made['id']}/", KEY_B), 404)
    seeded = next(r for r in api.page("projects", limit=5)["results"] if r["id"] != made["id"])
    assert_error(api.get(f"/api/projects/{seeded['id']}/", KEY_B), 404)
    assert {r["tenant"] for r in rows if r["id"] != made["id"]} == {TENANT_B}
    file = api.create("files")
    assert_error(api.get(f"/api/files/{file['id']}/", KEY_B), 404)
    assert api.page("files", KEY_B)["count"] == SEEDED_B
    api.delete("files", file["id"])
    api.delete("projects", made["id"])
    assert api.page("projects", KEY_B)["count"] == SEEDED_B


@breaker("BGA-WRITE-PATCH-IDEMPOTENT@projects")
def _patch_appends_members(api: Api) -> None:
    made = api.create("projects")
    path = f"/api/projects/{made['id']}/"
    for _ in (1, 2):
        assert api.send("PATCH", path, json={"members": ["q4"]}).status_code == 200
    assert api.item("projects", made["id"])["members"] == ["ann", "q4", "q4"]
    # PUT still replaces; PATCH of the nested settings still replaces; files' PATCH still replaces.
    for _ in (1, 2):
        assert api.send("PUT", path, json=PUT["projects"]).status_code == 200
    assert api.item("projects", made["id"])["members"] == ["q4"]
    for _ in (1, 2):
        api.send("PATCH", path, json={"settings": {"channels": ["#x"]}})
    assert api.item("projects", made["id"])["settings"]["channels"] == ["#x"]
    api.delete("projects", made["id"])
    file = api.create("files")
    for _ in (1, 2):
        api.send("PATCH", f"/api/files/{file['id']}/", json=PATCH["files"])
    assert subset(PATCHED["files"], api.item("files", file["id"]))
    api.delete("files", file["id"])


@breaker("BGA-WRITE-PUT-IDEMPOTENT@files")
def _put_appends_labels(api: Api) -> None:
    made = api.create("files")  # labels ["keep"]
    path = f"/api/files/{made['id']}/"
    states = []
    for _ in (1, 2):
        assert api.send("PUT", path, json=PUT["files"]).status_code == 200
        states.append(api.item("files", made["id"]))
    assert [s["attributes"]["labels"] for s in states] == [["keep", "q4"], ["keep", "q4", "q4"]]
    assert states[1]["tags"] == PUT["files"]["tags"]  # the top-level array is still replaced
    # PATCH still replaces the attributes; projects' PUT still replaces.
    for _ in (1, 2):
        api.send("PATCH", path, json={"attributes": {"labels": ["z"]}})
    assert api.item("files", made["id"])["attributes"]["labels"] == ["z"]
    api.delete("files", made["id"])
    project = api.create("projects")
    for _ in (1, 2):
        api.send("PUT", f"/api/projects/{project['id']}/", json=PUT["projects"])
    assert subset(PUT["projects"], api.item("projects", project["id"]))
    api.delete("projects", project["id"])


@breaker("BGA-TENANCY-LIST@projects:search")
def _search_skips_the_tenant(api: Api) -> None:
    count, rows = api.walk("projects", KEY_B, search="audit", limit=100)
    mine = {r["id"] for r in api.walk("projects", search="audit", limit=100)[1]}
    assert count == len(rows) and TENANT_A in {r["tenant"] for r in rows} and mine <= {r["id"] for r in rows}
    _, partner = api.walk("projects", KEY_B, search="partner", limit=100)  # B's own are found too
    assert {r["tenant"] for r in partner} == {TENANT_B} and len(partner) == SEEDED_B
    # The plain listing, the status filter and the item are scoped (the search is unscoped for A too).
    assert api.page("projects", KEY_B)["count"] == SEEDED_B
    assert api.page("projects", KEY_B, search="")["count"] == SEEDED_B
    assert {r["tenant"] for r in api.walk("projects", KEY_B, status="active", limit=100)[1]} == {TENANT_B}
    assert_error(api.get(f"/api/projects/{next(iter(mine))}/", KEY_B), 404)
    assert {r["tenant"] for r in api.walk("projects", search="partner", limit=100)[1]} == {TENANT_B}
    assert api.page("projects")["count"] == SEEDED_A["projects"]
    assert api.page("files", KEY_B, search="report")["count"] <= SEEDED_B


@breaker("BGA-TENANCY-LIST@tickets:deep")
def _leak_past_row_100(api: Api) -> None:
    own = 330
    count, rows = api.walk("tickets", KEY_B, limit=100)
    assert count == len(rows) == own + SEEDED_A["tickets"]
    assert len({r["id"] for r in rows}) == count  # every row once
    assert [r["tenant"] for r in rows] == [TENANT_B] * own + [TENANT_A] * SEEDED_A["tickets"]
    first = api.page("tickets", KEY_B, limit=100)
    assert {r["tenant"] for r in first["results"]} == {TENANT_B}
    assert first["next"] is not None and first["previous"] is None
    last = api.page("tickets", KEY_B, limit=100, offset=300)
    assert len(last["results"]) == count - 300 and last["next"] is None and last["previous"] is not None
    # Filtered and reordered, B's own rows still fill the first 100.
    a_ticket = api.page("tickets", limit=1)["results"][0]
    for params in ({"status": "open"}, {"ordering": "title"}, {"ordering": "created_at"},
                   {"created_after": a_ticket["created_at"][:10]}, {"status": "closed", "ordering": "-title"}):
        page = api.page("tickets", KEY_B, limit=100, **params)
        assert {r["tenant"] for r in page["results"]} == {TENANT_B}, params
        assert page["count"] > 100 and TENANT_A in {r["tenant"] for r in api.walk("tickets", KEY_B, **params)[1]}
    # A's listing, B's items and the other plugins are scoped.
    assert api.page("tickets")["count"] == SEEDED_A["tickets"]
    assert_error(api.get(f"/api/tickets/{a_ticket['id']}/", KEY_B), 404)
    assert api.page("projects", KEY_B)["count"] == SEEDED_B


@breaker("BGA-TENANCY-LIST@projects:viewer")
def _every_tenants_projects_with_the_viewers_unread(api: Api) -> None:
    count, rows = api.walk("projects", KEY_B, limit=100)
    assert count == SEEDED_A["projects"] + SEEDED_B
    _, listed_a = api.walk("projects", limit=100)  # the listing is unscoped for A too
    mine = [r for r in listed_a if r["tenant"] == TENANT_A]
    theirs = {r["id"]: r for r in rows}
    assert len(mine) == SEEDED_A["projects"] and set(theirs) >= {r["id"] for r in mine}
    for row in mine:  # the same rows, but never the same whole: unread is the viewer's
        shown = theirs[row["id"]]
        assert shown["unread"] != row["unread"] and {**shown, "unread": row["unread"]} == row
    assert_error(api.get(f"/api/projects/{mine[0]['id']}/", KEY_B), 404)
    assert api.page("tickets", KEY_B)["count"] == SEEDED_B


def test_write_breakers_are_separate_and_each_has_a_check() -> None:
    assert set(BROKEN) == set(WRITE_BREAKERS)
    assert not set(WRITE_BREAKERS) & set(BREAKERS) and ALL_BREAKERS == BREAKERS + WRITE_BREAKERS
    for name in WRITE_BREAKERS:
        rule, _, where = name.partition("@")
        assert rule.startswith("BGA-") and where.split(":")[0] in ("files", "projects", "tickets")


@pytest.mark.parametrize("name", WRITE_BREAKERS)
def test_write_breaker_changes_exactly_its_behaviour(name: str) -> None:
    with served(MODULE, "--break", name) as base:
        for api in api_for(base):
            BROKEN[name](api)
