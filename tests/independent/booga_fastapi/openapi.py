"""GET /api/api-management/openapi-schema/: FastAPI's generated document, as OpenAPI 3.0.3, by plugin.

FastAPI (0.100 and later) writes OpenAPI 3.1.0 with Pydantic v2's JSON Schema; setting
`openapi_version` only changes the version string. What this deployment does to make the
document a valid 3.0.3 one (tests/test_independent_booga_fastapi.py validates it against the
official OpenAPI 3.0 JSON Schema):

- `anyOf: [X, {"type": "null"}]` (every `T | None`) becomes X with `nullable: true` in bodies; a
  `$ref` cannot carry siblings in 3.0, so it becomes `allOf: [{$ref}]` with `nullable: true`. A
  query parameter is never null (it is absent instead): there, the null branch is just dropped.
- A `$ref` with siblings (a field of an enum or model type with a default or a description) becomes
  `allOf: [{$ref}]` beside them: 3.0 ignores whatever sits next to a `$ref`.
- `const` becomes a one-value `enum`; numeric `exclusiveMinimum`/`exclusiveMaximum` become 3.0's
  boolean form (none are generated today, but a model gaining `gt=` must not break the document).
- FastAPI's own 422 responses and their HTTPValidationError/ValidationError schemas are removed:
  this API answers 400 with a field map instead (errors.py), documented per operation.

Tags are the plugins; `?plugin=NAME` keeps the operations tagged NAME, `?include_plugins=a,b`
those tagged a or b (both together: the union). The schema requires a key like every endpoint.
"""

# No `from __future__ import annotations`: FastAPI reads the signatures of the endpoints and
# dependencies defined in functions below, and cannot resolve string annotations naming their locals.

import copy
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from . import SCHEMA_PATH
from .auth import Principal, authenticator
from .routers import AUTH_RESPONSES
from .settings import Settings

OPENAPI_VERSION = "3.0.3"
NULL = {"type": "null"}
VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def without_null(node: dict[str, Any], nullable: bool) -> dict[str, Any]:
    """A schema whose anyOf has a {"type": "null"} branch, in 3.0's terms."""
    rest = {k: v for k, v in node.items() if k != "anyOf"}
    branches = [b for b in node["anyOf"] if b != NULL]
    if len(branches) == 1 and "$ref" in branches[0] and not nullable:
        # A parameter's schema: its description and title are the parameter's own, so the bare
        # $ref (which 3.0 allows no siblings) says everything.
        return dict(branches[0])
    if len(branches) == 1:
        only = branches[0]
        merged = ({"allOf": [only]} if "$ref" in only else dict(only)) | rest
    else:
        merged = {**rest, "anyOf": branches}
    if nullable:
        merged["nullable"] = True
    return merged


def to_303(node: Any, nullable: bool = True) -> Any:
    """Rewrite one part of a 3.1 document (schemas anywhere in it) into 3.0.3 (see the module's docstring)."""
    if isinstance(node, list):
        return [to_303(item, nullable) for item in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("anyOf"), list) and NULL in node["anyOf"]:
        node = without_null(node, nullable)
    if "$ref" in node and len(node) > 1:
        node = {"allOf": [{"$ref": node["$ref"]}], **{k: v for k, v in node.items() if k != "$ref"}}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "const":
            out["enum"] = [value]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, int | float) \
                and not isinstance(value, bool):
            out[key.replace("exclusiveM", "m")] = value
            out[key] = True
        elif key == "parameters" and isinstance(value, list):
            # A query parameter is absent rather than null: drop the null branch, add no nullable.
            out[key] = [{**to_303(p), "schema": to_303(p["schema"], nullable=False)} if "schema" in p else to_303(p)
                        for p in value]
        else:
            out[key] = to_303(value, nullable)
    return out


def without_422(document: dict[str, Any]) -> dict[str, Any]:
    for item in document.get("paths", {}).values():
        for method in METHODS:
            if method in item:
                item[method].get("responses", {}).pop("422", None)
    schemas = document.get("components", {}).get("schemas", {})
    for name in VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    return document


def build_document(app: FastAPI) -> dict[str, Any]:
    """The full document, made once (FastAPI's own cache: app.openapi_schema)."""
    if app.openapi_schema is None:
        generated = get_openapi(title=app.title, version=app.version, description=app.description,
                                openapi_version=OPENAPI_VERSION, routes=app.routes)
        app.openapi_schema = to_303(without_422(generated))
    return app.openapi_schema


def wanted(plugin: str | None, include_plugins: str | None) -> set[str] | None:
    """The plugins named by plugin= and include_plugins= (together), or None: every plugin."""
    names = {n.strip() for raw in (plugin, include_plugins) if raw for n in raw.split(",") if n.strip()}
    return names or None


def filtered(document: dict[str, Any], plugins: set[str]) -> dict[str, Any]:
    """The document with only the operations tagged with one of `plugins` (paths left empty are dropped)."""
    out = copy.copy(document)
    paths: dict[str, Any] = {}
    for path, item in document.get("paths", {}).items():
        kept = {k: v for k, v in item.items()
                if k not in METHODS or set(v.get("tags", [])) & plugins}
        if any(k in METHODS for k in kept):
            paths[path] = kept
    out["paths"] = paths
    return out


def build(settings: Settings) -> APIRouter:
    router = APIRouter(tags=["api-management"])
    auth = authenticator(settings)

    document_response = {"description": "An OpenAPI 3.0.3 document.",
                         "content": {"application/json": {"schema": {"type": "object"}}}}

    @router.get(SCHEMA_PATH, response_class=JSONResponse, responses={200: document_response, **AUTH_RESPONSES},
                summary="The OpenAPI 3.0.3 document of this API")
    def openapi_schema(
        request: Request,
        principal: Annotated[Principal, Depends(auth)],
        plugin: Annotated[str | None, Query(description="Only this plugin's operations (e.g. tasks).")] = None,
        include_plugins: Annotated[str | None, Query(description="Comma-separated plugins to include "
                                                                 "(default: all).")] = None,
    ) -> JSONResponse:
        document = build_document(request.app)
        names = wanted(plugin, include_plugins)
        return JSONResponse(document if names is None else filtered(document, names))

    return router
