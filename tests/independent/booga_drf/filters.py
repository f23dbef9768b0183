"""List filters: DRF's OrderingFilter and SearchFilter, a created_after date filter, and
django-filter's DjangoFilterBackend for the `status` of projects and tickets.

All declare their query parameters through get_schema_operation_parameters (or, for
django-filter, drf-spectacular's contrib extension), which is where drf-spectacular reads them from.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.filters import BaseFilterBackend, OrderingFilter, SearchFilter
from rest_framework.request import Request

from . import options


class CreatedAfterFilter(BaseFilterBackend):
    """created_after=YYYY-MM-DD keeps files created on or after that day (midnight UTC)."""

    param = "created_after"
    description = "Only files created on or after this day (YYYY-MM-DD, UTC)."

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        raw = request.query_params.get(self.param)
        if not raw:
            return queryset  # absent or empty: no filter (as django-filter treats an empty value)
        try:
            day = serializers.DateField().run_validation(raw)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({self.param: exc.detail}) from exc
        return queryset.filter(created_at__gte=datetime(day.year, day.month, day.day, tzinfo=UTC))

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [{
            "name": self.param,
            "required": False,
            "in": "query",
            "description": self.description,
            "schema": {"type": "string", "format": "date"},
        }]


class TicketCreatedAfterFilter(CreatedAfterFilter):
    description = "Only tickets created on or after this day (YYYY-MM-DD, UTC)."


class FileOrderingFilter(OrderingFilter):
    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        params = request.query_params.get(self.ordering_param)
        if options.current.breaks("BGA-NO-5XX") and params:
            # Breaker: unknown fields go straight to order_by (a FieldError, so a 500), where DRF
            # would drop them. Declared fields behave exactly as before.
            return [term.strip() for term in params.split(",") if term.strip()]
        return super().get_ordering(request, queryset, view)


class FieldMappedSearchFilter(SearchFilter):
    def get_search_terms(self, request: Request) -> list[str]:
        # DRF validates the term with a CharField and lets its error out as a bare list
        # (`?search=%00` -> 400 ["Null characters are not allowed."]); the document wants 400s to
        # map field names to messages, so the error is filed under the parameter's name.
        try:
            terms: list[str] = super().get_search_terms(request)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({self.search_param: exc.detail}) from exc
        return terms


FileSearchFilter = FieldMappedSearchFilter


class ProjectSearchFilter(FieldMappedSearchFilter):
    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        raw = request.query_params.get(self.search_param, "")
        if options.current.breaks_on("BGA-NO-5XX", "projects") and "'" in raw:
            # Breaker: the whole term in a hand-built LIKE with MySQL-style quote escaping, which
            # sqlite does not understand: the quote ends the literal and leaves a stray backslash
            # (or an unclosed literal), so the query fails and Django answers its 500. DRF would
            # have read the quote as phrase quoting (a lone `'` is no term at all). Terms without
            # a quote take DRF's path unchanged.
            escaped = raw.replace("'", "\\'").replace("%", "%%")
            return queryset.extra(where=[f"name LIKE '%%{escaped}%%'"])
        return super().filter_queryset(request, queryset, view)


class StatusFilterBackend(DjangoFilterBackend):
    """django-filter's backend for the view's `filterset_fields` (status), as deployments use it."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        plugin = getattr(view, "plugin", "")
        if options.current.breaks_on("BGA-FILTER-STATUS", plugin):
            return queryset  # breaker: status (still declared in the schema) is not applied
        return super().filter_queryset(request, queryset, view)
