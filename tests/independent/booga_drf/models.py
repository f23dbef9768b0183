"""Tenants, their API keys (with per-key rate limits), and the three plugins' models: files,
projects and tickets.

Files and projects carry an array and a nested object each, stored as JSON columns (tags and
attributes; members and settings), as a deployment keeps small structured values. The defaults are
callables returning fresh objects, never one shared list or dict.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils import timezone


class Tenant(models.Model):
    name = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    key = models.CharField(max_length=128, unique=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="keys")
    # "Each API key has configurable rate limits".
    per_minute = models.PositiveIntegerField(default=60)
    per_hour = models.PositiveIntegerField(default=3600)
    # Comma-separated plugins the key may use ("valid credentials but insufficient ... scopes": 403).
    scopes = models.CharField(max_length=255, default="files,projects,tickets")

    def has_scope(self, scope: str) -> bool:
        return scope in {s.strip() for s in self.scopes.split(",")}

    def __str__(self) -> str:
        return f"key of {self.tenant_id}"


def default_file_attributes() -> dict[str, Any]:
    return {"owner": "", "labels": [], "retention_days": 30}


class ProjectVisibility(models.TextChoices):
    PRIVATE = "private", "Private"
    INTERNAL = "internal", "Internal"


def default_project_settings() -> dict[str, Any]:
    return {"visibility": "private", "notify": True, "channels": []}  # ProjectVisibility.PRIVATE


class File(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=255)
    # Files grow past 2 GiB; a plain IntegerField would also let sqlite overflow into a 500.
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100, default="application/octet-stream")
    tags = models.JSONField(default=list)  # [str]
    attributes = models.JSONField(default=default_file_attributes)  # {owner, labels: [str], retention_days}
    # A default, not auto_now_add: the seed sets creation times weeks apart.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "id")

    def __str__(self) -> str:
        return self.name


# TextChoices rather than bare tuples: drf-spectacular names each enum after its class through
# ENUM_NAME_OVERRIDES (settings.py); two `status` fields with different choices would otherwise
# collide and make it warn on every schema request.
class ProjectStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"


class Project(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE)
    members = models.JSONField(default=list)  # [str]
    settings = models.JSONField(default=default_project_settings)  # {visibility, notify, channels: [str]}
    # Breaker BGA-TENANCY-CREATE@projects: projects created through the API are marked shared, and
    # the read queries include shared rows. Never set otherwise (seeded rows are not shared).
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name


class ReadReceipt(models.Model):
    """An API key has read a project: a project without one is `unread` for that key.

    Per key, not per tenant: tenant A's own key has read all of A's seeded projects, tenant B's key
    only one of B's, A's other keys none. Reading through the API marks nothing (a client marks
    projects read elsewhere), so `unread` never changes between two reads; creating a project marks
    it read for the key that created it.
    """

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="receipts")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="receipts")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = (models.UniqueConstraint(fields=("api_key", "project"), name="one_receipt_per_key"),)

    def __str__(self) -> str:
        return f"{self.api_key_id} read {self.project_id}"


class TicketStatus(models.TextChoices):
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    CLOSED = "closed", "Closed"


class Ticket(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="tickets")
    title = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "id")

    def __str__(self) -> str:
        return self.title
