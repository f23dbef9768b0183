"""Writes (only with --allow-writes; everything created is deleted again): 201 on create,
idempotent PUT/PATCH, 204 on delete, field-mapped 400 for an invalid payload."""

from __future__ import annotations

from typing import Any

import pytest

from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.profiles.booga.checks import json_body, validation_violations
from apiconform.profiles.booga.probes import created, created_id
from apiconform.profiles.booga.writes import item_path, writable_list

VOLATILE = ("updated_at",)  # a timestamp of the last write may move with each (idempotent) write


def payload(ctx: Context, **changes: Any) -> dict[str, Any]:
    return {**ctx.target["write_payload"], **changes}


def created_files(ctx: Context) -> Any:
    """Files made in the block are deleted again when it ends (skip where there is no files resource)."""
    writable_list(ctx)
    return created(ctx, str(ctx.target.settings["paths"]["item"]))


def create(ctx: Context, made: list[str], note: str = "create a file to work on") -> tuple[str, Exchange]:
    ex = ctx.request("POST", writable_list(ctx), json_body=payload(ctx), note=note)
    made_id = created_id(ex)
    if made_id is None:
        raise Incomplete(f"POST did not create a file (status {ex.status}): cannot check this rule", ex)
    made.append(made_id)
    return made_id, ex


def stable(ex: Exchange) -> Any:
    body = json_body(ex)
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k not in VOLATILE}
    return body


@pytest.mark.rule("BGA-WRITE-CREATE")
def test_post_creates_with_201(ctx: Context) -> None:
    ctx.require("writes")
    with created_files(ctx) as made:
        made_id, ex = create(ctx, made, "POST a new file")
        ctx.expect(ex.status == 201, f"POST creating a file must answer 201, got {ex.status}", ex)
        body = json_body(ex)
        ctx.expect(isinstance(body, dict) and body.get("name") == payload(ctx)["name"],
                   f"the 201 body is not the created file: {json_body(ex)!r}", ex)
        again = ctx.get(item_path(ctx, made_id), note="GET the created file")
        ctx.expect(again.status == 200, f"the created file {made_id} is not readable: {again.status}", again)


def _idempotent(ctx: Context, method: str, update: dict[str, Any]) -> None:
    with created_files(ctx) as made:
        made_id, _ = create(ctx, made)
        path = item_path(ctx, made_id)
        states = []
        for n in (1, 2):
            ex = ctx.request(method, path, json_body=update, note=f"{method} #{n}")
            ctx.expect(ex.status is not None and 200 <= ex.status < 300,
                       f"{method} #{n} answered {ex.status}", ex)
            states.append(ctx.get(path, note=f"GET after {method} #{n}"))
        first, second = (stable(s) for s in states)
        ctx.expect(first == second, f"the same {method} twice gave different files: {first} then {second}",
                   *states)
        for key, value in update.items():
            # str(): a number sent back as a string is BGA-RESOURCE-FIELDS' business, not this rule's.
            ctx.expect(isinstance(second, dict) and str(second.get(key)) == str(value),
                       f"after {method} {update}, the file reads {second!r}",
                       states[-1])


@pytest.mark.rule("BGA-WRITE-PUT-IDEMPOTENT")
def test_put_is_idempotent(ctx: Context) -> None:
    ctx.require("writes")
    _idempotent(ctx, "PUT", payload(ctx, name="apiconform-put.txt", size=34))


@pytest.mark.rule("BGA-WRITE-PATCH-IDEMPOTENT")
def test_patch_is_idempotent(ctx: Context) -> None:
    ctx.require("writes")
    _idempotent(ctx, "PATCH", {"size": 99})


@pytest.mark.rule("BGA-WRITE-DELETE")
def test_delete_is_204_then_404(ctx: Context) -> None:
    ctx.require("writes")
    with created_files(ctx) as made:
        made_id, _ = create(ctx, made)
        ex = ctx.request("DELETE", item_path(ctx, made_id), note="DELETE the file")
        if ex.status is not None and 200 <= ex.status < 300:
            made.remove(made_id)  # gone: nothing left to clean up
        ctx.expect(ex.status == 204, f"DELETE must answer 204, got {ex.status}", ex)
        assert ex.response is not None
        ctx.expect(not ex.response.body, f"the 204 carries a body: {ex.response.text[:100]!r}", ex)
        gone = ctx.get(item_path(ctx, made_id), note="GET the deleted file")
        # Gone means not found; 404 is the documented answer, but that is BGA-NOT-FOUND's to judge.
        ctx.expect(gone.status is not None and 400 <= gone.status < 500,
                   f"GET of a deleted file must be a 4xx (404), got {gone.status}", gone)
        if gone.status not in (404, 410):
            ctx.note(f"GET of a deleted file answered {gone.status}, not 404")


@pytest.mark.rule("BGA-WRITE-INVALID")
def test_invalid_payload_is_400_with_field_errors(ctx: Context) -> None:
    ctx.require("writes")
    cases = [("name", {k: v for k, v in payload(ctx).items() if k != "name"}),
             ("size", payload(ctx, size="not-a-number"))]
    with created_files(ctx) as made:
        for field, body in cases:
            ex = ctx.request("POST", writable_list(ctx), json_body=body, note=f"invalid payload ({field})")
            if (made_id := created_id(ex)) is not None:
                made.append(made_id)
            ctx.expect(ex.status == 400, f"POST {body} (invalid {field}) must be 400, got {ex.status}", ex)
            problems, remarks = validation_violations(ex, (field,))
            for remark in remarks:
                ctx.note(remark)
            ctx.expect(not problems, "; ".join(problems), ex)
