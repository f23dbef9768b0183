"""DRF's LimitOffsetPagination: default 20, at most 100 (invalid limits fall back to the default,
larger ones are clamped; both conformant per DESIGN.md).

One class per plugin, as views name their own: the bare-rule breakers act on files, the
`RULE@plugin` ones on their plugin's class alone.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from . import options


class FilePagination(LimitOffsetPagination):
    default_limit = 20
    max_limit = 100

    def __init__(self) -> None:
        if options.current.breaks("BGA-LIST-DEFAULT-LIMIT"):
            self.default_limit = 10

    def get_next_link(self) -> str | None:
        # Breaker BGA-LIST-LINKS: the default page (no limit in the query) never offers a next page.
        if options.current.breaks("BGA-LIST-LINKS") and self.limit_query_param not in self.request.query_params:
            return None
        return super().get_next_link()

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        # Breaker BGA-LIST-ENVELOPE: a null previous is left out instead of sent as null.
        if options.current.breaks("BGA-LIST-ENVELOPE") and response.data["previous"] is None:
            del response.data["previous"]
        return response


class PluginPagination(LimitOffsetPagination):
    """The projects and tickets plugins' pagination: DRF's, with that plugin's breakers."""

    plugin: ClassVar[str]
    default_limit = 20
    max_limit = 100
    # Breaker BGA-LIST-LIMIT-INVALID@...: the max_limit a deployment forgot to lower. Not None (no
    # cap at all): sqlite cannot take a LIMIT past 2**63, so a 64-bit limit would also be a 500
    # and break BGA-NO-5XX besides.
    FORGOTTEN_MAX_LIMIT = 1000

    def __init__(self) -> None:
        if self.breaks("BGA-LIST-DEFAULT-LIMIT"):
            self.default_limit = 30
        if self.breaks("BGA-LIST-LIMIT-INVALID"):
            self.max_limit = self.FORGOTTEN_MAX_LIMIT

    def breaks(self, rule: str) -> bool:
        return options.current.breaks_on(rule, self.plugin)

    def paginate_queryset(self, queryset: QuerySet[Any], request: Request, view: Any = None) -> list[Any] | None:
        page = super().paginate_queryset(queryset, request, view)
        if page is not None and self.breaks("BGA-LIST-OFFSET"):
            # Breaker: always the first `limit` results; self.offset (and so the links) is as asked.
            page = list(queryset[:self.limit])
        self.page_length = len(page) if page is not None else 0
        return page

    def reported_count(self) -> int:
        # Breaker BGA-LIST-TRAVERSAL@...: one more than the rows there are (the pages stay right).
        return self.count + 1 if self.breaks("BGA-LIST-TRAVERSAL") else self.count

    def get_next_link(self) -> str | None:
        if not self.breaks("BGA-LIST-TRAVERSAL"):
            return super().get_next_link()
        # The links agree with the count the page reports, as a client reads them: a page that ends
        # before that count has a next one (past the last row: an empty page, the end). Only a walk
        # that counts what it met can tell, so no rule but traversal's is broken. (DRF's own test,
        # offset + limit >= count, would leave next null on a short last page the count says is not
        # the last: a links failure too.)
        if self.offset + self.page_length >= self.reported_count():
            return None
        url = replace_query_param(self.request.build_absolute_uri(), self.limit_query_param, self.limit)
        return replace_query_param(url, self.offset_query_param, self.offset + self.limit)

    def get_previous_link(self) -> str | None:
        if not self.breaks("BGA-LIST-LINKS") or self.offset <= self.limit:
            return super().get_previous_link()
        # Breaker: two pages back instead of one (page 2 still points at page 1, which is offset 0
        # either way); still a URL that keeps the query and the limit, just the wrong page.
        url = replace_query_param(self.request.build_absolute_uri(), self.limit_query_param, self.limit)
        wrong = self.offset - 2 * self.limit
        if wrong <= 0:
            return remove_query_param(url, self.offset_query_param)
        return replace_query_param(url, self.offset_query_param, wrong)

    def get_paginated_response(self, data: Any) -> Response:
        if self.breaks("BGA-LIST-ENVELOPE"):
            return Response(data)  # breaker: the page's results as a bare array, no envelope
        response = super().get_paginated_response(data)
        response.data["count"] = self.reported_count()
        return response


class ProjectPagination(PluginPagination):
    plugin = "projects"


class TicketPagination(PluginPagination):
    plugin = "tickets"
