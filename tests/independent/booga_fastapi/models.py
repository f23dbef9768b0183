"""Pydantic models: every body the API sends, and so the schemas of its OpenAPI document.

Timestamps are aware datetimes in UTC: Pydantic writes them as ISO 8601 with `Z`. The tenant is
never part of a body (it comes from the key).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, RootModel

T = TypeVar("T")


class TaskStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    PAID = "paid"
    VOID = "void"


class Resource(BaseModel):
    # from_attributes is not needed (rows are dicts); extra columns (tenant_id) are dropped.
    model_config = ConfigDict(extra="ignore")

    id: int = Field(description="Integer id, unique within the plugin.")
    created_at: datetime
    updated_at: datetime


class Task(Resource):
    title: str
    status: TaskStatus
    priority: int = Field(ge=1, le=5, description="1 (highest) to 5.")
    due_date: date | None = None


class Contact(Resource):
    name: str
    email: str
    company: str | None = None
    phone: str | None = None


class Invoice(Resource):
    number: str
    customer_name: str
    amount_cents: int
    currency: str = Field(min_length=3, max_length=3)
    status: InvoiceStatus
    paid_at: datetime | None = None


class Page(BaseModel, Generic[T]):
    """The document's envelope: limit/offset pagination."""

    count: int = Field(ge=0, description="Total number of results matching the query.")
    next: str | None = Field(description="URL of the next page (null on the last page).")
    previous: str | None = Field(description="URL of the previous page (null on the first page).")
    results: list[T]


class TaskPage(Page[Task]):
    pass


class ContactPage(Page[Contact]):
    pass


class InvoicePage(Page[Invoice]):
    pass


class ErrorBody(BaseModel):
    """Every error but a validation error: `{"detail": ..., "code": ...}`."""

    detail: str
    code: str


class FieldErrors(RootModel[dict[str, list[str]]]):
    """A 400 for invalid parameters: each offending field name mapped to its messages."""
