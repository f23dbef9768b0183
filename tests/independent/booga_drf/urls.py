"""URL layout: DESIGN.md's Booga defaults (files) plus two more plugins (projects, tickets).

With --prefix the same layout lives under the prefix: Django strips it as the script name
(settings.FORCE_SCRIPT_NAME), so these patterns, and the schema's paths, stay /api/... .
"""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import options
from .schema import PluginSchemaView
from .views import FileViewSet, ProjectViewSet, TicketViewSet

# SimpleRouter: no browsable API root and no format-suffix routes (files.json), as an API-only
# deployment would have it.
router = SimpleRouter()
router.register("files", FileViewSet, basename="file")
router.register("projects", ProjectViewSet, basename="project")
router.register("tickets", TicketViewSet, basename="ticket")

urlpatterns = [path("api/", include(router.urls))]
# Breaker BGA-OPENAPI-SCHEMA: the document's fixed schema path is not routed (a 404 in the API's own
# error format) while every list answers: the target's failure, not a wrong base URL.
if not options.current.breaks("BGA-OPENAPI-SCHEMA"):
    urlpatterns.append(path("api/api-management/openapi-schema/", PluginSchemaView.as_view(), name="openapi-schema"))

# Django's own error pages are HTML; an API answers JSON even for URLs no route matches.
handler400 = "tests.independent.booga_drf.errors.bad_request"
handler403 = "tests.independent.booga_drf.errors.permission_denied"
handler404 = "tests.independent.booga_drf.errors.not_found"
handler500 = "tests.independent.booga_drf.errors.server_error"
