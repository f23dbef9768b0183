"""The Booga surface defaults: what a run assumes where no target file and no OpenAPI document says
otherwise (DESIGN.md: defaults follow the document, never the reference mock)."""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    "paths": {
        "list": "/api/files/",
        "item": "/api/files/{id}/",
        "openapi": "/api/api-management/openapi-schema/",
    },
    "params": {"limit": "limit", "offset": "offset"},
    # Filters of the lists: learned from the OpenAPI document the target serves (discovery.py);
    # a name here adds one where the document is silent (ordering = [fields], search = true) or,
    # `false`, turns it off on every list.
    "features": {},
    # Plugin name -> path prefix, for the schema endpoint's plugin filter; empty: the path
    # groups of the served OpenAPI document.
    "openapi_plugins": {},
    # a request a key lacking the scope must be refused (the target file names the key's variable)
    "scoped_request": {"method": "GET", "path": "/api/files/"},
    "write_payload": {"name": "apiconform-probe.txt", "content_type": "text/plain", "size": 12},
    # Schemathesis-generated GETs per run (sweep.py): about half a minute of a 60/minute key.
    "sweep": {"max_cases": 20},
}
