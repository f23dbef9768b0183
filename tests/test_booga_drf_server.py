"""The independent Booga server on Django REST framework itself, not the kit.

tests/test_independent_booga.py holds the kit to this server's verdicts; those verdicts mean
something only if the server does what it claims. These tests pin it down over real HTTP: the three
plugins' lists and items for both tenants, their filters, the OpenAPI it serves (each list's
filters and paginated envelope, the plugin= filter), DRF's own fallback for bad limits, --prefix,
and, per `RULE@plugin` breaker, that exactly the described behaviour changes while the same request
elsewhere still answers as the conformant server does.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.independent.booga_drf import BREAKERS, KEY_A, KEY_B, MODULE
from tests.independent.serving import served

PLUGINS = ("files", "projects", "tickets")
SEEDED_A = {"files": 130, "projects": 130, "tickets": 45}
SEEDED_B = 3  # of each plugin
STATUSES = {"projects": ("active", "archived"), "tickets": ("closed", "open", "pending")}
# Each list's own query parameters as the OpenAPI must declare them (pagination included).
DECLARED = {
    "files": {"limit", "offset", "ordering", "search", "created_after"},
    "projects": {"limit", "offset", "status", "search"},
    "tickets": {"limit", "offset", "status", "ordering", "created_after"},
}
COMPONENT = {"files": "File", "projects": "Project", "tickets": "Ticket"}
RATE_HEADERS = ("X-RateLimit-Limit-Minute", "X-RateLimit-Remaining-Minute",
                "X-RateLimit-Limit-Hour", "X-RateLimit-Remaining-Hour")
SCHEMA = "/api/api-management/openapi-schema/"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@dataclass
class Api:
    """One server's base URL and a client; every helper sends Accept: application/json."""

    base: str
    http: httpx.Client

    def send(self, method: str, path: str, key: str | None = KEY_A, via: str = "bearer",
             json: Any = None, **params: Any) -> httpx.Response:
        headers = {"Accept": "application/json"}
        if key is not None:
            headers.update({"Authorization": f"Bearer {key}"} if via == "bearer" else {"X-API-Key": key})
        url = path if path.startswith("http") else self.base + path
        # params={} would make httpx drop the query a next link already carries: None keeps it.
        return self.http.request(method, url, params=params or None, headers=headers, json=json)

    def get(self, path: str, key: str | None = KEY_A, via: str = "bearer", **params: Any) -> httpx.Response:
        return self.send("GET", path, key, via, **params)

    def page(self, plugin: str, key: str = KEY_A, via: str = "bearer", **params: Any) -> dict[str, Any]:
        response = self.get(f"/api/{plugin}/", key, via, **params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def pages(self, plugin: str, key: str = KEY_A, via: str = "bearer", **params: Any) -> Iterator[dict[str, Any]]:
        """Every page of the list, the first and then each one `next` points to."""
        body = self.page(plugin, key, via, **params)
        yield body
        while body["next"] is not None:
            response = self.get(body["next"], key, via)
            assert response.status_code == 200, response.text
            body = response.json()
            yield body

    def walk(self, plugin: str, key: str = KEY_A, via: str = "bearer", **params: Any,
             ) -> tuple[int, list[dict[str, Any]]]:
        """(count of the first page, every result met following next)."""
        bodies = list(self.pages(plugin, key, via, **params))
        return bodies[0]["count"], [item for body in bodies for item in body["results"]]

    def schema(self, **params: Any) -> dict[str, Any]:
        response = self.get(SCHEMA, format="json", **params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def api_for(base: str) -> Iterator[Api]:
    with httpx.Client(timeout=15) as http:
        yield Api(base, http)


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with served(MODULE) as base:
        yield from api_for(base)


def registering(into: dict[str, Callable[[Any], None]], name: str,
                ) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    """`@breaker(NAME)`: the decorated check is `into[NAME]` (each breaker's check, by its name)."""
    def register(func: Callable[[Any], None]) -> Callable[[Any], None]:
        into[name] = func
        return func
    return register


def query(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    """A `{detail, code}` error body with this status, and the rate-limit headers."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "code"} and all(isinstance(v, str) and v for v in body.values()), body
    if code is not None:
        assert body["code"] == code, body
    assert_rate_headers(response)


def assert_rate_headers(response: httpx.Response) -> None:
    missing = [h for h in RATE_HEADERS if h not in response.headers]
    assert not missing, f"{response.request.url} lacks {missing}"


def first_id(api: Api, plugin: str, key: str = KEY_A) -> str:
    return str(api.page(plugin, key, limit=1)["results"][0]["id"])


# -- the conformant server ----------------------------------------------------------------------
@pytest.mark.parametrize("plugin", PLUGINS)
def test_each_list_pages_its_tenants_rows(api: Api, plugin: str) -> None:
    response = api.get(f"/api/{plugin}/")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert_rate_headers(response)
    body = response.json()
    assert list(body) == ["count", "next", "previous", "results"]
    assert body["count"] == SEEDED_A[plugin] and len(body["results"]) == 20 and body["previous"] is None
    assert body["next"] == f"{api.base}/api/{plugin}/?limit=20&offset=20"
    for item in body["results"]:
        uuid.UUID(item["id"])
    count_a, rows_a = api.walk(plugin, limit=100)
    count_b, rows_b = api.walk(plugin, KEY_B, via="x-api-key")
    assert (count_a, count_b) == (SEEDED_A[plugin], SEEDED_B)
    ids_a, ids_b = {r["id"] for r in rows_a}, {r["id"] for r in rows_b}
    assert (len(ids_a), len(ids_b)) == (count_a, count_b)  # every result once
    assert not ids_a & ids_b


@pytest.mark.parametrize("plugin", PLUGINS)
def test_each_item_is_tenant_scoped(api: Api, plugin: str) -> None:
    listed = api.page(plugin, limit=1)["results"][0]
    mine = api.get(f"/api/{plugin}/{listed['id']}/")
    assert mine.status_code == 200 and mine.headers["content-type"] == "application/json"
    assert mine.json() == listed
    assert_rate_headers(mine)
    assert_error(api.get(f"/api/{plugin}/{listed['id']}/", KEY_B), 404, "not_found")
    assert_error(api.get(f"/api/{plugin}/{UNKNOWN_ID}/"), 404, "not_found")
    assert_error(api.get(f"/api/{plugin}/not-a-uuid/"), 404, "not_found")


@pytest.mark.parametrize("plugin", PLUGINS)
@pytest.mark.parametrize("item", [False, True], ids=["list", "item"])
def test_missing_or_unknown_keys_are_401_everywhere(api: Api, plugin: str, item: bool) -> None:
    path = f"/api/{plugin}/{first_id(api, plugin)}/" if item else f"/api/{plugin}/"
    assert api.get(path, KEY_A, via="x-api-key").status_code == 200  # both schemes are accepted
    missing = api.get(path, None)
    assert_error(missing, 401, "not_authenticated")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    for via in ("bearer", "x-api-key"):
        assert_error(api.get(path, "bge_not_issued", via=via), 401, "authentication_failed")


def test_schema_needs_a_key_too(api: Api) -> None:
    assert_error(api.get(SCHEMA, None), 401, "not_authenticated")


@pytest.mark.parametrize("plugin", ["projects", "tickets"])
def test_status_filter(api: Api, plugin: str) -> None:
    counts = {}
    for status in STATUSES[plugin]:
        count, rows = api.walk(plugin, status=status, limit=100)
        assert rows and {r["status"] for r in rows} == {status}
        counts[status] = count
    assert sum(counts.values()) == SEEDED_A[plugin]
    assert api.page(plugin, status="")["count"] == SEEDED_A[plugin]  # empty: no filter (django-filter)
    # django-filter's ChoiceFilter: an unknown (or differently cased) value is a field-mapped 400.
    for bad in ("bogus", STATUSES[plugin][0].upper()):
        response = api.get(f"/api/{plugin}/", status=bad)
        assert response.status_code == 400 and list(response.json()) == ["status"], response.text
        assert_rate_headers(response)
    assert 1 <= api.page(plugin, KEY_B, status=STATUSES[plugin][0])["count"] < SEEDED_B


def test_projects_search_by_name(api: Api) -> None:
    count, rows = api.walk("projects", search="audit", limit=100)
    assert count == len(rows) > 1 and all("audit" in r["name"].lower() for r in rows)
    assert api.page("projects", search="zzqxj")["count"] == 0
    assert api.page("projects", search="O'Brien")["count"] == 0  # a quote inside a word is a character
    # DRF's search_smart_split reads quotes as phrase quoting: a lone quote is no term, so no filter.
    assert api.page("projects", search="'")["count"] == SEEDED_A["projects"]
    assert api.page("projects", KEY_B, search="audit")["count"] < count


def test_tickets_ordering_and_created_after(api: Api) -> None:
    titles = [t["title"] for t in api.page("tickets", ordering="title", limit=100)["results"]]
    assert titles == sorted(titles) and len(titles) == SEEDED_A["tickets"]
    created = [t["created_at"] for t in api.page("tickets", limit=100)["results"]]
    assert created == sorted(created, reverse=True)  # the default: newest first
    oldest_first = [t["created_at"] for t in api.page("tickets", ordering="created_at", limit=100)["results"]]
    assert oldest_first == sorted(created)
    day = sorted(created)[len(created) // 2][:10]
    after = api.page("tickets", created_after=day, limit=100)
    assert 0 < after["count"] < SEEDED_A["tickets"] and all(t["created_at"][:10] >= day for t in after["results"])
    assert list(api.get("/api/tickets/", created_after="not-a-day").json()) == ["created_after"]


# DRF's LimitOffsetPagination as it is: no 400 for a bad limit. Anything int() cannot read, or
# below 1, is the default; above max_limit is clamped; int()'s own leniency (spaces, "1_0",
# non-ASCII digits) is an integer. A bad offset is 0.
@pytest.mark.parametrize(("limit", "size"), [
    ("0", 20), ("-1", 20), ("abc", 20), ("", 20), ("1.5", 20),
    ("101", 100), ("1000", 100), (str(2**70), 100),
    (" 5", 5), ("1_0", 10), ("\u0663", 3),
])
def test_bad_limits_fall_back_or_clamp(api: Api, limit: str, size: int) -> None:
    body = api.page("projects", limit=limit)
    assert len(body["results"]) == size
    assert query(body["next"])["limit"] == str(size)  # the links carry the limit applied


@pytest.mark.parametrize("offset", ["-1", "abc", ""])
def test_bad_offset_is_zero(api: Api, offset: str) -> None:
    assert api.page("tickets", offset=offset, limit=3)["results"] == api.page("tickets", limit=3)["results"]


def test_offset_past_the_end_is_an_empty_page(api: Api) -> None:
    body = api.page("projects", offset=str(2**70), limit=5)
    assert body["results"] == [] and body["next"] is None and body["previous"] is not None


@pytest.mark.parametrize("plugin", PLUGINS)
def test_openapi_declares_each_lists_filters_and_envelope(api: Api, plugin: str) -> None:
    schema = api.schema()
    assert schema["openapi"] == "3.0.3"
    operation = schema["paths"][f"/api/{plugin}/"]["get"]
    params = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert set(params) == DECLARED[plugin]
    if plugin in STATUSES:
        assert params["status"]["schema"] == {"type": "string", "enum": list(STATUSES[plugin])}
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == f"#/components/schemas/Paginated{COMPONENT[plugin]}List"
    envelope = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert list(envelope["properties"]) == ["count", "next", "previous", "results"]
    assert envelope["properties"]["results"]["items"] == {"$ref": f"#/components/schemas/{COMPONENT[plugin]}"}
    item = schema["paths"][f"/api/{plugin}/{{id}}/"]["get"]
    assert item["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": f"#/components/schemas/{COMPONENT[plugin]}"}


def test_openapi_plugin_filter(api: Api) -> None:
    assert set(api.schema(plugin="tickets")["paths"]) == {"/api/tickets/", "/api/tickets/{id}/"}
    both = api.schema(include_plugins="projects,tickets")["paths"]
    assert {p.split("/")[2] for p in both} == {"projects", "tickets"}
    assert {p.split("/")[2] for p in api.schema()["paths"]} == {*PLUGINS, "api-management"}


def test_prefix_mounts_the_whole_api() -> None:
    with served(MODULE, "--prefix", "/gw/booga/") as base:
        root = base.removesuffix("/gw/booga")
        assert base != root  # the printed base URL carries the prefix
        for api in api_for(base):
            body = api.page("projects", limit=5, offset=5)
            assert body["next"] == f"{base}/api/projects/?limit=5&offset=10"
            assert body["previous"] == f"{base}/api/projects/?limit=5"
            _, rows = api.walk("tickets", limit=10)
            assert len(rows) == SEEDED_A["tickets"]
            assert api.get(f"/api/files/{first_id(api, 'files')}/").status_code == 200
            # The OpenAPI's paths stay relative to the base URL.
            assert {p.split("/")[2] for p in api.schema()["paths"]} == {*PLUGINS, "api-management"}
            for outside in ("/api/projects/", "/gw/boogax/api/projects/", "/gw/booga/gw/booga/api/projects/"):
                assert_error(api.get(root + outside), 404, "not_found")
            assert_error(api.get("/api/projects/", None), 401, "not_authenticated")


# -- breakers beyond the first plugin -----------------------------------------------------------
# One check per `RULE@plugin` breaker: the broken behaviour on its plugin, and the same thing still
# conformant on another plugin (or in the parts of the rule's neighbourhood it must not touch).
BROKEN: dict[str, Callable[[Api], None]] = {}
breaker = functools.partial(registering, BROKEN)


@breaker("BGA-LIST-ENVELOPE@tickets")
def _bare_array(api: Api) -> None:
    response = api.get("/api/tickets/")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert_rate_headers(response)
    page = response.json()
    assert isinstance(page, list) and len(page) == 20 and {"id", "title", "status"} <= set(page[0])
    assert isinstance(api.get("/api/tickets/", limit=5, offset=40).json(), list)
    assert api.page("projects")["count"] == SEEDED_A["projects"]


@breaker("BGA-LIST-LIMIT-INVALID@projects")
def _no_max_limit(api: Api) -> None:
    assert len(api.page("projects", limit=150)["results"]) == SEEDED_A["projects"]
    assert len(api.page("projects", limit=str(2**70))["results"]) == SEEDED_A["projects"]  # and no 5xx
    assert len(api.page("projects")["results"]) == 20  # the default is kept
    assert len(api.page("projects", limit=0)["results"]) == 20
    assert len(api.page("files", limit=150)["results"]) == 100


@breaker("BGA-LIST-DEFAULT-LIMIT@tickets")
def _default_30(api: Api) -> None:
    body = api.page("tickets")
    assert len(body["results"]) == 30 and query(body["next"]) == {"limit": "30", "offset": "30"}
    assert len(api.page("tickets", limit=20)["results"]) == 20
    assert len(api.page("projects")["results"]) == 20


@breaker("BGA-LIST-OFFSET@projects")
def _offset_ignored(api: Api) -> None:
    first = api.page("projects", limit=5)
    later = api.page("projects", limit=5, offset=20)
    assert later["results"] == first["results"] and later["count"] == SEEDED_A["projects"]
    assert query(later["next"]) == {"limit": "5", "offset": "25"}
    assert query(later["previous"]) == {"limit": "5", "offset": "15"}
    assert api.page("tickets", limit=5, offset=5)["results"] != api.page("tickets", limit=5)["results"]


@breaker("BGA-LIST-LINKS@projects")
def _previous_two_back(api: Api) -> None:
    third = api.page("projects", limit=20, offset=60)
    assert query(third["previous"]) == {"limit": "20", "offset": "20"}  # should be 40
    assert query(third["next"]) == {"limit": "20", "offset": "80"}
    assert query(api.page("projects", limit=20, offset=20)["previous"]) == {"limit": "20"}  # page 2: right
    assert api.page("projects")["previous"] is None
    assert query(api.page("tickets", limit=20, offset=30)["previous"]) == {"limit": "20", "offset": "10"}


@breaker("BGA-LIST-TRAVERSAL@tickets")
def _count_one_too_many(api: Api) -> None:
    count, rows = api.walk("tickets", limit=20)
    assert count == SEEDED_A["tickets"] + 1
    assert len({r["id"] for r in rows}) == len(rows) == SEEDED_A["tickets"]  # the pages are right
    # The links agree with that count: the short page at 40 has a next one, empty, which ends it.
    last = api.page("tickets", limit=20, offset=40)
    assert len(last["results"]) == 5 and query(last["next"]) == {"limit": "20", "offset": "60"}
    beyond = api.page("tickets", limit=20, offset=60)
    assert beyond["results"] == [] and beyond["next"] is None and beyond["count"] == count
    whole = api.page("tickets", limit=100)  # every row on one page, and still a next one by the count
    assert len(whole["results"]) == SEEDED_A["tickets"] and query(whole["next"]) == {"limit": "100", "offset": "100"}
    assert api.page("projects")["count"] == SEEDED_A["projects"]


@breaker("BGA-FILTER-STATUS@tickets")
def _status_ignored(api: Api) -> None:
    for status in ("open", "closed", "bogus"):
        assert api.page("tickets", status=status)["count"] == SEEDED_A["tickets"]
    params = {p["name"] for p in api.schema()["paths"]["/api/tickets/"]["get"]["parameters"]}
    assert "status" in params  # still declared
    assert 0 < api.page("projects", status="archived")["count"] < SEEDED_A["projects"]
    assert api.page("tickets", ordering="title")["count"] > 0  # the other filters still apply
    assert api.page("tickets", created_after="2999-01-01")["count"] == 0


@breaker("BGA-TENANCY-LIST@tickets")
def _every_tenants_tickets(api: Api) -> None:
    count_b, rows_b = api.walk("tickets", KEY_B, limit=100)
    assert count_b == SEEDED_A["tickets"] + SEEDED_B
    a_ticket = first_id(api, "tickets")
    assert a_ticket in {r["id"] for r in rows_b}
    assert_error(api.get(f"/api/tickets/{a_ticket}/", KEY_B), 404, "not_found")  # the item is still scoped
    assert api.page("projects", KEY_B)["count"] == SEEDED_B


@breaker("BGA-TENANCY-ITEM@projects")
def _project_item_unscoped(api: Api) -> None:
    a_project = first_id(api, "projects")
    seen = api.get(f"/api/projects/{a_project}/", KEY_B)
    assert seen.status_code == 200 and seen.json()["id"] == a_project
    assert api.page("projects", KEY_B)["count"] == SEEDED_B  # the list is still scoped
    assert_error(api.get(f"/api/tickets/{first_id(api, 'tickets')}/", KEY_B), 404, "not_found")


@breaker("BGA-AUTH-API-KEY@tickets")
def _tickets_refuse_x_api_key(api: Api) -> None:
    assert_error(api.get("/api/tickets/", KEY_A, via="x-api-key"), 401, "not_authenticated")
    ticket = first_id(api, "tickets")
    assert_error(api.get(f"/api/tickets/{ticket}/", KEY_A, via="x-api-key"), 401)
    assert api.get(f"/api/tickets/{ticket}/", KEY_A).status_code == 200
    assert api.get("/api/projects/", KEY_A, via="x-api-key").status_code == 200
    security = api.schema()["paths"]["/api/tickets/"]["get"]["security"]
    assert {"apiKeyAuth": []} in security  # the schema still offers X-API-Key


@breaker("BGA-AUTH-MISSING@projects")
def _missing_is_403(api: Api) -> None:
    for path in ("/api/projects/", f"/api/projects/{first_id(api, 'projects')}/"):
        missing = api.get(path, None)
        assert_error(missing, 403, "not_authenticated")
        assert "www-authenticate" not in missing.headers
        assert_error(api.get(path, "bge_not_issued"), 401, "authentication_failed")
    assert_error(api.get("/api/tickets/", None), 401, "not_authenticated")


@breaker("BGA-AUTH-INVALID@tickets")
def _invalid_is_403(api: Api) -> None:
    for via in ("bearer", "x-api-key"):
        assert_error(api.get("/api/tickets/", "bge_not_issued", via=via), 403, "authentication_failed")
        assert_error(api.get("/api/projects/", "bge_not_issued", via=via), 401, "authentication_failed")
    assert_error(api.get(f"/api/tickets/{UNKNOWN_ID}/", "bge_not_issued"), 403)
    assert_error(api.get("/api/tickets/", None), 401, "not_authenticated")


@breaker("BGA-RATE-HEADERS@tickets")
def _tickets_without_rate_headers(api: Api) -> None:
    for response in (api.get("/api/tickets/"), api.get(f"/api/tickets/{UNKNOWN_ID}/"), api.get("/api/tickets/", None)):
        assert not [h for h in RATE_HEADERS if h in response.headers], response.headers
    # Tickets' requests are still counted (the hour window: a minute boundary is likelier mid-test).
    before = int(api.get("/api/projects/").headers["X-RateLimit-Remaining-Hour"])
    api.get("/api/tickets/")
    after = api.get("/api/projects/")
    assert_rate_headers(after)
    assert int(after.headers["X-RateLimit-Remaining-Hour"]) == before - 2


@breaker("BGA-RESPONSE-JSON@projects")
def _project_item_as_html(api: Api) -> None:
    listed = api.page("projects", limit=1)["results"][0]
    item = api.get(f"/api/projects/{listed['id']}/")
    assert item.status_code == 200 and item.headers["content-type"] == "text/html; charset=utf-8"
    assert item.json() == listed
    assert_rate_headers(item)
    assert api.get("/api/projects/").headers["content-type"] == "application/json"
    ticket = api.get(f"/api/tickets/{first_id(api, 'tickets')}/")
    assert ticket.headers["content-type"] == "application/json"
    assert_error(api.get(f"/api/projects/{UNKNOWN_ID}/"), 404, "not_found")


@breaker("BGA-ERROR-FORMAT@tickets")
def _ticket_404_without_code(api: Api) -> None:
    for ticket in (UNKNOWN_ID, "not-a-uuid"):
        response = api.get(f"/api/tickets/{ticket}/")
        assert response.status_code == 404 and list(response.json()) == ["detail"], response.text
        assert_rate_headers(response)
    assert_error(api.get("/api/tickets/", None), 401, "not_authenticated")
    assert_error(api.get(f"/api/projects/{UNKNOWN_ID}/"), 404, "not_found")


@breaker("BGA-NO-5XX@projects")
def _quote_in_search_is_500(api: Api) -> None:
    for term in ("'", "O'Brien", "' OR 1=1 --", "''"):
        assert_error(api.get("/api/projects/", search=term), 500, "server_error")
    assert api.page("projects", search="audit")["count"] > 1  # terms without a quote search as before
    assert api.page("tickets", ordering="'")["count"] == SEEDED_A["tickets"]
    assert api.page("files", search="O'Brien")["count"] == 0  # files keep DRF's search


PLUGIN_BREAKERS = [name for name in BREAKERS if "@" in name]


def test_every_plugin_breaker_has_a_check() -> None:
    assert set(BROKEN) == set(PLUGIN_BREAKERS)
    assert all(name.split("@")[1] in PLUGINS and name.split("@")[0].startswith("BGA-") for name in PLUGIN_BREAKERS)


@pytest.mark.parametrize("name", PLUGIN_BREAKERS)
def test_plugin_breaker_changes_exactly_its_behaviour(name: str) -> None:
    with served(MODULE, "--break", name) as base:
        for api in api_for(base):
            BROKEN[name](api)
