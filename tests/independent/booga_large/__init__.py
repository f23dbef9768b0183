"""A large, generated Booga deployment on Starlette: ~150 plugins, ~300 GET operations, a document of MBs.

Issue 25 ("Audit a real deployment of hundreds of operations") asks for the kit to be shown on a
deployment of the size real ones have: a few hundred GET operations, a multi-megabyte OpenAPI
document, lists declaring 20-40 filters each, and a few 500s planted behind malformed filter
values. This is that deployment. It shares no code with the reference mock nor with the other
independent servers (booga_drf, booga_fastapi, boomerang_starlette).

Why Starlette and a generator of its own rather than FastAPI: measured on this machine, FastAPI
took ~1.4 s to build 150 routers whose lists take 30 query parameters and ~3.1 s more to generate
their document (~4.5 s before the first request), and validates every query parameter with
Pydantic on every request; a conformance run sends thousands of requests, and the bench compares
wall times, so the server must not be the bottleneck of either tool. Starlette starts in a
fraction of that, and the document is generated from the same catalog the handlers read (as
drf-spectacular generates it from the FilterSets), so the two cannot disagree. (The FastAPI way of
building a Booga deployment is booga_fastapi's.)

The parts: catalog.py (plugins, fields, filters, the planted bugs; pure Python), store.py (sqlite
in memory, seeded the same on every start), filters.py (query parameters to SQL; the planted
readers), document.py (the OpenAPI 3.0.3 document), app.py (Starlette: routes, key auth, tenant
scoping, limit/offset pagination, `{detail, code}` errors, per-key rate limits, writes).

Run it as `python -m tests.independent.booga_large --port 0 [--plugins N] [--no-500s] [--stats]`.
This module imports no framework, so tests can read the keys and the planted lists cheaply.
"""

from __future__ import annotations

MODULE = "tests.independent.booga_large"
SCHEMA_PATH = "/api/api-management/openapi-schema/"
# The bench's request counter (`--stats` only): outside /api, in no document, never requested by the kit.
STATS_PATH = "/__stats__"

# Tenant A owns most rows of every plugin, tenant B one or two. Keys of one shape (`bge_` and 40 hex
# digits), holding no English word (the kit redacts any 8-character run of a key from its artifacts).
KEY_A = "bge_4c1d9e7a03b5f2864d0c1e9b7a5f3d2c18e6b4a0"
KEY_B = "bge_9b2e6f0a4d8c1357e9b0d2f4a6c8e0b1d3f5a7c9"


def planted_lists() -> dict[str, str]:
    """List path -> its planted bug and how the kit reaches it (always served, whatever --plugins says)."""
    from .catalog import PLANTS

    return {f"/api/{p.plugin}/": f"{p.param} ({p.bug}): {p.reached_by}" for p in PLANTS}

