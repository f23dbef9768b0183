"""The files, projects and tickets plugins: tenant-scoped viewsets, each with its own filters."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpResponse
from rest_framework import exceptions, viewsets
from rest_framework.authentication import BaseAuthentication
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from . import options
from .auth import HeaderKeyAuthentication
from .filters import (
    CreatedAfterFilter,
    FileOrderingFilter,
    FileSearchFilter,
    ProjectSearchFilter,
    StatusFilterBackend,
    TicketCreatedAfterFilter,
)
from .models import File, Project, Ticket
from .pagination import ProjectPagination, TicketPagination
from .serializers import FileSerializer, ProjectSerializer, TicketSerializer


class TenantScoped:
    """Every query is scoped to the tenant of the request's key."""

    request: Request

    def for_tenant(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()  # drf-spectacular inspects the view without a real principal
        return queryset.filter(tenant=self.request.user.tenant)


class FileViewSet(TenantScoped, viewsets.ModelViewSet[File]):
    required_scope = "files"
    serializer_class = FileSerializer
    filter_backends = (FileOrderingFilter, FileSearchFilter, CreatedAfterFilter)
    ordering_fields = ("name", "size", "created_at")
    ordering = ("-created_at", "id")  # the default; "id" breaks ties so pages never overlap
    search_fields = ("name",)

    def get_queryset(self) -> QuerySet[File]:
        if (self.action == "list" and options.current.breaks("BGA-TENANCY-LIST")
                and not getattr(self, "swagger_fake_view", False)):
            return File.objects.all()  # breaker: every tenant's files in the listing
        return self.for_tenant(File.objects.all())

    def perform_create(self, serializer: BaseSerializer[File]) -> None:
        serializer.save(tenant=self.request.user.tenant)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response | HttpResponse:
        response = super().retrieve(request, *args, **kwargs)
        if options.current.breaks("BGA-RESPONSE-JSON"):
            # Breaker: a plain Django HttpResponse of JSON text, so text/html; charset=utf-8.
            return HttpResponse(json.dumps(response.data, cls=DjangoJSONEncoder))
        return response


class PluginViewSet(TenantScoped, viewsets.ReadOnlyModelViewSet[Any]):
    """What the projects and tickets viewsets share: tenant scoping and their `RULE@plugin` breakers.

    Each breaker is looked up by the view's plugin, so one process breaks one rule on one plugin
    and every other endpoint answers as the conformant server does.
    """

    plugin: ClassVar[str]
    model_class: ClassVar[type[Project] | type[Ticket]]
    unchallenged = False  # set per failed request by handle_exception (auth breakers)

    def breaks(self, rule: str) -> bool:
        return options.current.breaks_on(rule, self.plugin)

    def get_queryset(self) -> QuerySet[Any]:
        every_tenant = self.model_class.objects.all()
        if not getattr(self, "swagger_fake_view", False) and (
                (self.action == "list" and self.breaks("BGA-TENANCY-LIST"))
                or (self.action == "retrieve" and self.breaks("BGA-TENANCY-ITEM"))):
            return every_tenant  # breaker: this action sees every tenant's rows
        return self.for_tenant(every_tenant)

    def get_authenticators(self) -> list[BaseAuthentication]:
        authenticators: list[BaseAuthentication] = super().get_authenticators()
        if self.breaks("BGA-AUTH-API-KEY") and not getattr(self, "swagger_fake_view", False):
            # Breaker: only the Authorization header is read, so X-API-Key alone is no credential
            # (401). The schema (swagger_fake_view) still declares both schemes.
            return [a for a in authenticators if not isinstance(a, HeaderKeyAuthentication)]
        return authenticators

    def get_authenticate_header(self, request: Request) -> str | None:
        # DRF answers 403 instead of 401 when no authenticator names a challenge: the auth breakers
        # withhold it for their one kind of failure only.
        if self.unchallenged:
            return None
        header: str | None = super().get_authenticate_header(request)
        return header

    def handle_exception(self, exc: Exception) -> Response:
        self.unchallenged = (
            (isinstance(exc, exceptions.NotAuthenticated) and self.breaks("BGA-AUTH-MISSING"))
            or (isinstance(exc, exceptions.AuthenticationFailed) and self.breaks("BGA-AUTH-INVALID")))
        response: Response = super().handle_exception(exc)
        if self.breaks("BGA-ERROR-FORMAT") and response.status_code == 404 and isinstance(response.data, dict):
            response.data.pop("code", None)  # breaker: DRF's bare {"detail"} for an unknown id
        return response


class ProjectViewSet(PluginViewSet):
    plugin = "projects"
    model_class = Project
    required_scope = "projects"
    serializer_class = ProjectSerializer
    pagination_class = ProjectPagination
    filter_backends = (StatusFilterBackend, ProjectSearchFilter)
    filterset_fields = ("status",)
    search_fields = ("name",)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response | HttpResponse:
        response = super().retrieve(request, *args, **kwargs)
        if self.breaks("BGA-RESPONSE-JSON"):
            # Breaker: a plain Django HttpResponse of JSON text, so text/html; charset=utf-8.
            return HttpResponse(json.dumps(response.data, cls=DjangoJSONEncoder))
        return response


class TicketViewSet(PluginViewSet):
    plugin = "tickets"
    model_class = Ticket
    required_scope = "tickets"
    serializer_class = TicketSerializer
    pagination_class = TicketPagination
    filter_backends = (StatusFilterBackend, OrderingFilter, TicketCreatedAfterFilter)
    filterset_fields = ("status",)
    ordering_fields = ("title", "created_at")
    ordering = ("-created_at", "id")  # the default; "id" breaks ties so pages never overlap
