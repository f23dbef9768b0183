"""Misbehaviours for RawServer: each a function (conn, request) -> keep the connection open?"""

from __future__ import annotations

import base64
import gzip
import json
import time
from collections.abc import Callable
from urllib.parse import quote

from tests.servers.raw import Behaviour, Conn, RawRequest

JSON = ("Content-Type", "application/json; charset=utf-8")
GOOD = json.dumps({"data": {"id": "example-1"}}).encode()


def hang(conn: Conn, req: RawRequest) -> bool:
    conn.hold()
    return False


def reset(conn: Conn, req: RawRequest) -> bool:
    conn.reset()
    return False


def close_silently(conn: Conn, req: RawRequest) -> bool:
    return False


def drip(interval: float = 0.1) -> Behaviour:
    """A status line and headers, one byte every `interval`: no single read ever times out."""
    def behave(conn: Conn, req: RawRequest) -> bool:
        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: " + b"a" * 10_000:
            if conn.stop.wait(interval):
                break
            conn.send(bytes([byte]))
        return False
    return behave


def drip_body(interval: float = 0.1) -> Behaviour:
    """Headers at once, then the body one byte at a time."""
    def behave(conn: Conn, req: RawRequest) -> bool:
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
        while not conn.stop.wait(interval):
            conn.send(b" ")
        return False
    return behave


def status(code: int, body: bytes = b'{"error": "down"}', headers: list[tuple[str, str]] | None = None
           ) -> Behaviour:
    def behave(conn: Conn, req: RawRequest) -> bool:
        conn.respond(code, body, [JSON, *(headers or [])])
        return True
    return behave


def gzip_lie(conn: Conn, req: RawRequest) -> bool:
    conn.respond(200, GOOD, [JSON, ("Content-Encoding", "gzip")])
    return True


def gzip_cut(conn: Conn, req: RawRequest) -> bool:
    whole = gzip.compress(GOOD * 20)
    conn.respond(200, whole[: len(whole) // 2], [JSON, ("Content-Encoding", "gzip")])
    return True


def body(payload: bytes, content_type: str = JSON[1]) -> Behaviour:
    def behave(conn: Conn, req: RawRequest) -> bool:
        conn.respond(200, payload, [("Content-Type", content_type)])
        return True
    return behave


def enormous_body(conn: Conn, req: RawRequest) -> bool:
    size = 200 * 1024 * 1024
    conn.send(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n".encode())
    chunk = b"[" + b"0," * 32768
    sent = 0
    while sent < size and not conn.stop.is_set():
        conn.send(chunk)  # raises once the kit stops reading and closes
        sent += len(chunk)
    return False


def enormous_headers(conn: Conn, req: RawRequest) -> bool:
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    for i in range(2000):
        conn.send(f"X-Filler-{i}: {'x' * 1000}\r\n".encode())
    conn.send(b"Content-Length: 2\r\n\r\n{}")
    return False


def redirect_to(location: str) -> Behaviour:
    def behave(conn: Conn, req: RawRequest) -> bool:
        conn.respond(302, b"", [("Location", location + req.target)])
        return True
    return behave


def credential_of(req: RawRequest) -> str:
    auth = req.header("authorization") or ""
    return auth.partition(" ")[2] or req.header("x-api-key") or ""


def echo_credentials(conn: Conn, req: RawRequest) -> bool:
    """Echo whatever credential arrives everywhere a server might: body, error message,
    Location and other headers, a query string; raw, base64 and percent-encoded."""
    secret = credential_of(req)
    b64 = base64.b64encode(secret.encode()).decode()
    pct = quote(secret, safe="")
    payload = {
        "data": {"id": "example-1", "token": secret, "b64": b64, "pct": pct},
        "message": f"invalid token {secret!r} (base64 {b64})",
        "echo": req.head.decode("latin-1"),
    }
    conn.respond(
        400 if "page=" in req.target else 200,
        json.dumps(payload).encode(),
        [JSON, ("Location", f"/login?token={pct}&next={req.target}"), ("X-Echo-Token", secret),
         ("X-Echo-B64", b64), ("Link", f"<http://127.0.0.1/?key={secret}>; rel=next")],
    )
    return True


def throttle_slow(delay: float) -> Callable[[Conn, RawRequest], bool]:
    def behave(conn: Conn, req: RawRequest) -> bool:
        time.sleep(delay)
        conn.respond(200, GOOD, [JSON])
        return True
    return behave


def huge_unannounced(conn: Conn, req: RawRequest) -> bool:
    """A body with no Content-Length that never ends: the kit must stop at its cap by itself."""
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[")
    chunk = b"0," * 32768
    while not conn.stop.is_set():
        conn.send(chunk)  # raises once the kit stops reading and closes
    return False


# Bodies that are JSON past the kit's own decoding limits, and one that is not JSON at all.
DEEP_ARRAYS = b"[" * 200_000 + b"]" * 200_000  # nested far past jsonbody.MAX_DEPTH
LONG_INTEGER = b"9" * 100_000  # past Python's int/str conversion limit (4300 digits)
NAN_DATA = b'{"data": {"id": "example-1", "score": NaN}}'  # RFC 8259: NaN is not JSON


def deep_arrays(conn: Conn, req: RawRequest) -> bool:
    conn.respond(200, DEEP_ARRAYS, [JSON])
    return True


def long_integer(conn: Conn, req: RawRequest) -> bool:
    conn.respond(200, LONG_INTEGER, [JSON])
    return True
