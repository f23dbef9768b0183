"""JSON responses with the charset the document requires.

Flask's jsonify (its DefaultJSONProvider) sends a bare `application/json`, and werkzeug appends
`; charset=utf-8` only to text/* and a few XML types; the document requires
`application/json; charset=utf-8` on every successful response. A deployment fixes that once, in
the app's JSON provider, so that jsonify, `return dict` and the error handlers all agree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from flask import Response, current_app
from flask.json.provider import DefaultJSONProvider

JSON_UTF8 = "application/json; charset=utf-8"
JSON_BARE = "application/json"  # Flask's default: only the BMR-RESPONSE-CONTENT-TYPE breaker sends it


class Utf8JSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with the document's media type.

    sort_keys is off so bodies keep their declared order (`items` before `pagination`); ASCII
    escaping stays on, so any string a client sent can be echoed in an error body safely.
    """

    mimetype = JSON_UTF8
    sort_keys = False


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    # The provider builds current_app.response_class (flask.Response); its annotation says the base class.
    response = cast(Response, current_app.json.response(payload))
    response.status_code = status
    if headers:
        for name, value in headers.items():
            response.headers[name] = value
    return response


def bare_json_response(payload: Any) -> Response:
    """A view that serialises by hand, as Flask tutorials do: Content-Type without the charset."""
    return current_app.response_class(json.dumps(payload, separators=(",", ":")), mimetype=JSON_BARE)
