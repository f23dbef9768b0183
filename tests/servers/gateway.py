"""An ASGI gateway in front of an app (a reference mock): records every arrival, can hold each
request back (a slow target, or held until the test releases it: `hold_from`) and can throttle
like an API gateway does, in real or virtual time (`clock`).

Throttling: once a client (everyone: the kit is the only one) has had `limit` requests let
through within `window` seconds, each further request is answered 429 with `Retry-After`, in
the profile's documented error format (Booga `{detail, code}` with its X-RateLimit-* headers,
Boomerang's error body with X-Request-Id), and is not passed on. The 429 is written here, not
by the mock, as a gateway would. With `first_of_each_method`, the first request of every method
but GET is refused that way too, whatever the rate (so that every kind of probe meets one).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Scope = dict[str, Any]

BOOGA_RATE = ("x-ratelimit-limit-minute", "x-ratelimit-remaining-minute",
              "x-ratelimit-limit-hour", "x-ratelimit-remaining-hour")


@dataclass(frozen=True)
class Arrival:
    at: float  # the gateway's clock when the request reached it (time.monotonic() unless told otherwise)
    method: str
    path: str
    status: int  # what the client got (0 while in flight)


class Gateway:
    def __init__(self, app: Any, profile: str, *, limit: int | None = None, window: float = 1.0,
                 retry_after: int = 1, delay: float = 0.0, first_of_each_method: bool = False,
                 hold_from: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.app, self.profile = app, profile
        self.limit, self.window, self.retry_after, self.delay = limit, window, retry_after, delay
        self.first_of_each_method = first_of_each_method
        # Arrival number `hold_from` (0: the first) and every later one wait until release(): a
        # request the client is known to be waiting for, for as long as the test needs.
        self.hold_from, self.gate = hold_from, threading.Event()
        self.clock = clock  # the throttling window's time: a test's virtual clock, shared with the kit
        self._methods_seen: set[str] = set()
        self.arrivals: list[Arrival] = []
        self._passed: deque[float] = deque()
        self._rate: dict[str, list[tuple[bytes, bytes]]] = {}  # credential -> its last rate headers
        self._lock = threading.Lock()

    # -- what the tests read ------------------------------------------------------------------
    def count(self) -> int:
        return len(self.arrivals)

    def throttled(self) -> list[Arrival]:
        return [a for a in self.arrivals if a.status == 429]

    def release(self) -> None:
        """Let every held request (and every later one) through."""
        self.gate.set()

    # -- ASGI ---------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        now = self.clock()
        index = len(self.arrivals)
        self.arrivals.append(Arrival(now, scope["method"], scope["path"], 0))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        credential = headers.get("authorization") or headers.get("x-api-key") or ""
        with self._lock:
            while self._passed and now - self._passed[0] >= self.window:
                self._passed.popleft()
            refuse = self.limit is not None and len(self._passed) >= self.limit
            method = scope["method"]
            if self.first_of_each_method and method != "GET" and method not in self._methods_seen:
                self._methods_seen.add(method)
                refuse = True
            if not refuse:
                self._passed.append(now)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.hold_from is not None and index >= self.hold_from:
            while not self.gate.is_set():
                await asyncio.sleep(0.01)  # the event loop stays free: the gate is set from the test's thread
        if refuse:
            await self._throttle(scope, headers, credential, send)
            self.arrivals[index] = Arrival(now, scope["method"], scope["path"], 429)
            return
        status = 0

        async def relay(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                rate = [(k, v) for k, v in message.get("headers", []) if k.lower().decode("latin-1") in BOOGA_RATE]
                if rate:
                    self._rate[credential] = self._rate["*"] = rate  # "*": the last of any credential
            await send(message)

        await self.app(scope, receive, relay)
        self.arrivals[index] = Arrival(now, scope["method"], scope["path"], status)

    async def _throttle(self, scope: Scope, headers: dict[str, str], credential: str, send: Any) -> None:
        out: list[tuple[bytes, bytes]] = [(b"retry-after", str(self.retry_after).encode())]
        if self.profile == "booga":
            payload: dict[str, Any] = {"detail": f"Request was throttled. Expected available in "
                                                 f"{self.retry_after} second.", "code": "throttled"}
            content_type = b"application/json"
            rate = self._rate.get(credential) or self._rate.get("*") or [
                (b"x-ratelimit-limit-minute", b"10000"), (b"x-ratelimit-remaining-minute", b"10000"),
                (b"x-ratelimit-limit-hour", b"100000"), (b"x-ratelimit-remaining-hour", b"100000")]
            out += rate
        else:
            payload = {"status": "error", "code": "RATE_LIMITED", "http_status": 429,
                       "message": "Too many requests: retry later.", "timestamp": int(time.time() * 1000),
                       "trace_id": uuid.uuid4().hex, "details": {"retry_after_seconds": self.retry_after}}
            content_type = b"application/json; charset=utf-8"
            out.append((b"x-request-id", (headers.get("x-request-id") or str(uuid.uuid4())).encode("latin-1")))
        body = json.dumps(payload).encode()
        await send({"type": "http.response.start", "status": 429,
                    "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *out]})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body,
                    "more_body": False})
