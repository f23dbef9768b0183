"""The surface of a deployment: every GET operation it offers, classified, and how to call it.

Both documents state their rules for the whole API ("List endpoints return paginated results";
"so that clients behave consistently across all modules"), so the kit judges every endpoint,
not one. What a deployment offers comes from its OpenAPI document (Booga serves one; a
Boomerang vendor may publish one: `--openapi`), with the document's `servers` path honoured;
without one, from the documents' own defaults (DESIGN.md).

Each GET operation is classified:
- `list`: a paginated list (Booga `{count, next, previous, results}`; Boomerang `items` +
  `pagination`), told by its 200 schema or by declaring the pagination parameters;
- `single`: a single resource (Booga: a path ending in an identifier; Boomerang: every
  non-paginated endpoint, `{"data": {…}}`);
- `other`: anything else (Booga's schema and SDK endpoints).

Path parameters are filled with real values, never random ones: ids the kit saw in the
matching list's responses (`remember_ids`), else the document's examples. An endpoint whose
required parameters have no known value cannot be called; the report says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from apiconform.client import relative_to_base

KINDS = ("list", "single", "other")
KIND_WORDS = {"list": "paginated list", "single": "single resource", "other": "other"}
_PLACEHOLDER = re.compile(r"\{([^{}/]+)\}")


@dataclass(frozen=True)
class Param:
    name: str
    location: str  # "query" or "path"
    required: bool = False
    schema: Mapping[str, Any] = field(default_factory=dict)  # `$ref`s resolved
    example: str | None = None  # the document's example (or default, or first enum value)

    @property
    def type(self) -> str:
        kind = self.schema.get("type")
        return kind if isinstance(kind, str) else ""

    @property
    def enum(self) -> list[str]:
        values = self.schema.get("enum")
        if self.type == "array":
            items = self.schema.get("items")
            values = items.get("enum") if isinstance(items, Mapping) else None
        return [_text(v) for v in values] if isinstance(values, list) else []

    def bound(self, name: str) -> int | None:
        value = self.schema.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Endpoint:
    template: str  # the path as sent, relative to the base URL (servers path applied)
    kind: str  # list | single | other
    group: str = ""  # Booga plugin / Boomerang module
    query: tuple[Param, ...] = ()
    path_params: tuple[Param, ...] = ()
    # Whether the document told its kind (a success schema, or the pagination parameters); when it
    # did not, the kit looks at the endpoint's own answer (discovery.settle_kinds).
    told: bool = True

    @property
    def label(self) -> str:
        return self.template

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # hypothesis pretty-prints a failing example's arguments: the endpoint by its label, one line.
        printer.text(f"<Endpoint {self.label}>")

    def param(self, name: str) -> Param | None:
        return next((p for p in self.query if p.name == name), None)

    @property
    def query_names(self) -> list[str]:
        return [p.name for p in self.query]

    def fill(self, values: Mapping[str, str]) -> str:
        return _PLACEHOLDER.sub(lambda m: quote(str(values.get(m.group(1), m.group(0))), safe=""), self.template)

    @property
    def parent(self) -> str | None:
        """The collection a single resource belongs to, spelt as such paths are in its API:
        `/api/files/{id}/` -> `/api/files/`, `/v1/widgets/{widget_id}` -> `/v1/widgets`."""
        match = re.fullmatch(r"(.*)/\{[^{}/]+\}(/?)", self.template)
        return match.group(1) + match.group(2) if match else None


@dataclass
class Surface:
    endpoints: list[Endpoint]
    source: str  # where the endpoints come from, in words
    notes: list[str] = field(default_factory=list)
    base_url: str = ""  # the run's base URL: request URLs are matched against it
    from_document: bool = False  # learned from the deployment's OpenAPI document, not the documents' defaults
    # Ids seen in list responses, per collection path: how path parameters get real values.
    seen_ids: dict[str, list[str]] = field(default_factory=dict)
    # Property names the deployment's OpenAPI document declares as points in time (declared_timestamps):
    # Boomerang's timestamps, beside those a name shows (BMR-TIMESTAMPS-EPOCH-MS).
    timestamp_fields: frozenset[str] = frozenset()
    # The writable resources (writable.Writable): a list taking a JSON POST whose items take PUT,
    # PATCH or DELETE. The write rules are judged on each.
    writable: list[Any] = field(default_factory=list)
    # By the number of slashes in the path: a placeholder matches one segment, so only templates
    # with as many segments can match (a deployment of hundreds of endpoints, thousands of URLs).
    _patterns: dict[int, list[tuple[re.Pattern[str], Endpoint]]] | None = field(default=None, repr=False)
    # URLs already matched: a run matches each exchange for every rule and the coverage table
    # (tens of thousands of matches against hundreds of patterns on a large deployment).
    _matched: dict[str, Endpoint | None] = field(default_factory=dict, repr=False)

    def of_kind(self, kind: str) -> list[Endpoint]:
        return [e for e in self.endpoints if e.kind == kind]

    def find(self, template: str) -> Endpoint | None:
        return next((e for e in self.endpoints if e.template == template), None)

    def remember_ids(self, collection: str, ids: Iterable[Any]) -> None:
        known = self.seen_ids.setdefault(collection, [])
        for value in ids:
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value) not in known:
                known.append(str(value))

    def path_values(self, endpoint: Endpoint) -> tuple[dict[str, str], str]:
        """({parameter: value}, "") to call the endpoint with, or ({}, why it cannot be)."""
        values: dict[str, str] = {}
        seen = self.seen_ids.get(endpoint.parent or "", [])
        for param in endpoint.path_params:
            if seen and param is endpoint.path_params[-1]:
                values[param.name] = seen[0]
            elif param.example is not None:
                values[param.name] = param.example
            else:
                return {}, (f"no value is known for its path parameter {param.name} (no id in a response of "
                            f"{endpoint.parent or 'a list'}, no example in the document)")
        return values, ""

    def required_query(self, endpoint: Endpoint) -> tuple[dict[str, str], str]:
        values: dict[str, str] = {}
        for param in endpoint.query:
            if param.required:
                if param.example is None:
                    return {}, f"its required query parameter {param.name} has no example in the document"
                values[param.name] = param.example
        return values, ""

    def match(self, url: str) -> Endpoint | None:
        """The endpoint a request URL belongs to (a literal template before one with
        parameters), or None: a path the surface does not hold (a probe of an unversioned
        path, say)."""
        if url in self._matched:
            return self._matched[url]
        path = urlsplit(url).path
        if self._patterns is None:
            ordered = sorted(self.endpoints, key=lambda e: ("{" in e.template, -len(e.template)))
            self._patterns = {}
            for e in ordered:
                template = full_path(self.base_url, e.template)
                self._patterns.setdefault(template.count("/"), []).append((_pattern(template), e))
        candidates = self._patterns.get(path.count("/"), [])
        found = self._matched[url] = next((e for pattern, e in candidates if pattern.fullmatch(path)), None)
        return found

    def forget_matches(self) -> None:
        """After an endpoint was replaced (its kind settled), URLs are matched afresh."""
        self._patterns = None
        self._matched.clear()

    def label_of(self, url: str) -> str | None:
        endpoint = self.match(url)
        return endpoint.label if endpoint else None


def full_path(base_url: str, template: str) -> str:
    """The path a template is sent to on this base URL (as Client.url joins them)."""
    base = urlsplit(base_url).path.rstrip("/")
    return f"{base}/{relative_to_base(base, template)}"


def _pattern(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)
    # split() alternates literal text and placeholder names
    regex = "".join(re.escape(p) if i % 2 == 0 else "[^/]+" for i, p in enumerate(parts))
    return re.compile(regex)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- from an OpenAPI document ---------------------------------------------------------------
class Resolver:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document

    def __call__(self, node: Any) -> Any:
        """Follow a local `$ref` (`#/components/...`), a few levels deep at most."""
        for _ in range(8):
            if not (isinstance(node, Mapping) and isinstance(node.get("$ref"), str)):
                return node
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                key = part.replace("~1", "/").replace("~0", "~")
                target = target.get(key) if isinstance(target, Mapping) else None
            node = target
        return node

    def properties(self, schema: Any) -> dict[str, Any]:
        """The properties of an object schema, `allOf` parts merged."""
        schema = self(schema)
        if not isinstance(schema, Mapping):
            return {}
        out: dict[str, Any] = {}
        for part in schema.get("allOf") or []:
            out.update(self.properties(part))
        props = schema.get("properties")
        if isinstance(props, Mapping):
            out.update({str(k): self(v) for k, v in props.items()})
        return out


def servers_path(document: Mapping[str, Any]) -> str:
    """The path of the document's first server URL (`https://gateway.bmrg.app/v1` -> `/v1`)."""
    servers = document.get("servers")
    if isinstance(servers, list) and servers and isinstance(servers[0], Mapping):
        url = servers[0].get("url")
        if isinstance(url, str):
            return urlsplit(url).path.rstrip("/") if "://" in url else url.rstrip("/")
    return ""


def _example(param: Mapping[str, Any], schema: Mapping[str, Any]) -> str | None:
    if "example" in param:
        return _text(param["example"])
    examples = param.get("examples")
    if isinstance(examples, Mapping):
        for entry in examples.values():
            if isinstance(entry, Mapping) and "value" in entry:
                return _text(entry["value"])
    for key in ("example", "default"):
        if key in schema and schema[key] is not None:
            return _text(schema[key])
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return _text(enum[0])
    return None


def _params(resolve: Resolver, item: Mapping[str, Any], op: Mapping[str, Any]) -> list[Param]:
    found: dict[tuple[str, str], Param] = {}
    for raw in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
        param = resolve(raw)
        if not (isinstance(param, Mapping) and isinstance(param.get("name"), str)
                and param.get("in") in ("query", "path")):
            continue
        schema = resolve(param.get("schema")) or {}
        schema = schema if isinstance(schema, Mapping) else {}
        found[(param["in"], param["name"])] = Param(
            name=param["name"], location=param["in"], required=bool(param.get("required")) or param["in"] == "path",
            schema=schema, example=_example(param, schema))
    return list(found.values())


def _success_schema(resolve: Resolver, op: Mapping[str, Any]) -> Any:
    responses = op.get("responses")
    if not isinstance(responses, Mapping):
        return None
    for status in ("200", 200, "2XX", "default"):
        response = resolve(responses.get(status))
        if isinstance(response, Mapping):
            content = response.get("content")
            if isinstance(content, Mapping):
                for media in content.values():
                    if isinstance(media, Mapping) and "schema" in media:
                        return media["schema"]
    return None


def classify(profile: str, template: str, query: list[Param], props: Mapping[str, Any],
             pagination: Iterable[str]) -> str:
    names = {p.name for p in query}
    if profile == "booga":
        results = props.get("results")
        if (isinstance(results, Mapping) and results.get("type") == "array") or set(pagination) <= names:
            return "list"
        return "single" if re.search(r"\{[^{}/]+\}/?$", template) else "other"
    if "items" in props and "pagination" in props:
        return "list"
    return "list" if set(pagination) <= names else "single"


def from_openapi(profile: str, document: Mapping[str, Any], source: str,
                 pagination: Iterable[str], group_of: Any = None) -> Surface:
    """Every GET operation of `document`, classified; `group_of(template)` names its group."""
    resolve = Resolver(document)
    prefix = servers_path(document)
    endpoints: list[Endpoint] = []
    paths = document.get("paths")
    for raw_path, raw_item in (paths.items() if isinstance(paths, Mapping) else []):
        item = resolve(raw_item)
        op = item.get("get") if isinstance(item, Mapping) else None
        if not isinstance(raw_path, str) or not isinstance(op, Mapping):
            continue
        template = prefix + raw_path
        params = _params(resolve, item, op)
        query = [p for p in params if p.location == "query"]
        declared = {m.group(1) for m in _PLACEHOLDER.finditer(template)}
        path_params = [p for p in params if p.location == "path" and p.name in declared]
        path_params += [Param(name=n, location="path", required=True) for n in sorted(declared)
                        if n not in {p.name for p in path_params}]
        order = [m.group(1) for m in _PLACEHOLDER.finditer(template)]
        path_params.sort(key=lambda p: order.index(p.name))
        success = _success_schema(resolve, op)
        kind = classify(profile, template, query, resolve.properties(success), pagination)
        told = success is not None or set(pagination) <= {p.name for p in query}
        endpoints.append(Endpoint(template=template, kind=kind, group=group_of(template) if group_of else "",
                                  query=tuple(query), path_params=tuple(path_params), told=told))
    return Surface(endpoints=endpoints, source=source, from_document=True)


# What in a schema says "a point in time": its format, or its own words (a shared `EpochMillis`
# schema "Unix epoch timestamp in milliseconds", a `$ref` to `#/components/schemas/Timestamp`).
_TIME_WORDS = re.compile(r"timestamp|epoch", re.IGNORECASE)


def declared_timestamps(document: Mapping[str, Any]) -> frozenset[str]:
    """The names of the properties `document` declares as points in time, wherever its schemas
    define them: `format: date-time`, a `$ref` whose name says Timestamp or Epoch, or a schema whose
    title or description does. (Parameters are not properties: a `created_after` filter is not a
    field of a body.) A name that says it itself (`*_at`, `*At`) needs no document."""
    resolve = Resolver(document)
    found: set[str] = set()
    stack: list[Any] = [document]
    while stack:  # a loop, not recursion: a large document nests deeply
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, Mapping):
            continue
        properties = node.get("properties")
        if isinstance(properties, Mapping):
            for name, raw in properties.items():
                if isinstance(name, str) and _says_time(raw, resolve(raw)):
                    found.add(name)
        stack.extend(v for v in node.values() if isinstance(v, Mapping | list))
    return frozenset(found)


def _says_time(raw: Any, schema: Any) -> bool:
    ref = raw.get("$ref") if isinstance(raw, Mapping) else None
    if isinstance(ref, str) and _TIME_WORDS.search(ref.rsplit("/", 1)[-1]):
        return True
    if not isinstance(schema, Mapping):
        return False
    words = " ".join(str(schema.get(k, "")) for k in ("title", "description"))
    return schema.get("format") == "date-time" or bool(_TIME_WORDS.search(words))


def describe(surface: Surface) -> dict[str, Any]:
    """What report.json says about the surface (its `coverage` table adds the verdicts)."""
    counts = {k: len(surface.of_kind(k)) for k in KINDS}
    return {"source": surface.source, "endpoints": len(surface.endpoints), "kinds": counts,
            "notes": list(surface.notes)}
