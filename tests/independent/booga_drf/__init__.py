"""An independently written Booga server on Django REST framework, as a real deployment would be.

It shares no code with apiconform's reference mock: Django models in a sqlite file, DRF's own
LimitOffsetPagination, OrderingFilter and SearchFilter, drf-spectacular's OpenAPI, a DRF
authentication class for `Authorization: Bearer` and `X-API-Key`, an exception handler that adds
`code`, and a Django middleware for per-key rate limits.

Run it as `python -m tests.independent.booga_drf --port 0 [--break RULE] [--files N] [--per-minute N]`.
This module deliberately imports nothing from Django, so the tests can read the keys without
configuring Django in the test process.
"""

from __future__ import annotations

MODULE = "tests.independent.booga_drf"

# Tenant A owns the seeded files; tenant B owns three files of its own (tenancy rules).
KEY_A = "bge_indep_drf_tenant_a_5d1f0c7e9b2a4c68"
KEY_B = "bge_indep_drf_tenant_b_8e3a6f214d0b7c95"
# Tenant A keys for the rules a target file enables: one without the files scope (BGA-AUTH-SCOPE),
# one with a small per-minute limit of its own, to run into 429 (BGA-RATE-EXCEEDED).
KEY_SCOPED = "bge_indep_drf_projects_only_2c4e6a8b0d1f3a5c"
KEY_LIMITED = "bge_indep_drf_limited_7b9d1f3a5c7e9b1d"
LIMITED_PER_MINUTE = 30

# Each breaker breaks exactly one documented rule (named by its rule id) and nothing else.
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
    "BGA-NO-5XX",
)
