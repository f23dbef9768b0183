"""A tiny raw-socket HTTP/1.1 server on 127.0.0.1:0, run in threads, for misbehaviour the
reference mocks (well-formed ASGI) cannot produce: stalls, drips, resets, lying framing.

Written without httpx or the kit's code so that a bug in the kit cannot hide in both.
Each connection is served by `behave(conn, request)` for every request it carries; a
behaviour that returns False closes the connection. Everything received is kept in
`received` so a test can prove what did (or did not) reach the server.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

Behaviour = Callable[["Conn", "RawRequest"], bool | None]


@dataclass
class RawRequest:
    head: bytes
    body: bytes

    @property
    def line(self) -> str:
        return self.head.split(b"\r\n", 1)[0].decode("latin-1")

    @property
    def target(self) -> str:
        parts = self.line.split(" ")
        return parts[1] if len(parts) > 1 else ""

    def header(self, name: str) -> str | None:
        for raw in self.head.split(b"\r\n")[1:]:
            key, _, value = raw.decode("latin-1").partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


@dataclass
class Conn:
    sock: socket.socket
    stop: threading.Event

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def respond(self, status: int, body: bytes = b"", headers: list[tuple[str, str]] | None = None,
                reason: str = "X") -> None:
        head = [f"HTTP/1.1 {status} {reason}"]
        hdrs = list(headers or [])
        if not any(k.lower() == "content-length" for k, _ in hdrs):
            hdrs.append(("Content-Length", str(len(body))))
        head += [f"{k}: {v}" for k, v in hdrs]
        self.send(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)

    def reset(self) -> None:
        """Close with a TCP RST instead of a FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def hold(self) -> None:
        """Keep the connection open, saying nothing, until the server stops."""
        self.stop.wait()


@dataclass
class RawServer:
    behave: Behaviour
    received: list[RawRequest] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self._socks: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> RawServer:
        accept = threading.Thread(target=self._accept, daemon=True, name="raw-accept")
        accept.start()
        self._threads.append(accept)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with self._lock:
            socks = list(self._socks)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(timeout=2)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._socks.append(sock)
                self.connections += 1
            worker = threading.Thread(target=self._serve, args=(sock,), daemon=True, name="raw-conn")
            with self._lock:
                self._threads.append(worker)
            worker.start()

    def _serve(self, sock: socket.socket) -> None:
        conn = Conn(sock, self._stop)
        buffer = b""
        try:
            while not self._stop.is_set():
                while b"\r\n\r\n" not in buffer:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                request = RawRequest(head, b"")
                length = int(request.header("content-length") or 0)
                while len(buffer) < length:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                request.body, buffer = buffer[:length], buffer[length:]
                with self._lock:
                    self.received.append(request)
                if self.behave(conn, request) is False:
                    return
        except OSError:
            return  # the client went away: that is its right
        finally:
            with contextlib.suppress(OSError):
                sock.close()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
