"""Per-key rate limits in fixed minute and hour windows, reported on every response.

A pure ASGI middleware (Starlette's advice over BaseHTTPMiddleware for something on every
request): it counts the request against the key it carries, answers 429 itself past a limit,
and stamps the four X-RateLimit-* headers on the response start of whatever the app answers.
Added with app.add_middleware, it sits outside Starlette's ExceptionMiddleware, so the answers
of the exception handlers (401, 404, 405, 400, a DatabaseError's 500) are stamped too.

The key is read the way auth.py reads it (a Bearer credential, else X-API-Key) and looked up
among the issued keys: each issued key has its own bucket and limits, every other request
(no key, an unknown key) shares one anonymous bucket with the default limits.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .db import Database
from .errors import error
from .settings import Settings

ANONYMOUS = "anonymous"


@dataclass
class Window:
    seconds: int
    start: int = 0
    used: int = 0

    def hit(self, now: float) -> None:
        start = int(now // self.seconds) * self.seconds
        if start != self.start:
            self.start, self.used = start, 0  # a new window
        self.used += 1

    def resets_in(self, now: float) -> int:
        return max(1, math.ceil(self.start + self.seconds - now))


@dataclass
class Bucket:
    per_minute: int
    per_hour: int
    minute: Window
    hour: Window


def presented_key(headers: Headers) -> str | None:
    scheme, _, credential = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        return credential.strip()
    api_key = headers.get("x-api-key", "").strip()
    return api_key or None


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, db: Database, settings: Settings) -> None:
        self.app, self.db, self.settings = app, db, settings
        self.lock = threading.Lock()
        self.buckets: dict[str, Bucket] = {}

    def bucket_for(self, raw: str | None) -> Bucket:
        found = self.db.find_key(raw) if raw else None
        name = f"key:{found.key}" if found else ANONYMOUS
        with self.lock:
            if name not in self.buckets:
                per_minute = found.per_minute if found else self.settings.per_minute
                per_hour = found.per_hour if found else self.settings.per_hour
                self.buckets[name] = Bucket(per_minute, per_hour, Window(60), Window(3600))
            return self.buckets[name]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        bucket = self.bucket_for(presented_key(Headers(scope=scope)))
        now = time.time()
        with self.lock:
            bucket.minute.hit(now)
            bucket.hour.hit(now)
            minute_left = bucket.per_minute - bucket.minute.used
            hour_left = bucket.per_hour - bucket.hour.used
        stamp = {"X-RateLimit-Limit-Minute": str(bucket.per_minute),
                 "X-RateLimit-Remaining-Minute": str(max(0, minute_left)),
                 "X-RateLimit-Limit-Hour": str(bucket.per_hour),
                 "X-RateLimit-Remaining-Hour": str(max(0, hour_left))}
        # Breaker BGA-RATE-HEADERS@contacts: the contacts plugin's answers go out unstamped (still counted).
        if self.settings.breaks("BGA-RATE-HEADERS", "contacts") and str(scope.get("path", "")).startswith(
                "/api/contacts/"):
            stamp = {}
        if minute_left < 0 or hour_left < 0:
            retry = bucket.minute.resets_in(now) if minute_left < 0 else bucket.hour.resets_in(now)
            response = error(429, f"Request was throttled. Expected available in {retry} seconds.", "throttled",
                             {**stamp, "Retry-After": str(retry)})
            await response(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(stamp)
            await send(message)

        await self.app(scope, receive, stamped)
