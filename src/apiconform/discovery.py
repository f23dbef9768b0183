"""What a Booga deployment offers, learned from the OpenAPI document it serves.

The document says "Exact filtering parameters vary by endpoint. Consult the API reference",
and the schema endpoint filters by plugin. So the kit never assumes the reference mock's
filters or plugins: it reads the deployment's own OpenAPI document (fetched once per run)
and tests exactly what that declares. A target file may name more (`[features]`,
`[openapi_plugins]`); what neither declares is `skip`, with the reason.

- Filters: the query parameters each list operation declares, `$ref`s resolved (surface.py).
  `ordering` is tested on the fields its schema enumerates (`-name` counts as `name`); DRF's
  OrderingFilter declares a plain string: then the target file's fields, else `created_at`.
- Plugins: path groups, the first path segment after the prefix all paths share (`/api/files/`,
  `/api/files/{id}/` -> files). The group holding the schema endpoint itself is the core, not
  a plugin (whether a plugin filter keeps it is not specified).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.surface import (
    Endpoint,
    Param,
    Resolver,
    Surface,
    declared_timestamps,
    from_openapi,
    servers_path,
)
from apiconform.target import DEFAULT_MAX_REQUESTS, MAX_SIZED_REQUESTS

if TYPE_CHECKING:
    from apiconform.context import Context

CACHE_KEY = "bga:discovery"
# Query parameters of the list operation that are pagination, not filters.
PAGINATION = ("limit", "offset")
FILTERS = ("ordering", "created_after", "search")


@dataclass
class Discovery:
    exchange: Exchange | None  # the GET of the full schema (BGA-OPENAPI-SCHEMA's evidence too)
    document: dict[str, Any] | None  # None when the served document is unusable
    problem: str = ""  # why it is unusable, said as what happened

    @property
    def paths(self) -> dict[str, Any]:
        paths = (self.document or {}).get("paths")
        return paths if isinstance(paths, dict) else {}

    def resolve(self, node: Any) -> Any:
        """Follow a local `$ref` (`#/components/...`), a few levels deep at most."""
        return Resolver(self.document or {})(node)

    def query_parameters(self, path: str, method: str = "get") -> dict[str, dict[str, Any]] | None:
        """name -> parameter object of an operation's query parameters; None when the document
        has no such operation."""
        item = self.resolve(self.paths.get(path))
        if not isinstance(item, dict) or not isinstance(item.get(method), dict):
            return None
        out: dict[str, dict[str, Any]] = {}
        for raw in [*(item.get("parameters") or []), *(item[method].get("parameters") or [])]:
            param = self.resolve(raw)
            if isinstance(param, dict) and param.get("in") == "query" and isinstance(param.get("name"), str):
                out[param["name"]] = param
        return out

    def enum_of(self, param: dict[str, Any]) -> list[str]:
        schema = self.resolve(param.get("schema")) or {}
        if isinstance(schema, dict) and schema.get("type") == "array":
            schema = self.resolve(schema.get("items")) or {}
        values = schema.get("enum") if isinstance(schema, dict) else None
        return [str(v) for v in values] if isinstance(values, list) else []


def discover(ctx: Context) -> Discovery:
    """The served OpenAPI document, fetched once per run (cached in ctx.cache)."""
    cached = ctx.cache.get(CACHE_KEY)
    if isinstance(cached, Discovery):
        return cached
    path = ctx.target.path("openapi")
    # The answer that told how the key is sent is the document's first reading (a 200, or no answer:
    # then it counts as the first try); anything else is asked for again.
    known = ctx.cache.get("bga:schema-answer")
    ex = known if isinstance(known, Exchange) and (known.status == 200 or known.response is None) else ctx.get(
        path, note="the full OpenAPI document (what the deployment offers)", allow_fault=True, document=True)
    if ex.response is None and not (ctx.client.budget.exhausted or ctx.client.stopped):
        # One timeout or reset is not the document's verdict: the schema is "cached for one hour",
        # so producing it may be slow the first time. Tried once more, then it is `error`.
        ex = ctx.get(path, note="the full OpenAPI document, once more after no answer", allow_fault=True,
                     document=True)
    found = Discovery(exchange=ex, document=None)
    if ex.response is None:
        found.problem = f"GET {path} got no response ({ex.error})"
    elif ex.response.status != 200:
        found.problem = f"GET {path} answered {ex.response.status}"
    elif not ex.response.is_json:
        found.problem = f"GET {path} is not JSON ({ex.response.json_error})"
    elif not isinstance(ex.response.json(), dict) or not isinstance(ex.response.json().get("paths"), dict):
        found.problem = f"GET {path} is not an OpenAPI document with paths"
    else:
        found.document = ex.response.json()
    ctx.cache[CACHE_KEY] = found
    return found


# -- filters ------------------------------------------------------------------------------
def _named(ctx: Context, endpoint: Endpoint) -> bool:
    """Whether the target file's [features] speak of this list: the list it names (paths.list),
    or every list when the surface is the documents' defaults (no OpenAPI document to read)."""
    surface = ctx.known_surface
    return endpoint.template == ctx.target.path("list") or (surface is not None and not surface.from_document)


def declared(ctx: Context, endpoint: Endpoint, name: str) -> bool:
    """Whether the list offers the filter `name`: its OpenAPI operation declares it ("Exact
    filtering parameters vary by endpoint"), or the target file names it; `false` there turns it
    off on every list."""
    named = (ctx.target.settings.get("features") or {}).get(name)
    if named is False:
        return False
    if named not in (None, []) and _named(ctx, endpoint):
        return True
    return endpoint.param(name) is not None


def ordering_fields(ctx: Context, endpoint: Endpoint) -> list[str]:
    """The fields `ordering` is tried on: those the operation enumerates (`-name` counts as
    `name`), else those the target file names, else `created_at`, the document's own example
    (DRF's OrderingFilter declares the parameter without its fields); [] when not declared."""
    if not declared(ctx, endpoint, "ordering"):
        return []
    param = endpoint.param("ordering")
    fields = list(dict.fromkeys(v.lstrip("-") for v in (param.enum if param else []) if v.strip("-")))
    named = (ctx.target.settings.get("features") or {}).get("ordering")
    if not fields and isinstance(named, list) and named:
        fields = [str(f) for f in named]
    return fields or ["created_at"]


def fields_enumerated(ctx: Context, endpoint: Endpoint) -> bool:
    """Whether the ordering fields are the deployment's word (enumerated or named), not the kit's guess."""
    param = endpoint.param("ordering")
    named = (ctx.target.settings.get("features") or {}).get("ordering")
    return bool(param and param.enum) or (isinstance(named, list) and bool(named))


# -- plugins ------------------------------------------------------------------------------
def path_groups(paths: Iterable[str]) -> dict[str, set[str]]:
    """Paths grouped by their first segment after the prefix every path shares."""
    split = {p: [s for s in p.split("/") if s] for p in paths}
    if not split:
        return {}
    common = 0
    segments = list(split.values())
    while all(len(s) > common + 1 for s in segments) and len({s[common] for s in segments}) == 1:
        common += 1
    groups: dict[str, set[str]] = defaultdict(set)
    for path, parts in split.items():
        if len(parts) > common:
            groups[parts[common]].add(path)
    return dict(groups)


def plugins(ctx: Context) -> tuple[dict[str, set[str]], str]:
    """(plugin -> its paths in the full document, why these), excluding the core group that holds
    the schema endpoint itself. A target file's `[openapi_plugins]` maps names to path prefixes."""
    paths = set(discover(ctx).paths)
    named: dict[str, str] = dict(ctx.target.settings.get("openapi_plugins") or {})
    if named:
        return {name: {p for p in paths if p.startswith(prefix)} for name, prefix in named.items()}, \
            "named in the target file"
    groups = path_groups(paths)
    schema_path = ctx.target.path("openapi")
    core = {g for g, members in groups.items() if schema_path in members}
    return {g: m for g, m in groups.items() if g not in core}, "path groups of the served OpenAPI document"


# -- the surface --------------------------------------------------------------------------
def _group_of(paths: Iterable[str]) -> dict[str, str]:
    return {p: group for group, members in path_groups(paths).items() for p in members}


def named_paths(ctx: Context) -> set[str]:
    """The endpoint paths a target file names (those that differ from the documents' defaults)."""
    from apiconform.target import PROFILE_DEFAULTS

    defaults = PROFILE_DEFAULTS[ctx.profile]["paths"]
    return {name for name, value in ctx.target.settings["paths"].items() if value != defaults.get(name)}


def _add_defaults(ctx: Context, surface: Surface, defaults: list[Endpoint], document: bool, source: str) -> None:
    """The documents' example endpoints join the surface only when there is no OpenAPI document to
    learn it from, or a target file names them (DESIGN.md): a deployment without a files plugin is
    never judged against a path it does not have."""
    named = {ctx.target.settings["paths"][name] for name in named_paths(ctx)}
    for endpoint in defaults:
        if document and endpoint.template not in named:
            continue
        known = surface.find(endpoint.template)
        if known is None:
            surface.endpoints.append(endpoint)
            if document:
                surface.notes.append(f"{endpoint.label} is not in {source}; the kit checks it because the target "
                                     "file names it")
        elif known.kind != endpoint.kind:
            # The named paths are what the target file says they are.
            surface.endpoints[surface.endpoints.index(known)] = Endpoint(
                known.template, endpoint.kind, known.group, known.query, known.path_params)


def booga_surface(ctx: Context) -> Surface:
    """Every GET operation of the deployment: from the OpenAPI document it serves (or the one
    `--openapi` names), else the document's example (the files list and item). The schema
    endpoint, the one path the document fixes, is always part of it."""
    names = ctx.target.settings.get("params", {})
    pagination = (names.get("limit", "limit"), names.get("offset", "offset"))
    document: dict[str, Any] | None = None
    if ctx.target.openapi_file:
        from apiconform.sweep import load_openapi_file

        document, source = load_openapi_file(ctx.target.openapi_file), f"the OpenAPI document {ctx.target.openapi_file}"
    else:
        found = discover(ctx)
        document, source = found.document, f"the OpenAPI document served at {ctx.target.path('openapi')}"
    if document is not None:
        groups = _group_of(p for p in document.get("paths", {}) if isinstance(p, str))
        surface = from_openapi("booga", document, source, pagination,
                               lambda template: groups.get(template, ""))
    else:
        surface = Surface(endpoints=[], source="the document's defaults (the served OpenAPI document is unusable: "
                                               f"{discover(ctx).problem})")
    _add_defaults(ctx, surface, [
        Endpoint(ctx.target.path("list"), "list", "files",
                 (Param(pagination[0], "query", schema={"type": "integer", "minimum": 1, "maximum": 100}),
                  Param(pagination[1], "query", schema={"type": "integer", "minimum": 0}))),
        Endpoint(str(ctx.target.settings["paths"]["item"]), "single", "files",
                 path_params=(Param("id", "path", required=True),)),
    ], document is not None, source)
    _add_writable(ctx, surface, document)
    schema = ctx.target.path("openapi")
    if surface.find(schema) is None:
        surface.endpoints.append(Endpoint(schema, "other", "api-management"))
    elif surface.find(schema).kind != "other":  # type: ignore[union-attr]
        known = surface.find(schema)
        assert known is not None
        surface.endpoints[surface.endpoints.index(known)] = Endpoint(known.template, "other", known.group,
                                                                     known.query, known.path_params)
    surface.base_url = ctx.client.base_url
    return surface


def _add_writable(ctx: Context, surface: Surface, document: dict[str, Any] | None) -> None:
    """The resources the write rules act on: each the document declares writable, and the files
    resource of the document's example where the surface has it from the defaults (no document, or
    a target file naming it), written with the target file's `write_payload`."""
    from apiconform.writable import Writable, from_document

    if document is not None:
        surface.writable = [w for w in from_document(document, servers_path(document))
                            if (e := surface.find(w.collection)) is not None and e.kind == "list"]
    listing, item = ctx.target.path("list"), str(ctx.target.settings["paths"]["item"])
    if surface.find(listing) is None or surface.find(item) is None:
        return
    if any(w.collection == listing for w in surface.writable):
        return
    if document is not None and listing not in {ctx.target.settings["paths"][n] for n in named_paths(ctx)}:
        return
    surface.writable.append(Writable(listing, item, "id", methods=frozenset({"PUT", "PATCH", "DELETE"}),
                                     example=dict(ctx.target["write_payload"])))


BOOMERANG_VERSION = re.compile(r"^/v[0-9]+(?=/)")


def _module_of(template: str) -> str:
    parts = [s for s in BOOMERANG_VERSION.sub("", template).split("/") if s]
    return parts[0] if parts else ""


def boomerang_surface(ctx: Context) -> Surface:
    """Every GET operation of a Boomerang deployment: from the vendor's OpenAPI document
    (`--openapi`, or `openapi` in the target file), else the page's two example endpoints."""
    settings = ctx.target.settings
    pagination = (settings["params"]["page"], settings["params"]["limit"])
    if ctx.target.openapi_file:
        from apiconform.sweep import load_openapi_file

        document = load_openapi_file(ctx.target.openapi_file)
        surface = from_openapi("boomerang", document, f"the OpenAPI document {ctx.target.openapi_file}",
                               pagination, _module_of)
        # The vendor's document says which fields are timestamps ("Timestamps are represented as
        # Unix epoch timestamps in milliseconds"), beyond those whose names say so.
        surface.timestamp_fields = declared_timestamps(document)
    else:
        surface = Surface(endpoints=[], source="the page's example endpoints (no OpenAPI document named: "
                                               "--openapi adds the deployment's own)")
    cap = int(settings["pagination"]["max_limit"])
    _add_defaults(ctx, surface, [
        Endpoint(ctx.target.path("resource"), "single", _module_of(ctx.target.path("resource")),
                 tuple(Param(k, "query", required=True, schema={"type": "string"}, example=str(v))
                       for k, v in settings["resource_query"].items())),
        Endpoint(ctx.target.path("resources"), "list", _module_of(ctx.target.path("resources")),
                 (Param(pagination[0], "query", schema={"type": "integer", "minimum": 1}),
                  Param(pagination[1], "query", schema={"type": "integer", "minimum": 1, "maximum": cap}))),
    ], bool(ctx.target.openapi_file), surface.source)
    surface.base_url = ctx.client.base_url
    return surface


def prepare(ctx: Context) -> None:
    """The run-level probes, before the first rule: how the key is sent (Booga accepts two
    headers; a deployment refusing one still has the other judged), then the surface."""
    if ctx.profile == "booga":
        from apiconform.profiles.booga.probes import choose_auth_style

        choose_auth_style(ctx)
    surface = ctx.surface()
    if ctx.profile == "booga":
        settle_kinds(ctx, surface)
    size_budget(ctx, surface)
    say = ctx.client.pacer.progress
    if say is not None:
        say(expected_cost(ctx, surface))


def settle_kinds(ctx: Context, surface: Surface) -> None:
    """An operation the document declares with neither a success schema nor the pagination
    parameters is classified by its own answer: a body in the list envelope makes it a list. The
    probe is the endpoint's plain GET, which every rule of the endpoint shares anyway."""
    from apiconform.profiles.booga.checks import json_body, looks_like_list
    from apiconform.profiles.booga.probes import booga_probes

    for index, endpoint in enumerate(list(surface.endpoints)):
        if endpoint.told or endpoint.kind != "other" or endpoint.path_params:
            continue
        probes = booga_probes(ctx, endpoint)
        try:
            ex = probes.send("default", "plain GET", params=probes.query())  # the probe set's own plain GET
        except Incomplete:
            continue
        if ex.status == 200 and looks_like_list(json_body(ex)):
            surface.endpoints[index] = probes.endpoint = replace(endpoint, kind="list")
            surface.forget_matches()
            surface.notes.append(f"{endpoint.label} declares no response schema nor pagination parameters; it answers "
                                 "a page, so it is judged as a list")


# What a run costs (bench/endpoints.py measures it): the requests every endpoint of a kind gets
# (the same probes for each, shared between the rules), and those about the deployment as a whole
# (discovery, the schema's plugin filters, rate-limit counters, unrouted paths, the generated sweep).
PER_ENDPOINT = {"booga": {"list": 36, "single": 10, "other": 8},
                "boomerang": {"list": 32, "single": 18, "other": 18}}
WHOLE_RUN = {"booga": 25, "boomerang": 20}
# With --allow-writes, each writable resource (README: what --allow-writes does, rule by rule).
PER_WRITABLE = 70


def expected_requests(profile: str, surface: Surface, writes: bool = False) -> int:
    return (WHOLE_RUN[profile] + sum(PER_ENDPOINT[profile][e.kind] for e in surface.endpoints)
            + (PER_WRITABLE * len(surface.writable) if writes else 0))


BUDGET_MARGIN = 1.5  # a list declaring many filters, or walked in more pages, costs more than planned


def size_budget(ctx: Context, surface: Surface) -> None:
    """A budget nobody set is sized for the endpoints found: every endpoint judged as strictly as
    the first, never fewer endpoints judged because the deployment is large (at least the default
    of 2000, at most MAX_SIZED_REQUESTS; the expected-cost line says so before the first rule)."""
    if ctx.target.max_requests_given:
        return
    sized = min(MAX_SIZED_REQUESTS, max(DEFAULT_MAX_REQUESTS,
                                        int(expected_requests(ctx.profile, surface, ctx.allow_writes) * BUDGET_MARGIN)))
    ctx.target.max_requests = ctx.client.budget.limit = sized


def expected_cost(ctx: Context, surface: Surface) -> str:
    """One line before the rules start: the endpoints found, the requests expected, and how long
    they take at the rate the target advertised (a paced run of a 60-a-minute key takes minutes)."""
    expected = min(ctx.target.max_requests, expected_requests(ctx.profile, surface, ctx.allow_writes))
    kinds = ", ".join(f"{n} {k}" for k in ("list", "single", "other")
                      if (n := len(surface.of_kind(k))))
    sized = "" if ctx.target.max_requests_given or ctx.target.max_requests <= DEFAULT_MAX_REQUESTS else \
        ", sized for the endpoints found; --max-requests sets it"
    line = (f"{len(surface.endpoints)} endpoints ({kinds}) from {surface.source}; expecting about {expected} "
            f"requests (budget {ctx.target.max_requests}{sized})")
    per_minute = ctx.client.pacer.advertised("primary").get("Minute")
    if per_minute:
        minutes = expected / max(1, per_minute - 2)  # pacing keeps a reserve of 2 a window
        took = f"about {round(minutes)} min" if minutes >= 1 else "under a minute"
        line += f"; at the advertised {per_minute} requests a minute that takes {took}"
    return line
