"""Start the server: `python -m tests.independent.booga_fastapi --port 0 [--bare] [--break NAME] [--per-minute N]`.

The app is built and its database seeded, the OpenAPI document generated once (so that a broken
schema shows at start-up, and the first schema request is as fast as any), then uvicorn serves
it on a socket bound here, so that port 0 can be reported before serving.
"""

from __future__ import annotations

import argparse
import socket
import sys

from . import BREAKERS


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m tests.independent.booga_fastapi")
    ap.add_argument("--port", type=int, default=0, help="0: a free port")
    ap.add_argument("--bare", action="store_true",
                    help="declare and implement none of created_after, search, ordering, status")
    ap.add_argument("--break", dest="broken", choices=BREAKERS, help="break exactly this one rule (RULE@plugin)")
    ap.add_argument("--per-minute", type=int, default=100_000, help="per-key requests per minute")
    ap.add_argument("--per-hour", type=int, default=None, help="per-key requests per hour (default 10x)")
    return ap.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse(argv)
    import uvicorn

    from .app import create_app
    from .settings import Settings

    settings = Settings(broken=args.broken, bare=args.bare, per_minute=args.per_minute,
                        per_hour=args.per_hour if args.per_hour is not None else 10 * args.per_minute)
    app = create_app(settings)
    app.openapi()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Without it, keep-alive answers wait ~40 ms on delayed ACKs (Nagle).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(128)  # connections queue from now on, before uvicorn starts accepting
    print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    # proxy_headers off: no proxy stands in front, so a client's X-Forwarded-Proto must not change
    # the scheme of the links this server builds from the request. No access log: stderr is a pipe.
    config = uvicorn.Config(app, log_level="warning", lifespan="off", proxy_headers=False, access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1:])
