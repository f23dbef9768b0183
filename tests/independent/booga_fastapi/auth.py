"""API-key authentication as FastAPI security dependencies: `Authorization: Bearer <key>` or `X-API-Key`.

Both schemes are FastAPI's own (HTTPBearer, APIKeyHeader) with auto_error=False: their default
errors are 403 (older FastAPI) or 401 without a code, and a request may carry either header, so
the dependency decides: a Bearer credential when the Authorization header has one, else the
X-API-Key header; no credential, an Authorization header of another scheme, or a key that is not
issued is a 401 `{detail, code}` with a Bearer challenge. The OpenAPI document lists both schemes
as alternatives.

Reads and writes have a dependency each (`authenticator(..., write=)`), so that a plugin's
breaker may weaken one and not the other: BGA-AUTH-INVALID@invoices is the reads' (an X-API-Key
checked by its length), BGA-AUTH-WRITE@tasks the writes' (an unknown Bearer key falls back to
the default tenant). `identify` answers the same question outside a dependency, for the
exception handler of a body FastAPI could not even parse (it parses before any dependency runs).
"""

# No `from __future__ import annotations`: FastAPI reads the signatures of the endpoints and
# dependencies defined in functions below, and cannot resolve string annotations naming their locals.

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from . import KEY_A
from .db import Database
from .errors import ApiError
from .settings import Settings

bearer_scheme = HTTPBearer(auto_error=False, scheme_name="bearerAuth", description="Authorization: Bearer <api_key>")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="apiKeyAuth",
                              description="X-API-Key: <api_key>")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="api"'}
NO_TENANT = -1  # a tenant id no row has
# BGA-AUTH-WRITE@tasks: the tenant a write with an unknown Bearer key falls back to (tenant A's slug).
DEFAULT_TENANT_SLUG = "ta"


@dataclass(frozen=True)
class Principal:
    """Who is asking: the key presented and the tenant it belongs to."""

    key: str
    tenant_id: int


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def unauthorized(detail: str, code: str) -> ApiError:
    return ApiError(401, detail, code, CHALLENGE)


def presented(request: Request, bearer: HTTPAuthorizationCredentials | None, api_key: str | None) -> tuple[str, str]:
    """(the key, the header it came in): Bearer first, then X-API-Key; raises 401 when there is none."""
    if bearer is not None:
        return bearer.credentials, "bearer"
    if request.headers.get("Authorization", "").strip() and not api_key:
        # HTTPBearer(auto_error=False) ignores another scheme (Basic, Token): a credential all the same.
        raise unauthorized("Unsupported authorization scheme; use Bearer or X-API-Key.", "authentication_failed")
    if api_key:
        return api_key.strip(), "api-key"
    raise unauthorized("Authentication credentials were not provided.", "not_authenticated")


def resolve(request: Request, bearer: HTTPAuthorizationCredentials | None, api_key: str | None, db: Database,
            settings: Settings, plugin: str | None, write: bool) -> Principal:
    """The Principal of a request to `plugin` (a read, or a write), or a 401 raised."""
    key, header = presented(request, bearer, api_key)
    if plugin is not None and not write and settings.breaks("BGA-AUTH-INVALID", plugin) \
            and header == "api-key" and len(key) == len(KEY_A):
        # Breaker BGA-AUTH-INVALID@<plugin>: a read's X-API-Key checked by its length, as a gateway
        # validating the key's format would, the tenant taken from the key's `bge_t<tenant>_` part
        # without looking the key up (an unknown tenant sees no rows).
        parts = key.split("_")
        tenant = db.tenant_by_slug(parts[1]) if len(parts) > 2 else None
        return Principal(key, tenant if tenant is not None else NO_TENANT)
    found = db.find_key(key)
    if found is not None:
        return Principal(found.key, found.tenant_id)
    if plugin is not None and write and settings.breaks("BGA-AUTH-WRITE", plugin) and header == "bearer":
        # Breaker BGA-AUTH-WRITE@<plugin>: a write whose Bearer key is not issued is not refused but
        # run as the default tenant (a development fallback left in the write path).
        tenant = db.tenant_by_slug(DEFAULT_TENANT_SLUG)
        assert tenant is not None
        return Principal(key, tenant)
    raise unauthorized("Invalid API key.", "authentication_failed")


def authenticator(settings: Settings, plugin: str | None = None, write: bool = False) -> Callable[..., Principal]:
    """The dependency of one router's reads (or, with `write`, of its writes): the Principal, or a 401.

    `plugin` lets a router carry its own breaker (see `resolve`).
    """

    def authenticate(request: Request,
                     bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
                     api_key: Annotated[str | None, Security(api_key_scheme)],
                     db: Annotated[Database, Depends(get_db)]) -> Principal:
        return resolve(request, bearer, api_key, db, settings, plugin, write)

    return authenticate


async def identify(request: Request, plugin: str | None, write: bool) -> Principal:
    """What the route's dependency would answer, for a request that never reached it; raises a 401."""
    bearer = await bearer_scheme(request)
    api_key = await api_key_scheme(request)
    return resolve(request, bearer, api_key, get_db(request), request.app.state.settings, plugin, write)
