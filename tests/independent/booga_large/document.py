"""The OpenAPI 3.0.3 document, generated from the catalog the way a schema generator walks the views.

Every plugin contributes its list and item operations (GET, plus POST/PUT/PATCH/DELETE where it
takes writes), each list declaring its filters, limit and offset, every response documented
(the error bodies as `{detail, code}`, a 400 as a field map, the rate-limit headers on each), and
the component schemas of its resource, page, and request bodies. Descriptions and examples are
written out in full, as generators do, so a deployment of ~150 plugins gives a document of
several megabytes.

Tags are the plugins; `plugin=NAME` keeps the operations tagged NAME, `include_plugins=a,b` those
tagged a or b (both together: the union). The schema endpoint itself is tagged api-management.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from . import SCHEMA_PATH
from .catalog import Plugin, field_list

OPENAPI_VERSION = "3.0.3"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
RATE_HEADERS = ("X-RateLimit-Limit-Minute", "X-RateLimit-Remaining-Minute", "X-RateLimit-Limit-Hour",
                "X-RateLimit-Remaining-Hour")
ERROR_EXAMPLES = {
    401: ("Authentication credentials were not provided.", "not_authenticated"),
    403: ("You do not have permission to perform this action.", "permission_denied"),
    404: ("Not found.", "not_found"),
    429: ("Request was throttled. Expected available in 12 seconds.", "throttled"),
    500: ("A server error occurred.", "server_error"),
}
ERROR_TEXT = {
    400: "Invalid parameters or payload: each offending field name mapped to a list of messages.",
    401: "Missing or invalid credentials (neither a valid Authorization: Bearer key nor a valid X-API-Key).",
    403: "Valid credentials, but the key's scopes do not grant this operation.",
    404: "No such resource for the key's tenant.",
    429: "The key's rate limit for the minute or the hour is spent; see the X-RateLimit-* headers.",
    500: "An unexpected error on the server.",
}


def ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def response(status: int, schema: dict[str, Any] | None, text: str, example: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": text, "headers": {h: ref("headers", h) for h in RATE_HEADERS}}
    if schema is not None:
        media: dict[str, Any] = {"schema": schema}
        if example is not None:
            media["example"] = example
        out["content"] = {"application/json": media}
    return out


def errors(*statuses: int) -> dict[str, Any]:
    out = {}
    for status in statuses:
        if status == 400:
            out["400"] = response(400, ref("schemas", "FieldErrors"), ERROR_TEXT[400],
                                  {"limit": ["Ensure this value is less than or equal to 100."]})
        else:
            detail, code = ERROR_EXAMPLES[status]
            out[str(status)] = response(status, ref("schemas", "ErrorBody"), ERROR_TEXT[status],
                                        {"detail": detail, "code": code})
    return out


def example_item(plugin: Plugin, n: int) -> dict[str, Any]:
    """An example resource for the document (not a seeded row)."""
    values: dict[str, Any] = {
        "id": n if plugin.id_type == "integer" else f"8f14e45f-ceea-467f-a0e6-{n:012d}",
        "name": f"Quarterly {plugin.singular.replace('_', ' ')} review {n:03d}",
        "description": "quarterly review for the finance team", "code": f"{plugin.name[:3].upper()}-1{n:04d}",
        "status": plugin.statuses[0], "owner_id": 7, "quantity": 12, "priority": 2, "amount": "1250.00",
        "score": 87.5, "is_archived": False, "due_date": "2026-03-20", "size": 1048576,
        "content_type": "application/pdf", "created_at": "2026-03-01T10:30:00Z", "updated_at": "2026-03-02T08:00:00Z",
    }
    return {f.name: values[f.name] for f in field_list(plugin)}


def schemas_of(plugin: Plugin) -> dict[str, Any]:
    one = plugin.singular.replace("_", " ")
    fields = field_list(plugin)
    item = {"type": "object", "description": f"A {one} of the {plugin.name} plugin.",
            "properties": {f.name: {**f.schema, "description": f.description} for f in fields},
            "required": [f.name for f in fields if f.name in ("id", "name", "created_at", "updated_at")]}
    page = {"type": "object", "required": ["count", "next", "previous", "results"], "properties": {
        "count": {"type": "integer", "minimum": 0, "description": "Total number of results matching the query.",
                  "example": 123},
        "next": {"type": "string", "format": "uri", "nullable": True,
                 "description": "URL of the next page (null on the last page).",
                 "example": f"https://api.boogaenterprise.com/api/{plugin.name}/?limit=20&offset=40"},
        "previous": {"type": "string", "format": "uri", "nullable": True,
                     "description": "URL of the previous page (null on the first page).",
                     "example": f"https://api.boogaenterprise.com/api/{plugin.name}/?limit=20"},
        "results": {"type": "array", "items": ref("schemas", plugin.title)},
    }}
    out = {plugin.title: item, f"Paginated{plugin.title}List": page}
    if plugin.writes:
        writable = {f.name: {k: v for k, v in f.schema.items() if k != "readOnly"} | {"description": f.description}
                    for f in fields if f.name in ("name", "description", "status")}
        out[f"{plugin.title}Request"] = {"type": "object", "properties": writable, "required": ["name"]}
        out[f"Patched{plugin.title}Request"] = {"type": "object", "properties": copy.deepcopy(writable)}
    return out


def list_parameters(plugin: Plugin) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": "limit", "in": "query", "required": False,
         "description": "Number of results to return per page (1-100).",
         "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
        {"name": "offset", "in": "query", "required": False,
         "description": "The initial index from which to return the results.",
         "schema": {"type": "integer", "minimum": 0, "default": 0}},
    ]
    for flt in plugin.filters:
        # Declared as drf-spectacular declares django-filter's filters. No allowEmptyValue, although an
        # empty value is accepted (no filter, as django-filter reads it): generators do not write it
        # and OpenAPI 3.0.3 advises against it; with it, schemathesis's coverage phase sends ~5x the
        # requests to this deployment, which would flatter the kit in bench/large.py.
        param = {"name": flt.name, "in": "query", "required": False, "description": flt.description,
                 "schema": dict(flt.schema)}
        if flt.schema.get("type") == "array":
            param |= {"style": "form", "explode": False}  # ?status__in=open,done
        params.append(param)
    return params


def operations(plugin: Plugin) -> dict[str, dict[str, Any]]:
    one, many, tag = plugin.singular.replace("_", " "), plugin.name.replace("_", " "), [plugin.name]
    page_example = {"count": 2, "next": None, "previous": None,
                    "results": [example_item(plugin, 1), example_item(plugin, 2)]}
    id_param = {"name": "id", "in": "path", "required": True, "description": f"The {one}'s id.",
                "schema": {"type": "integer", "minimum": 1} if plugin.id_type == "integer"
                else {"type": "string", "format": "uuid"}}
    filters = ", ".join(f"`{f.name}`" for f in plugin.filters)
    listing: dict[str, Any] = {"get": {
        "operationId": f"{plugin.name}_list", "tags": tag, "summary": f"List {many}",
        "description": (f"Returns the {many} of the key's tenant, newest first, in pages of `limit` (default 20, "
                        f"at most 100) from `offset`.\n\nFilters: {filters}. Filters combine with AND; an empty "
                        "value is ignored. Follow `next` to read every page."),
        "parameters": list_parameters(plugin),
        "responses": {"200": response(200, ref("schemas", f"Paginated{plugin.title}List"), f"A page of {many}.",
                                      page_example), **errors(400, 401, 403, 429, 500)},
    }}
    item: dict[str, Any] = {"parameters": [id_param], "get": {
        "operationId": f"{plugin.name}_retrieve", "tags": tag, "summary": f"Retrieve a {one}",
        "description": f"Returns one {one} of the key's tenant by its id.",
        "responses": {"200": response(200, ref("schemas", plugin.title), f"The {one}.", example_item(plugin, 1)),
                      **errors(401, 403, 404, 429, 500)},
    }}
    if plugin.writes:
        body = {"required": True, "content": {"application/json": {"schema": ref("schemas", f"{plugin.title}Request")}}}
        patch = {"required": True,
                 "content": {"application/json": {"schema": ref("schemas", f"Patched{plugin.title}Request")}}}
        created = response(201, ref("schemas", plugin.title), f"The {one}, created.", example_item(plugin, 3))
        listing["post"] = {"operationId": f"{plugin.name}_create", "tags": tag, "summary": f"Create a {one}",
                           "requestBody": body, "responses": {"201": created, **errors(400, 401, 403, 429, 500)}}
        changed = response(200, ref("schemas", plugin.title), f"The {one}, changed.", example_item(plugin, 1))
        item["put"] = {"operationId": f"{plugin.name}_update", "tags": tag, "summary": f"Replace a {one}",
                       "requestBody": body, "responses": {"200": changed, **errors(400, 401, 403, 404, 429, 500)}}
        item["patch"] = {"operationId": f"{plugin.name}_partial_update", "tags": tag,
                         "summary": f"Update a {one} partially", "requestBody": patch,
                         "responses": {"200": changed, **errors(400, 401, 403, 404, 429, 500)}}
        gone = {"description": f"The {one} is deleted.", "headers": {h: ref("headers", h) for h in RATE_HEADERS}}
        item["delete"] = {"operationId": f"{plugin.name}_destroy", "tags": tag, "summary": f"Delete a {one}",
                          "responses": {"204": gone, **errors(401, 403, 404, 429, 500)}}
    return {plugin.list_path: listing, plugin.item_path: item}


def build(plugins: Sequence[Plugin]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "ErrorBody": {"type": "object", "required": ["detail", "code"], "properties": {
            "detail": {"type": "string", "description": "A human-readable explanation."},
            "code": {"type": "string", "description": "A stable, machine-readable error code."}}},
        "FieldErrors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        "description": "Each offending field (or parameter) name mapped to its messages."},
    }
    for plugin in plugins:
        paths.update(operations(plugin))
        schemas.update(schemas_of(plugin))
    paths[SCHEMA_PATH] = {"get": {
        "operationId": "api_management_openapi_schema", "tags": ["api-management"],
        "summary": "The OpenAPI 3.0.3 document of this API",
        "parameters": [
            {"name": "plugin", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "Only this plugin's operations (e.g. files)."},
            {"name": "include_plugins", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "Comma-separated plugins to include (default: all)."}],
        "responses": {"200": response(200, {"type": "object"}, "An OpenAPI 3.0.3 document."),
                      **errors(401, 429, 500)},
    }}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Booga Enterprise API (large deployment)", "version": "2026.3.0",
                 "description": "Every plugin of the deployment. Authenticate with Authorization: Bearer <key> "
                                "or X-API-Key: <key>."},
        "tags": [{"name": p.name, "description": f"The {p.name.replace('_', ' ')} plugin."} for p in plugins]
        + [{"name": "api-management", "description": "The API's own schema."}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <api_key>"},
                "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                               "description": "X-API-Key: <api_key>"}},
            "headers": {h: {"description": f"{h}: the key's {h.rsplit('-', 1)[1].lower()} window.",
                            "schema": {"type": "integer", "minimum": 0}} for h in RATE_HEADERS},
        },
        "security": [{"bearerAuth": []}, {"apiKeyAuth": []}],
    }


def filtered(document: dict[str, Any], plugins: set[str]) -> dict[str, Any]:
    """The document with only the operations tagged with one of `plugins` (paths left empty are dropped)."""
    out = copy.copy(document)
    paths: dict[str, Any] = {}
    for path, item in document["paths"].items():
        kept = {k: v for k, v in item.items() if k not in METHODS or set(v.get("tags", [])) & plugins}
        if any(k in METHODS for k in kept):
            paths[path] = kept
    out["paths"] = paths
    return out


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
