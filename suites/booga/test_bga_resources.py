"""Resources carry the documented fields; every body is JSON with a JSON Content-Type."""

from __future__ import annotations

import re
import uuid

import pytest

from apiconform.context import Context
from apiconform.exchange import Exchange
from apiconform.profiles.booga.checks import file_violations, files_in, json_body
from apiconform.profiles.booga.probes import (
    first_page,
    get_list,
    item_path,
    list_path,
    require_count,
    results,
    sample_id,
)
from apiconform.sweep import sweep


def is_files_exchange(ctx: Context, ex: Exchange) -> bool:
    """A success answer from the target's own list or item path (not chat, not the schema)."""
    from urllib.parse import urlsplit

    if ex.status is None or not 200 <= ex.status < 300 or ex.request.method.upper() == "DELETE":
        return False
    path = urlsplit(ex.request.url).path
    head, _, tail = item_path(ctx, "\0").partition("\0")
    item = re.compile(re.escape(head) + r"[^/]+" + re.escape(tail) + "$")
    return path.endswith(list_path(ctx)) or bool(item.search(path))


@pytest.mark.rule("BGA-RESOURCE-FIELDS")
def test_files_carry_documented_fields(ctx: Context) -> None:
    require_count(ctx, 1, "checking a file's fields")
    page = first_page(ctx)
    ident, _ = sample_id(ctx)
    one = ctx.get(item_path(ctx, ident), note="one file")
    ctx.expect(one.status == 200, f"GET of a listed file's id answered {one.status}", one)
    for ex in [page, one, *[g for g in sweep(ctx) if is_files_exchange(ctx, g)]]:
        for where, obj in files_in(json_body(ex)):
            problems = file_violations(obj, where)
            ctx.expect(not problems, "; ".join(problems[:3]), ex)


@pytest.mark.rule("BGA-RESPONSE-JSON")
def test_bodies_are_json(ctx: Context) -> None:
    page = first_page(ctx)
    items = results(page) if 200 <= (page.status or 0) < 300 else []
    probes = [page]
    if items:  # an empty account still has list and error bodies to judge
        one = item_path(ctx, str(items[0].get("id")) if isinstance(items[0], dict) else "")
        probes += [ctx.get(one, note="one file"), ctx.get(one, accept_encoding="gzip", note="one file, gzip accepted")]
    probes += [
        ctx.get(list_path(ctx), auth=None, note="error: no credentials"),
        ctx.get(item_path(ctx, str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4))),
                note="error: unknown id"),
        get_list(ctx, "possibly an error: limit=abc", limit="abc"),
    ]
    for ex in [*probes, *sweep(ctx)]:
        ctx.check(ex)
