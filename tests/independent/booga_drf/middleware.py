"""Per-key rate limits in fixed minute and hour windows, reported on every response.

A Django middleware, outermost, so it stamps everything: DRF's answers, Django's own 404/500
views and its own 429. Requests are counted per API key (the key is read from the request the
way the authentication classes read it); missing or unknown keys share one anonymous bucket.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponseBase, JsonResponse

from . import errors, options
from .auth import find_key

ANONYMOUS = "anonymous"
TICKETS = "/api/tickets/"


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


def presented_key(request: HttpRequest) -> str | None:
    """The key a request carries: the credential of `Authorization: <scheme> <key>`, else X-API-Key."""
    parts = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(parts) == 2:
        return parts[1]
    return request.META.get("HTTP_X_API_KEY")


class RateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.lock = threading.Lock()
        self.buckets: dict[str, Bucket] = {}

    def bucket_for(self, request: HttpRequest) -> Bucket:
        raw = presented_key(request)
        api_key = find_key(raw) if raw else None
        name = f"key:{api_key.pk}" if api_key else ANONYMOUS
        with self.lock:
            if name not in self.buckets:
                per_minute = api_key.per_minute if api_key else options.current.per_minute
                per_hour = api_key.per_hour if api_key else options.current.per_hour
                self.buckets[name] = Bucket(per_minute, per_hour, Window(60), Window(3600))
            return self.buckets[name]

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        bucket = self.bucket_for(request)
        now = time.time()
        with self.lock:
            bucket.minute.hit(now)
            if not options.current.breaks("BGA-RATE-REMAINING-DECREASES"):
                bucket.hour.hit(now)  # breaker: only the minute counter is kept
            minute_left = bucket.per_minute - bucket.minute.used
            hour_left = bucket.per_hour - bucket.hour.used
        if minute_left < 0 or hour_left < 0:
            retry = bucket.minute.resets_in(now) if minute_left < 0 else bucket.hour.resets_in(now)
            response: HttpResponseBase = JsonResponse(
                {"detail": f"Request was throttled. Expected available in {retry} seconds.", "code": "throttled"},
                status=429,
            )
            response["Retry-After"] = str(retry)
        else:
            response = self.get_response(request)
        # Breaker BGA-RATE-HEADERS: the headers only on GET responses. BGA-RATE-HEADERS@tickets:
        # none on the tickets plugin's responses (counted all the same).
        stamped = request.method == "GET" or not options.current.breaks("BGA-RATE-HEADERS")
        if options.current.breaks_on("BGA-RATE-HEADERS", "tickets") and request.path_info.startswith(TICKETS):
            stamped = False
        if stamped:
            response["X-RateLimit-Limit-Minute"] = str(bucket.per_minute)
            response["X-RateLimit-Remaining-Minute"] = str(max(0, minute_left))
            response["X-RateLimit-Limit-Hour"] = str(bucket.per_hour)
            response["X-RateLimit-Remaining-Hour"] = str(max(0, hour_left))
        return response


class MountPointMiddleware:
    """--prefix: the app is mounted under the prefix, so a path outside it is none of its routes.

    Django's FORCE_SCRIPT_NAME strips the prefix from a path that has it but leaves any other path
    as it is, which would serve /api/files/ beside /PREFIX/api/files/. Inside the rate limiter, so
    this 404 carries the headers like every other answer.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        prefix = options.current.prefix
        if request.path != prefix and not request.path.startswith(prefix + "/"):
            return errors.not_found(request)
        return self.get_response(request)
