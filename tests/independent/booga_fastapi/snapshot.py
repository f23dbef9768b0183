"""A snapshot of what one key sees: every list of the deployment, whole, for a before-and-after comparison.

`snapshot(base_url, key)` reads every plugin's list with that key (tenant A's, say), walking
all its pages with limit=100 by offset (not by `next`, which a breaker may point elsewhere),
and returns {plugin: rows sorted by id}, each row as served. Two snapshots taken around a kit
run are equal when the run left the tenant's data as it found it (`updated_at` included: a
write that was undone still shows).

Only httpx is imported (not the server's modules, not FastAPI): a test may take snapshots of a
server running in another process.
"""

from __future__ import annotations

from typing import Any

import httpx

PLUGINS = ("tasks", "contacts", "invoices")
PAGE = 100
MAX_PAGES = 1_000  # a list that never ends is a bug to report, not to walk forever


def rows_of(http: httpx.Client, plugin: str) -> list[dict[str, Any]]:
    """Every row of one list, each once (a page that repeats a row, as an offset breaker makes, is harmless)."""
    rows: dict[Any, dict[str, Any]] = {}
    offset = 0
    for _ in range(MAX_PAGES):
        r = http.get(f"/api/{plugin}/", params={"limit": PAGE, "offset": offset})
        r.raise_for_status()
        body = r.json()
        results = body["results"]
        for row in results:
            rows[row["id"]] = row
        offset += PAGE
        if not results or offset >= body["count"]:
            return sorted(rows.values(), key=lambda row: row["id"])
    raise RuntimeError(f"/api/{plugin}/ has more than {MAX_PAGES} pages of {PAGE}")


def snapshot(base_url: str, key: str) -> dict[str, list[dict[str, Any]]]:
    """{plugin: every row the key sees in the plugin's list, sorted by id}."""
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
                      timeout=30) as http:
        return {plugin: rows_of(http, plugin) for plugin in PLUGINS}
