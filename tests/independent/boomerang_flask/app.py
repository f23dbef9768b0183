"""The Flask app factory: configuration, request hooks, error handlers, one blueprint per module.

Request hooks, in the order Flask runs them (every before_request hook runs before the view, and
before werkzeug's routing 404/405 is raised, so a request to an unknown path or with another
method is authenticated first):

1. routing redirects (werkzeug's `/v1//x` -> `/v1/x` 308) are re-raised where the error handlers
   see them;
2. `Authorization: Bearer <TOKEN>`, else 401 UNAUTHORIZED;
3. any request Content-Type, else 400 VALIDATION_FAILED;
after_request: X-Request-Id, the client's echoed exactly, else a fresh uuid4 — on every response,
error handlers' answers and 500s included (Flask finalises those through after_request too).
"""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import NotFound, Unauthorized
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.routing import RequestRedirect

from . import TOKEN, UNROUTED, errors
from .behaviour import Behaviour
from .blueprints import FACTORIES
from .data import DataSet
from .errors import Int64Overflow, RoutingRedirect, ValidationFailed
from .responses import Utf8JSONProvider

REALM = "boomerang"
API_ROOT = "/v1/"  # the BMR-ERROR-FIELDS@unrouted breaker's territory: unrouted paths under it
# What Falcon's default error serializer answers for its HTTPNotFound: the title alone, as JSON.
FALCON_NOT_FOUND = b'{"title": "404 Not Found"}'
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


class InjectedFaultFilter(logging.Filter):
    """Shortens Flask's logged traceback for the BMR-NO-5XX breaker's deliberate overflow to one line.

    The test harness pipes stderr and never reads it: many full tracebacks would fill the pipe
    and block the server mid-run.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], Int64Overflow):
            record.msg, record.args, record.exc_info = f"injected 500: {record.exc_info[1]}", (), None
        return True


def challenge(error: str | None = None) -> WWWAuthenticate:
    parameters: dict[str, str | None] = {"realm": REALM}
    if error is not None:
        parameters["error"] = error
    return WWWAuthenticate("Bearer", parameters)


def configure(app: Flask) -> None:
    """What every app of this deployment shares: media type, error format, X-Request-Id."""
    # Without this Flask adds OPTIONS to every rule and answers it itself (200, an Allow header,
    # an empty text/html body); the document admits GET only. It must be set before any rule is
    # registered: Flask reads it in add_url_rule.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.json = Utf8JSONProvider(app)
    errors.install(app)

    @app.before_request
    def reraise_routing_redirect() -> None:
        # Flask returns a RequestRedirect as werkzeug's HTML page without consulting any error
        # handler; the document wants the error body on every non-2xx answer, 3xx included.
        if isinstance(request.routing_exception, RequestRedirect):
            raise RoutingRedirect(request.routing_exception)

    @app.after_request
    def stamp_request_id(response: Response) -> Response:
        # A view may have set one of its own; otherwise the client's value, byte for byte (the WSGI
        # environ holds it as latin-1 text, which werkzeug encodes back the same way).
        if "X-Request-Id" not in response.headers:
            supplied = request.headers.get("X-Request-Id")
            if supplied is None or "\r" in supplied or "\n" in supplied:
                supplied = str(uuid.uuid4())
            response.headers["X-Request-Id"] = supplied
        return response


def create_app(behaviour: Behaviour | None = None) -> Flask:
    behaviour = behaviour or Behaviour()
    # No static folder: Flask would otherwise route /static/<path> on this JSON-only API.
    app = Flask(__name__, static_folder=None)
    configure(app)
    app.logger.addFilter(InjectedFaultFilter())
    data = DataSet()

    @app.before_request
    def authenticate() -> None:
        module = request.blueprint  # None when no route matched: then nothing is exempt
        header = request.headers.get("Authorization")
        if header is None:
            if behaviour.breaks("BMR-AUTH-MISSING", module):
                return
            raise Unauthorized("an Authorization: Bearer token is required", www_authenticate=challenge())
        credentials = request.authorization
        if credentials is None or credentials.type != "bearer" or not credentials.token:
            raise Unauthorized("the Authorization header is not 'Bearer <token>'",
                               www_authenticate=challenge("invalid_request"))
        # compare_digest on bytes: constant time, and no TypeError on non-ASCII header text.
        if not hmac.compare_digest(credentials.token.encode("utf-8", "surrogateescape"), TOKEN.encode()):
            if behaviour.breaks("BMR-AUTH-INVALID", module) and request.endpoint == "orders.list_orders":
                return
            raise Unauthorized("the token is not valid", www_authenticate=challenge("invalid_token"))

    @app.before_request
    def reject_content_type() -> None:
        # The environ key, not request.headers: werkzeug's EnvironHeaders skips an empty
        # CONTENT_TYPE, so `Content-Type:` with no value would look like no header at all.
        if "CONTENT_TYPE" not in request.environ:
            return
        if behaviour.breaks("BMR-CONTENT-TYPE-REJECTED", request.blueprint):
            return
        raise ValidationFailed("Content-Type is not accepted on GET-only endpoints",
                               {"header": "Content-Type", "value": request.environ["CONTENT_TYPE"]})

    for factory in FACTORIES:
        app.register_blueprint(factory(behaviour, data))
    if behaviour.breaks("BMR-ERROR-FIELDS", UNROUTED):
        install_falcon_fallback(app)
    return app


def install_falcon_fallback(app: Flask) -> None:
    """The BMR-ERROR-FIELDS@unrouted breaker: the paths under /v1/ that no module routes are
    answered as the gateway's catch-all for the API, a legacy Falcon service, answers them:
    404 with Falcon's default body `{"title": "404 Not Found"}` (no standard error field).

    Only werkzeug's routing 404 is replaced. A module's own 404 (an unknown id) is raised in a
    view, and the authentication and Content-Type hooks run before routing errors are raised, so
    every routed endpoint, and a 401 or 400 on any path, is answered as before; so are unrouted
    paths outside /v1/. X-Request-Id is still stamped by the after_request hook.
    """

    # A handler for NotFound is more specific than the app's HTTPException handler, so Flask
    # picks it for every 404: the ones it does not replace go to the standard handler.
    @app.errorhandler(NotFound)
    def falcon_not_found(exc: NotFound) -> Response:
        unrouted = request.url_rule is None and exc is request.routing_exception
        if not (unrouted and request.path.startswith(API_ROOT)):
            return errors.http_error(exc)
        # Falcon's media type for its error bodies is plain application/json, and its default
        # error serializer adds Vary: Accept.
        return app.response_class(FALCON_NOT_FOUND, status=404, headers={"Vary": "Accept"},
                                  content_type="application/json")


def create_gateway_fallback() -> Flask:
    """What a gateway answers outside its mount point: 404 NOT_FOUND in the error format, no auth."""
    app = Flask(__name__, static_folder=None)  # import_name must name a module: Flask looks it up
    configure(app)
    return app


def wsgi_application(behaviour: Behaviour | None = None, prefix: str = "") -> WSGIApp:
    """The app, mounted under `prefix` (e.g. "/gw") as a gateway would, or at the root."""
    app = create_app(behaviour)
    prefix = prefix.rstrip("/")
    if not prefix:
        return app
    if not prefix.startswith("/"):
        raise ValueError(f"--prefix must start with '/': {prefix!r}")
    # DispatcherMiddleware moves the prefix from PATH_INFO to SCRIPT_NAME, so the app routes
    # /v1/... as usual; anything outside the prefix goes to the fallback.
    return DispatcherMiddleware(create_gateway_fallback(), {prefix: app})
