"""The contacts plugin: GET /api/contacts/ (search) and GET /api/contacts/{id}/."""

# No `from __future__ import annotations`: FastAPI reads the signatures of the endpoints and
# dependencies defined in functions below, and cannot resolve string annotations naming their locals.

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from ..auth import Principal, authenticator, get_db
from ..db import Database
from ..db import Query as Select
from ..errors import not_found
from ..models import Contact, ContactPage
from ..pagination import PageParams, links, page_params
from ..settings import SQLITE_MAX_INT, Settings
from . import ITEM_RESPONSES, LIST_RESPONSES

PLUGIN = "contacts"
SEARCHED = ("name", "email", "company")


def declared_search(
    search: Annotated[str | None, Query(description="Free-text search: every word must occur in the name, "
                                                    "email or company (case-insensitive).")] = None,
) -> str | None:
    return search


def no_search() -> str | None:
    return None


def build(settings: Settings) -> APIRouter:
    router = APIRouter(prefix=f"/api/{PLUGIN}", tags=[PLUGIN])
    auth = authenticator(settings, PLUGIN)
    searching = no_search if settings.bare else declared_search
    pagination = page_params(settings, PLUGIN)

    @router.get("/", response_model=ContactPage, responses=LIST_RESPONSES, summary="List contacts")
    def list_contacts(request: Request, principal: Annotated[Principal, Depends(auth)],
                      page: Annotated[PageParams, Depends(pagination)],
                      search: Annotated[str | None, Depends(searching)],
                      db: Annotated[Database, Depends(get_db)]) -> ContactPage:
        # Breaker BGA-TENANCY-LIST@contacts: the listing forgets the tenant (items stay scoped).
        select = Select("contacts", None if settings.breaks("BGA-TENANCY-LIST", PLUGIN) else principal.tenant_id)
        if search and not settings.breaks("BGA-FILTER-SEARCH", PLUGIN):  # breaker: declared, never applied
            # instr(), not LIKE: a term's % and _ are text, never wildcards, and need no escaping.
            for term in search.split():
                select.filter(" OR ".join(f"instr(lower(coalesce({c}, '')), lower(?)) > 0" for c in SEARCHED),
                              *[term] * len(SEARCHED))
        count, rows = db.page(select, page.limit, page.sql_offset)
        following, preceding = links(request, page, count, settings, PLUGIN)
        return ContactPage(count=count, next=following, previous=preceding,
                           results=[Contact.model_validate(r) for r in rows])

    @router.get("/{id}/", response_model=Contact, responses=ITEM_RESPONSES, summary="Retrieve a contact")
    def get_contact(id: Annotated[int, Path(ge=1, le=SQLITE_MAX_INT, description="The contact's id.")],
                    principal: Annotated[Principal, Depends(auth)],
                    db: Annotated[Database, Depends(get_db)]) -> Contact | JSONResponse:
        if settings.breaks("BGA-NOT-FOUND", PLUGIN):
            # Breaker: looked up across tenants first; an id that names no contact at all is "nothing
            # to show", 200 {}. Another tenant's contact is still a 404.
            row = db.get("contacts", id, None)
            if row is None:
                return JSONResponse({})
            if row["tenant_id"] != principal.tenant_id:
                raise not_found()
            return Contact.model_validate(row)
        row = db.get("contacts", id, principal.tenant_id)
        if row is None:
            raise not_found()
        return Contact.model_validate(row)

    return router
