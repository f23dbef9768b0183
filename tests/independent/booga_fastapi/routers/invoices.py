"""The invoices plugin: GET and POST /api/invoices/ (created_after); GET, PUT, PATCH and DELETE /api/invoices/{id}/.

An invoice has an array of nested objects (lines of {description, quantity, unit_price}), a
nested object (billing: {name, address: {city, country}}) and an array of strings (tags); PUT
and PATCH replace each whole. amount_cents is the server's: the lines' sum, in cents.
"""

# No `from __future__ import annotations`: FastAPI reads the signatures of the endpoints and
# dependencies defined in functions below, and cannot resolve string annotations naming their locals.

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from ..auth import Principal, authenticator, get_db
from ..db import Database, now, stamp
from ..db import Query as Select
from ..errors import not_found
from ..models import Invoice, InvoiceCreate, InvoicePage, InvoicePatch, InvoiceUpdate
from ..pagination import PageParams, links, page_params
from ..settings import SQLITE_MAX_INT, Settings
from . import CREATE_RESPONSES, DELETE_RESPONSES, ITEM_RESPONSES, LIST_RESPONSES, WRITE_RESPONSES, require_json

PLUGIN = "invoices"
InvoiceId = Annotated[int, Path(ge=1, le=SQLITE_MAX_INT, description="The invoice's id.")]
# BGA-TENANCY-CREATE@invoices: the tenant the invoicing import was set up for (tenant B's slug).
IMPORT_TENANT_SLUG = "tb"


def columns(body: InvoiceCreate | InvoiceUpdate | InvoicePatch, partial: bool = False) -> dict[str, Any]:
    """The stored columns of a request body (only those sent, when `partial`): paid_at in UTC."""
    values = body.model_dump(mode="json", exclude_unset=partial)
    if values.get("paid_at") is not None and isinstance(body.paid_at, datetime):
        paid = body.paid_at if body.paid_at.tzinfo else body.paid_at.replace(tzinfo=UTC)
        values["paid_at"] = stamp(paid)
    return values


def amount_cents(lines: list[dict[str, Any]]) -> int:
    return sum(round(line["unit_price"] * 100) * line["quantity"] for line in lines)


def declared_created_after(
    created_after: Annotated[date | None, Query(description="Only invoices created on or after this day "
                                                            "(YYYY-MM-DD, UTC).")] = None,
) -> date | None:
    return created_after


def no_created_after() -> date | None:
    return None


def build(settings: Settings) -> APIRouter:
    router = APIRouter(prefix=f"/api/{PLUGIN}", tags=[PLUGIN])
    auth = authenticator(settings, PLUGIN)
    write_auth = authenticator(settings, PLUGIN, write=True)
    since = no_created_after if settings.bare else declared_created_after
    pagination = page_params(settings, PLUGIN)
    # Breaker BGA-FILTER-CREATED-AFTER@invoices: the bound is put on the wrong column.
    column = "updated_at" if settings.breaks("BGA-FILTER-CREATED-AFTER", PLUGIN) else "created_at"

    @router.get("/", response_model=InvoicePage, responses=LIST_RESPONSES, summary="List invoices")
    def list_invoices(request: Request, principal: Annotated[Principal, Depends(auth)],
                      page: Annotated[PageParams, Depends(pagination)],
                      created_after: Annotated[date | None, Depends(since)],
                      db: Annotated[Database, Depends(get_db)]) -> InvoicePage:
        select = Select("invoices", principal.tenant_id)
        if created_after is not None:
            # Timestamps are stored as YYYY-MM-DDTHH:MM:SSZ (seed.stamp): text order is time order.
            select.filter(f"{column} >= ?", f"{created_after.isoformat()}T00:00:00Z")
        count, rows = db.page(select, page.limit, page.sql_offset)
        following, preceding = links(request, page, count, settings, PLUGIN)
        return InvoicePage(count=count, next=following, previous=preceding,
                           results=[Invoice.model_validate(r) for r in rows])

    @router.get("/{id}/", response_model=Invoice, responses=ITEM_RESPONSES, summary="Retrieve an invoice")
    def get_invoice(id: InvoiceId, principal: Annotated[Principal, Depends(auth)],
                    db: Annotated[Database, Depends(get_db)]) -> Invoice:
        # Breaker BGA-TENANCY-ITEM@invoices: the item is looked up by id alone, whoever's it is.
        tenant = None if settings.breaks("BGA-TENANCY-ITEM", PLUGIN) else principal.tenant_id
        row = db.get("invoices", id, tenant)
        if row is None:
            raise not_found()
        return Invoice.model_validate(row)

    # -- writes (the JSON check follows the credentials: a stranger gets a 401 whatever it sends) ---
    @router.post("/", status_code=201, response_model=Invoice, responses=CREATE_RESPONSES,
                 summary="Create an invoice")
    def create_invoice(principal: Annotated[Principal, Depends(write_auth)],
                       _json: Annotated[None, Depends(require_json)], invoice: InvoiceCreate,
                       db: Annotated[Database, Depends(get_db)]) -> Invoice:
        owner = principal.tenant_id
        if settings.breaks("BGA-TENANCY-CREATE", PLUGIN):
            # Breaker: the new invoice is filed under the import's tenant, whoever's key created it
            # (its creator still sees it: created_by is right).
            owner = db.tenant_by_slug(IMPORT_TENANT_SLUG) or owner
        values = columns(invoice)
        at = now()
        row = db.create("invoices", {**values, "amount_cents": amount_cents(values["lines"]), "tenant_id": owner,
                                     "created_by": principal.tenant_id, "created_at": at, "updated_at": at})
        return Invoice.model_validate(row)

    @router.put("/{id}/", response_model=Invoice, responses=WRITE_RESPONSES, summary="Replace an invoice")
    def replace_invoice(id: InvoiceId, principal: Annotated[Principal, Depends(write_auth)],
                        _json: Annotated[None, Depends(require_json)], invoice: InvoiceUpdate,
                        db: Annotated[Database, Depends(get_db)]) -> Invoice:
        values = columns(invoice)
        if settings.breaks("BGA-WRITE-PUT-IDEMPOTENT", PLUGIN):
            # Breaker: the lines sent are appended to the invoice's, as if PUT meant "add these lines".
            current = db.get("invoices", id, principal.tenant_id)
            if current is None:
                raise not_found()
            values["lines"] = [*current["lines"], *values["lines"]]
        row = db.update("invoices", id, principal.tenant_id,
                        {**values, "amount_cents": amount_cents(values["lines"]), "updated_at": now()})
        if row is None:
            raise not_found()
        return Invoice.model_validate(row)

    @router.patch("/{id}/", response_model=Invoice, responses=WRITE_RESPONSES,
                  summary="Update some of an invoice's fields")
    def update_invoice(id: InvoiceId, principal: Annotated[Principal, Depends(write_auth)],
                       _json: Annotated[None, Depends(require_json)], invoice: InvoicePatch,
                       db: Annotated[Database, Depends(get_db)]) -> Invoice:
        changes = columns(invoice, partial=True)
        if "lines" in changes:
            changes["amount_cents"] = amount_cents(changes["lines"])
        row = db.update("invoices", id, principal.tenant_id, {**changes, "updated_at": now()})
        if row is None:
            raise not_found()
        return Invoice.model_validate(row)

    @router.delete("/{id}/", status_code=204, response_class=Response, responses=DELETE_RESPONSES,
                   summary="Delete an invoice")
    def delete_invoice(id: InvoiceId, principal: Annotated[Principal, Depends(write_auth)],
                       db: Annotated[Database, Depends(get_db)]) -> Response:
        # Breaker BGA-TENANCY-WRITE@invoices: the row to delete is found by id alone, whoever's it is.
        tenant = None if settings.breaks("BGA-TENANCY-WRITE", PLUGIN) else principal.tenant_id
        if not db.delete("invoices", id, tenant):
            raise not_found()
        return Response(status_code=204)

    return router
