"""Serve the deployment: `python -m tests.independent.boomerang_flask --port 0 [--break BREAKER] [--prefix /gw]`.

BREAKER is one of BREAKERS, `RULE-ID@module[:variant]` (see the package's docstring).

werkzeug's threaded WSGI server (the one `flask run` uses) on a socket bound here first, so that
port 0 can be reported: `listening on http://127.0.0.1:PORT` is printed (flushed) once the socket
listens, and connections made after it queue until the server accepts them.
"""

from __future__ import annotations

import argparse
import json
import logging
import selectors
import socket
import sys
import uuid

from werkzeug.serving import WSGIRequestHandler, make_server

from . import BREAKERS
from .app import wsgi_application
from .behaviour import Behaviour
from .errors import code_for, error_body
from .responses import JSON_UTF8

DISCARD_LIMIT = 10_000_000  # bytes of a refused request read before closing anyway


class RequestHandler(WSGIRequestHandler):
    """werkzeug's request handler, tuned the way a deployment would tune it.

    - TCP_NODELAY on each connection: a response goes out as two writes (headers, then body),
      and Nagle's algorithm would hold the second one for the client's delayed ACK.
    - http.server's own error pages (a request line over 64 KiB is 414, too many or too long
      header lines 431, a malformed request line 400) are written before the WSGI app ever runs,
      as HTML; here they get the document's error body and an X-Request-Id like every other answer.
    """

    disable_nagle_algorithm = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        short, long = self.responses.get(code, ("Error", ""))
        body = json.dumps(error_body(code, code_for(code), message or short, {"explain": explain or long}))
        payload = body.encode("utf-8")
        # The headers may not have been read yet (a request line too long): then nothing to echo.
        headers = getattr(self, "headers", None)
        supplied = headers.get("X-Request-Id") if headers is not None else None
        if supplied is None or "\r" in supplied or "\n" in supplied:
            supplied = str(uuid.uuid4())
        self.close_connection = True
        self.send_response(code, short)
        self.send_header("Content-Type", JSON_UTF8)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Request-Id", supplied)
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(payload)
        self.discard_unread_input()

    def discard_unread_input(self) -> None:
        """Reads what is left of a refused request, as werkzeug does after every WSGI response.

        Closing a socket with unread input makes the kernel answer with a reset, and a client
        may then lose the error response it has not read yet.
        """
        with selectors.DefaultSelector() as selector:
            selector.register(self.connection, selectors.EVENT_READ)
            total = 0
            while total < DISCARD_LIMIT and selector.select(timeout=0.01):
                data = self.connection.recv(65536)
                if not data:
                    break
                total += len(data)


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m tests.independent.boomerang_flask",
                                 description="An independent Boomerang deployment on Flask.")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--break", dest="broken", choices=BREAKERS, help="break exactly this one rule on one module")
    ap.add_argument("--prefix", default="", help="mount the API under this path (e.g. /gw), as behind a gateway")
    return ap.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse(argv)
    # werkzeug logs every request at INFO (and adds its own stderr handler); the test harness
    # pipes stderr and never reads it, so only errors are kept.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = wsgi_application(Behaviour(broken=args.broken), prefix=args.prefix)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(128)
    port = sock.getsockname()[1]
    # fd=: werkzeug serves the socket bound above instead of binding one itself.
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=RequestHandler,
                         fd=sock.fileno())
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        sock.close()


if __name__ == "__main__":
    main(sys.argv[1:])
