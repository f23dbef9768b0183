"""The tasks plugin: GET /api/tasks/ (status, ordering) and GET /api/tasks/{id}/."""

# No `from __future__ import annotations`: FastAPI reads the signatures of the endpoints and
# dependencies defined in functions below, and cannot resolve string annotations naming their locals.

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from ..auth import Principal, authenticator, get_db
from ..db import Database
from ..db import Query as Select
from ..errors import not_found
from ..models import Task, TaskPage, TaskStatus
from ..pagination import PageParams, links, page_params
from ..settings import SQLITE_MAX_INT, Settings
from . import ITEM_RESPONSES, LIST_RESPONSES

PLUGIN = "tasks"
Ordering = Literal["created_at", "-created_at", "title", "-title", "priority", "-priority"]


@dataclass(frozen=True)
class TaskFilters:
    status: TaskStatus | None = None
    ordering: str | None = None


def declared_filters(
    status: Annotated[TaskStatus | None, Query(description="Only tasks with this status.")] = None,
    ordering: Annotated[Ordering | None, Query(description="Sort by this field; prefix with - for descending.")]
    = None,
) -> TaskFilters:
    return TaskFilters(status, ordering)


def no_filters() -> TaskFilters:
    """--bare: the list declares (and so accepts) no filter at all; unknown parameters are ignored."""
    return TaskFilters()


def build(settings: Settings) -> APIRouter:
    router = APIRouter(prefix=f"/api/{PLUGIN}", tags=[PLUGIN])
    auth = authenticator(settings, PLUGIN)
    filters = no_filters if settings.bare else declared_filters
    pagination = page_params(settings, PLUGIN)

    @router.get("/", response_model=TaskPage, responses=LIST_RESPONSES, summary="List tasks")
    def list_tasks(request: Request, principal: Annotated[Principal, Depends(auth)],
                   page: Annotated[PageParams, Depends(pagination)], chosen: Annotated[TaskFilters, Depends(filters)],
                   db: Annotated[Database, Depends(get_db)]) -> TaskPage:
        select = Select("tasks", principal.tenant_id)
        if chosen.status is not None and not settings.breaks("BGA-FILTER-STATUS", PLUGIN):
            select.filter("status = ?", chosen.status.value)  # breaker: declared, never applied
        if chosen.ordering:
            select.order = chosen.ordering.lstrip("-")
            # Breaker BGA-FILTER-ORDERING@tasks: the direction prefix stripped and forgotten.
            select.descending = chosen.ordering.startswith("-") and not settings.breaks("BGA-FILTER-ORDERING", PLUGIN)
        count, rows = db.page(select, page.limit, page.sql_offset)
        following, preceding = links(request, page, count, settings, PLUGIN)
        return TaskPage(count=count, next=following, previous=preceding, results=[Task.model_validate(r) for r in rows])

    @router.get("/{id}/", response_model=Task, responses=ITEM_RESPONSES, summary="Retrieve a task")
    def get_task(id: Annotated[int, Path(ge=1, le=SQLITE_MAX_INT, description="The task's id.")],
                 principal: Annotated[Principal, Depends(auth)], db: Annotated[Database, Depends(get_db)]) -> Task:
        row = db.get("tasks", id, principal.tenant_id)
        if row is None:
            raise not_found()
        return Task.model_validate(row)

    return router
