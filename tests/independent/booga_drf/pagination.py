"""DRF's LimitOffsetPagination: default 20, at most 100 (invalid limits fall back to the default,
larger ones are clamped; both conformant per DESIGN.md)."""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

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
