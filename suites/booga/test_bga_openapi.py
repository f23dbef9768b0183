"""The OpenAPI 3.0.3 schema endpoint and its plugin filters."""

from __future__ import annotations

from typing import Any

import pytest

from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange

OPENAPI_VERSION = "3.0.3"


def schema(ctx: Context, note: str, **query: str) -> Exchange:
    return ctx.get(ctx.target.path("openapi"), params=query or None, note=note)


def full_schema(ctx: Context) -> Exchange:
    if "bga:schema" not in ctx.cache:
        ctx.cache["bga:schema"] = schema(ctx, "the full schema")
    ex: Exchange = ctx.cache["bga:schema"]
    return ex


def paths_of(ex: Exchange) -> set[str]:
    body = ex.response.json() if ex.response is not None and ex.response.is_json else None
    if not (isinstance(body, dict) and isinstance(body.get("paths"), dict)):
        raise Incomplete(f"the schema endpoint answered {ex.status} without a paths object", ex)
    return set(body["paths"])


@pytest.mark.rule("BGA-OPENAPI-SCHEMA")
def test_schema_is_openapi_303(ctx: Context) -> None:
    ex = full_schema(ctx)
    ctx.expect(ex.status == 200, f"the schema endpoint answered {ex.status}", ex)
    assert ex.response is not None
    ctx.expect(ex.response.is_json, f"the schema is not JSON: {ex.response.json_error}", ex)
    body: Any = ex.response.json()
    version = body.get("openapi") if isinstance(body, dict) else None
    ctx.expect(version == OPENAPI_VERSION,
               f"the schema says openapi {version!r}, expected {OPENAPI_VERSION}", ex)
    paths = body.get("paths")
    ctx.expect(isinstance(paths, dict) and ctx.target.path("list") in paths,
               f"the schema's paths do not include {ctx.target.path('list')}", ex)


@pytest.mark.rule("BGA-OPENAPI-PLUGIN")
def test_plugin_filters(ctx: Context) -> None:
    markers: dict[str, str] = dict(ctx.target["openapi_plugins"])
    full = paths_of(full_schema(ctx))
    absent = {p: m for p, m in markers.items() if m not in full}
    if absent:
        raise Incomplete(f"the full schema lacks the marker paths {absent}: the filters cannot be judged",
                         full_schema(ctx))
    first = next(iter(markers))
    probes = [(first, "plugin", schema(ctx, f"plugin={first}", plugin=first)),
              (first, "include_plugins", schema(ctx, f"include_plugins={first}", include_plugins=first))]
    for plugin, param, ex in probes:
        ctx.expect(ex.status == 200, f"{param}={plugin} answered {ex.status}", ex)
        paths = paths_of(ex)
        ctx.expect(markers[plugin] in paths, f"{param}={plugin}: the schema lacks {markers[plugin]}", ex)
        others = sorted(m for p, m in markers.items() if p != plugin and m in paths)
        ctx.expect(not others, f"{param}={plugin}: the schema still holds other plugins' paths {others}", ex)
        extra = sorted(paths - full)
        ctx.expect(not extra, f"{param}={plugin}: paths {extra} are not in the full schema", ex)
    if len(markers) > 1:
        both = ",".join(markers)
        ex = schema(ctx, f"include_plugins={both}", include_plugins=both)
        paths = paths_of(ex)
        lost = sorted(m for m in markers.values() if m not in paths)
        ctx.expect(not lost, f"include_plugins={both}: the schema lacks {lost}", ex)
