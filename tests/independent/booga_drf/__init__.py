"""An independently written Booga server on Django REST framework, as a real deployment would be.

It shares no code with apiconform's reference mock: Django models in a sqlite file, DRF's own
LimitOffsetPagination, OrderingFilter and SearchFilter, drf-spectacular's OpenAPI, a DRF
authentication class for `Authorization: Bearer` and `X-API-Key`, an exception handler that adds
`code`, and a Django middleware for per-key rate limits.

Three plugins, each with its own list and item endpoints and its own filters: files (the
document's own, a full ModelViewSet: ordering, search, created_after), projects (a ModelViewSet
too: django-filter's status, search) and tickets (read-only: status, ordering, created_after).
Files carry `tags` (strings) and `attributes` ({owner, labels: [str], retention_days}); projects
`members` (strings), `settings` ({visibility, notify, channels: [str]}) and a per-key `unread`.
Every row shows its `tenant` (an autoincrement id, globally unique). Writes: POST 201 with the row,
PUT (every required field: files name and size, projects name) and PATCH replace what they send
(arrays and nested objects whole), DELETE 204 with no body; a validation error is DRF's
{field: [messages]}; another tenant's id is a 404 for writes as for reads.
`snapshot.snapshot(base_url, key)` reads a tenant's three lists whole (httpx only).

Run it as `python -m tests.independent.booga_drf --port 0 [--break RULE] [--prefix /PREFIX]
[--files N] [--projects N] [--tickets N] [--per-minute N]`. With --prefix the whole API lives under
/PREFIX/api/... (as behind a gateway), and the printed base URL ends with the prefix.
This module deliberately imports nothing from Django, so the tests can read the keys without
configuring Django in the test process.
"""

from __future__ import annotations

MODULE = "tests.independent.booga_drf"

# Tenant A owns the seeded files, projects and tickets; tenant B owns three of each (tenancy rules).
# The plugins whose resources take writes (POST on the list; PUT, PATCH, DELETE on the item).
WRITABLE = ("files", "projects")
KEY_A = "bge_indep_drf_tenant_a_5d1f0c7e9b2a4c68"
KEY_B = "bge_indep_drf_tenant_b_8e3a6f214d0b7c95"
# Tenant A keys for the rules a target file enables: one without the files scope (BGA-AUTH-SCOPE),
# one with a small per-minute limit of its own, to run into 429 (BGA-RATE-EXCEEDED).
KEY_SCOPED = "bge_indep_drf_projects_only_2c4e6a8b0d1f3a5c"
KEY_LIMITED = "bge_indep_drf_limited_7b9d1f3a5c7e9b1d"
LIMITED_PER_MINUTE = 30

# Each breaker breaks exactly one documented rule and nothing else. A bare rule id acts on files
# (or process-wide, where the rule is: auth scheme, error handler, rate counting, schema);
# `RULE-ID@plugin` acts on that plugin only, `RULE-ID@plugin:variant` in one particular way on that
# plugin. A breaker's rule is `name.split("@")[0]`.
BREAKERS: tuple[str, ...] = (
    "BGA-LIST-ENVELOPE",
    "BGA-LIST-DEFAULT-LIMIT",
    "BGA-LIST-LINKS",
    "BGA-ERROR-FORMAT",
    "BGA-RATE-HEADERS",
    "BGA-AUTH-BEARER",
    "BGA-RESPONSE-JSON",
    "BGA-TENANCY-LIST",
    "BGA-RATE-REMAINING-DECREASES",
    "BGA-OPENAPI-PLUGIN",
    "BGA-OPENAPI-SCHEMA",
    "BGA-NO-5XX",
    "BGA-LIST-ENVELOPE@tickets",
    "BGA-LIST-LIMIT-INVALID@projects",
    "BGA-LIST-DEFAULT-LIMIT@tickets",
    "BGA-LIST-OFFSET@projects",
    "BGA-LIST-LINKS@projects",
    "BGA-LIST-TRAVERSAL@tickets",
    "BGA-FILTER-STATUS@tickets",
    "BGA-TENANCY-LIST@tickets",
    "BGA-TENANCY-ITEM@projects",
    "BGA-AUTH-API-KEY@tickets",
    "BGA-AUTH-MISSING@projects",
    "BGA-AUTH-INVALID@tickets",
    "BGA-RATE-HEADERS@tickets",
    "BGA-RESPONSE-JSON@projects",
    "BGA-ERROR-FORMAT@tickets",
    "BGA-NO-5XX@projects",
)

# Breakers of the write and tenancy rules the kit is gaining (writes, tenancy of writes and of
# creation, leaks a first page does not show). They break one rule each, like those above, but are
# kept out of BREAKERS for now: tests/test_independent_booga.py runs the kit, read-only, against
# every name in BREAKERS, and tests/test_booga_drf_server.py wants a check of its own for each
# `@` name in it (these have theirs in tests/test_booga_drf_writes_server.py). Fold them into
# BREAKERS once those two know them. `--break` accepts both tuples (ALL_BREAKERS).
WRITE_BREAKERS: tuple[str, ...] = (
    # B's key can PUT, PATCH and DELETE A's files (reads stay scoped).
    "BGA-TENANCY-WRITE@files",
    # POST on the projects list without credentials is accepted (the row goes to tenant A).
    "BGA-AUTH-WRITE@projects",
    # A write on files with an X-API-Key that is not issued is taken as tenant A's.
    "BGA-AUTH-WRITE@files:invalid",
    # A project created through the API is shared: every tenant reads it (list, id, search).
    "BGA-TENANCY-CREATE@projects",
    # PATCH appends to a project's members instead of replacing them.
    "BGA-WRITE-PATCH-IDEMPOTENT@projects",
    # PUT appends to a file's attributes.labels instead of replacing them.
    "BGA-WRITE-PUT-IDEMPOTENT@files",
    # ?search= on projects forgets the tenant (the plain listing is scoped).
    "BGA-TENANCY-LIST@projects:search",
    # B owns 330 tickets; its listing shows them first and A's after them, past row 100.
    "BGA-TENANCY-LIST@tickets:deep",
    # B's listing shows A's projects too, each with B's own (different) `unread`.
    "BGA-TENANCY-LIST@projects:viewer",
)
ALL_BREAKERS: tuple[str, ...] = BREAKERS + WRITE_BREAKERS
