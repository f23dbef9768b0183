"""Pacing from rate-limit headers, so that a normal run never provokes a 429.

The kit keeps its own sliding-window count of what it sent with each key and reads what
the server says (`X-RateLimit-{Limit,Remaining}-{Minute,Hour}`, IETF `RateLimit`,
`RateLimit-Remaining`/`RateLimit-Reset`, `Retry-After`). Before each request it waits when
either says the window is nearly spent. Clock and sleep are injectable so that tests run
hours of virtual time in milliseconds.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from apiconform.errors import Incomplete

WINDOWS = {"Minute": 60.0, "Hour": 3600.0}
# Requests held back from each window: leaves room for other clients of the same key.
RESERVE = 2
# Added to every computed wait: the server's clock and window edges are not ours.
MARGIN = 1.0
# When a server says "remaining 0" without saying when its window resets.
DEFAULT_RESET = 60.0
# A reset value this large is an epoch timestamp (GitHub style), not a number of seconds.
EPOCH_THRESHOLD = 1_000_000_000


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` (delta-seconds or HTTP date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def _reset_seconds(value: int | None) -> float | None:
    if value is None:
        return None
    if value >= EPOCH_THRESHOLD:
        return max(0.0, value - time.time())
    return float(max(0, value))


_IETF_ITEM = re.compile(r"\b(limit|remaining|reset|r|t)\s*=\s*(\d+)", re.IGNORECASE)


def parse_ietf_ratelimit(headers: dict[str, str]) -> tuple[int | None, float | None]:
    """(remaining, reset seconds) from `RateLimit` / `RateLimit-Remaining` / `RateLimit-Reset`
    (and the common `X-RateLimit-Remaining` / `X-RateLimit-Reset`)."""
    remaining = _int(headers.get("ratelimit-remaining"))
    if remaining is None:
        remaining = _int(headers.get("x-ratelimit-remaining"))
    reset = _int(headers.get("ratelimit-reset"))
    if reset is None:
        reset = _int(headers.get("x-ratelimit-reset"))
    combined = headers.get("ratelimit")
    if combined:
        for key, value in _IETF_ITEM.findall(combined):
            k = key.lower()
            if k in ("remaining", "r"):
                remaining = int(value)
            elif k in ("reset", "t"):
                reset = int(value)
    return remaining, _reset_seconds(reset)


@dataclass
class _KeyState:
    sent: dict[str, deque[float]] = field(default_factory=lambda: {w: deque() for w in WINDOWS})
    limit: dict[str, int] = field(default_factory=dict)
    remaining: dict[str, int] = field(default_factory=dict)
    seen_at: float = 0.0  # when `remaining` was last reported
    not_before: float = 0.0  # from Retry-After / IETF reset


class Pacer:
    def __init__(
        self,
        max_wait: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.max_wait = max_wait
        self.clock = clock
        self.sleep = sleep
        self.progress = progress
        self.enabled = True
        self.waited = 0.0
        self._keys: dict[str, _KeyState] = {}

    def _state(self, key: str) -> _KeyState:
        return self._keys.setdefault(key, _KeyState())

    def delay_for(self, key: str) -> tuple[float, str]:
        """How long to wait before the next request with `key`, and why."""
        st = self._state(key)
        now = self.clock()
        best, why = 0.0, ""
        if st.not_before > now:
            best, why = st.not_before - now, "the server asked to retry later"
        for window, span in WINDOWS.items():
            sent = st.sent[window]
            while sent and now - sent[0] >= span + MARGIN:
                sent.popleft()
            limit = st.limit.get(window)
            remaining = st.remaining.get(window)
            wait = 0.0
            # Our own count: never more than limit - RESERVE in any window-long interval, which
            # keeps under the limit whether the server's window slides or is fixed.
            if limit is not None and sent and len(sent) >= max(1, limit - RESERVE):
                wait = sent[0] + span + MARGIN - now
            # What the server says (it also counts other clients of the key): when nearly
            # spent, wait a full window from the report; every request it counted by then
            # has left its window, sliding or fixed.
            if remaining is not None and remaining <= RESERVE:
                wait = max(wait, st.seen_at + span + MARGIN - now)
            if wait > best:
                best = wait
                why = f"{window.lower()} window nearly spent (remaining {remaining}, limit {limit})"
        return max(0.0, best), why

    def before(self, key: str) -> None:
        """Wait until a request with `key` is within the limits; Incomplete if past the cap."""
        if not self.enabled:
            return
        wait, why = self.delay_for(key)
        if wait <= 0:
            return
        if wait > self.max_wait:
            raise Incomplete(f"rate limit: would have to wait {wait:.0f}s ({why}), more than the cap of "
                             f"{self.max_wait:.0f}s (max_wait_seconds)")
        self.wait(wait, why)

    def wait(self, seconds: float, why: str) -> None:
        if seconds <= 0:
            return
        if self.progress:
            self.progress(f"pacing: waiting {seconds:.1f}s ({why})")
        self.sleep(seconds)
        self.waited += seconds

    def sent(self, key: str) -> None:
        st = self._state(key)
        now = self.clock()
        for window in WINDOWS:
            st.sent[window].append(now)

    def defer(self, key: str, seconds: float) -> None:
        """Hold the next request with `key` back by `seconds` (the client's own back-off)."""
        st = self._state(key)
        st.not_before = max(st.not_before, self.clock() + seconds)

    def observe(self, key: str, status: int, headers: dict[str, str]) -> float | None:
        """Update from a response (lower-cased header names); for a 429 (or a 503 with
        Retry-After) returns the server's requested delay, if it gave one."""
        st = self._state(key)
        now = self.clock()
        seen = False
        for window in WINDOWS:
            limit = _int(headers.get(f"x-ratelimit-limit-{window.lower()}"))
            remaining = _int(headers.get(f"x-ratelimit-remaining-{window.lower()}"))
            if limit is not None:
                st.limit[window] = limit
            # "Remaining 0" on a 429 says nothing the 429 does not: it is no schedule. Taken as
            # one it would hold every later request back a full window (60 s each against a
            # target that answers 429 to everything); the 429's Retry-After, or the client's
            # bounded back-off, says when to try again instead.
            if remaining is not None and status != 429:
                st.remaining[window] = remaining
                seen = True
        if seen:
            st.seen_at = now
        ietf_remaining, ietf_reset = parse_ietf_ratelimit(headers)
        if ietf_remaining is not None and ietf_remaining <= RESERVE and (status != 429 or ietf_reset is not None):
            reset = ietf_reset if ietf_reset is not None else DEFAULT_RESET
            st.not_before = max(st.not_before, now + reset + (MARGIN if ietf_remaining <= 0 else 0.0))
        retry_after = parse_retry_after(headers.get("retry-after"))
        if status == 429 or (status == 503 and retry_after is not None):
            delay = requested_delay(headers)
            if delay is not None:
                st.not_before = max(st.not_before, now + delay)
            return delay
        return None


def requested_delay(headers: dict[str, str]) -> float | None:
    """When a 429 (or 503) says to try again, in seconds: Retry-After, else a RateLimit reset."""
    retry_after = parse_retry_after(headers.get("retry-after"))
    return retry_after if retry_after is not None else parse_ietf_ratelimit(headers)[1]
