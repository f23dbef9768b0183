"""Writes as an attacker would send them, on every writable resource (only with --allow-writes;
each rule creates what it works on, with tenant A's key, and deletes it again):

- tenant B's key changes or deletes nothing of tenant A's (PUT, PATCH, DELETE refused, 404/403);
- what tenant A creates is invisible to tenant B (by id, in its whole listing, filtered);
- a write without credentials, or with a key that is not issued in either header, is 401 and
  creates or changes nothing (read back with A's key).
"""

from __future__ import annotations

from typing import Any

import pytest

from apiconform.context import Context
from apiconform.discovery import declared, ordering_fields
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.forgery import forged_key
from apiconform.profiles.booga.checks import json_body
from apiconform.profiles.booga.probes import FULL, TENANCY_PAGES, envelope, link_url
from apiconform.profiles.booga.tenancy import leaked
from apiconform.profiles.booga.writes import Workspace, workspace, write
from apiconform.surface import Endpoint
from apiconform.writable import stable


def own_state(space: Workspace, ident: str, note: str) -> Any:
    ex = space.read(ident, note=note)
    if ex.status != 200:
        raise Incomplete(f"tenant A could not read the resource it created ({ex.status}): cannot check this rule", ex)
    return json_body(ex)


def restore(space: Workspace, ident: str, original: Any) -> str:
    """Put back what a write that should have been refused changed, with A's key; say how it went."""
    if not isinstance(original, dict):
        return "the kit could not restore it (its state is not an object)"
    method = "PUT" if "PUT" in space.writable.methods else "PATCH"
    body = {k: original[k] for k in space.body("replace") if k in original}
    ex = write(space.ctx, method, space.writable.path(ident), body=body,
               note="restore, with tenant A's key, what tenant B's write changed")
    back = space.read(ident, note="tenant A reads its resource after the restore")
    if back.status == 200 and stable(json_body(back)) == stable(original):
        return f"the kit restored it with tenant A's {method} ({ex.status})"
    return f"the kit could not restore it (tenant A's {method} answered {ex.status})"


def changes(before: Any, after: Any) -> str:
    if isinstance(before, dict) and isinstance(after, dict):
        keys = sorted(k for k in before.keys() | after.keys()
                      if stable({k: before.get(k)}) != stable({k: after.get(k)}))
        return ", ".join(f"{k}: {before.get(k)!r:.60} -> {after.get(k)!r:.60}" for k in keys[:3]) or "its body"
    return f"{before!r:.80} -> {after!r:.80}"


@pytest.mark.rule("BGA-TENANCY-WRITE")
@pytest.mark.endpoints("writable")
def test_other_tenant_cannot_change_or_delete(ctx: Context, endpoint: Endpoint) -> None:
    ctx.require("token_b")
    with workspace(ctx, endpoint) as space:
        made, _ = space.create("tenant A creates a resource for tenant B's key to try to change")
        original = own_state(space, made, "tenant A reads its resource before tenant B's writes")
        path = space.writable.path(made)
        problems: list[str] = []
        evidence: list[Exchange] = []
        for method, body in space.updates():
            ex = write(ctx, method, path, auth="b", body=body, note=f"tenant B's key: {method} of tenant A's resource")
            after = space.read(made, note=f"tenant A reads its resource after tenant B's {method}")
            ctx.judge(ex, after)
            if after.status in (404, 410):
                space.gone(made)
                problems.append(f"tenant B's {method} answered {ex.status} and deleted tenant A's resource {made} "
                                "(one the kit created: nothing else of A's was touched)")
                evidence += [ex, after]
                break
            if after.status != 200:
                raise Incomplete(f"tenant A could not read its resource after tenant B's {method} ({after.status})",
                                 ex, after)
            now = json_body(after)
            if stable(now) != stable(original):
                problems.append(f"tenant B's {method} answered {ex.status} and changed tenant A's resource "
                                f"({changes(original, now)}); {restore(space, made, original)}")
                evidence += [ex, after]
            elif ex.status not in (403, 404):
                problems.append(f"tenant B's {method} of tenant A's resource must be refused with 404 or 403, "
                                f"got {ex.status} (the resource is unchanged)")
                evidence.append(ex)
        if problems:
            ctx.fail("; ".join(problems), *evidence)


def b_listing(ctx: Context, space: Workspace, note: str, **query: Any) -> list[Exchange]:
    """Tenant B's listing now (after A's create), pages of 100 to next=null, TENANCY_PAGES at most."""
    pages = [ctx.get(space.writable.collection, auth="b", params={"limit": FULL, **query}, note=note)]
    while len(pages) < TENANCY_PAGES:
        try:
            body = envelope(pages[-1])
        except Incomplete:
            break
        if body["next"] is None:
            break
        pages.append(ctx.get(link_url(ctx, body["next"], pages[-1]), auth="b",
                             note=f"{note}, page {len(pages) + 1}"))
    if len(pages) == TENANCY_PAGES:
        ctx.note(f"{space.writable.collection}: tenant B's listing was read for its first {TENANCY_PAGES} pages of "
                 f"{FULL} (the kit's bound)")
    return pages


@pytest.mark.rule("BGA-TENANCY-CREATE")
@pytest.mark.endpoints("writable")
def test_what_a_creates_b_cannot_see(ctx: Context, endpoint: Endpoint) -> None:
    ctx.require("token_b")
    with workspace(ctx, endpoint) as space:
        made, _ = space.create("tenant A creates a resource")
        mine = [own_state(space, made, "tenant A reads the resource it created")]
        by_id = space.read(made, auth="b", note="tenant B's key reads tenant A's new resource by id")
        if by_id.status is not None and 200 <= by_id.status < 300:
            ctx.fail(f"tenant B's key reads the resource tenant A just created ({made}): {by_id.status}", by_id)
        ctx.expect(by_id.status in (403, 404), f"tenant B's key reading tenant A's new resource must be 404 or 403, "
                   f"got {by_id.status}", by_id)
        views: list[tuple[str, dict[str, Any]]] = [("its listing", {})]
        name = next((v for k, v in (mine[0] if isinstance(mine[0], dict) else {}).items()
                     if k in ("name", "title") and isinstance(v, str)), None)
        if declared(ctx, endpoint, "search") and name:
            views.append((f"search={name.split()[0]}", {"search": name.split()[0]}))
        for field in ordering_fields(ctx, endpoint)[:1]:
            views.append((f"ordering=-{field}", {"ordering": f"-{field}"}))
        if declared(ctx, endpoint, "created_after"):
            views.append(("created_after=2000-01-01", {"created_after": "2000-01-01"}))
        for what, query in views:
            pages = b_listing(ctx, space, f"tenant B's key, {what}, after tenant A's create", **query)
            if pages[0].status is None or not 200 <= pages[0].status < 300:
                if not query:
                    raise Incomplete(f"tenant B's key ({ctx.target.token_b_env}) was answered {pages[0].status} on "
                                     "its own listing: the key must be valid for another tenant", pages[0])
                continue
            for page in pages:
                body = json_body(page)
                results = body.get("results") if isinstance(body, dict) else None
                found = leaked(mine, results if isinstance(results, list) else [])
                ctx.expect(not found, f"tenant B's key, {what}, lists the resource tenant A just created ({made})",
                           page)


FORGED_HEADERS = ("Authorization", "X-API-Key")


def unauthenticated(ctx: Context) -> list[tuple[str, dict[str, str | None]]]:
    """(what, headers) of each way a write arrives without a valid key."""
    issued = {c.value for c in ctx.credentials.values()}
    forged = forged_key(ctx.credentials["primary"].value, ctx.rng, avoid=issued)
    return [("without credentials", {}),
            *((f"with a key that is not issued, in {h}", {h: f"Bearer {forged}" if h == "Authorization" else forged})
              for h in FORGED_HEADERS)]


def a_count(ctx: Context, space: Workspace, note: str) -> tuple[int | None, Exchange]:
    ex = ctx.get(space.writable.collection, params={"limit": 1}, note=note)
    try:
        return envelope(ex)["count"], ex
    except Incomplete:
        return None, ex


@pytest.mark.rule("BGA-AUTH-WRITE")
@pytest.mark.endpoints("writable")
def test_writes_without_a_valid_key_are_401_and_change_nothing(ctx: Context, endpoint: Endpoint) -> None:
    with workspace(ctx, endpoint) as space:
        ways = unauthenticated(ctx)
        before, _ = a_count(ctx, space, "tenant A's count before the writes without a valid key")
        problems: list[str] = []
        evidence: list[Exchange] = []

        def judge(ex: Exchange, what: str) -> None:
            ctx.judge(ex)
            if ex.status != 401:
                problems.append(f"{ex.request.method} {what} must be 401, got {ex.status}")
                evidence.append(ex)

        for what, headers in ways:
            ex = write(ctx, "POST", space.writable.collection, auth=None, headers=dict(headers),
                       body=space.body("create"), note=f"POST {what}", key_note=what)
            if space.adopt(ex) is not None:
                problems.append(f"POST {what} created a resource ({ex.status})")
                evidence.append(ex)
                continue
            judge(ex, what)
        made, _ = space.create("tenant A creates a resource to try the other writes on")
        original = own_state(space, made, "tenant A reads its resource before the writes without a valid key")
        path = space.writable.path(made)
        for method, body in space.updates():
            for what, headers in ways:
                judge(write(ctx, method, path, auth=None, headers=dict(headers), body=body,
                            note=f"{method} {what}", key_note=what), what)
        after = space.read(made, note="tenant A reads its resource after the writes without a valid key")
        if after.status in (404, 410):
            space.gone(made)
            problems.append(f"a DELETE without a valid key deleted tenant A's resource {made} (one the kit created)")
            evidence.append(after)
        elif after.status == 200 and stable(json_body(after)) != stable(original):
            problems.append(f"a write without a valid key changed tenant A's resource "
                            f"({changes(original, json_body(after))}); {restore(space, made, original)}")
            evidence.append(after)
        now, counted = a_count(ctx, space, "tenant A's count after the writes without a valid key")
        created_unseen = [s for s in space.ids if s != made]
        if before is not None and now is not None and now > before + 1 + len(created_unseen):
            problems.append(f"tenant A's list grew by {now - before} for the one resource it created itself: a write "
                            "without a valid key created something")
            evidence.append(counted)
        if problems:
            ctx.fail("; ".join(problems), *evidence)
