"""The app factory: a FastAPI application for one set of Settings, its database seeded."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from . import errors, openapi, seed
from .db import Database
from .ratelimit import RateLimitMiddleware
from .routers import contacts, invoices, tasks
from .settings import Settings


def operation_id(route: APIRoute) -> str:
    """Readable operation ids (list_tasks, get_task) instead of FastAPI's list_tasks_api_tasks__get."""
    return route.name


def create_app(settings: Settings) -> FastAPI:
    db = Database()
    seed.seed(db, settings)
    app = FastAPI(
        title="Booga Enterprise API (FastAPI deployment)",
        version="2026.3.0",
        description="Tasks, contacts and invoices. Authenticate with Authorization: Bearer <key> or X-API-Key.",
        # The document lives at the one path Booga fixes, behind a key (openapi.py); FastAPI's own
        # /openapi.json, /docs and /redoc would serve it to anyone, in 3.1.
        openapi_url=None, docs_url=None, redoc_url=None,
        # Starlette answers /api/tasks with a 307 to /api/tasks/ (an empty text body); an API-only
        # deployment answers a JSON 404 for a path it does not route, as for any other.
        redirect_slashes=False,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.state.db = db
    errors.install(app)
    for router in (tasks.build(settings), contacts.build(settings), invoices.build(settings), openapi.build(settings)):
        app.include_router(router)
    app.add_middleware(RateLimitMiddleware, db=db, settings=settings)

    def custom_openapi() -> dict[str, Any]:
        return openapi.build_document(app)

    app.openapi = custom_openapi  # type: ignore[method-assign]
    return app
