"""Tenant isolation, on every list and every single resource: a second tenant's key neither lists
nor reads the first tenant's resources."""

from __future__ import annotations

import re
from typing import Any

import pytest

from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.items import unobservable
from apiconform.profiles.booga.probes import DATA_HINT, FULL, booga_probes, results, status_of
from apiconform.profiles.booga.tenancy import leaked
from apiconform.surface import Endpoint


def b_succeeded(ctx: Context, ex: Any) -> None:
    """The tenancy rules need tenant B's own requests to succeed: else they are `error`, naming the key."""
    if ex.status is None or not 200 <= ex.status < 300:
        raise Incomplete(f"tenant B's key ({ctx.target.token_b_env}) was answered {ex.status} on its own listing: "
                         "the key must be valid for another tenant", ex)


@pytest.mark.rule("BGA-TENANCY-LIST")
@pytest.mark.endpoints("list")
def test_tenant_listings_are_disjoint(ctx: Context, endpoint: Endpoint) -> None:
    ctx.require("token_b")
    p = booga_probes(ctx, endpoint)
    mine = p.listing("primary")
    if not mine.items:
        unobservable(f"tenant A's list is empty: disjoint listings cannot be observed; {DATA_HINT}")
    b_succeeded(ctx, p.as_tenant_b())
    theirs = p.listing("b")
    for walk in (mine, theirs):
        if walk.problem:
            ctx.note(f"{endpoint.label}: {walk.problem}")
    for page in theirs.pages:
        shared = leaked(mine.items, results(page))
        ctx.expect(not shared, f"{len(shared)} of tenant A's results appear in tenant B's listing "
                   f"(ids {shared[:3]})", page, mine.pages[0])
    # "All queries … are tenant-isolated": B's key with each filter the list declares, with values
    # taken from A's own results (a search that skips the tenant filter shows A's rows only then).
    for name, value in a_filters(ctx, endpoint, mine.items):
        filtered = p.send(f"tenant-b:{name}", f"tenant B's key, {name}={value}", auth="b",
                          params=p.query(**{name: value, "limit": FULL}))
        if filtered.status is None or not 200 <= filtered.status < 300:
            continue  # B's filter refused: no listing to compare (not a tenancy matter)
        shared = leaked(mine.items, results(filtered))
        ctx.expect(not shared, f"tenant B's key with {name}={value} lists {len(shared)} of tenant A's results "
                   f"(ids {shared[:3]})", filtered)
    if not theirs.items:
        ctx.note(f"{endpoint.label}: tenant B's listing is empty: disjointness holds trivially")


def a_filters(ctx: Context, endpoint: Endpoint, items: list[Any]) -> list[tuple[str, str]]:
    """(filter, value) for each filter the list declares, the value one of tenant A's results matches."""
    from apiconform.discovery import declared, ordering_fields

    out: list[tuple[str, str]] = []
    names = [str(i[f]) for i in items if isinstance(i, dict) for f in ("name", "title") if isinstance(i.get(f), str)]
    words = [w for name in names for w in re.findall(r"[^\W\d_]{3,}", name)]
    if declared(ctx, endpoint, "search") and words:
        out.append(("search", min(words, key=lambda w: (len(w), w))))
    statuses = [status_of(i) for i in items]
    if declared(ctx, endpoint, "status") and any(statuses):
        out.append(("status", next(s for s in statuses if s)))
    if declared(ctx, endpoint, "created_after"):
        out.append(("created_after", "2000-01-01"))
    if fields := ordering_fields(ctx, endpoint):
        out.append(("ordering", "-" + fields[0]))
    return out


@pytest.mark.rule("BGA-TENANCY-ITEM")
@pytest.mark.endpoints("single")
def test_other_tenant_cannot_read_by_id(ctx: Context, endpoint: Endpoint) -> None:
    ctx.require("token_b")
    p = booga_probes(ctx, endpoint)
    own = p.default()
    if own.status != 200:
        raise Incomplete(f"tenant A's key reading its own {p.path} answered {own.status}: no resource of A's to "
                         "try tenant B's key on", own)
    ex = p.as_tenant_b()
    ctx.expect(ex.status in (403, 404), f"tenant B's key reading tenant A's {p.path} must be 404 or 403, "
               f"got {ex.status}", ex)
