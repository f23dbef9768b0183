"""The `widgets` module.

    GET /v1/widgets?page=&limit=&color=red|green|blue   paginated
    GET /v1/widgets/{widget_id}                         non-paginated, ids wdg_001..wdg_160

Breakers here: BMR-ENVELOPE-PAGINATED, BMR-ENVELOPE-DATA, BMR-METHOD-GET-ONLY,
BMR-PAGINATION-LIMIT, BMR-REQUEST-ID-ECHO and BMR-ERROR-FIELDS, each @widgets.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import Blueprint, Response
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import NotFound
from werkzeug.routing import Rule

from ..behaviour import Behaviour
from ..data import COLORS, DataSet
from ..errors import ResourceNotFound, error_body
from ..pagination import page_of
from ..queries import MAX_LIMIT, choice, page_request
from ..responses import json_response

NAME = "widgets"
BROKEN_MAX_LIMIT = 500  # BMR-PAGINATION-LIMIT@widgets: an over-generous cap


def create_blueprint(behaviour: Behaviour, data: DataSet) -> Blueprint:
    bp = Blueprint(NAME, __name__, url_prefix="/v1/widgets")

    def breaks(rule: str) -> bool:
        return behaviour.breaks(rule, NAME)

    def list_widgets() -> Response:
        window = page_request(max_limit=BROKEN_MAX_LIMIT if breaks("BMR-PAGINATION-LIMIT") else MAX_LIMIT)
        color = choice("color", COLORS)
        items = [w for w in data.widgets if color is None or w["color"] == color]
        page = page_of(items, window)
        if breaks("BMR-ENVELOPE-PAGINATED"):
            return json_response(page["items"])  # the page's items as a bare array, no envelope
        return json_response(page)

    def get_widget(widget_id: str) -> Response:
        item = data.widgets_by_id.get(widget_id)
        if item is None:
            if breaks("BMR-ENVELOPE-DATA"):
                # A view ported from an RPC-style backend whose calls always "succeed": the lookup's
                # failure comes back as the resource, 200 and wrapped in data, instead of a 404.
                return json_response({"data": {"error": {"code": "NOT_FOUND", "message": "no such widget"}}})
            raise ResourceNotFound("no such widget", {"widget_id": widget_id})
        response = json_response({"data": item})
        if breaks("BMR-REQUEST-ID-ECHO"):
            # The view stamps an id of its own (as one that proxies an upstream service might);
            # the app's after_request hook leaves a view's X-Request-Id alone, so the client's is lost.
            response.headers["X-Request-Id"] = str(uuid.uuid4())
        return response

    routes: list[tuple[str, str, Callable[..., Response]]] = [
        ("", "list_widgets", list_widgets),
        ("/<widget_id>", "get_widget", get_widget),
    ]
    if breaks("BMR-METHOD-GET-ONLY"):
        @bp.record
        def every_method(state: BlueprintSetupState) -> None:
            # Flask's add_url_rule always gives a rule a method list (GET by default); a werkzeug
            # Rule built with methods=None matches every method, OPTIONS and extension methods
            # such as PROPFIND included, so each is answered exactly like GET.
            for path, endpoint, view in routes:
                name = f"{state.name}.{endpoint}"
                state.app.url_map.add(Rule(f"{state.url_prefix}{path}", endpoint=name, methods=None))
                state.app.view_functions[name] = view
    else:
        for path, endpoint, view in routes:
            bp.add_url_rule(path, endpoint, view, methods=["GET"])

    if breaks("BMR-ERROR-FIELDS"):
        @bp.errorhandler(NotFound)
        def legacy_not_found(exc: NotFound) -> Response:
            # A blueprint-local handler Flask prefers over the app's for errors raised in this
            # blueprint's views: the unknown-widget 404, written without trace_id.
            details = getattr(exc, "details", None)
            return json_response(error_body(404, "NOT_FOUND", exc.description or "", details,
                                            with_trace_id=False), 404)

    return bp
