"""The Boomerang surface defaults: what a run assumes where no target file and no OpenAPI document says
otherwise (DESIGN.md: defaults follow the document, never the reference mock)."""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    "paths": {
        "resource": "/v1/example/resource",
        "resources": "/v1/example/resources",
    },
    # Query of the non-paginated example: the document's own example.
    "resource_query": {"id": "example-1"},
    "params": {"page": "page", "limit": "limit"},
    "pagination": {
        "default_limit": 20,
        "max_limit": 100,
        "page": "page",
        "limit": "limit",
        "total_items": "total_items",
        "total_pages": "total_pages",
        "has_more": "has_more",
    },
    # Fields holding timestamps besides any field ending in `_at`.
    "timestamp_fields": ["timestamp"],
    # Schemathesis-generated GETs per run (sweep.py); a `[sweep]` section overrides it.
    "sweep": {"max_cases": 15},
}
