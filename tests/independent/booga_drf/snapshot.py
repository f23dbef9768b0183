"""A tenant's data as its key lists it, for comparing before and after a kit run (httpx only: no Django).

    before = snapshot(base_url, KEY_A)
    ...  # a kit run with writes allowed
    assert snapshot(base_url, KEY_A) == before  # everything it created is gone, nothing else changed
"""

from __future__ import annotations

from typing import Any

import httpx

PLUGINS = ("files", "projects", "tickets")
PAGE = 100  # the server's max_limit
MAX_PAGES = 10_000  # a next link that never ends is the server's fault, not a reason to hang


def snapshot(base_url: str, key: str, *, timeout: float = 30.0) -> dict[str, list[dict[str, Any]]]:
    """Every row of each list (files, projects, tickets) the key's tenant sees, sorted by id.

    Each list is walked from its first page with limit=100, following `next` to its end. A non-200
    answer, a body that is not the paginated envelope, or a walk that does not end raises.
    """
    base = base_url.rstrip("/")
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
    out: dict[str, list[dict[str, Any]]] = {}
    with httpx.Client(timeout=timeout, headers=headers) as http:
        for plugin in PLUGINS:
            rows: list[dict[str, Any]] = []
            url: str | None = f"{base}/api/{plugin}/"
            params: dict[str, int] | None = {"limit": PAGE}
            seen: set[str] = set()
            while url is not None:
                if url in seen or len(seen) >= MAX_PAGES:
                    raise RuntimeError(f"{plugin}: the next links do not end (at {url})")
                seen.add(url)
                response = http.get(url, params=params)
                if response.status_code != 200:
                    raise RuntimeError(f"GET {response.request.url} answered {response.status_code}: "
                                       f"{response.text[:200]}")
                body = response.json()
                if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                    raise RuntimeError(f"GET {response.request.url} is not a page: {response.text[:200]}")
                rows.extend(body["results"])
                url, params = body.get("next"), None  # a next link carries its own query
            out[plugin] = sorted(rows, key=lambda row: str(row.get("id")))
    return out
