"""GET /api/api-management/openapi-schema/: drf-spectacular's schema, filtered by plugin.

A path's plugin is its group: the segment after /api/ (files, projects, api-management).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from . import options


class ApiKeyHeaderScheme(OpenApiAuthenticationExtension):
    """X-API-Key in the schema's security schemes (Bearer comes from drf-spectacular's TokenScheme).

    Without it drf-spectacular prints a warning on every schema request.
    """

    target_class = "tests.independent.booga_drf.auth.HeaderKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "X-API-Key"}


def plugin_of(path: str) -> str:
    parts = path.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "api" else ""


def wanted_plugins(request: Request) -> set[str] | None:
    """The plugins named by plugin= and include_plugins= (together), or None for all."""
    names: set[str] = set()
    named = False
    for param in ("plugin", "include_plugins"):
        raw = request.query_params.get(param)
        if raw is not None and raw.strip():
            named = True
            names.update(n.strip() for n in raw.split(",") if n.strip())
    return names if named else None


class PluginSchemaView(SpectacularAPIView):
    # drf-spectacular lists YAML first, so a client without an Accept header (and every error
    # this view raises, 401 included) would get YAML; JSON first serves JSON unless YAML is asked for.
    renderer_classes = (OpenApiJsonRenderer2, OpenApiJsonRenderer, OpenApiYamlRenderer, OpenApiYamlRenderer2)
    # drf-spectacular serves the schema to anyone by default (AllowAny); this API wants the key.
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        parameters=[
            OpenApiParameter("plugin", str, description="Only this plugin's paths (e.g. files)."),
            OpenApiParameter("include_plugins", str, description="Comma-separated plugins to include."),
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().get(request, *args, **kwargs)
        wanted = wanted_plugins(request)
        if wanted is not None and not options.current.breaks("BGA-OPENAPI-PLUGIN"):
            paths = response.data.get("paths", {})
            response.data["paths"] = {p: item for p, item in paths.items() if plugin_of(p) in wanted}
        return response
