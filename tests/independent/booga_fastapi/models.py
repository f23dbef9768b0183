"""Pydantic models: every body the API sends and accepts, and so the schemas of its OpenAPI document.

Timestamps are aware datetimes in UTC: Pydantic writes them as ISO 8601 with `Z`. The tenant is
never part of a body (it comes from the key).

Each writable plugin (tasks, invoices) has three request models besides its resource: `...Create`
(POST: the required fields, defaults for the rest), `...Update` (PUT, a full replacement: every
writable field, nullable ones may be null) and `...Patch` (PATCH: any subset, absent means
unchanged). None of them has the server-managed fields (id, created_at, updated_at, and an
invoice's amount_cents, summed from its lines), which the resources mark readOnly; a request
body that carries them anyway (a GET's body sent back) has them ignored, as extra keys are.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, RootModel

T = TypeVar("T")
READ_ONLY: dict[str, Any] = {"readOnly": True}

Label = Annotated[str, Field(min_length=1, max_length=50)]
Tag = Annotated[str, Field(min_length=1, max_length=50)]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Priority = Annotated[int, Field(ge=1, le=5, description="1 (highest) to 5.")]
# The currencies the invoicing accepts (ISO 4217); invoices read back as the three letters.
Currency = Annotated[Literal["EUR", "USD", "GBP", "CHF"], Field(description="ISO 4217 code.")]
Country = Annotated[str, Field(min_length=2, max_length=2, pattern="^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")]


class TaskStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    PAID = "paid"
    VOID = "void"


# -- the nested parts: the same models in requests and responses ------------------------------------
class ChecklistItem(BaseModel):
    text: str = Field(min_length=1, max_length=200)
    done: bool = False


class Address(BaseModel):
    city: str = Field(min_length=1, max_length=100)
    country: Country


class Billing(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    address: Address


class InvoiceLine(BaseModel):
    description: str = Field(min_length=1, max_length=200)
    quantity: int = Field(ge=1, le=1_000_000)
    unit_price: float = Field(ge=0, le=1_000_000_000, description="In the invoice's currency, e.g. 12.5.")


# -- resources (responses) -------------------------------------------------------------------------
class Resource(BaseModel):
    # from_attributes is not needed (rows are dicts); extra columns (tenant_id) are dropped.
    model_config = ConfigDict(extra="ignore")

    id: int = Field(description="Integer id, unique within the plugin.", json_schema_extra=READ_ONLY)
    created_at: datetime = Field(json_schema_extra=READ_ONLY)
    updated_at: datetime = Field(json_schema_extra=READ_ONLY)


class Task(Resource):
    title: str
    status: TaskStatus
    priority: int = Field(ge=1, le=5, description="1 (highest) to 5.")
    due_date: date | None = None
    labels: list[str]
    checklist: list[ChecklistItem]


class Contact(Resource):
    name: str
    email: str
    company: str | None = None
    phone: str | None = None


class Invoice(Resource):
    number: str
    customer_name: str
    amount_cents: int = Field(description="The sum of the lines (quantity × unit price), in cents.",
                              json_schema_extra=READ_ONLY)
    currency: str = Field(min_length=3, max_length=3)
    status: InvoiceStatus
    paid_at: datetime | None = None
    lines: list[InvoiceLine]
    billing: Billing
    tags: list[str]


# -- request bodies --------------------------------------------------------------------------------
def without_defaults(schema: dict[str, Any]) -> None:
    """A PATCH schema's properties have no default: an absent field is left as it is, not defaulted."""
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Patch(Body):
    """Fields default to None only so that they may be absent (`exclude_unset` tells which were
    sent); a null sent for a field whose type does not allow it is refused."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=without_defaults)


class TaskCreate(Body):
    title: Title
    status: TaskStatus = TaskStatus.OPEN
    priority: Priority = 3
    due_date: date | None = None
    labels: list[Label] = Field(default_factory=list, max_length=20)
    checklist: list[ChecklistItem] = Field(default_factory=list, max_length=50)


class TaskUpdate(Body):
    title: Title
    status: TaskStatus
    priority: Priority
    due_date: date | None
    labels: list[Label] = Field(max_length=20)
    checklist: list[ChecklistItem] = Field(max_length=50)


class TaskPatch(Patch):
    title: Title = None  # type: ignore[assignment]
    status: TaskStatus = None  # type: ignore[assignment]
    priority: Priority = None  # type: ignore[assignment]
    due_date: date | None = None
    labels: list[Label] = Field(default=None, max_length=20)  # type: ignore[arg-type]
    checklist: list[ChecklistItem] = Field(default=None, max_length=50)  # type: ignore[arg-type]


class InvoiceCreate(Body):
    number: str = Field(min_length=1, max_length=40)
    customer_name: str = Field(min_length=1, max_length=200)
    currency: Currency
    status: InvoiceStatus = InvoiceStatus.DRAFT
    paid_at: datetime | None = None
    lines: list[InvoiceLine] = Field(min_length=1, max_length=100)
    billing: Billing
    tags: list[Tag] = Field(default_factory=list, max_length=20)


class InvoiceUpdate(Body):
    number: str = Field(min_length=1, max_length=40)
    customer_name: str = Field(min_length=1, max_length=200)
    currency: Currency
    status: InvoiceStatus
    paid_at: datetime | None
    lines: list[InvoiceLine] = Field(min_length=1, max_length=100)
    billing: Billing
    tags: list[Tag] = Field(max_length=20)


class InvoicePatch(Patch):
    number: str = Field(default=None, min_length=1, max_length=40)  # type: ignore[assignment]
    customer_name: str = Field(default=None, min_length=1, max_length=200)  # type: ignore[assignment]
    currency: Currency = None  # type: ignore[assignment]
    status: InvoiceStatus = None  # type: ignore[assignment]
    paid_at: datetime | None = None
    lines: list[InvoiceLine] = Field(default=None, min_length=1, max_length=100)  # type: ignore[arg-type]
    billing: Billing = None  # type: ignore[assignment]
    tags: list[Tag] = Field(default=None, max_length=20)  # type: ignore[arg-type]


# -- envelopes and errors --------------------------------------------------------------------------
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
    """A 400 for invalid parameters or payload: each offending field name (a dotted path for a
    nested one, e.g. `lines.0.quantity`) mapped to its messages."""
