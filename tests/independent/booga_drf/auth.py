"""API-key authentication: `Authorization: Bearer <key>` or `X-API-Key: <key>`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, TokenAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from .models import ApiKey, Tenant

# DRF turns NotAuthenticated into 403 when the first authentication class's authenticate_header()
# is None; the document wants 401 for missing credentials, so every class names a challenge.
REALM = 'realm="api"'


@dataclass(frozen=True)
class KeyPrincipal:
    """request.user: the API key and the tenant it belongs to (no django.contrib.auth user)."""

    api_key: ApiKey

    @property
    def tenant(self) -> Tenant:
        return self.api_key.tenant

    @property
    def is_authenticated(self) -> bool:
        return True


def find_key(raw: str) -> ApiKey | None:
    raw = raw.strip()
    if not raw:
        return None
    return ApiKey.objects.select_related("tenant").filter(key=raw).first()


def authenticated(raw: str) -> tuple[KeyPrincipal, ApiKey]:
    api_key = find_key(raw)
    if api_key is None:
        raise exceptions.AuthenticationFailed("Invalid API key.")
    return KeyPrincipal(api_key), api_key


class BearerKeyAuthentication(TokenAuthentication):
    """DRF's token parsing of the Authorization header, with the keyword the document names."""

    keyword = "Bearer"

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        return authenticated(key)

    def authenticate_header(self, request: Request) -> str:
        return f"{self.keyword} {REALM}"


class TokenKeyAuthentication(BearerKeyAuthentication):
    """Breaker BGA-AUTH-BEARER: DRF TokenAuthentication's default keyword, `Token <key>`."""

    keyword = "Token"


class HeaderKeyAuthentication(BaseAuthentication):
    header = "HTTP_X_API_KEY"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        raw = request.META.get(self.header)
        if raw is None:
            return None  # no X-API-Key: not this scheme; IsAuthenticated answers 401
        return authenticated(raw)

    def authenticate_header(self, request: Request) -> str:
        return f"Bearer {REALM}"


class WriteFallbackHeaderKeyAuthentication(HeaderKeyAuthentication):
    """Breaker BGA-AUTH-WRITE@files:invalid: a write whose X-API-Key is not issued is taken as the
    default tenant's (a legacy import path's fallback); reads, Bearer keys and issued keys are as ever."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        raw = request.META.get(self.header)
        if raw is None or not raw.strip() or request.method in SAFE_METHODS or find_key(raw) is not None:
            return super().authenticate(request)
        fallback = ApiKey(key=raw.strip(), tenant=default_tenant())  # never saved; the default scopes
        return KeyPrincipal(fallback), fallback


def default_tenant() -> Tenant:
    """The deployment's first tenant (tenant A): where the intake breakers file what they accept."""
    tenant = Tenant.objects.order_by("pk").first()
    if tenant is None:
        raise exceptions.NotAuthenticated()
    return tenant


class HasScope(BasePermission):
    """The key's scopes must include the view's `required_scope` (views without one need none)."""

    code = "permission_denied"

    def has_permission(self, request: Request, view: Any) -> bool:
        scope = getattr(view, "required_scope", None)
        if scope is None or not isinstance(request.user, KeyPrincipal):
            return True  # IsAuthenticated, listed first, has already refused anonymous requests
        self.message = f"This API key lacks the {scope} scope."
        return request.user.api_key.has_scope(scope)
