"""Where and how the write rules write, and the ledger of every write a run sends.

The write rules act on every writable resource the deployment declares (writable.py: a list
taking a JSON POST whose item path takes PUT, PATCH or DELETE), or, without an OpenAPI document,
on the files resource of the document's example with the target file's `write_payload`. They
touch nothing of the tenant's own data: each creates what it works on, with tenant A's key, and
deletes it again when it ends, whatever happened meanwhile; what is still there when the run
ends (a rule interrupted mid-way) is deleted then. Every write is recorded (its rule, endpoint,
method, path, key and answer) and report.json's `writes` lists them with the outcome of the
clean-up, so an auditor can say exactly what a run did to a live target.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from apiconform.context import Context
from apiconform.errors import Incomplete, TransportFault
from apiconform.exchange import Exchange
from apiconform.items import unobservable
from apiconform.profiles.booga.checks import json_body
from apiconform.redact import REDACTOR
from apiconform.surface import Endpoint
from apiconform.writable import Unbuildable, Writable, invalid_cases, payload

LEDGER = "bga:writes"
WRITES = ("POST", "PUT", "PATCH", "DELETE")
KEYS = {"primary": "tenant A", "b": "tenant B", None: "no credentials"}


@dataclass
class Ledger:
    tag: str = field(default_factory=lambda: secrets.token_hex(3))  # this run's mark in every value it writes
    sent: list[dict[str, Any]] = field(default_factory=list)
    live: dict[str, str] = field(default_factory=dict)  # item path -> rule that created it, not yet deleted

    def summary(self) -> dict[str, Any]:
        created = sum(1 for s in self.sent if s["method"] == "POST" and s.get("created"))
        left = sorted(self.live)
        # A POST without an answer may have created something the kit never learnt the id of.
        unanswered = [s["path"] for s in self.sent if s["method"] == "POST" and s["status"] is None]
        cleanup = "nothing was created" if not created else \
            ("complete: everything the kit created was deleted" if not left else
             f"incomplete: {len(left)} created resource(s) could not be deleted: {', '.join(left)}")
        if unanswered:
            cleanup += (f"; {len(unanswered)} POST(s) got no answer and may have created what the kit cannot "
                        f"know of (to {', '.join(sorted(set(unanswered)))}): look there")
        return {"sent": self.sent, "created": created, "left_behind": left, "unanswered_posts": len(unanswered),
                "cleanup": cleanup}


def ledger(ctx: Context) -> Ledger:
    found = ctx.cache.get(LEDGER)
    if not isinstance(found, Ledger):
        found = ctx.cache[LEDGER] = Ledger()
        # Run when the run ends, interrupted or not (plugin.finish_runs): nothing is left behind.
        ctx.cache.setdefault("run:finally", []).append(finish)
        ctx.cache.setdefault("run:extra", {})["writes"] = Ledger(tag="").summary()
    return found


def _publish(ctx: Context, book: Ledger) -> None:
    ctx.cache.setdefault("run:extra", {})["writes"] = book.summary()


def writable_of(ctx: Context, endpoint: Endpoint) -> Writable:
    surface = ctx.surface()
    found = next((w for w in surface.writable if w.collection == endpoint.template), None)
    if found is None:
        pytest.skip(f"{endpoint.label} is not writable (no JSON POST with a write method on its items)")
    return found


def created_id(ex: Exchange) -> str | None:
    """The id in a 2xx answer to a POST, so that anything created can be cleaned up."""
    body = json_body(ex)
    if ex.status is not None and 200 <= ex.status < 300 and isinstance(body, dict):
        for key in ("id", "uuid", "pk"):
            if isinstance(body.get(key), str | int) and not isinstance(body.get(key), bool):
                return str(body[key])
    return None


def write(ctx: Context, method: str, path: str, *, auth: str | None = "primary", body: Any = None,
          note: str, headers: dict[str, str | None] | None = None, key_note: str = "",
          cleanup: bool = False) -> Exchange:
    """Send one write and record it (rule, endpoint, method, path, whose key, answer)."""
    book = ledger(ctx)
    kwargs: dict[str, Any] = {"note": note}
    if cleanup:
        kwargs["cleanup"] = True
    if body is not None:
        kwargs["json_body"] = body
    if headers:
        kwargs["headers"] = headers
    # A write that got no answer (a timeout, a reset) may still have reached the target: it is in
    # the ledger too, and then raised as any transport fault is. One refused before it left (a
    # spent budget, a signal, a dead target) raises here and is not in the ledger: it was not sent.
    ex = ctx.request(method, path, auth=auth, allow_fault=True, **kwargs)
    entry = {"rule": ctx.rule.id if ctx.rule else "", "endpoint": ctx.endpoint.label if ctx.endpoint else "",
             "method": method, "path": path, "key": key_note or KEYS.get(auth, auth or ""), "status": ex.status,
             "note": note}
    if method == "POST" and (made := created_id(ex)) is not None:
        entry["created"] = made
    if ex.response is None:
        entry["error"] = REDACTOR.text(ex.error or "no answer")
    book.sent.append(entry)
    _publish(ctx, book)
    if ex.response is None:
        raise TransportFault(f"{method} {REDACTOR.text(ex.request.url)}: {entry['error']}", ex)
    return ex


@dataclass
class Workspace:
    """What one rule creates on one writable resource; deleted again when the rule ends."""
    ctx: Context
    writable: Writable
    ids: list[str] = field(default_factory=list)

    def body(self, kind: str) -> dict[str, Any]:
        try:
            return payload(self.writable, kind, ledger(self.ctx).tag)
        except Unbuildable as exc:
            unobservable(f"no valid {kind} payload for {self.writable.collection}: {exc}")

    def adopt(self, ex: Exchange) -> str | None:
        """Anything a POST created, whoever's key sent it, is the kit's to delete."""
        made = created_id(ex)
        if made is not None:
            self.ids.append(made)
            ledger(self.ctx).live[self.writable.path(made)] = self.ctx.rule.id if self.ctx.rule else ""
            _publish(self.ctx, ledger(self.ctx))
        return made

    def create(self, note: str = "create a resource to work on") -> tuple[str, Exchange]:
        ex = write(self.ctx, "POST", self.writable.collection, body=self.body("create"), note=note)
        made = self.adopt(ex)
        if made is None:
            raise Incomplete(f"POST {self.writable.collection} did not create a resource (status {ex.status}): "
                             "this rule cannot be checked without one", ex)
        return made, ex

    def invalid_posts(self, most: int | None = None) -> Iterator[tuple[str, Exchange]]:
        """(field, answer) of each POST made invalid in one field (writable.invalid_cases);
        anything such a POST created is deleted with the rest."""
        cases = invalid_cases(self.writable)
        if not cases:
            unobservable(f"{self.writable.collection}'s request schema has no required or typed field to get wrong")
        for field_name, body in cases[:most]:
            ex = write(self.ctx, "POST", self.writable.collection, body=body, note=f"invalid payload ({field_name})")
            self.adopt(ex)
            yield field_name, ex

    def updates(self) -> list[tuple[str, dict[str, Any] | None]]:
        """(method, body) of each write the item declares: PUT (a full body), PATCH, DELETE."""
        bodies = {"PUT": "replace", "PATCH": "patch"}
        return [(m, self.body(bodies[m]) if m in bodies else None) for m in ("PUT", "PATCH", "DELETE")
                if m in self.writable.methods]

    def read(self, ident: str, auth: str | None = "primary", note: str = "") -> Exchange:
        return self.ctx.get(self.writable.path(ident), auth=auth,
                            note=note or f"GET {self.writable.item} with {KEYS.get(auth, auth)}'s key")

    def gone(self, ident: str) -> None:
        """Deleted (by a rule's own DELETE, or by a write that should have been refused)."""
        if ident in self.ids:
            self.ids.remove(ident)
        ledger(self.ctx).live.pop(self.writable.path(ident), None)
        _publish(self.ctx, ledger(self.ctx))


@contextmanager
def workspace(ctx: Context, endpoint: Endpoint) -> Iterator[Workspace]:
    ctx.require("writes")
    space = Workspace(ctx, writable_of(ctx, endpoint))
    try:
        yield space
    finally:
        for ident in list(space.ids):
            delete_created(ctx, space.writable.path(ident))


def delete_created(ctx: Context, path: str) -> bool:
    """Delete one thing the kit created, with tenant A's key; a 404 means it is gone already."""
    book = ledger(ctx)
    try:
        ex = write(ctx, "DELETE", path, note="clean-up: delete what the kit created", key_note="tenant A (clean-up)",
                   cleanup=True)
    except Incomplete as exc:
        ctx.note(f"could not delete {path}, created by the kit: {exc}")
        return False
    if ex.status is not None and (200 <= ex.status < 300 or ex.status in (404, 410)):
        book.live.pop(path, None)
        _publish(ctx, book)
        return True
    ctx.note(f"could not delete {path}, created by the kit: DELETE answered {ex.status}")
    return False


def finish(ctx: Context) -> None:
    """At the end of the run: delete whatever is still there (a rule stopped mid-way)."""
    book = ctx.cache.get(LEDGER)
    if not isinstance(book, Ledger):
        return
    for path in list(book.live):
        delete_created(ctx, path)
    _publish(ctx, book)
