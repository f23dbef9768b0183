"""plain_schema.plainly_valid: a shortcut that may say "cannot tell", never a wrong "valid".

The Boomerang checks skip jsonschema for a body `plainly_valid` confirms. That is only sound if
True there always means valid for jsonschema, whatever the instance and whichever schema; these
tests hold it to that, over generated JSON values and schemas, and check that the shortcut does
what it is for: the conformant mock's bodies take it (tests/test_lean_start.py: a run against
the mock never imports jsonschema), and a body that breaks a schema still gets jsonschema's
verdict and messages.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from apiconform.checks.plain_schema import plainly_valid
from apiconform.locations import fixtures_dir
from apiconform.profiles.boomerang.checks import schema, schema_violations

FIXTURE_SCHEMAS = sorted(p.name for p in (fixtures_dir("boomerang") / "schemas").glob("*.json"))
NAMES = st.sampled_from(["data", "items", "pagination", "status", "code", "http_status", "timestamp", "trace_id",
                         "details", "x"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 600) | st.floats(allow_nan=False) | st.sampled_from([1.0, 0.0, 400.0])
    | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=6),
    max_leaves=12,
)
TYPES = st.sampled_from(["object", "array", "string", "integer", "number", "boolean", "null", ["string", "null"]])
SCHEMAS = st.recursive(
    st.fixed_dictionaries({}, optional={"type": TYPES, "minLength": st.integers(0, 3) | st.just(1.0),
                                        "title": st.just("t"), "maxLength": st.integers(0, 3)}),
    lambda inner: st.fixed_dictionaries({}, optional={
        "type": TYPES, "required": st.lists(NAMES, max_size=3, unique=True),
        "properties": st.dictionaries(NAMES, inner, max_size=4), "additionalProperties": st.booleans(),
        "description": st.just("d")}),
    max_leaves=6,
)


def valid(instance: Any, schema_: dict[str, Any]) -> bool:
    return Draft202012Validator(schema_).is_valid(instance)


@settings(max_examples=400, deadline=None, database=None, derandomize=True)
@given(instance=JSON, schema_=SCHEMAS)
@example(instance=True, schema_={"type": "integer"})
@example(instance=400.0, schema_={"type": "integer"})
@example(instance={"data": []}, schema_={"type": "object", "properties": {"data": {"type": "object"}}})
@example(instance=7, schema_={"required": ["data"]})  # `required` does not apply to a non-object
def test_true_always_means_valid_for_jsonschema(instance: Any, schema_: dict[str, Any]) -> None:
    if plainly_valid(instance, schema_):
        assert valid(instance, schema_), f"plainly_valid said yes, jsonschema says no: {instance!r} {schema_!r}"


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(name=st.sampled_from(FIXTURE_SCHEMAS), body=st.dictionaries(NAMES, JSON, max_size=8))
def test_true_always_means_valid_for_the_fixture_schemas(name: str, body: dict[str, Any]) -> None:
    if plainly_valid(body, schema(name)):
        assert valid(body, schema(name)), f"{name}: {body!r}"
        assert schema_violations(body, name, "body") == []


def test_every_fixture_schema_is_one_the_shortcut_reads() -> None:
    # A keyword added to a fixture schema that plain_schema does not read would send every
    # body to jsonschema: correct, but the shortcut would be dead. Say so here instead.
    from apiconform.checks.plain_schema import UNDERSTOOD

    def keywords(node: Any) -> set[str]:
        if not isinstance(node, dict):
            return set()
        found = set(node)
        for sub in node.get("properties", {}).values():
            found |= keywords(sub)
        return found

    for name in FIXTURE_SCHEMAS:
        assert keywords(schema(name)) <= UNDERSTOOD, name


CONFORMANT = {
    "data-envelope.json": {"data": {"id": "example-1", "created_at": 1700000000000}},
    "paginated-envelope.json": {"items": [{"id": "a"}], "pagination": {"page": 1, "limit": 25, "total": 1,
                                                                       "has_more": False}},
    "error.json": {"status": "error", "code": "NOT_FOUND", "http_status": 404, "timestamp": 1700000000000,
                   "trace_id": "t-1", "details": {}},
}


@pytest.mark.parametrize("name", FIXTURE_SCHEMAS)
def test_a_conformant_body_takes_the_shortcut(name: str) -> None:
    assert plainly_valid(CONFORMANT[name], schema(name))


@pytest.mark.parametrize(("name", "body", "message"), [
    ("data-envelope.json", {"data": []}, "at data: [] is not of type 'object'"),
    ("paginated-envelope.json", {"items": {}, "pagination": {}}, "at items: {} is not of type 'array'"),
    ("error.json", {**CONFORMANT["error.json"], "http_status": 404.5}, "at http_status: 404.5 is not of type"),
    ("error.json", {**CONFORMANT["error.json"], "code": ""}, "at code: '' should be non-empty"),
])
def test_a_breaking_body_gets_jsonschemas_verdict(name: str, body: dict[str, Any], message: str) -> None:
    assert not plainly_valid(body, schema(name))
    found = schema_violations(body, name, "body")
    assert any(message in line for line in found), found


def test_an_integer_valued_float_is_left_to_jsonschema_which_accepts_it() -> None:
    body = {**CONFORMANT["error.json"], "http_status": 404.0}
    assert not plainly_valid(body, schema("error.json"))
    assert schema_violations(body, "error.json", "body") == []
