"""The `example` module: the document's own example endpoints, never touched by a breaker.

    GET /v1/example/resource?id=example-1   non-paginated: {"data": {id, name, created_at}}
    GET /v1/example/resources               paginated
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..behaviour import Behaviour
from ..data import DataSet
from ..errors import ResourceNotFound, ValidationFailed
from ..pagination import page_of
from ..queries import page_request
from ..responses import json_response

NAME = "example"


def create_blueprint(behaviour: Behaviour, data: DataSet) -> Blueprint:
    bp = Blueprint(NAME, __name__, url_prefix="/v1/example")

    @bp.get("/resource")
    def get_resource() -> Response:
        # The identifier is a query parameter here (the document's example), not a path segment.
        resource_id = request.args.get("id")
        if not resource_id:
            raise ValidationFailed("id is required", {"parameter": "id"})
        item = data.examples_by_id.get(resource_id)
        if item is None:
            raise ResourceNotFound("no such example resource", {"id": resource_id})
        return json_response({"data": item})

    @bp.get("/resources")
    def list_resources() -> Response:
        return json_response(page_of(data.examples, page_request()))

    return bp
