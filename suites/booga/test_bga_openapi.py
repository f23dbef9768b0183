"""The OpenAPI 3.0.3 schema endpoint and its plugin filters, on the plugins the deployment has.

The schema's path is the one the document fixes: a deployment whose schema path answers 404 while
its other endpoints answer fails BGA-OPENAPI-SCHEMA (the base URL is proven right by the others)."""

from __future__ import annotations

from typing import Any

import pytest

from apiconform.checks import require_decoded
from apiconform.context import Context
from apiconform.discovery import discover, plugins
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange

OPENAPI_VERSION = "3.0.3"


def schema(ctx: Context, note: str, **query: str) -> Exchange:
    return ctx.get(ctx.target.path("openapi"), params=query or None, note=note, document=True)


def paths_of(ex: Exchange) -> set[str]:
    body = ex.response.json() if ex.response is not None and ex.response.is_json else None
    if not (isinstance(body, dict) and isinstance(body.get("paths"), dict)):
        raise Incomplete(f"the schema endpoint answered {ex.status} without a paths object", ex)
    return set(body["paths"])


@pytest.mark.rule("BGA-OPENAPI-SCHEMA")
def test_schema_is_openapi_303(ctx: Context) -> None:
    ex = discover(ctx).exchange
    assert ex is not None
    if ex.response is None:
        # No answer (discover tried it once more): nothing to judge, which is not a wrong answer.
        raise Incomplete(f"the schema endpoint gave no answer ({ex.error}): the document could not be judged", ex)
    ctx.expect(ex.status == 200, f"the schema endpoint answered {ex.status}", ex)
    require_decoded(ex)  # past the kit's size cap or nesting bound: `error`, not the target's fault
    ctx.expect(ex.response.is_json, f"the schema is not JSON: {ex.response.json_error}", ex)
    body: Any = ex.response.json()
    version = body.get("openapi") if isinstance(body, dict) else None
    ctx.expect(version == OPENAPI_VERSION,
               f"the schema says openapi {version!r}, expected {OPENAPI_VERSION}", ex)
    paths = body.get("paths")
    ctx.expect(isinstance(paths, dict) and paths, "the schema has no paths: it documents no endpoint", ex)


def _filtered(ctx: Context, param: str, value: str, full: set[str], groups: dict[str, set[str]]) -> set[str]:
    """The schema filtered by `param=value`: it must keep the named plugins' paths, drop every
    other plugin's, and add nothing the full schema lacks."""
    ex = schema(ctx, f"{param}={value}", **{param: value})
    ctx.expect(ex.status == 200, f"{param}={value} answered {ex.status}", ex)
    paths = paths_of(ex)
    named = value.split(",")
    lost = sorted(p for name in named for p in groups[name] if p not in paths)
    ctx.expect(not lost, f"{param}={value}: the schema lost the plugin's own paths {lost[:3]}", ex)
    others = sorted(p for name, members in groups.items() if name not in named for p in members & paths)
    ctx.expect(not others, f"{param}={value}: the schema still holds other plugins' paths {others[:3]} "
               "(the filter is ignored)", ex)
    extra = sorted(paths - full)
    ctx.expect(not extra, f"{param}={value}: paths {extra[:3]} are not in the full schema", ex)
    return paths


@pytest.mark.rule("BGA-OPENAPI-PLUGIN")
def test_plugin_filters(ctx: Context) -> None:
    found = discover(ctx)
    if found.document is None:
        raise Incomplete(f"the plugin filter cannot be judged: {found.problem}", found.exchange)
    full = set(found.paths)
    groups, source = plugins(ctx)
    groups = {name: members for name, members in groups.items() if members}
    if not groups:
        raise Incomplete(f"the full schema's paths form no plugin group ({source}): the filters cannot be "
                         "judged; name the plugins in the target file ([openapi_plugins])", found.exchange)
    chosen = sorted(groups)[0]
    for param in ("plugin", "include_plugins"):
        _filtered(ctx, param, chosen, full, groups)
    if len(groups) == 1:
        # A schema endpoint that ignores plugin= altogether gives the same answer: no evidence.
        raise Incomplete(f"the schema has one plugin ({chosen}; {source}): that a filter removes the other "
                         "plugins' paths needs at least two; name them in the target file ([openapi_plugins])",
                         found.exchange)
    pair = ",".join([chosen, next(n for n in sorted(groups) if n != chosen)])
    _filtered(ctx, "include_plugins", pair, full, groups)
