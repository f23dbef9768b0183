"""Model serializers: the tenant is never serialised (it comes from the key)."""

from __future__ import annotations

from rest_framework import serializers

from .models import File, Project, Ticket


class FileSerializer(serializers.ModelSerializer[File]):
    class Meta:
        model = File
        fields = ("id", "name", "size", "content_type", "created_at", "updated_at")
        read_only_fields = ("id", "created_at", "updated_at")


class ProjectSerializer(serializers.ModelSerializer[Project]):
    class Meta:
        model = Project
        fields = ("id", "name", "status", "created_at", "updated_at")
        read_only_fields = fields


class TicketSerializer(serializers.ModelSerializer[Ticket]):
    class Meta:
        model = Ticket
        fields = ("id", "title", "status", "created_at", "updated_at")
        read_only_fields = fields
