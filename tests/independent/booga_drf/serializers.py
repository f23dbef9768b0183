"""Model serializers. The tenant is read-only (it comes from the key), as are id, the timestamps and
a project's per-key `unread`.

Files and projects are writable: an array (tags, members: a ListField of strings) and a nested
object (attributes, settings: a nested Serializer) each, stored in JSON columns, so drf-spectacular
declares their item and property types in the request bodies (FileRequest, PatchedFileRequest, ...).
A nested object sent in a PUT or PATCH replaces the stored one whole: what it leaves out takes the
default (PATCH included), so the same update twice gives the same file or project.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from rest_framework import serializers

from .auth import KeyPrincipal
from .models import (
    File,
    Project,
    ProjectVisibility,
    ReadReceipt,
    Ticket,
    default_file_attributes,
    default_project_settings,
)

SERVER_MANAGED = ("id", "tenant", "created_at", "updated_at")
M = TypeVar("M", File, Project)


# drf-spectacular takes a component's description from its serializer's docstring (a base class's
# included): the classes the schema shows have docstrings written for its readers, the bases comments.
class JsonObjectSerializer(serializers.Serializer[dict[str, Any]]):
    # A nested object kept in a JSON column. Anything but an object is an error filed under the
    # field's own name as a list of messages (DRF would nest it as {"non_field_errors": [...]}).

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise serializers.ValidationError(
                [f"Expected an object, but got {type(data).__name__}."], code="invalid")
        value: dict[str, Any] = super().to_internal_value(data)
        return value


class FileAttributesSerializer(JsonObjectSerializer):
    """A file's attributes. A write that sends them replaces them whole (what it leaves out takes the default)."""

    owner = serializers.CharField(max_length=100, allow_blank=True, default="")
    labels = serializers.ListField(child=serializers.CharField(max_length=50), default=list)
    retention_days = serializers.IntegerField(min_value=0, max_value=36_500, default=30)


class ProjectSettingsSerializer(JsonObjectSerializer):
    """A project's settings. A write that sends them replaces them whole (what it leaves out takes the default)."""

    visibility = serializers.ChoiceField(choices=ProjectVisibility.choices, default=ProjectVisibility.PRIVATE)
    notify = serializers.BooleanField(default=True)
    channels = serializers.ListField(child=serializers.CharField(max_length=50), default=list)


class JsonColumnsModelSerializer(serializers.ModelSerializer[M]):
    # Nested objects here are JSON columns, not related rows: saved as validated. ModelSerializer's
    # own create()/update() refuse nested serializers (they assume related models).

    def create(self, validated_data: dict[str, Any]) -> M:
        model: type[M] = self.Meta.model
        instance: M = model.objects.create(**validated_data)
        return instance

    def update(self, instance: M, validated_data: dict[str, Any]) -> M:
        for attr, value in validated_data.items():
            setattr(instance, attr, value)
        instance.save()
        return instance


class FileSerializer(JsonColumnsModelSerializer[File]):
    """A file of the requesting key's tenant."""

    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False,
                                 help_text="Free-form tags; a write replaces the whole list.")
    attributes = FileAttributesSerializer(required=False, help_text="Replaced whole by a write that sends it.")

    class Meta:
        model = File
        fields = ("id", "tenant", "name", "size", "content_type", "tags", "attributes", "created_at", "updated_at")
        read_only_fields = SERVER_MANAGED

    def validate_attributes(self, value: dict[str, Any]) -> dict[str, Any]:
        return {**default_file_attributes(), **value}  # PATCH applies no defaults: the object is whole


class ProjectSerializer(JsonColumnsModelSerializer[Project]):
    """A project of the requesting key's tenant."""

    members = serializers.ListField(child=serializers.CharField(max_length=100), required=False,
                                    help_text="Member user names; a write replaces the whole list.")
    settings = ProjectSettingsSerializer(required=False, help_text="Replaced whole by a write that sends it.")
    unread = serializers.SerializerMethodField(help_text="Not yet read with the requesting API key.")

    class Meta:
        model = Project
        fields = ("id", "tenant", "name", "status", "members", "settings", "unread", "created_at", "updated_at")
        read_only_fields = SERVER_MANAGED

    def validate_settings(self, value: dict[str, Any]) -> dict[str, Any]:
        return {**default_project_settings(), **value}

    def get_unread(self, project: Project) -> bool:
        seen = getattr(project, "seen", None)  # the views' querysets annotate it per requesting key
        if seen is None:
            request = self.context.get("request")
            user = getattr(request, "user", None)
            api_key = user.api_key if isinstance(user, KeyPrincipal) else None
            seen = (api_key is not None and api_key.pk is not None
                    and ReadReceipt.objects.filter(api_key=api_key, project=project).exists())
        return not seen


class TicketSerializer(serializers.ModelSerializer[Ticket]):
    """A ticket of the requesting key's tenant."""

    class Meta:
        model = Ticket
        fields = ("id", "tenant", "title", "status", "created_at", "updated_at")
        read_only_fields = fields
