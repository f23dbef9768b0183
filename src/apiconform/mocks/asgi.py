"""A few lines of raw ASGI shared by the reference mocks.

The mocks are hand-written ASGI rather than a framework app because the mutants must be
able to break any byte of an exchange (a header's exact value, a lying Content-Encoding,
a missing charset) that a framework would fix up behind our back.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass
class Request:
    method: str
    scheme: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-cased names; the last value of a repeated header wins
    raw_headers: list[tuple[str, str]]
    body: bytes
    host: str

    def arg(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


async def read_request(scope: Scope, receive: Receive) -> Request:
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    raw = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope.get("headers", [])]
    qs = scope.get("query_string", b"").decode("latin-1")
    return Request(
        method=scope["method"].upper(),
        scheme=scope.get("scheme", "http"),
        path=scope["path"],
        query=parse_qsl(qs, keep_blank_values=True),
        headers=dict(raw),
        raw_headers=raw,
        body=body,
        host=dict(raw).get("host", ""),
    )


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] | None = None

    def header(self, name: str) -> str | None:
        for key, value in self.headers or []:
            if key.lower() == name.lower():
                return value
        return None

    def set_header(self, name: str, value: str) -> None:
        self.headers = [(k, v) for k, v in (self.headers or []) if k.lower() != name.lower()]
        self.headers.append((name, value))

    def drop_header(self, name: str) -> None:
        self.headers = [(k, v) for k, v in (self.headers or []) if k.lower() != name.lower()]


def json_response(status: int, payload: Any, content_type: str = "application/json; charset=utf-8",
                  headers: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(status, body, [("Content-Type", content_type), *(headers or [])])


async def send_response(send: Send, response: Response, head_only: bool = False) -> None:
    headers = list(response.headers or [])
    if response.header("content-length") is None and response.status not in (204, 304):
        headers.append(("Content-Length", str(len(response.body))))
    await send({
        "type": "http.response.start",
        "status": response.status,
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
    })
    body = b"" if head_only or response.status in (204, 304) else response.body
    await send({"type": "http.response.body", "body": body, "more_body": False})
