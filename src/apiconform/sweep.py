"""Generated traffic (schemathesis over the profile's OpenAPI document), held to the kit's checks.

Placeholder until the schemathesis integration lands: returns no exchanges.
"""

from __future__ import annotations

from apiconform.context import Context
from apiconform.exchange import Exchange


def sweep(ctx: Context) -> list[Exchange]:
    return []
