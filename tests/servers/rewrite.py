"""ASGI middleware that changes one behaviour of an app (a reference mock), so that a test's
server differs from a conformant deployment in exactly the point under test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]
Transform = Callable[[dict[str, Any], bytes, Answer], Answer]


class Rewrite:
    """ASGI middleware: the app's answer, then `transform(scope, request_body, answer)`."""

    def __init__(self, app: Any, transform: Transform) -> None:
        self.app, self.transform = app, transform

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        sent: list[dict[str, Any]] = []

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def keep(message: dict[str, Any]) -> None:
            sent.append(message)

        await self.app(scope, replay, keep)
        start = next(m for m in sent if m["type"] == "http.response.start")
        answer = (start["status"], list(start.get("headers", [])),
                  b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))
        status, headers, out = self.transform(scope, body, answer)
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(out)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": out})


def query(scope: dict[str, Any]) -> dict[str, str]:
    """The request's query parameters (the last of each name)."""
    return dict(parse_qsl(scope.get("query_string", b"").decode(), keep_blank_values=True))
