"""Writes, on every writable resource (only with --allow-writes; each rule creates what it works
on and deletes it again): 201 on create, idempotent PUT/PATCH with payloads built from the
deployment's own write schemas, 204 on delete, field-mapped 400 for an invalid payload."""

from __future__ import annotations

from typing import Any

import pytest

from apiconform.context import Context
from apiconform.exchange import Exchange
from apiconform.profiles.booga.checks import json_body, validation_violations
from apiconform.profiles.booga.writes import workspace, write
from apiconform.surface import Endpoint
from apiconform.writable import stable


@pytest.mark.rule("BGA-WRITE-CREATE")
@pytest.mark.endpoints("writable")
def test_post_creates_with_201(ctx: Context, endpoint: Endpoint) -> None:
    with workspace(ctx, endpoint) as space:
        made_id, ex = space.create("POST a new resource")
        ctx.expect(ex.status == 201, f"POST creating a resource must answer 201, got {ex.status}", ex)
        ctx.expect(isinstance(json_body(ex), dict), f"the 201 body is not the created resource: {json_body(ex)!r}", ex)
        again = space.read(made_id, note="GET the created resource")
        ctx.expect(again.status == 200, f"the created resource {made_id} is not readable: {again.status}", again)


def scalars_read_back(ctx: Context, method: str, update: dict[str, Any], state: Any, ex: Exchange) -> None:
    """The update's plain values read back as sent. Lists and objects are compared state to
    state (a server may order or complete them); str(): a number sent back as a string is
    BGA-RESOURCE-FIELDS' business, not this rule's."""
    for key, value in update.items():
        if isinstance(value, dict | list):
            continue
        now = state.get(key) if isinstance(state, dict) else state
        ctx.expect(isinstance(state, dict) and str(now) == str(value),
                   f"after {method} {update}, the resource reads {key}={now!r}", ex)


def idempotent(ctx: Context, endpoint: Endpoint, method: str) -> None:
    with workspace(ctx, endpoint) as space:
        if method not in space.writable.methods:
            pytest.skip(f"{space.writable.item} does not declare {method}")
        update = space.body("replace" if method == "PUT" else "patch")
        made_id, _ = space.create()
        path = space.writable.path(made_id)
        states: list[Exchange] = []
        for n in (1, 2):
            ex = write(ctx, method, path, body=update, note=f"{method} #{n} (the same update)")
            ctx.expect(ex.status is not None and 200 <= ex.status < 300, f"{method} #{n} answered {ex.status}", ex)
            states.append(space.read(made_id, note=f"GET after {method} #{n}"))
        first, second = (stable(json_body(s)) for s in states)
        if first != second:
            changed = sorted(k for k in (first or {}) if isinstance(first, dict) and isinstance(second, dict)
                             and first.get(k) != second.get(k))
            ctx.fail(f"the same {method} twice left different states ({', '.join(changed) or 'the body'} changed): "
                     f"{_diff(first, second, changed)}", *states)
        scalars_read_back(ctx, method, update, second, states[-1])


def _diff(first: Any, second: Any, changed: list[str]) -> str:
    if not (isinstance(first, dict) and isinstance(second, dict) and changed):
        return f"{first!r:.200} then {second!r:.200}"
    return "; ".join(f"{k}: {first.get(k)!r:.120} then {second.get(k)!r:.120}" for k in changed[:3])


@pytest.mark.rule("BGA-WRITE-PUT-IDEMPOTENT")
@pytest.mark.endpoints("writable")
def test_put_is_idempotent(ctx: Context, endpoint: Endpoint) -> None:
    idempotent(ctx, endpoint, "PUT")


@pytest.mark.rule("BGA-WRITE-PATCH-IDEMPOTENT")
@pytest.mark.endpoints("writable")
def test_patch_is_idempotent(ctx: Context, endpoint: Endpoint) -> None:
    idempotent(ctx, endpoint, "PATCH")


@pytest.mark.rule("BGA-WRITE-DELETE")
@pytest.mark.endpoints("writable")
def test_delete_is_204_then_404(ctx: Context, endpoint: Endpoint) -> None:
    with workspace(ctx, endpoint) as space:
        if "DELETE" not in space.writable.methods:
            pytest.skip(f"{space.writable.item} does not declare DELETE")
        made_id, _ = space.create()
        ex = write(ctx, "DELETE", space.writable.path(made_id), note="DELETE the resource")
        if ex.status is not None and 200 <= ex.status < 300:
            space.gone(made_id)  # nothing left to clean up
        ctx.expect(ex.status == 204, f"DELETE must answer 204, got {ex.status}", ex)
        assert ex.response is not None
        ctx.expect(not ex.response.body, f"the 204 carries a body: {ex.response.text[:100]!r}", ex)
        gone = space.read(made_id, note="GET the deleted resource")
        # Gone means not found; 404 is the documented answer, but that is BGA-NOT-FOUND's to judge.
        ctx.expect(gone.status is not None and 400 <= gone.status < 500,
                   f"GET of a deleted resource must be a 4xx (404), got {gone.status}", gone)
        if gone.status not in (404, 410):
            ctx.note(f"GET of a deleted resource answered {gone.status}, not 404")


@pytest.mark.rule("BGA-WRITE-INVALID")
@pytest.mark.endpoints("writable")
def test_invalid_payload_is_400_with_field_errors(ctx: Context, endpoint: Endpoint) -> None:
    with workspace(ctx, endpoint) as space:
        for field, ex in space.invalid_posts():
            ctx.expect(ex.status == 400, f"POST with an invalid {field} must be 400, got {ex.status}", ex)
            problems, remarks = validation_violations(ex, (field,))
            for remark in remarks:
                ctx.note(remark)
            ctx.expect(not problems, "; ".join(problems), ex)
