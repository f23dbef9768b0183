"""The files, projects and tickets plugins: tenant-scoped viewsets, each with its own filters.

Files and projects are writable (POST on the list; PUT, PATCH and DELETE on the item), tickets are
read-only. Every query, write and creation is scoped to the tenant of the request's key: another
tenant's id is a 404 for reads and writes alike, and a created row belongs to the creating key's
tenant.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.http import HttpResponse
from rest_framework import exceptions, mixins, viewsets
from rest_framework.authentication import BaseAuthentication
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from . import options
from .auth import HeaderKeyAuthentication, KeyPrincipal, WriteFallbackHeaderKeyAuthentication, default_tenant
from .filters import (
    CreatedAfterFilter,
    FileOrderingFilter,
    FileSearchFilter,
    ProjectSearchFilter,
    StatusFilterBackend,
    TicketCreatedAfterFilter,
)
from .models import ApiKey, File, Project, ReadReceipt, Tenant, Ticket
from .pagination import ProjectPagination, TicketPagination
from .serializers import FileSerializer, ProjectSerializer, TicketSerializer

WRITES_TO_AN_ITEM = frozenset({"update", "partial_update", "destroy"})
READS = frozenset({"list", "retrieve"})


class TenantScoped:
    """Every query is scoped to the tenant of the request's key."""

    request: Request
    action: str | None

    def schema_only(self) -> bool:
        """drf-spectacular inspects the view without a real request or principal."""
        return bool(getattr(self, "swagger_fake_view", False))

    def api_key(self) -> ApiKey | None:
        """The request's issued key (None: no credential, or the files:invalid breaker's stand-in)."""
        principal = self.request.user
        if isinstance(principal, KeyPrincipal) and principal.api_key.pk is not None:
            return principal.api_key
        return None

    def tenant(self) -> Tenant:
        principal = self.request.user
        if isinstance(principal, KeyPrincipal):
            return principal.tenant
        # Only an auth breaker's open route lets a request without a key this far.
        return default_tenant()

    def for_tenant(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.schema_only():
            return queryset.none()
        return queryset.filter(tenant=self.tenant())


class FileViewSet(TenantScoped, viewsets.ModelViewSet[File]):
    required_scope = "files"
    serializer_class = FileSerializer
    filter_backends = (FileOrderingFilter, FileSearchFilter, CreatedAfterFilter)
    ordering_fields = ("name", "size", "created_at")
    ordering = ("-created_at", "id")  # the default; "id" breaks ties so pages never overlap
    search_fields = ("name",)

    @staticmethod
    def breaks(rule: str, variant: str | None = None) -> bool:
        return options.current.breaks_on(rule, "files", variant)

    def get_queryset(self) -> QuerySet[File]:
        every_tenant = File.objects.all()
        if not self.schema_only():
            if self.action == "list" and options.current.breaks("BGA-TENANCY-LIST"):
                return every_tenant  # breaker: every tenant's files in the listing
            if self.action in WRITES_TO_AN_ITEM and self.breaks("BGA-TENANCY-WRITE"):
                return every_tenant  # breaker: PUT, PATCH and DELETE find any tenant's file
        return self.for_tenant(every_tenant)

    def get_authenticators(self) -> list[BaseAuthentication]:
        authenticators: list[BaseAuthentication] = super().get_authenticators()
        if self.breaks("BGA-AUTH-WRITE", "invalid") and not self.schema_only():
            # Breaker: a write with an X-API-Key that is not issued is taken as tenant A's.
            return [WriteFallbackHeaderKeyAuthentication() if type(a) is HeaderKeyAuthentication else a
                    for a in authenticators]
        return authenticators

    def perform_create(self, serializer: BaseSerializer[File]) -> None:
        serializer.save(tenant=self.tenant())

    def perform_update(self, serializer: BaseSerializer[File]) -> None:
        sent = serializer.validated_data.get("attributes")
        if (sent is not None and not serializer.partial and serializer.instance is not None
                and self.breaks("BGA-WRITE-PUT-IDEMPOTENT")):
            # Breaker: PUT appends the labels sent to the stored ones instead of replacing them.
            stored = list(serializer.instance.attributes.get("labels", []))
            serializer.save(attributes={**sent, "labels": [*stored, *sent["labels"]]})
            return
        serializer.save()

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

    def breaks(self, rule: str, variant: str | None = None) -> bool:
        return options.current.breaks_on(rule, self.plugin, variant)

    def sees_every_tenant(self) -> bool:
        """Breakers: this request's action sees every tenant's rows."""
        return ((self.action == "list" and self.breaks("BGA-TENANCY-LIST"))
                or (self.action == "retrieve" and self.breaks("BGA-TENANCY-ITEM")))

    def annotated(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset

    def get_queryset(self) -> QuerySet[Any]:
        every_tenant = self.model_class.objects.all()
        if self.schema_only():
            return every_tenant.none()
        if self.sees_every_tenant():
            return self.annotated(every_tenant)
        return self.annotated(self.for_tenant(every_tenant))

    def get_authenticators(self) -> list[BaseAuthentication]:
        authenticators: list[BaseAuthentication] = super().get_authenticators()
        if self.breaks("BGA-AUTH-API-KEY") and not self.schema_only():
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


class ProjectViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin,
                     PluginViewSet):
    plugin = "projects"
    model_class = Project
    required_scope = "projects"
    serializer_class = ProjectSerializer
    pagination_class = ProjectPagination
    filter_backends = (StatusFilterBackend, ProjectSearchFilter)
    filterset_fields = ("status",)
    search_fields = ("name",)

    def sees_every_tenant(self) -> bool:
        if super().sees_every_tenant():
            return True
        if self.action != "list":
            return False
        if self.breaks("BGA-TENANCY-LIST", "viewer"):
            return True  # breaker: every tenant's projects, each with the viewer's own `unread`
        searching = bool(self.request.query_params.get(ProjectSearchFilter.search_param, "").strip())
        return searching and self.breaks("BGA-TENANCY-LIST", "search")  # breaker: search skips the tenant

    def for_tenant(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action in READS and self.breaks("BGA-TENANCY-CREATE") and not self.schema_only():
            # Breaker: projects created through the API are shared, and reads include shared rows.
            return queryset.filter(Q(tenant=self.tenant()) | Q(shared=True))
        return super().for_tenant(queryset)

    def annotated(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """`seen`: whether the requesting key has a read receipt (the serializer's `unread` is its negation)."""
        api_key = self.api_key()
        if api_key is None:
            return queryset.annotate(seen=Value(False))
        return queryset.annotate(seen=Exists(ReadReceipt.objects.filter(api_key=api_key, project=OuterRef("pk"))))

    def get_permissions(self) -> list[BasePermission]:
        if self.action == "create" and self.breaks("BGA-AUTH-WRITE") and not self.schema_only():
            # Breaker: the intake route left open: POST without credentials is accepted (a key that
            # is not issued still fails authentication: 401).
            return [AllowAny()]
        permissions: list[BasePermission] = super().get_permissions()
        return permissions

    def perform_create(self, serializer: BaseSerializer[Project]) -> None:
        project = serializer.save(tenant=self.tenant(), shared=self.breaks("BGA-TENANCY-CREATE"))
        api_key = self.api_key()
        if api_key is not None:
            ReadReceipt.objects.create(api_key=api_key, project=project)  # its creator has read it

    def perform_update(self, serializer: BaseSerializer[Project]) -> None:
        sent = serializer.validated_data.get("members")
        if (sent is not None and serializer.partial and serializer.instance is not None
                and self.breaks("BGA-WRITE-PATCH-IDEMPOTENT")):
            # Breaker: PATCH appends the members sent to the stored ones instead of replacing them.
            serializer.save(members=[*serializer.instance.members, *sent])
            return
        serializer.save()

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
    # Breaker BGA-TENANCY-LIST@tickets:deep: a tenant with more than this many tickets is listed
    # from a query that forgot the tenant filter but sorts the tenant's own tickets first.
    LARGE_ACCOUNT = 100

    def get_queryset(self) -> QuerySet[Any]:
        if (self.action == "list" and self.breaks("BGA-TENANCY-LIST", "deep") and not self.schema_only()
                and Ticket.objects.filter(tenant=self.tenant()).count() > self.LARGE_ACCOUNT):
            foreign = Case(When(tenant=self.tenant(), then=Value(0)), default=Value(1), output_field=IntegerField())
            return Ticket.objects.annotate(foreign=foreign)
        return super().get_queryset()

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().filter_queryset(queryset)
        if "foreign" in queryset.query.annotations:
            # The tenant's own tickets first, in the order asked for; everyone else's after them.
            return queryset.order_by("foreign", *queryset.query.order_by)
        return queryset
