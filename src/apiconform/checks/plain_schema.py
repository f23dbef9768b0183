"""A sound shortcut past jsonschema: "this instance plainly matches", or "cannot tell".

The Boomerang envelope and error schemas (fixtures/boomerang/schemas) use a handful of
keywords. Every success body and every error body of a run is held to one of them, and on a
conformant target every one matches. Importing jsonschema to confirm that costs ~35 ms of a
run's start (attrs, referencing and the bundled metaschemas), so the checks first ask
`plainly_valid`. It answers True only when it can confirm the match with the keywords below,
read exactly as JSON Schema 2020-12 reads them; for any other keyword, or any doubt (a float
where an integer is expected, say), it answers False and the check asks jsonschema, which
stays the only judge of a body that may not match, and the author of every message.

tests/test_plain_schema.py holds it to that: over generated JSON values and schemas, True
here always means valid for jsonschema's Draft202012Validator.
"""

from __future__ import annotations

from typing import Any

# Keywords read here; a schema with any other is left to jsonschema.
UNDERSTOOD = frozenset({"title", "description", "$comment", "type", "required", "properties", "minLength"})
# JSON types whose Python form json.loads gives exactly (bool is not an integer to JSON Schema;
# an integer-valued float is, so a float is left to jsonschema).
_EXACT_TYPES: dict[str, type] = {"object": dict, "array": list, "string": str}


def plainly_valid(instance: Any, schema: Any) -> bool:
    """True: `instance` matches `schema` for certain. False: not known (ask jsonschema)."""
    if not isinstance(schema, dict) or not schema.keys() <= UNDERSTOOD:
        return False
    if "type" in schema and not _has_type(instance, schema["type"]):
        return False
    if isinstance(instance, dict):
        required = schema.get("required", [])
        if not isinstance(required, list) or any(not isinstance(name, str) or name not in instance
                                                 for name in required):
            return False
        properties = schema.get("properties", {})
        if not isinstance(properties, dict):
            return False
        if any(name in instance and not plainly_valid(instance[name], sub) for name, sub in properties.items()):
            return False
    if isinstance(instance, str) and "minLength" in schema:
        least = schema["minLength"]
        if type(least) is not int or len(instance) < least:
            return False
    return True


def _has_type(instance: Any, kind: Any) -> bool:
    if kind == "integer":
        return type(instance) is int
    python_type = _EXACT_TYPES.get(kind) if isinstance(kind, str) else None
    return python_type is not None and isinstance(instance, python_type)
