"""The writable resources a deployment declares, and valid payloads for them, from its OpenAPI.

A resource is writable when its list accepts POST with a JSON body and its item path (the list's
path and one identifier more: `/api/projects/{id}/`) declares PUT, PATCH or DELETE. The write
rules create, change and delete on every such resource, with payloads built from the request
schemas the document declares (every writable property: arrays and nested objects included), so
an update that extends a list field or merges a nested object is seen, not only a fixed
`{"size": 99}`.

Payloads are deterministic: variant 0 is what the kit creates, 1 a full replacement (PUT) and 2 a
partial update (PATCH), each with other values than the one before, so every write changes
something observable. A per-run tag keeps string values unique across runs (a unique name left
by an earlier run never makes a create fail).
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema

try:  # the standard library's own regular-expression parser (sre_parse before 3.11)
    from re import _parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse as _parser  # type: ignore[no-redef]

from apiconform.surface import Resolver

# Property names a server manages itself: never sent, and set aside when states are compared.
SERVER_MANAGED = re.compile(r"^(id|pk|uuid|tenant(_id)?|owner_id|created(_at|_on)?|updated(_at|_on)?|"
                            r"modified(_at|_on)?|last_modified|etag|version|revision|url|href|self)$", re.IGNORECASE)
# What may move with every write, idempotent or not: the time of the last write and its counters.
VOLATILE = re.compile(r"^(updated(_at|_on)?|modified(_at|_on)?|last_modified|etag|version|revision)$|"
                      r"(^|_)(updated|modified)(At|_at)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Writable:
    collection: str  # the list's template, relative to the base URL (POST goes there)
    item: str  # the item's template: PUT/PATCH/DELETE and GET by id
    id_param: str  # the item template's identifier placeholder
    create: Mapping[str, Any] | None = None  # POST body schema ($refs resolved lazily by payload())
    replace: Mapping[str, Any] | None = None  # PUT body schema
    patch: Mapping[str, Any] | None = None  # PATCH body schema
    methods: frozenset[str] = frozenset()  # of the item: PUT, PATCH, DELETE
    document: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)
    example: Mapping[str, Any] | None = None  # a fixed create payload (the target file's write_payload)

    def path(self, ident: str) -> str:
        return self.item.replace("{" + self.id_param + "}", ident)


def _body_schema(resolve: Resolver, op: Any) -> Mapping[str, Any] | None:
    op = resolve(op)
    body = resolve(op.get("requestBody")) if isinstance(op, Mapping) else None
    content = body.get("content") if isinstance(body, Mapping) else None
    if not isinstance(content, Mapping):
        return None
    for media, entry in content.items():
        if "json" in str(media) and isinstance(entry, Mapping) and isinstance(entry.get("schema"), Mapping):
            schema: Mapping[str, Any] = entry["schema"]
            return schema
    return None


def from_document(document: Mapping[str, Any], prefix: str = "") -> list[Writable]:
    """Every resource of `document` whose list takes a JSON POST and whose item path takes a
    write method; templates carry the servers path `prefix` as the surface's do."""
    resolve = Resolver(document)
    paths = document.get("paths")
    if not isinstance(paths, Mapping):
        return []
    found: list[Writable] = []
    for raw, entry in paths.items():
        item = resolve(entry)
        if not isinstance(raw, str) or not isinstance(item, Mapping) or "post" not in item:
            continue
        create = _body_schema(resolve, item["post"])
        if create is None:
            continue
        base = raw if raw.endswith("/") else raw + "/"
        for other, other_entry in paths.items():
            match = re.fullmatch(re.escape(base) + r"\{([^{}/]+)\}/?", str(other))
            other_item = resolve(other_entry)
            if match is None or not isinstance(other_item, Mapping):
                continue
            methods = frozenset(m.upper() for m in ("put", "patch", "delete") if m in other_item)
            if not methods:
                continue
            found.append(Writable(prefix + raw, prefix + str(other), match.group(1), create,
                                  _body_schema(resolve, other_item.get("put")),
                                  _body_schema(resolve, other_item.get("patch")), methods, document))
            break
    return found


# -- payloads ---------------------------------------------------------------------------------
class Unbuildable(ValueError):
    """No valid value could be made for a schema (a pattern the kit cannot satisfy, say)."""


def payload(writable: Writable, kind: str, tag: str) -> dict[str, Any]:
    """A valid body for `kind` ("create", "replace" or "patch"): every writable property."""
    schema = {"create": writable.create, "replace": writable.replace or writable.create,
              "patch": writable.patch or writable.replace or writable.create}[kind]
    variant = {"create": 0, "replace": 1, "patch": 2}[kind]
    if schema is None:
        if writable.example is None:
            raise Unbuildable("the deployment declares no request schema for it")
        return _vary(dict(writable.example), variant, tag)
    resolve = Resolver(writable.document)
    value = _Builder(resolve, tag).value(schema, variant, "")
    if not isinstance(value, dict):
        raise Unbuildable(f"its request schema is not an object ({schema!r:.80})")
    _validate(resolve, schema, value)
    return value


def _vary(example: dict[str, Any], variant: int, tag: str) -> dict[str, Any]:
    """The target file's fixed payload, its strings and integers changed per variant."""
    out: dict[str, Any] = {}
    for key, value in example.items():
        if isinstance(value, str) and variant:
            stem, dot, ext = value.rpartition(".")
            out[key] = f"{stem}-{variant}{dot}{ext}" if dot and key == "name" else value
        elif isinstance(value, int) and not isinstance(value, bool):
            out[key] = value + 11 * variant
        else:
            out[key] = value
    if isinstance(out.get("name"), str):
        stem, dot, ext = out["name"].rpartition(".")
        out["name"] = f"{stem}-{tag}{dot}{ext}" if dot else f"{out['name']}-{tag}"
    return out


def _validate(resolve: Resolver, schema: Mapping[str, Any], value: Any) -> None:
    inlined = _inline(resolve, schema, 0)
    try:
        jsonschema.Draft4Validator(inlined).validate(value)
    except jsonschema.ValidationError as exc:
        raise Unbuildable(f"the value built for it is not valid: {exc.message}") from exc
    except jsonschema.SchemaError:
        return  # a schema jsonschema cannot read is the document's business, not the payload's


def _inline(resolve: Resolver, node: Any, depth: int) -> Any:
    """The schema with local `$ref`s inlined and OpenAPI's `nullable` said in JSON Schema."""
    if depth > 12:
        return {}
    node = resolve(node)
    if isinstance(node, list):
        return [_inline(resolve, n, depth + 1) for n in node]
    if not isinstance(node, Mapping):
        return node
    out = {k: _inline(resolve, v, depth + 1) for k, v in node.items()
           if k not in ("nullable", "readOnly", "writeOnly", "example", "discriminator", "xml", "format")}
    if node.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


class _Builder:
    def __init__(self, resolve: Resolver, tag: str) -> None:
        self.resolve = resolve
        self.tag = tag

    def value(self, node: Any, variant: int, name: str, depth: int = 0) -> Any:
        if depth > 8:
            raise Unbuildable(f"{name or 'the body'} nests too deep")
        schema = self.resolve(node)
        if not isinstance(schema, Mapping):
            return f"apiconform-{variant}"
        if "enum" in schema and isinstance(schema["enum"], list) and schema["enum"]:
            choices = [c for c in schema["enum"] if c is not None] or schema["enum"]
            return copy.deepcopy(choices[variant % len(choices)])
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                options = [o for o in schema[key] if self.resolve(o) != {"type": "null"}] or schema[key]
                return self.value(options[0], variant, name, depth + 1)
        if isinstance(schema.get("allOf"), list):
            merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
            for part in schema["allOf"]:
                part = self.resolve(part)
                if isinstance(part, Mapping):
                    merged["properties"].update(self.resolve(part).get("properties") or {})
                    merged["required"] += list(part.get("required") or [])
                    merged.update({k: v for k, v in part.items() if k not in ("properties", "required", "type")})
            merged["properties"].update(schema.get("properties") or {})
            return self.value(merged, variant, name, depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
        return getattr(self, f"_{kind}", self._string)(schema, variant, name, depth)

    def _object(self, schema: Mapping[str, Any], variant: int, name: str, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        raw = schema.get("properties")
        props: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        required = set(schema.get("required") or [])
        for key, sub in props.items():
            sub_schema = self.resolve(sub)
            if isinstance(sub_schema, Mapping) and sub_schema.get("readOnly"):
                continue
            if key not in required and depth == 0 and SERVER_MANAGED.match(str(key)):
                continue  # e.g. an optional `id` in a request schema: the server's to set
            out[str(key)] = self.value(sub, variant, f"{name}.{key}" if name else str(key), depth + 1)
        return out

    def _array(self, schema: Mapping[str, Any], variant: int, name: str, depth: int) -> list[Any]:
        low, high = schema.get("minItems"), schema.get("maxItems")
        count = max(low if isinstance(low, int) else 0, 2)
        if isinstance(high, int):
            count = min(count, high)
        # Distinct elements (variants apart): a list field that is extended, not replaced, shows.
        return [self.value(schema.get("items", {}), variant * 3 + n, f"{name}[{n}]", depth + 1) for n in range(count)]

    def _string(self, schema: Mapping[str, Any], variant: int, name: str, depth: int) -> str:
        fmt = schema.get("format")
        if fmt == "date-time":
            return f"2026-0{1 + variant % 9}-1{variant % 10}T10:00:00Z"
        if fmt == "date":
            return f"2026-0{1 + variant % 9}-1{variant % 10}"
        if fmt == "uuid":
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"apiconform:{self.tag}:{name}:{variant}"))
        if fmt == "email":
            return f"apiconform-{self.tag}-{variant}@example.com"
        if fmt in ("uri", "url"):
            return f"https://example.com/apiconform/{self.tag}/{variant}"
        leaf = re.sub(r"[^A-Za-z0-9]+", "-", name.rsplit(".", 1)[-1]).strip("-") or "value"
        text = f"apiconform {leaf} {variant} {self.tag}"
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and not re.search(pattern, text):
            made = matching(pattern, variant)
            if made is None:
                raise Unbuildable(f"{name}: no value the kit makes matches the pattern {pattern!r}")
            return made
        high = schema.get("maxLength")
        if isinstance(high, int) and len(text) > high:
            text = (f"{variant}{self.tag}" if high >= len(self.tag) + 1 else text[-high:])[:high]
        low = schema.get("minLength")
        if isinstance(low, int) and len(text) < low:
            text = text + "x" * (low - len(text))
        return text

    def _integer(self, schema: Mapping[str, Any], variant: int, name: str, depth: int) -> int:
        low = schema.get("minimum")
        high = schema.get("maximum")
        value = (int(low) if isinstance(low, int | float) else 1) + 1 + variant
        if schema.get("exclusiveMinimum") is True or isinstance(schema.get("exclusiveMinimum"), int | float):
            value += 1
        if isinstance(high, int | float) and value > high:
            value = int(high) - (variant % 2 if isinstance(low, int | float) and high - 1 >= low else 0)
        return value

    def _number(self, schema: Mapping[str, Any], variant: int, name: str, depth: int) -> float:
        return float(self._integer(schema, variant, name, depth)) + 0.5 * (
            0 if isinstance(schema.get("maximum"), int | float) else 1)

    def _boolean(self, schema: Mapping[str, Any], variant: int, name: str, depth: int) -> bool:
        return variant % 2 == 1

    def _null(self, schema: Mapping[str, Any], variant: int, name: str, depth: int) -> None:
        return None


def matching(pattern: str, variant: int) -> str | None:
    """A string `pattern` matches, made from its own parse (literals, classes, repeats at their
    least, the first branch), the class members chosen by `variant`; None when that is not one."""
    try:
        parsed = _parser.parse(pattern)
    except (re.error, ValueError, TypeError):
        return None
    try:
        text = _emit(list(parsed), variant)
    except (ValueError, IndexError, TypeError):
        return None
    return text if re.search(pattern, text) else None


_CATEGORY = {"CATEGORY_DIGIT": "0123456789", "CATEGORY_WORD": "abcdefghij", "CATEGORY_SPACE": " ",
             "CATEGORY_NOT_DIGIT": "abcdefghij", "CATEGORY_NOT_WORD": "-", "CATEGORY_NOT_SPACE": "abcdefghij"}


def _emit(items: list[Any], variant: int) -> str:
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "ANY":
            out.append("abcdefghij"[variant % 10])
        elif name == "NOT_LITERAL":
            out.append("a" if chr(arg) != "a" else "b")
        elif name == "IN":
            out.append(_member(arg, variant))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            times = max(low, 1) if high != 0 else 0
            out.append("".join(_emit(list(sub), variant + n) for n in range(min(times, 64))))
        elif name == "SUBPATTERN":
            out.append(_emit(list(arg[-1]), variant))
        elif name == "BRANCH":
            out.append(_emit(list(arg[1][0]), variant))
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        else:
            raise ValueError(name)
    return "".join(out)


def _member(members: list[Any], variant: int) -> str:
    if members and str(members[0][0]) == "NEGATE":
        return "".join(c for c in "aA0-_" if c not in _emit_class(members[1:]))[:1] or "~"
    choices = _emit_class(members)
    return choices[variant % len(choices)]


def _emit_class(members: list[Any]) -> str:
    chars = ""
    for op, arg in members:
        name = str(op)
        if name == "LITERAL":
            chars += chr(arg)
        elif name == "RANGE":
            chars += "".join(chr(c) for c in range(arg[0], min(arg[1], arg[0] + 9) + 1))
        elif name == "CATEGORY":
            chars += _CATEGORY.get(str(arg), "a")
    if not chars:
        raise ValueError("empty class")
    return chars


def invalid_cases(writable: Writable) -> list[tuple[str, dict[str, Any]]]:
    """(field, body) pairs each making a create invalid in one field: a required field left out,
    and a field given a value of the wrong kind (an integer field a word, a list or object field a
    word, a string field an object), as any framework's validation refuses."""
    valid = payload(writable, "create", "invalid")
    resolve = Resolver(writable.document)
    schema = resolve(writable.create) if writable.create is not None else None
    props: dict[str, Any] = resolve.properties(schema) if schema is not None else {}
    required = [str(r) for r in (schema.get("required") or [])] if isinstance(schema, Mapping) else []
    if writable.create is None:  # the target file's payload: DESIGN.md's file fields
        props = {"name": {"type": "string"}, "size": {"type": "integer"}}
        required = ["name"]
    cases: list[tuple[str, dict[str, Any]]] = []
    missing = next((r for r in required if r in valid), None)
    if missing is not None:
        cases.append((missing, {k: v for k, v in valid.items() if k != missing}))
    wrong = {"integer": "not-a-number", "number": "not-a-number", "array": "not-a-list", "object": "not-an-object",
             "boolean": "not-a-boolean", "string": {"not": "a string"}}
    for kind in ("integer", "number", "array", "object", "boolean", "string"):
        name = next((k for k, s in props.items() if isinstance(s, Mapping) and s.get("type") == kind
                     and not s.get("readOnly") and (k in valid or writable.create is None)), None)
        if name is not None:
            cases.append((name, {**valid, name: wrong[kind]}))
            break
    return cases


def stable(body: Any) -> Any:
    """A resource's state with what moves on every write (updated_at, etag, version) set aside."""
    if isinstance(body, dict):
        return {k: stable(v) for k, v in body.items() if not VOLATILE.search(str(k))}
    if isinstance(body, list):
        return [stable(v) for v in body]
    return body
