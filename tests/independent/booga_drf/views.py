"""The files and projects plugins: tenant-scoped viewsets."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpResponse
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from . import options
from .filters import CreatedAfterFilter, FileOrderingFilter, FileSearchFilter
from .models import File, Project
from .serializers import FileSerializer, ProjectSerializer


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


class ProjectViewSet(TenantScoped, viewsets.ReadOnlyModelViewSet[Project]):
    required_scope = "projects"
    serializer_class = ProjectSerializer

    def get_queryset(self) -> QuerySet[Project]:
        return self.for_tenant(Project.objects.all())
