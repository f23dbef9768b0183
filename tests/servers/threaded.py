"""Serve an ASGI app over real HTTP on 127.0.0.1 from a thread of the test process (uvicorn).

For tests that need a live target without paying a process start-up per server: a fleet of
twenty mocks, or one variant app per test.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Yield the base URL of `app` served by uvicorn in a daemon thread; stop it on exit."""
    sock = socket.socket()
    # Accepted connections inherit this: without it a keep-alive answer written in two parts
    # waits ~40 ms for the client's delayed ACK (Nagle), and the runs take ten times longer.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"uvicorn {url}")
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started, f"uvicorn did not start on {url}"
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
