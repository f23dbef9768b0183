"""limit/offset pagination: the query parameters as a dependency, and the envelope's links.

Out-of-range or non-integer values are refused by FastAPI's own validation (`Query(ge=, le=)`),
which errors.py turns into a 400 field map, e.g. `{"limit": ["Input should be less than or
equal to 100"]}`: a 400 is one of the two conformant answers (DESIGN.md), and the one a FastAPI
deployment gives without writing any code. offset is bounded by what sqlite can take.

Links are absolute URLs on the request's own origin (Starlette builds request.url from the Host
header) keeping every query parameter, with limit and offset replaced.
"""

# No `from __future__ import annotations`: FastAPI reads the signatures of the endpoints and
# dependencies defined in functions below, and cannot resolve string annotations naming their locals.

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Query, Request
from starlette.datastructures import URL

from .settings import SQLITE_MAX_INT, Settings

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# BGA-LIST-LINKS@tasks: where the tasks service believes it lives (its own, internal origin).
INTERNAL_ORIGIN = ("http", "internal.tasks.svc:8080")


@dataclass(frozen=True)
class PageParams:
    limit: int | None  # None: every row from offset on (only BGA-LIST-LIMIT-INVALID@invoices)
    offset: int
    # The offset handed to the database (differs from `offset` only under BGA-LIST-OFFSET@contacts).
    sql_offset: int


def page_params(settings: Settings, plugin: str) -> Callable[..., PageParams]:
    """The pagination dependency of one plugin's list (its breakers change its declaration)."""
    default = 50 if settings.breaks("BGA-LIST-DEFAULT-LIMIT", plugin) else DEFAULT_LIMIT
    # BGA-LIST-LIMIT-INVALID@invoices: ge=1 forgotten, and 0 (or less) taken to mean "everything".
    minimum = None if settings.breaks("BGA-LIST-LIMIT-INVALID", plugin) else 1
    # BGA-NO-5XX@contacts: the offset's bound forgotten, so 2**63 reaches sqlite (OverflowError, a 500).
    maximum = None if settings.breaks("BGA-NO-5XX", plugin) else SQLITE_MAX_INT
    off_by_one = settings.breaks("BGA-LIST-OFFSET", plugin)

    def pagination(
        limit: Annotated[int, Query(ge=minimum, le=MAX_LIMIT, description="Number of results per page (1–100).")]
        = default,
        offset: Annotated[int, Query(ge=0, le=maximum, description="Number of results to skip.")] = 0,
    ) -> PageParams:
        rows = limit if limit > 0 else None
        # Breaker BGA-LIST-OFFSET@contacts: offset read as 1-based (OFFSET offset - 1); links stay as asked.
        sql_offset = max(offset - 1, 0) if off_by_one else offset
        return PageParams(rows, offset, sql_offset)

    return pagination


def links(request: Request, page: PageParams, count: int, settings: Settings,
          plugin: str) -> tuple[str | None, str | None]:
    """(next, previous) of the page: null at the ends, else the same query at the neighbouring offset."""
    url = request.url
    if settings.breaks("BGA-LIST-LINKS", plugin):
        # Breaker: the links are built on the service's internal origin (same path and query).
        url = url.replace(scheme=INTERNAL_ORIGIN[0], netloc=INTERNAL_ORIGIN[1])
    if page.limit is None:
        # Every row from offset on is on this page: no next; previous is the start of the list.
        previous = str(url.remove_query_params("offset")) if page.offset > 0 else None
        return None, previous
    following: URL | None = None
    if page.offset + page.limit < count:
        following = url.include_query_params(limit=page.limit, offset=page.offset + page.limit)
    preceding: URL | None = None
    if page.offset > 0:
        back = page.offset - page.limit
        preceding = (url.include_query_params(limit=page.limit).remove_query_params("offset") if back <= 0
                     else url.include_query_params(limit=page.limit, offset=back))
    return (str(following) if following else None), (str(preceding) if preceding else None)
