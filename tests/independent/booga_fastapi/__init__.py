"""An independently written Booga server on FastAPI, as a real deployment would be.

It shares no code with apiconform's reference mock nor with booga_drf: one APIRouter per
plugin, Pydantic models for every body, security dependencies (FastAPI's HTTPBearer and
APIKeyHeader) for `Authorization: Bearer` and `X-API-Key`, exception handlers that replace
FastAPI's defaults (422 validation errors, `{"detail": "Not Found"}`, plain-text 500s) with the
document's `{detail, code}` and field maps, a pure-ASGI middleware for per-key rate limits, an
in-memory sqlite database (the stdlib sqlite3 module), and FastAPI's generated OpenAPI document
brought down to 3.0.3.

No files plugin (DESIGN.md: a deployment without one is conformant). Three plugins, each a list
`/api/<plugin>/` and an item `/api/<plugin>/{id}/` with integer ids: tasks (status with an enum,
ordering with enumerated fields), contacts (search) and invoices (created_after). `--bare`
declares and implements none of the document's four filters anywhere ("Exact filtering
parameters vary by endpoint").

tasks and invoices are writable (WRITABLE): POST on the list (201, the created resource), PUT
(full replacement: every writable field), PATCH (any subset) and DELETE (204, no body) on the
item, each tenant-scoped (another tenant's id is a 404) and behind an issued key (401). A task
has arrays (labels, a checklist of {text, done}); an invoice an array of nested objects (lines),
a nested object (billing, with an address in it) and tags; a write replaces an array or object
whole, so the same PUT or PATCH twice leaves the same row. The request bodies are Pydantic
models (Create, Update, Patch: none has id, created_at or updated_at), so the OpenAPI document
declares them; an invalid one is a 400 field map, a nested field named by its dotted path
(`lines.0.quantity`). Ids come from one sequence per plugin for both tenants, never reused.
contacts stay read-only (405 for any other method).

Run it as `python -m tests.independent.booga_fastapi --port 0 [--bare] [--break NAME]
[--per-minute N]`. This module deliberately imports nothing from FastAPI, so the tests can read
the keys without importing the framework.
"""

from __future__ import annotations

MODULE = "tests.independent.booga_fastapi"

# Tenant A owns the seeded tasks, contacts and invoices; tenant B owns three of each. Both keys
# have one length (`bge_t<tenant>_` and 32 hex digits): BGA-AUTH-INVALID@invoices accepts any key
# of that length, which a forged copy of an issued key has.
KEY_A = "bge_ta_3f9c2e71a8d04b56c1e7f20a9d438b6e"
KEY_B = "bge_tb_8a1d5c3e9f7b20c4d6e8a0f1b3c5d7e9"

PLUGINS = ("tasks", "contacts", "invoices")
WRITABLE = ("tasks", "invoices")
SCHEMA_PATH = "/api/api-management/openapi-schema/"
# Every GET operation the deployment serves, as its OpenAPI document names them.
ENDPOINTS = (*(p for plugin in PLUGINS for p in (f"/api/{plugin}/", f"/api/{plugin}/{{id}}/")), SCHEMA_PATH)
# Tenant A's rows per plugin: contacts and invoices hold more than 100, so a limit cap shows.
SEEDED = {"tasks": 45, "contacts": 130, "invoices": 130}
# The filters of the default mode, per plugin (none with --bare).
FILTERS = {"tasks": ("status", "ordering"), "contacts": ("search",), "invoices": ("created_after",)}

# A valid POST (and PUT: every writable field is there) body per writable plugin.
PAYLOADS: dict[str, dict[str, object]] = {
    "tasks": {"title": "Write the release notes", "status": "open", "priority": 2, "due_date": "2026-04-01",
              "labels": ["docs", "release"],
              "checklist": [{"text": "Draft", "done": True}, {"text": "Review", "done": False}]},
    "invoices": {"number": "INV-API-0001", "customer_name": "Globex", "currency": "EUR", "status": "draft",
                 "paid_at": None, "lines": [{"description": "Consulting", "quantity": 3, "unit_price": 150.0},
                                            {"description": "Travel", "quantity": 1, "unit_price": 89.9}],
                 "billing": {"name": "Globex Accounts", "address": {"city": "Berlin", "country": "DE"}},
                 "tags": ["q2", "consulting"]},
}

# Each breaker breaks exactly one documented rule on one plugin's endpoints (or, for `@unrouted`,
# on the paths no route matches) and nothing else. The rule is `name.split("@")[0]`. The read
# breakers touch reads alone (BGA-AUTH-INVALID and BGA-TENANCY-ITEM on invoices leave its writes
# as they should be); the write breakers (WRITE_BREAKERS) show only to a client that writes.
BREAKERS: tuple[str, ...] = (
    # limit=0 (or below) read as "no limit": the whole list in one page (the invoices router forgot ge=1).
    "BGA-LIST-LIMIT-INVALID@invoices",
    # An offset past 2**63 reaches sqlite unbounded: OverflowError, answered 500 {detail, code}.
    "BGA-NO-5XX@contacts",
    # next/previous built on the tasks service's internal origin (same path and query).
    "BGA-LIST-LINKS@tasks",
    # Paths no route matches answer FastAPI's default 404 body {"detail": "Not Found"} (no code).
    "BGA-ERROR-FORMAT@unrouted",
    # An id that names no contact answers 200 {} (another tenant's contact is still 404).
    "BGA-NOT-FOUND@contacts",
    # On invoices a read's X-API-Key is checked by its length, not looked up; Bearer and writes stay correct.
    "BGA-AUTH-INVALID@invoices",
    # ordering=-field sorts ascending: the direction prefix is stripped and forgotten.
    "BGA-FILTER-ORDERING@tasks",
    # A default page of 50.
    "BGA-LIST-DEFAULT-LIMIT@invoices",
    # offset applied one too early (OFFSET offset - 1): every page after the first starts a row back.
    "BGA-LIST-OFFSET@contacts",
    # Tenant B reads tenant A's invoice by id.
    "BGA-TENANCY-ITEM@invoices",
    # status (still declared) is not applied.
    "BGA-FILTER-STATUS@tasks",
    # search (still declared) is not applied: a random term finds every contact.
    "BGA-FILTER-SEARCH@contacts",
    # created_after bounds updated_at instead of created_at: invoices created earlier, paid since, come back.
    "BGA-FILTER-CREATED-AFTER@invoices",
    # The contacts router's responses carry no X-RateLimit-* headers (still counted).
    "BGA-RATE-HEADERS@contacts",
    # Tenant B's contacts list shows tenant A's contacts too.
    "BGA-TENANCY-LIST@contacts",
    # -- writes --
    # Tenant B's key deletes tenant A's invoices (DELETE only: PUT, PATCH and GET stay scoped).
    "BGA-TENANCY-WRITE@invoices",
    # A task write (POST/PUT/PATCH/DELETE) with a Bearer key that is not issued runs as tenant A;
    # reads with it, writes with no credentials, and an unknown X-API-Key are still 401.
    "BGA-AUTH-WRITE@tasks",
    # A created invoice is filed under tenant B whatever the key: B lists and reads it (its creator,
    # remembered in created_by, still sees it too).
    "BGA-TENANCY-CREATE@invoices",
    # PUT appends the lines sent to the invoice's instead of replacing them (the rest is replaced).
    "BGA-WRITE-PUT-IDEMPOTENT@invoices",
    # PATCH adds the labels sent to the task's instead of replacing them.
    "BGA-WRITE-PATCH-IDEMPOTENT@tasks",
    # POST creates the task but answers 200, not 201.
    "BGA-WRITE-CREATE@tasks",
    # DELETE deletes the task but answers 200 with the deleted task as JSON, not 204 without a body.
    "BGA-WRITE-DELETE@tasks",
    # An invalid invoice payload gets FastAPI's status, 422, in the error format ({detail, code}), no field map.
    "BGA-WRITE-INVALID@invoices",
)
# The breakers whose misbehaviour only a write shows (a read-only run sees a conformant server).
WRITE_BREAKERS: tuple[str, ...] = BREAKERS[BREAKERS.index("BGA-TENANCY-WRITE@invoices"):]
