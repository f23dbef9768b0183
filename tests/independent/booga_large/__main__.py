"""Start the server: `python -m tests.independent.booga_large --port 0 [--plugins N] [--no-500s] [--stats]`.

The catalog is built, the database seeded and the OpenAPI document generated and encoded before
the socket is announced (so the first schema request is as fast as any), then uvicorn serves the
app on a socket bound here, so that port 0 can be reported before serving.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time


def parse(argv: list[str]) -> argparse.Namespace:
    from .catalog import DEFAULT_PLUGINS

    ap = argparse.ArgumentParser(prog="python -m tests.independent.booga_large")
    ap.add_argument("--port", type=int, default=0, help="0: a free port")
    ap.add_argument("--plugins", type=int, default=DEFAULT_PLUGINS,
                    help=f"how many plugins (default {DEFAULT_PLUGINS}; the planted ones are always among them)")
    ap.add_argument("--no-500s", dest="plant_500s", action="store_false",
                    help="the clean variant: every planted filter reads its value with the checked reader")
    ap.add_argument("--stats", action="store_true", help="serve the bench's request counter at /__stats__")
    ap.add_argument("--per-minute", type=int, default=100_000, help="per-key requests per minute")
    ap.add_argument("--per-hour", type=int, default=None, help="per-key requests per hour (default 10x)")
    return ap.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse(argv)
    started = time.perf_counter()
    import uvicorn

    from .app import Settings, create_app
    from .catalog import build

    settings = Settings(plant_500s=args.plant_500s, per_minute=args.per_minute,
                        per_hour=args.per_hour if args.per_hour is not None else 10 * args.per_minute,
                        stats=args.stats)
    app = create_app(build(args.plugins), settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Without it, keep-alive answers wait ~40 ms on delayed ACKs (Nagle).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(128)  # connections queue from now on, before uvicorn starts accepting
    print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    print(f"ready in {time.perf_counter() - started:.2f} s", file=sys.stderr, flush=True)
    # proxy_headers off: no proxy stands in front, so a client's X-Forwarded-Proto must not change
    # the scheme of the links this server builds from the request. No access log: stderr is a pipe.
    config = uvicorn.Config(app, log_level="warning", lifespan="off", proxy_headers=False, access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1:])
