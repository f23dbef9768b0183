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


def page_of(items: Sequence[dict[str, Any]], window: PageRequest, *, start_one_early: bool = False,
            floor_total_pages: bool = False, more_on_last_page: bool = False) -> dict[str, Any]:
    """One page of `items`.

    Each keyword is a BMR-PAGINATION-TRAVERSAL breaker, on one module each:
    - `start_one_early` (@orders): an off-by-one offset, so every page after the first repeats the
      previous page's last item while total_items stays the true count;
    - `floor_total_pages` (@orders:floor): total_pages by floor division, so a last, partly filled
      page is not counted, and has_more (computed from it) turns false one page early;
    - `more_on_last_page` (@events): has_more true on the last page itself (`page <= total_pages`,
      the classic off-by-one), false only past the end; every other field stays right.

    A limit of 0 reaches here only through the BMR-PAGINATION-LIMIT@orders breaker: a page of no
    items, and 0 pages, since no count of empty pages holds the collection (no division by zero).
    """
    total = len(items)
    if window.limit == 0:
        pages = 0
    elif floor_total_pages:
        pages = total // window.limit
    else:
        pages = -(-total // window.limit)  # ceiling division; an empty (filtered) collection has 0 pages
    offset = window.offset
    if start_one_early and window.page > 1:
        offset -= 1
    has_more = window.page <= pages if more_on_last_page else window.page < pages
    return {
        "items": list(items[offset:offset + window.limit]),
        "pagination": {
            "page": window.page,
            "limit": window.limit,
            "total_items": total,
            "total_pages": pages,
            "has_more": has_more,
        },
    }
