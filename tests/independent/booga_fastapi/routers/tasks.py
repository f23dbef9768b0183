"""The tasks plugin: GET and POST /api/tasks/ (status, ordering); GET, PUT, PATCH and DELETE /api/tasks/{id}/.

A task has arrays (labels, and a checklist of {text, done}); PUT and PATCH replace an array whole.
"""

# No `from __future__ import annotations`: FastAPI reads the signatures of the endpoints and
# dependencies defined in functions below, and cannot resolve string annotations naming their locals.

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from ..auth import Principal, authenticator, get_db
from ..db import Database, now
from ..db import Query as Select
from ..errors import not_found
from ..models import Task, TaskCreate, TaskPage, TaskPatch, TaskStatus, TaskUpdate
from ..pagination import PageParams, links, page_params
from ..settings import SQLITE_MAX_INT, Settings
from . import CREATE_RESPONSES, DELETE_RESPONSES, ITEM_RESPONSES, LIST_RESPONSES, WRITE_RESPONSES, require_json

PLUGIN = "tasks"
TaskId = Annotated[int, Path(ge=1, le=SQLITE_MAX_INT, description="The task's id.")]
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
    write_auth = authenticator(settings, PLUGIN, write=True)
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
    def get_task(id: TaskId, principal: Annotated[Principal, Depends(auth)],
                 db: Annotated[Database, Depends(get_db)]) -> Task:
        row = db.get("tasks", id, principal.tenant_id)
        if row is None:
            raise not_found()
        return Task.model_validate(row)

    # -- writes (the JSON check follows the credentials: a stranger gets a 401 whatever it sends) ---
    @router.post("/", status_code=201, response_model=Task, responses=CREATE_RESPONSES, summary="Create a task")
    def create_task(principal: Annotated[Principal, Depends(write_auth)], _json: Annotated[None, Depends(require_json)],
                    task: TaskCreate, response: Response, db: Annotated[Database, Depends(get_db)]) -> Task:
        at = now()
        row = db.create("tasks", {**task.model_dump(mode="json"), "tenant_id": principal.tenant_id,
                                  "created_by": principal.tenant_id, "created_at": at, "updated_at": at})
        if settings.breaks("BGA-WRITE-CREATE", PLUGIN):
            response.status_code = 200  # Breaker: created, but answered as a plain success.
        return Task.model_validate(row)

    @router.put("/{id}/", response_model=Task, responses=WRITE_RESPONSES, summary="Replace a task")
    def replace_task(id: TaskId, principal: Annotated[Principal, Depends(write_auth)],
                     _json: Annotated[None, Depends(require_json)], task: TaskUpdate,
                     db: Annotated[Database, Depends(get_db)]) -> Task:
        row = db.update("tasks", id, principal.tenant_id, {**task.model_dump(mode="json"), "updated_at": now()})
        if row is None:
            raise not_found()
        return Task.model_validate(row)

    @router.patch("/{id}/", response_model=Task, responses=WRITE_RESPONSES, summary="Update some of a task's fields")
    def update_task(id: TaskId, principal: Annotated[Principal, Depends(write_auth)],
                    _json: Annotated[None, Depends(require_json)], task: TaskPatch,
                    db: Annotated[Database, Depends(get_db)]) -> Task:
        changes = task.model_dump(mode="json", exclude_unset=True)
        if "labels" in changes and settings.breaks("BGA-WRITE-PATCH-IDEMPOTENT", PLUGIN):
            # Breaker: the labels sent are added to the task's, as if PATCH meant "add these labels".
            current = db.get("tasks", id, principal.tenant_id)
            if current is None:
                raise not_found()
            changes["labels"] = [*current["labels"], *changes["labels"]]
        row = db.update("tasks", id, principal.tenant_id, {**changes, "updated_at": now()})
        if row is None:
            raise not_found()
        return Task.model_validate(row)

    @router.delete("/{id}/", status_code=204, response_class=Response, responses=DELETE_RESPONSES,
                   summary="Delete a task")
    def delete_task(id: TaskId, principal: Annotated[Principal, Depends(write_auth)],
                    db: Annotated[Database, Depends(get_db)]) -> Response:
        if settings.breaks("BGA-WRITE-DELETE", PLUGIN):
            # Breaker: the deleted task is sent back, 200 with a body, instead of 204 No Content.
            row = db.get("tasks", id, principal.tenant_id)
            if row is None or not db.delete("tasks", id, principal.tenant_id):
                raise not_found()
            return JSONResponse(Task.model_validate(row).model_dump(mode="json"))
        if not db.delete("tasks", id, principal.tenant_id):
            raise not_found()
        return Response(status_code=204)

    return router
