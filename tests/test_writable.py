"""Writable resources and their payloads, from an OpenAPI document (writable.py), and telling
tenant A's results in tenant B's view by id (profiles/booga/tenancy.py)."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest

from apiconform.profiles.booga.tenancy import leaked
from apiconform.writable import Unbuildable, from_document, invalid_cases, payload, stable

INVOICE = {
    "type": "object",
    "required": ["number", "lines", "billing"],
    "properties": {
        "id": {"type": "integer", "readOnly": True},
        "number": {"type": "string", "maxLength": 12},
        "status": {"type": "string", "enum": ["draft", "sent", "paid"]},
        "due": {"type": "string", "format": "date"},
        "total": {"type": "number", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}},
        "billing": {"allOf": [{"$ref": "#/components/schemas/Billing"}]},
        "note": {"type": "string", "nullable": True},
        "created_at": {"type": "string", "format": "date-time", "readOnly": True},
    },
}
DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "servers": [{"url": "https://api.example.com/v2"}],
    "paths": {
        "/api/invoices/": {"get": {}, "post": {"requestBody": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/InvoiceRequest"}}}}}},
        "/api/invoices/{invoice_id}/": {"get": {}, "delete": {}, "patch": {"requestBody": {"content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/PatchedInvoiceRequest"}}}}}},
        "/api/reports/": {"get": {}, "post": {}},  # an action without a body: not a writable resource
        "/api/exports/": {"post": {"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}}},
    },
    "components": {"schemas": {
        "InvoiceRequest": INVOICE,
        "PatchedInvoiceRequest": {**INVOICE, "required": []},
        "Line": {"type": "object", "required": ["description", "quantity"], "properties": {
            "description": {"type": "string", "minLength": 3},
            "quantity": {"type": "integer", "minimum": 1, "maximum": 3}}},
        "Billing": {"type": "object", "properties": {"name": {"type": "string"}, "address": {
            "type": "object", "properties": {"country": {"type": "string", "pattern": "^[A-Z]{2}$"}}}}},
    }},
}


def test_a_writable_resource_is_a_list_taking_a_json_post_with_write_methods_on_its_items() -> None:
    found = from_document(DOCUMENT, "/v2")
    assert [(w.collection, w.item, w.id_param, sorted(w.methods)) for w in found] == [
        ("/v2/api/invoices/", "/v2/api/invoices/{invoice_id}/", "invoice_id", ["DELETE", "PATCH"])]
    assert found[0].path("42") == "/v2/api/invoices/42/"


@pytest.mark.parametrize("kind", ["create", "replace", "patch"])
def test_payloads_carry_every_writable_property_and_are_valid(kind: str) -> None:
    writable = from_document(DOCUMENT)[0]
    body = payload(writable, kind, "t1")
    assert set(body) == set(INVOICE["properties"]) - {"id", "created_at"}
    assert len(body["lines"]) >= 2 and all(set(line) == {"description", "quantity"} for line in body["lines"])
    assert body["billing"]["address"]["country"] in ("AC",) or len(body["billing"]["address"]["country"]) == 2
    assert len(body["number"]) <= 12 and body["status"] in ("draft", "sent", "paid")
    resolved = {**INVOICE, "properties": {**INVOICE["properties"], "lines": {"type": "array", "items": DOCUMENT[
        "components"]["schemas"]["Line"]}, "billing": DOCUMENT["components"]["schemas"]["Billing"]}}
    jsonschema.Draft4Validator({k: v for k, v in resolved.items()}).validate(
        {k: v for k, v in body.items() if k != "note"})


def test_each_update_changes_what_the_create_wrote() -> None:
    writable = from_document(DOCUMENT)[0]
    made, replaced, patched = (payload(writable, k, "t1") for k in ("create", "replace", "patch"))
    for field in ("number", "status", "tags", "lines"):
        assert len({repr(made[field]), repr(replaced[field]), repr(patched[field])}) == 3, field
    assert payload(writable, "create", "t1") == made  # deterministic
    assert payload(writable, "create", "t2") != made  # a run's tag keeps strings unique across runs


@pytest.mark.parametrize("pattern", [r"^[A-Z]{3}$", r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$", r"^INV-\d+$",
                                     r"^[^@]+@[a-z]+\.com$", r"^(EUR|USD|GBP)$"])
def test_a_declared_pattern_is_met(pattern: str) -> None:
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": pattern}}}
    doc = {**DOCUMENT, "components": {"schemas": {**DOCUMENT["components"]["schemas"], "InvoiceRequest": schema,
                                                  "PatchedInvoiceRequest": schema}}}
    writable = from_document(doc)[0]
    for kind in ("create", "replace", "patch"):
        assert re.search(pattern, payload(writable, kind, "t1")["code"])


def test_a_pattern_the_kit_cannot_satisfy_is_said_not_guessed() -> None:
    doc = {**DOCUMENT, "components": {"schemas": {**DOCUMENT["components"]["schemas"], "InvoiceRequest": {
        "type": "object", "properties": {"secret": {"type": "string", "pattern": r"^(?=.*[A-Z])(?=.*\d).{8,}$"}}}}}}
    with pytest.raises(Unbuildable, match="pattern"):
        payload(from_document(doc)[0], "create", "t1")


def test_invalid_cases_leave_out_a_required_field_and_mistype_another() -> None:
    cases = dict(invalid_cases(from_document(DOCUMENT)[0]))
    assert set(cases) == {"number", "total"}
    assert "number" not in cases["number"] and cases["total"]["total"] == "not-a-number"


def test_states_are_compared_without_what_moves_with_every_write() -> None:
    assert stable({"a": 1, "updated_at": "x", "nested": {"modified": 2, "b": [1]}, "etag": "e"}) == {
        "a": 1, "nested": {"b": [1]}}


def test_a_leak_is_told_by_id_whatever_a_per_viewer_field_says() -> None:
    a = [{"id": "6f1c0c1e-1111-4f6e-9a77-2b2d1d7e0a01", "name": "q4", "unread": False}]
    b = [{"id": "6f1c0c1e-1111-4f6e-9a77-2b2d1d7e0a01", "name": "q4", "unread": True}]
    assert leaked(a, b) == [a[0]["id"]]
    # Global integer ids (Django's): the same row shown to B with one per-viewer field differing.
    assert leaked([{"id": 17, "name": "Apollo", "status": "active", "unread": False}],
                  [{"id": 17, "name": "Apollo", "status": "active", "unread": True}]) == ["17"]


def test_per_tenant_counters_are_no_leak() -> None:
    # Message 1 of each tenant's chat: the same small id, nothing else alike.
    mine = [{"id": 1, "text": "hello (A1)", "created_at": "2026-02-03T09:37:00Z", "status": "read"}]
    theirs = [{"id": 1, "text": "hello (B1)", "created_at": "2026-02-04T00:37:00Z", "status": "read"}]
    assert leaked(mine, theirs) == []
