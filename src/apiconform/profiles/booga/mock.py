"""The Booga reference mock: follows every rule of booga-using-the-api.txt.

`create_app(mutant)` returns the conformant app, or one that breaks exactly one rule (see
MUTANTS). Layout is DESIGN.md's assumption:
- GET/POST /api/files/ (limit/offset pagination, ordering, search, created_after)
- GET/PUT/PATCH/DELETE /api/files/{id}/
- GET /api/chat/messages/ (a second plugin, so the schema endpoint's filter is observable)
- GET /api/api-management/openapi-schema/ (fixtures/booga/openapi.yaml as JSON, `plugin=`,
  `include_plugins=`)

Where the document leaves a choice the mock takes the Django REST framework one: 400 with
field errors for a bad limit/offset/created_after, unknown ordering fields ignored, newest
first by default. Rate limits use fixed windows on an injectable clock, so a test can run
the whole suite against a 60/minute key in virtual time.
"""

from __future__ import annotations

import copy
import math
import random
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlencode

from apiconform import yamlfile
from apiconform.locations import fixtures_dir
from apiconform.mocks import Mutant
from apiconform.mocks.asgi import (
    Receive,
    Request,
    Response,
    Scope,
    Send,
    json_response,
    read_request,
    send_response,
)

CREDENTIALS = {
    "primary": "bga_live_7c1e9a4f2b8d6e3a5c0f1b2d",  # tenant A
    "b": "bga_live_2f8b6d1c9e4a7f3b0d5e8c1a",  # tenant B
    "scoped": "bga_live_5a3d8f0b6c2e9a1d7f4b8e3c",  # tenant A, lacks the files scope
    "exhaust": "bga_live_9e6c3a0f8d5b2e7c1a4f9d6b",  # tenant A, a small per-minute limit
}
# (per minute, per hour). High for the keys the suite uses so an embedded run never paces.
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "primary": (10_000, 100_000),
    "b": (10_000, 100_000),
    "scoped": (10_000, 100_000),
    "exhaust": (5, 100),
    "anonymous": (10_000, 100_000),  # requests without a key, and keys that are not issued
}
_KEYS = {
    CREDENTIALS["primary"]: ("primary", "A", True),
    CREDENTIALS["b"]: ("b", "B", True),
    CREDENTIALS["scoped"]: ("scoped", "A", False),
    CREDENTIALS["exhaust"]: ("exhaust", "A", True),
}


def _key_format(key: str) -> str:
    """What a format check sees of a key: a letter, a digit, or the character itself, per position."""
    return "".join("a" if c.isalpha() else "9" if c.isdigit() else c for c in key)


_MUTANTS = [
    ("BGA-AUTH-BEARER", "accepts the key only in X-API-Key; Authorization: Bearer is 401"),
    ("BGA-AUTH-API-KEY", "ignores X-API-Key; only Authorization: Bearer authenticates"),
    ("BGA-AUTH-MISSING", "answers a request without credentials with 403 instead of 401"),
    ("BGA-AUTH-INVALID", "checks a key's format, not that it was issued: a key shaped like an issued one "
                         "(its length, letters and digits in the same places) authenticates as it"),
    ("BGA-AUTH-SCOPE", "does not check scopes: a key lacking the files scope lists files"),
    ("BGA-AUTH-WRITE", "accepts a POST without credentials (an intake route left open; the file goes to tenant A)"),
    ("BGA-RESOURCE-FIELDS", "serialises size as a string (\"1048576\")"),
    ("BGA-RESPONSE-JSON", "serves a single file with Content-Type text/html"),
    ("BGA-LIST-ENVELOPE", "serialises count as a string"),
    ("BGA-LIST-DEFAULT-LIMIT", "uses 25 as the default page size"),
    ("BGA-LIST-LIMIT", "ignores limit (always the default page of 20)"),
    ("BGA-LIST-LIMIT-INVALID", "honours limits above 100 (up to 1000)"),
    ("BGA-LIST-OFFSET", "ignores offset (every page starts at the first item)"),
    ("BGA-LIST-LINKS", "links previous on the first page to itself"),
    ("BGA-LIST-TRAVERSAL", "next skips one item (offset + limit + 1)"),
    ("BGA-LIST-LINKS-KEEP-FILTERS", "next/previous drop ordering, search and created_after"),
    ("BGA-FILTER-ORDERING", "ignores the - prefix (descending sorts ascending)"),
    ("BGA-FILTER-CREATED-AFTER", "ignores created_after"),
    ("BGA-FILTER-SEARCH", "ignores search"),
    ("BGA-ERROR-FORMAT", "401 bodies are {\"error\": ...} without detail and code"),
    ("BGA-ERROR-VALIDATION", "query-parameter 400s are {detail, code} without the field name"),
    ("BGA-NOT-FOUND", "an unknown id is a 400 validation error instead of 404"),
    ("BGA-NO-5XX", "an unknown ordering field raises a 500"),
    ("BGA-RATE-HEADERS", "error responses carry no rate-limit headers"),
    ("BGA-RATE-HEADER-VALUES", "X-RateLimit-Remaining-Minute exceeds X-RateLimit-Limit-Minute"),
    ("BGA-RATE-REMAINING-DECREASES", "X-RateLimit-Remaining-* never changes"),
    ("BGA-RATE-PER-KEY", "counts requests per client IP address, not per key"),
    ("BGA-RATE-EXCEEDED", "never enforces the limit (no 429)"),
    ("BGA-TENANCY-ITEM", "serves any tenant's file by id"),
    ("BGA-TENANCY-LIST", "tenant B's listing also shows tenant A's files"),
    ("BGA-TENANCY-WRITE", "PUT, PATCH and DELETE find a file by id in any tenant (GET stays scoped)"),
    ("BGA-TENANCY-CREATE", "files created through the API belong to no tenant: every tenant lists and reads them"),
    ("BGA-WRITE-CREATE", "POST answers 200 instead of 201"),
    ("BGA-WRITE-PUT-IDEMPOTENT", "PUT appends the new name to the old one"),
    ("BGA-WRITE-PATCH-IDEMPOTENT", "PATCH appends the given tags to the stored ones"),
    ("BGA-WRITE-DELETE", "DELETE answers 200 with a body"),
    ("BGA-WRITE-INVALID", "POST does not validate its payload (201 for anything)"),
    ("BGA-OPENAPI-SCHEMA", "the schema says openapi 3.1.0"),
    ("BGA-FILTER-STATUS", "the chat list ignores status= (still declared in its OpenAPI operation)"),
    ("BGA-OPENAPI-PLUGIN", "ignores the plugin= filter (always the full schema)"),
]
MUTANTS: dict[str, Mutant] = {rule: Mutant(rule, rule, text) for rule, text in _MUTANTS}

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
LIST_PATH = "/api/files/"
CHAT_PATH = "/api/chat/messages/"
SCHEMA_PATH = "/api/api-management/openapi-schema/"
_ITEM = re.compile(r"^/api/files/([^/]+)/$")
ORDERING_FIELDS = ("created_at", "name", "size")

_WORDS = ["Quarterly-Report", "quarterly_budget", "Invoice", "meeting notes", "Roadmap", "design-spec",
          "Contract", "photo", "backup", "Onboarding", "sales deck", "QUARTERLY review", "minutes",
          "Architecture", "release-notes", "payroll", "Forecast", "audit log"]
_EXTS = [("pdf", "application/pdf"), ("txt", "text/plain"), ("png", "image/png"),
         ("csv", "text/csv"), ("json", "application/json"), ("docx",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seed_files(rng: random.Random, tenant: str, count: int, start: datetime) -> list[dict[str, Any]]:
    files = []
    moment = start
    for n in range(count):
        moment += timedelta(hours=rng.randint(8, 30), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
        ext, ctype = rng.choice(_EXTS)
        word = rng.choice(_WORDS)
        name = f"{word} {n:03d}.{ext}" if n % 3 else f"{word}-{tenant.lower()}{n}.{ext}"
        files.append({
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "name": name,
            "size": rng.choice([0, 12, 512, 4096, 65536, 1048576]) + rng.randint(0, 999),
            "content_type": ctype,
            "tags": [tenant.lower() + "-" + ext] if n % 2 else [],
            "created_at": iso(moment),
            "updated_at": iso(moment + timedelta(hours=rng.randint(0, 48))),
            "tenant": tenant,
        })
    return files


def seed_data() -> list[dict[str, Any]]:
    rng = random.Random(20260101)
    return (_seed_files(rng, "A", 237, datetime(2026, 1, 5, 8, tzinfo=UTC))
            + _seed_files(rng, "B", 4, datetime(2026, 2, 1, 9, tzinfo=UTC)))


_CHAT_TEXTS = ["hello", "quarterly numbers are in", "thanks", "see the roadmap", "meeting at ten", "done"]
_CHAT_STATUSES = ("sent", "read", "read", "archived")


def _chat(tenant: str, count: int, start: datetime) -> list[dict[str, Any]]:
    # Ids are counted per tenant (message 1 of each), as many chat stores do: no leak by itself.
    return [{"id": n, "text": f"{_CHAT_TEXTS[n % len(_CHAT_TEXTS)]} ({tenant}{n})",
             "status": _CHAT_STATUSES[n % len(_CHAT_STATUSES)],
             "created_at": iso(start + timedelta(minutes=37 * n))} for n in range(1, count + 1)]


# The chat plugin: a second list, with its own filter (status), so that the rules are seen to
# hold on every list of the deployment, not only on files.
CHAT = {"A": _chat("A", 26, datetime(2026, 2, 3, 9, tzinfo=UTC)), "B": _chat("B", 2, datetime(2026, 2, 4, tzinfo=UTC))}


@cache
def openapi_document() -> dict[str, Any]:
    loaded: dict[str, Any] = yamlfile.safe_load((fixtures_dir("booga") / "openapi.yaml").read_text("utf-8"))
    return loaded


def _path_plugin(item: dict[str, Any]) -> str | None:
    for op in item.values():
        if isinstance(op, dict) and "x-plugin" in op:
            return str(op["x-plugin"])
    return None


def _parse_when(raw: str) -> datetime | None:
    """created_after: a date (midnight UTC) or a full ISO 8601 date-time."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            return datetime.fromisoformat(raw).replace(tzinfo=UTC)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class _Counter:
    window: dict[str, tuple[int, int]] = field(default_factory=dict)  # span -> (window index, used)


class BoogaMock:
    def __init__(self, mutant: str | None = None, limits: dict[str, tuple[int, int]] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.mutant = mutant
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.clock = clock
        self.files = seed_data()  # per instance: writes of one run never leak into another
        self.counters: dict[str, _Counter] = {}

    def broken(self, rule: str) -> bool:
        return self.mutant == rule

    # -- responses ---------------------------------------------------------------------
    def error(self, status: int, detail: str, code: str) -> Response:
        if status == 401 and self.broken("BGA-ERROR-FORMAT"):
            return json_response(status, {"error": detail})
        return json_response(status, {"detail": detail, "code": code})

    def field_error(self, name: str, message: str) -> Response:
        if self.broken("BGA-ERROR-VALIDATION") and name in ("limit", "offset", "created_after"):
            return json_response(400, {"detail": "Invalid input.", "code": "invalid"})
        return json_response(400, {name: [message]})

    def ok(self, payload: Any, status: int = 200) -> Response:
        return json_response(status, payload, "application/json")

    def render(self, item: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in item.items() if k != "tenant" and not k.startswith("_")}
        if self.broken("BGA-RESOURCE-FIELDS"):
            out["size"] = str(out["size"])
        return out

    # -- authentication and rate limits ----------------------------------------------------
    def identify(self, req: Request) -> tuple[str | None, str]:
        """(presented key or None, which header) — Bearer first, then X-API-Key."""
        auth = req.headers.get("authorization")
        if auth is not None and not self.broken("BGA-AUTH-BEARER"):
            scheme, _, token = auth.strip().partition(" ")
            return (token.strip() if scheme.lower() == "bearer" else auth), "authorization"
        if "x-api-key" in req.headers and not self.broken("BGA-AUTH-API-KEY"):
            return req.headers["x-api-key"].strip(), "x-api-key"
        if auth is not None:
            return auth, "authorization"
        return None, ""

    def lookup(self, key: str) -> tuple[str, str, bool] | None:
        if key in _KEYS:
            return _KEYS[key]
        if self.broken("BGA-AUTH-INVALID"):
            for issued, who in _KEYS.items():
                if _key_format(issued) == _key_format(key):
                    return who
        return None

    def count(self, bucket: str, label: str) -> tuple[dict[str, int], bool]:
        """Count one request; (header values, allowed)."""
        per_minute, per_hour = self.limits.get(label, self.limits["anonymous"])
        counter = self.counters.setdefault(bucket, _Counter())
        now = self.clock()
        values: dict[str, int] = {}
        allowed = True
        states = {}
        for span, seconds, limit in (("Minute", 60, per_minute), ("Hour", 3600, per_hour)):
            index = math.floor(now / seconds)
            start, used = counter.window.get(span, (index, 0))
            if start != index:
                used = 0
            states[span] = (index, used, limit)
            if used >= limit and not self.broken("BGA-RATE-EXCEEDED"):
                allowed = False
        for span, (index, used, limit) in states.items():
            if allowed:
                used += 1
                counter.window[span] = (index, used)
            remaining = max(0, limit - used)
            if self.broken("BGA-RATE-REMAINING-DECREASES"):
                remaining = limit
            if self.broken("BGA-RATE-HEADER-VALUES") and span == "Minute":
                remaining += 6  # still falls with each request, but starts above the limit
            values[f"X-RateLimit-Limit-{span}"] = limit
            values[f"X-RateLimit-Remaining-{span}"] = remaining
        if not allowed:
            values["Retry-After"] = max(1, math.ceil(60 - now % 60))
        return values, allowed

    # -- request handling --------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        key, _ = self.identify(req)
        who = self.lookup(key) if key else None
        if self.broken("BGA-RATE-PER-KEY"):
            bucket = "ip:" + req.headers.get("x-forwarded-for", "client")  # the bug: one counter per IP
        else:
            bucket = f"key:{who[0]}" if who else (f"unknown:{key}" if key else "anonymous")
        headers, allowed = self.count(bucket, who[0] if who else "anonymous")
        resp = self.route(req, who, key) if allowed else \
            self.error(429, "Request was throttled. Expected available in 60 seconds.", "throttled")
        if not (self.broken("BGA-RATE-HEADERS") and resp.status >= 400):
            for name, value in headers.items():
                if name != "Retry-After" or resp.status == 429:
                    resp.set_header(name, str(value))
        return resp

    def route(self, req: Request, who: tuple[str, str, bool] | None, key: str | None) -> Response:
        if who is None and key is None and self.broken("BGA-AUTH-WRITE") and req.method == "POST" \
                and req.path == LIST_PATH:
            who = _KEYS[CREDENTIALS["primary"]]  # the bug: an intake route that needs no key
        if who is None:
            if key is None:
                if self.broken("BGA-AUTH-MISSING"):
                    return self.error(403, "You do not have permission to perform this action.",
                                      "permission_denied")
                return self.error(401, "Authentication credentials were not provided.", "not_authenticated")
            return self.error(401, "Invalid API key.", "authentication_failed")
        _, tenant, files_scope = who
        method = "GET" if req.method == "HEAD" else req.method
        if req.path == SCHEMA_PATH:
            return self.allow(method, ("GET",)) or self.schema(req)
        if req.path == CHAT_PATH:
            return self.allow(method, ("GET",)) or self.chat(req, tenant)
        item = _ITEM.match(req.path)
        if req.path != LIST_PATH and item is None:
            return self.error(404, "Not found.", "not_found")
        if not files_scope and not self.broken("BGA-AUTH-SCOPE"):
            return self.error(403, "Your API key lacks the files scope.", "permission_denied")
        if item is None:
            return self.allow(method, ("GET", "POST")) or (
                self.listing(req, tenant) if method == "GET" else self.create(req, tenant))
        return self.allow(method, ("GET", "PUT", "PATCH", "DELETE")) or self.item(req, tenant, item.group(1))

    def allow(self, method: str, allowed: tuple[str, ...]) -> Response | None:
        if method in allowed:
            return None
        resp = self.error(405, f'Method "{method}" not allowed.', "method_not_allowed")
        resp.set_header("Allow", ", ".join((*allowed, "HEAD") if "GET" in allowed else allowed))
        return resp

    # -- lists -----------------------------------------------------------------------------
    def _int_arg(self, req: Request, name: str, default: int, low: int, high: int | None) -> int | Response:
        raw = req.arg(name)
        if raw is None or (raw == "" and name == "offset"):
            return default
        if not re.fullmatch(r"[0-9]{1,9}", raw.strip()):
            return self.field_error(name, "A valid integer is required.")
        value = int(raw.strip())
        if value < low:
            return self.field_error(name, f"Ensure this value is greater than or equal to {low}.")
        if high is not None and value > high:
            return self.field_error(name, f"Ensure this value is less than or equal to {high}.")
        return value

    def page(self, req: Request, items: list[dict[str, Any]], default_limit: int = DEFAULT_LIMIT) -> Response:
        if self.broken("BGA-LIST-LIMIT-INVALID"):
            limit = self._int_arg(req, "limit", default_limit, 1, 1000)
        else:
            limit = self._int_arg(req, "limit", default_limit, 1, MAX_LIMIT)
        if isinstance(limit, Response):
            return limit
        if self.broken("BGA-LIST-LIMIT"):
            limit = DEFAULT_LIMIT
        offset = self._int_arg(req, "offset", 0, 0, None)
        if isinstance(offset, Response):
            return offset
        start = 0 if self.broken("BGA-LIST-OFFSET") else offset
        count = len(items)
        results = [self.render(i) if "tenant" in i else i for i in items[start:start + limit]]
        step = limit + 1 if self.broken("BGA-LIST-TRAVERSAL") else limit
        nxt = self.link(req, limit, offset + step) if offset + limit < count else None
        if offset <= 0:
            prev = self.link(req, limit, 0) if self.broken("BGA-LIST-LINKS") else None
        else:
            prev = self.link(req, limit, max(0, offset - limit))
        return self.ok({"count": str(count) if self.broken("BGA-LIST-ENVELOPE") else count,
                        "next": nxt, "previous": prev, "results": results})

    def link(self, req: Request, limit: int, offset: int) -> str:
        """An absolute URL on the request's own host, every other query parameter kept."""
        dropped = {"limit", "offset"}
        if self.broken("BGA-LIST-LINKS-KEEP-FILTERS"):
            dropped |= {"ordering", "search", "created_after"}
        query = [(k, v) for k, v in req.query if k not in dropped]
        query.append(("limit", str(limit)))
        if offset > 0:
            query.append(("offset", str(offset)))  # the first page carries no offset (as DRF does)
        host = req.host or "localhost"
        return f"{req.scheme}://{host}{req.path}?{urlencode(query)}"

    def listing(self, req: Request, tenant: str) -> Response:
        if tenant == "B" and self.broken("BGA-TENANCY-LIST"):
            items = list(self.files)
        else:
            items = [f for f in self.files if f["tenant"] == tenant or f.get("_shared")]
        search = req.arg("search")
        if search and not self.broken("BGA-FILTER-SEARCH"):
            items = [f for f in items if search.casefold() in f["name"].casefold()]
        after = req.arg("created_after")
        if after:
            moment = _parse_when(after)
            if moment is None:
                return self.field_error("created_after", "Enter a valid date.")
            if not self.broken("BGA-FILTER-CREATED-AFTER"):
                items = [f for f in items if _parse_when(f["created_at"]) >= moment]  # type: ignore[operator]
        ordering = (req.arg("ordering") or "-created_at").strip()
        name = ordering.lstrip("-")
        if name in ORDERING_FIELDS:
            descending = ordering.startswith("-") and not self.broken("BGA-FILTER-ORDERING")
            if ordering == "-created_at":  # the default ordering is not the rule under test
                descending = True
            items = sorted(items, key=lambda f: f[name], reverse=descending)
        elif self.broken("BGA-NO-5XX"):
            return json_response(500, {"detail": "A server error occurred.", "code": "server_error"})
        else:
            # Unknown ordering fields are ignored (as DRF's OrderingFilter does): newest first.
            items = sorted(items, key=lambda f: f["created_at"], reverse=True)
        default_limit = 25 if self.broken("BGA-LIST-DEFAULT-LIMIT") else DEFAULT_LIMIT
        return self.page(req, items, default_limit)

    def chat(self, req: Request, tenant: str) -> Response:
        messages = CHAT[tenant]
        status = req.arg("status")
        if status is not None and not self.broken("BGA-FILTER-STATUS"):
            if status not in _CHAT_STATUSES:
                return self.field_error("status", f"Select a valid choice. {status} is not one of the available "
                                                  "choices.")
            messages = [m for m in messages if m["status"] == status]
        return self.page(req, messages)

    def schema(self, req: Request) -> Response:
        doc = copy.deepcopy(openapi_document())
        doc["openapi"] = "3.1.0" if self.broken("BGA-OPENAPI-SCHEMA") else "3.0.3"
        wanted: set[str] | None = None
        plugin = req.arg("plugin")
        include = req.arg("include_plugins")
        if plugin and not self.broken("BGA-OPENAPI-PLUGIN"):
            wanted = {plugin.strip()}
        if include:
            names = {p.strip() for p in include.split(",") if p.strip()}
            wanted = names if wanted is None else wanted & names
        if wanted is not None:
            doc["paths"] = {p: item for p, item in doc["paths"].items() if _path_plugin(item) in wanted}
        return self.ok(doc)

    # -- items and writes -----------------------------------------------------------------
    def find(self, ident: str, tenant: str, method: str = "GET") -> dict[str, Any] | None:
        any_tenant = self.broken("BGA-TENANCY-ITEM" if method == "GET" else "BGA-TENANCY-WRITE")
        for f in self.files:
            if f["id"] == ident and (f["tenant"] == tenant or any_tenant or (method == "GET" and f.get("_shared"))):
                return f
        return None

    def item(self, req: Request, tenant: str, ident: str) -> Response:
        found = self.find(ident, tenant, "GET" if req.method == "HEAD" else req.method)
        if found is None:
            exists = any(f["id"] == ident for f in self.files)
            if self.broken("BGA-NOT-FOUND") and not exists:
                return json_response(400, {"id": ["Not a valid file."]})
            return self.error(404, "Not found.", "not_found")
        method = "GET" if req.method == "HEAD" else req.method
        if method == "GET":
            resp = self.ok(self.render(found))
            if self.broken("BGA-RESPONSE-JSON"):
                resp.set_header("Content-Type", "text/html; charset=utf-8")
            return resp
        if method == "DELETE":
            self.files.remove(found)
            if self.broken("BGA-WRITE-DELETE"):
                return self.ok({"detail": "Deleted."})
            return Response(204, b"", [])
        payload = self.payload(req)
        if isinstance(payload, Response):
            return payload
        partial = method == "PATCH"
        problems = self.validate(payload, partial=partial)
        if problems:
            return json_response(400, problems)
        now = iso(datetime.now(UTC))
        if partial:
            for k in ("name", "size", "content_type", "tags"):
                if k in payload:
                    found[k] = list(payload[k]) if k == "tags" else payload[k]
            if "tags" in payload and self.broken("BGA-WRITE-PATCH-IDEMPOTENT"):
                found["tags"] = found.get("_tags", []) + list(payload["tags"])
            found["_tags"] = list(found.get("tags", []))
        else:
            name = payload["name"]
            if self.broken("BGA-WRITE-PUT-IDEMPOTENT"):
                name = found["name"] + name
            found.update(name=name, size=payload.get("size", 0),
                         content_type=payload.get("content_type", "application/octet-stream"),
                         tags=list(payload.get("tags", [])))
            found["_tags"] = list(found["tags"])
        found["updated_at"] = now
        return self.ok(self.strip(found))

    def strip(self, item: dict[str, Any]) -> dict[str, Any]:
        return self.render({k: v for k, v in item.items() if not k.startswith("_")})

    def payload(self, req: Request) -> dict[str, Any] | Response:
        try:
            data = req.json()
        except ValueError:
            return self.error(400, "JSON parse error.", "parse_error")
        if not isinstance(data, dict):
            return json_response(400, {"non_field_errors": [
                f"Invalid data. Expected a dictionary, but got {type(data).__name__}."]})
        return data

    def validate(self, data: dict[str, Any], *, partial: bool) -> dict[str, list[str]]:
        problems: dict[str, list[str]] = {}
        if "name" not in data:
            if not partial:
                problems["name"] = ["This field is required."]
        elif not isinstance(data["name"], str):
            problems["name"] = ["Not a valid string."]
        elif not data["name"].strip():
            problems["name"] = ["This field may not be blank."]
        if "size" in data and (isinstance(data["size"], bool) or not isinstance(data["size"], int)):
            problems["size"] = ["A valid integer is required."]
        elif "size" in data and data["size"] < 0:
            problems["size"] = ["Ensure this value is greater than or equal to 0."]
        if "content_type" in data and not isinstance(data["content_type"], str):
            problems["content_type"] = ["Not a valid string."]
        if "tags" in data and not (isinstance(data["tags"], list) and all(isinstance(t, str) for t in data["tags"])):
            problems["tags"] = ['Expected a list of items but got type "str".' if isinstance(data["tags"], str)
                                else "Each tag must be a string."]
        return problems

    def create(self, req: Request, tenant: str) -> Response:
        payload = self.payload(req)
        if isinstance(payload, Response):
            return payload
        if not self.broken("BGA-WRITE-INVALID"):
            problems = self.validate(payload, partial=False)
            if problems:
                return json_response(400, problems)
        now = iso(datetime.now(UTC))
        created = {
            "id": str(uuid.uuid4()),
            "name": payload.get("name", ""),
            "size": payload.get("size", 0),
            "content_type": payload.get("content_type", "application/octet-stream"),
            "tags": list(payload.get("tags", [])),
            "created_at": now,
            "updated_at": now,
            "tenant": tenant,
            "_shared": self.broken("BGA-TENANCY-CREATE"),  # the bug: every tenant lists and reads it
        }
        self.files.append(created)
        return self.ok(self.strip(created), 200 if self.broken("BGA-WRITE-CREATE") else 201)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        req = await read_request(scope, receive)
        if self.broken("BGA-RATE-PER-KEY") and scope.get("client"):
            req.headers.setdefault("x-forwarded-for", str(scope["client"][0]))
        resp = self.handle(req)
        resp.drop_header("Content-Length")  # recomputed by send_response
        await send_response(send, resp, head_only=req.method == "HEAD")


def create_app(mutant: str | None = None, *, enforce_https: bool = True,
               limits: dict[str, tuple[int, int]] | None = None,
               clock: Callable[[], float] = time.monotonic) -> BoogaMock:
    """The mock; `limits` overrides (per minute, per hour) per credential label, `clock` drives
    the rate-limit windows. `enforce_https` is accepted for the common mock signature: the Booga
    document has no plain-HTTP rule, so the mock serves both."""
    del enforce_https
    return BoogaMock(mutant, limits, clock)
