"""The paginated envelope: `{"items": [...], "pagination": {page, limit, total_items, total_pages, has_more}}`.

The Pagination page is not among the documents; these names and semantics are DESIGN.md's
assumption. A page past the last one is answered with an empty `items` list (and has_more false)
rather than a 400: a client walking pages by has_more never asks for it, and one that does gets a
truthful, empty answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .queries import PageRequest


def page_of(items: Sequence[dict[str, Any]], window: PageRequest, *, start_one_early: bool = False) -> dict[str, Any]:
    """One page of `items`.

    `start_one_early` is the BMR-PAGINATION-TRAVERSAL breaker: an off-by-one offset, so every page
    after the first repeats the previous page's last item while total_items stays the true count.
    """
    total = len(items)
    pages = -(-total // window.limit)  # ceiling division; an empty (filtered) collection has 0 pages
    offset = window.offset
    if start_one_early and window.page > 1:
        offset -= 1
    return {
        "items": list(items[offset:offset + window.limit]),
        "pagination": {
            "page": window.page,
            "limit": window.limit,
            "total_items": total,
            "total_pages": pages,
            "has_more": window.page < pages,
        },
    }
