"""API-key authentication as FastAPI security dependencies: `Authorization: Bearer <key>` or `X-API-Key`.

Both schemes are FastAPI's own (HTTPBearer, APIKeyHeader) with auto_error=False: their default
errors are 403 (older FastAPI) or 401 without a code, and a request may carry either header, so
the dependency decides: a Bearer credential when the Authorization header has one, else the
X-API-Key header; no credential, an Authorization header of another scheme, or a key that is not
issued is a 401 `{detail, code}` with a Bearer challenge. The OpenAPI document lists both schemes
as alternatives.
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


def authenticator(settings: Settings, plugin: str | None = None) -> Callable[..., Principal]:
    """The dependency of one router: the Principal, or a 401.

    `plugin` lets a router carry its own breaker: BGA-AUTH-INVALID@invoices checks an X-API-Key
    by its length, as a gateway validating the key's format would, and takes the tenant from the
    key's `bge_t<tenant>_` part without looking the key up (an unknown tenant sees no rows).
    """
    format_only = plugin is not None and settings.breaks("BGA-AUTH-INVALID", plugin)

    def authenticate(request: Request,
                     bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
                     api_key: Annotated[str | None, Security(api_key_scheme)],
                     db: Annotated[Database, Depends(get_db)]) -> Principal:
        key, header = presented(request, bearer, api_key)
        if format_only and header == "api-key" and len(key) == len(KEY_A):
            parts = key.split("_")
            tenant = db.tenant_by_slug(parts[1]) if len(parts) > 2 else None
            return Principal(key, tenant if tenant is not None else NO_TENANT)
        found = db.find_key(key)
        if found is None:
            raise unauthorized("Invalid API key.", "authentication_failed")
        return Principal(found.key, found.tenant_id)

    return authenticate
