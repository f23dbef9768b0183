"""Django settings, configured in code (no DJANGO_SETTINGS_MODULE: one process, one server)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from . import options

PKG = __package__ or "tests.independent.booga_drf"


def rest_framework(opts: options.Options) -> dict[str, Any]:
    # BGA-AUTH-BEARER: only DRF TokenAuthentication's own keyword ("Token <key>") in Authorization.
    bearer = "TokenKeyAuthentication" if opts.breaks("BGA-AUTH-BEARER") else "BearerKeyAuthentication"
    conf: dict[str, Any] = {
        "DEFAULT_AUTHENTICATION_CLASSES": [f"{PKG}.auth.{bearer}", f"{PKG}.auth.HeaderKeyAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", f"{PKG}.auth.HasScope"],
        # JSON in, JSON out: no browsable API, no form parsing.
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
        "DEFAULT_PAGINATION_CLASS": f"{PKG}.pagination.FilePagination",
        "DEFAULT_FILTER_BACKENDS": [],  # each list view names its own
        "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
        # The principal is an API key, not a django.contrib.auth user.
        "UNAUTHENTICATED_USER": None,
        "EXCEPTION_HANDLER": f"{PKG}.errors.exception_handler",
    }
    if opts.breaks("BGA-ERROR-FORMAT"):
        conf["EXCEPTION_HANDLER"] = "rest_framework.views.exception_handler"  # {"detail"} only
    return conf


def configure(db_path: str, opts: options.Options) -> None:
    # FORCE_SCRIPT_NAME strips the prefix where a path has it and leaves any other path as it is;
    # this middleware answers those others 404, as the gateway would route them nowhere.
    mount = [f"{PKG}.middleware.MountPointMiddleware"] if opts.prefix else []
    settings.configure(
        DEBUG=False,
        SECRET_KEY="independent-booga-drf-not-secret",
        ALLOWED_HOSTS=["127.0.0.1", "localhost", "[::1]"],
        ROOT_URLCONF=f"{PKG}.urls",
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "rest_framework",
            "drf_spectacular",
            "django_filters",  # DjangoFilterBackend for the projects' and tickets' status
            PKG,
        ],
        # The rate limiter is outermost so that it sees every response, Django's own 404/500 included.
        MIDDLEWARE=[f"{PKG}.middleware.RateLimitMiddleware", *mount],
        # --prefix: the app as mounted under a gateway path that is passed on unstripped. Django
        # takes the prefix as the script name: request.path (and so every link DRF builds with
        # build_absolute_uri) keeps it, path_info (what the URL patterns see) drops it.
        FORCE_SCRIPT_NAME=opts.prefix or None,
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db_path}},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
        TIME_ZONE="UTC",
        USE_I18N=False,
        REST_FRAMEWORK=rest_framework(opts),
        SPECTACULAR_SETTINGS={
            "TITLE": "Booga Enterprise API (independent DRF server)",
            "VERSION": "1.0.0",
            "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
            "COMPONENT_SPLIT_REQUEST": True,
            # Projects and tickets both have a `status` with different choices: named enums, or
            # drf-spectacular would warn about the clash (and invent names) on every schema request.
            "ENUM_NAME_OVERRIDES": {
                "ProjectStatusEnum": f"{PKG}.models.ProjectStatus",
                "TicketStatusEnum": f"{PKG}.models.TicketStatus",
            },
        },
        # The test harness pipes stderr without reading it: a traceback per 500 (BGA-NO-5XX) would
        # eventually fill the pipe and stall the server. Request errors are dropped, not printed.
        LOGGING={
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"null": {"class": "logging.NullHandler"}},
            "loggers": {"django": {"handlers": ["null"], "propagate": False}},
        },
    )
