"""Tenant isolation: a second tenant's key neither reads nor lists the first tenant's files."""

from __future__ import annotations

import pytest

from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.profiles.booga.probes import DATA_HINT, FULL, get_list, ident, item_path, results, sample_id, traversal


@pytest.mark.rule("BGA-TENANCY-ITEM")
def test_other_tenant_cannot_read_by_id(ctx: Context) -> None:
    ctx.require("token_b")
    ident_a, _ = sample_id(ctx)
    ex = ctx.get(item_path(ctx, ident_a), auth="b", note="tenant B reads tenant A's file")
    ctx.expect(ex.status in (403, 404), f"tenant B's key reading tenant A's file {ident_a} must be 404 or "
               f"403, got {ex.status}", ex)
    # A file of B's that A does not list (a shared listing is BGA-TENANCY-LIST's business).
    listed_a = set(traversal(ctx).ids)
    own = [i for i in results(get_list(ctx, "tenant B's files", auth="b",
                                       limit=10)) if ident(i) not in listed_a]
    if own:
        back = ctx.get(item_path(ctx, ident(own[0])), note="tenant A reads tenant B's file")
        ctx.expect(back.status in (403, 404), f"tenant A's key reading tenant B's file must be 404 or 403, "
                   f"got {back.status}", back)


@pytest.mark.rule("BGA-TENANCY-LIST")
def test_tenant_listings_are_disjoint(ctx: Context) -> None:
    ctx.require("token_b")
    walk = traversal(ctx)
    mine = set(walk.ids)
    if not mine:
        raise Incomplete(f"tenant A's list is empty: disjoint listings cannot be observed; {DATA_HINT}",
                         walk.pages[0])
    page_b = get_list(ctx, "tenant B's list", auth="b", limit=FULL)
    theirs = {ident(i) for i in results(page_b)}
    shared = mine & theirs
    ctx.expect(not shared,
               f"{len(shared)} files appear in both tenants' listings (e.g. {sorted(shared)[:2]})",
               page_b, walk.pages[0])
    if not theirs:
        ctx.note("tenant B's listing is empty: disjointness holds trivially")
