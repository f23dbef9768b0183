"""Start the server: `python -m tests.independent.booga_drf --port 0 [--break RULE] [--prefix /PREFIX]`.

Django is configured in code against a fresh sqlite file, migrated and seeded, then served by
uvicorn on a socket bound here (so port 0 can be reported before serving).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from . import ALL_BREAKERS, options


def mount_point(raw: str) -> str:
    """--prefix: a path such as /gw or /gw/booga/ (kept without its trailing slash; "" or "/": none)."""
    prefix = raw.rstrip("/")
    if not prefix:
        return ""
    if not prefix.startswith("/") or "?" in prefix or "#" in prefix:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a path starting with /")
    return prefix


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m tests.independent.booga_drf")
    ap.add_argument("--port", type=int, default=0, help="0: a free port")
    ap.add_argument("--break", dest="broken", choices=ALL_BREAKERS, metavar="RULE[@PLUGIN[:VARIANT]]",
                    help="break exactly this one rule (one of BREAKERS or WRITE_BREAKERS)")
    ap.add_argument("--files", type=int, default=130, help="tenant A's seeded files")
    ap.add_argument("--projects", type=int, default=130, help="tenant A's seeded projects")
    ap.add_argument("--tickets", type=int, default=45, help="tenant A's seeded tickets")
    ap.add_argument("--prefix", type=mount_point, default="",
                    help="serve the API under this path, as a gateway would mount it (/PREFIX/api/...)")
    ap.add_argument("--per-minute", type=int, default=100_000, help="per-key requests per minute")
    ap.add_argument("--per-hour", type=int, default=None, help="per-key requests per hour (default 10x)")
    return ap.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse(argv)
    opts = options.current
    opts.broken, opts.files, opts.per_minute = args.broken, args.files, args.per_minute
    opts.projects, opts.tickets, opts.prefix = args.projects, args.tickets, args.prefix
    opts.per_hour = args.per_hour if args.per_hour is not None else 10 * args.per_minute

    workdir = Path(tempfile.mkdtemp(prefix="booga-drf-"))
    try:
        # Django must be configured before anything imports models, views or DRF settings.
        import django
        from django.core.management import call_command

        from . import settings

        settings.configure(str(workdir / "db.sqlite3"), opts)
        django.setup()
        call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)

        from . import seed

        seed.seed(opts)

        import uvicorn
        from django.core.asgi import get_asgi_application

        app = get_asgi_application()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Without it, keep-alive answers wait ~40 ms on delayed ACKs (Nagle).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", args.port))
        sock.listen(128)  # connections queue from now on, before uvicorn starts accepting
        # The base URL a client uses: with --prefix, the mount point is part of it.
        print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}{opts.prefix}", flush=True)
        uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off")).run(sockets=[sock])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
