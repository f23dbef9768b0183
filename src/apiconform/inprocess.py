"""A synchronous httpx transport that calls an ASGI app in-process: no socket, no thread.

httpx ships only an async ASGI transport; the kit's client is synchronous (pytest and
hypothesis drive it), so this adapter runs the app on a private event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


class InProcessTransport(httpx.BaseTransport):
    def __init__(self, app: Any) -> None:
        # An exception inside the app becomes a 500, as a real server would answer.
        self._asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._loop = asyncio.new_event_loop()

    async def _call(self, request: httpx.Request) -> httpx.Response:
        response = await self._asgi.handle_async_request(request)
        # Hand back the raw bytes (aread() would undo Content-Encoding and leave the header):
        # the client decodes Content-Encoding itself.
        body = b"".join([chunk async for chunk in response.aiter_raw()])
        return httpx.Response(response.status_code, headers=response.headers.raw,
                              stream=httpx.ByteStream(body))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._loop.run_until_complete(self._call(request))

    def close(self) -> None:
        if not self._loop.is_closed():
            self._loop.close()
