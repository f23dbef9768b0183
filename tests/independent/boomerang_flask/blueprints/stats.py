"""The `stats` module.

    GET /v1/stats/summary   non-paginated: {"data": {counters..., generated_at}}

Breakers here: BMR-ENVELOPE-DATA@stats and BMR-RESPONSE-CONTENT-TYPE@stats in this file;
BMR-AUTH-MISSING@stats lives in the app's auth hook.
"""

from __future__ import annotations

from flask import Blueprint, Response

from ..behaviour import Behaviour
from ..data import DataSet
from ..responses import bare_json_response, json_response

NAME = "stats"


def create_blueprint(behaviour: Behaviour, data: DataSet) -> Blueprint:
    bp = Blueprint(NAME, __name__, url_prefix="/v1/stats")

    @bp.get("/summary")
    def summary() -> Response:
        # A fixed snapshot (generated_at included): two identical GETs give identical bodies.
        summary = data.summary()
        body = summary if behaviour.breaks("BMR-ENVELOPE-DATA", NAME) else {"data": summary}
        if behaviour.breaks("BMR-RESPONSE-CONTENT-TYPE", NAME):
            return bare_json_response(body)
        return json_response(body)

    return bp
