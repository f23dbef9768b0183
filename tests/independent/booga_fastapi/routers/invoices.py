"""The invoices plugin: GET /api/invoices/ (created_after) and GET /api/invoices/{id}/."""

# No `from __future__ import annotations`: FastAPI reads the signatures of the endpoints and
# dependencies defined in functions below, and cannot resolve string annotations naming their locals.

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from ..auth import Principal, authenticator, get_db
from ..db import Database
from ..db import Query as Select
from ..errors import not_found
from ..models import Invoice, InvoicePage
from ..pagination import PageParams, links, page_params
from ..settings import SQLITE_MAX_INT, Settings
from . import ITEM_RESPONSES, LIST_RESPONSES

PLUGIN = "invoices"


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
    def get_invoice(id: Annotated[int, Path(ge=1, le=SQLITE_MAX_INT, description="The invoice's id.")],
                    principal: Annotated[Principal, Depends(auth)],
                    db: Annotated[Database, Depends(get_db)]) -> Invoice:
        # Breaker BGA-TENANCY-ITEM@invoices: the item is looked up by id alone, whoever's it is.
        tenant = None if settings.breaks("BGA-TENANCY-ITEM", PLUGIN) else principal.tenant_id
        row = db.get("invoices", id, tenant)
        if row is None:
            raise not_found()
        return Invoice.model_validate(row)

    return router
