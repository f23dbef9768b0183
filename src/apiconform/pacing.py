"""Pacing from rate-limit headers, so that a normal run never provokes a 429.

The kit keeps its own sliding-window count of what it sent with each key and reads what
the server says (`X-RateLimit-{Limit,Remaining}-{Minute,Hour}`, IETF `RateLimit*`,
`Retry-After`). Before each request it waits when either says the window is nearly spent.
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


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


_IETF_ITEM = re.compile(r"(limit|remaining|reset|r|t)\s*=\s*(\d+)", re.IGNORECASE)


def parse_ietf_ratelimit(headers: dict[str, str]) -> tuple[int | None, float | None]:
    """(remaining, reset seconds) from `RateLimit` / `RateLimit-Remaining` / `RateLimit-Reset`."""
    remaining = _int(headers.get("ratelimit-remaining"))
    reset = _int(headers.get("ratelimit-reset"))
    combined = headers.get("ratelimit")
    if combined:
        for key, value in _IETF_ITEM.findall(combined):
            k = key.lower()
            if k in ("remaining", "r"):
                remaining = int(value)
            elif k in ("reset", "t"):
                reset = int(value)
    return remaining, float(reset) if reset is not None else None


@dataclass
class _KeyState:
    sent: dict[str, deque[float]] = field(default_factory=lambda: {w: deque() for w in WINDOWS})
    limit: dict[str, int] = field(default_factory=dict)
    remaining: dict[str, int] = field(default_factory=dict)
    seen_at: float = 0.0
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
            while sent and now - sent[0] >= span:
                sent.popleft()
            limit = st.limit.get(window)
            remaining = st.remaining.get(window)
            wait = 0.0
            if limit is not None and len(sent) >= max(1, limit - RESERVE) and sent:
                wait = sent[0] + span - now
            if remaining is not None and remaining <= RESERVE:
                # The server's window may be fixed and not aligned with ours: wait until
                # a full window has passed since it told us, unless our own count frees earlier.
                wait = max(wait, min(st.seen_at + span, (sent[0] + span) if sent else st.seen_at + span) - now)
            if wait > best:
                best, why = wait, f"{window.lower()} window nearly spent (remaining {remaining}, limit {limit})"
        return max(0.0, best), why

    def before(self, key: str) -> None:
        if not self.enabled:
            return
        wait, why = self.delay_for(key)
        if wait <= 0:
            return
        if wait > self.max_wait:
            raise Incomplete(f"rate limit: would have to wait {wait:.0f}s ({why}), more than the cap of "
                             f"{self.max_wait:.0f}s")
        if self.progress:
            self.progress(f"pacing: waiting {wait:.1f}s ({why})")
        self.sleep(wait)
        self.waited += wait

    def sent(self, key: str) -> None:
        st = self._state(key)
        now = self.clock()
        for window in WINDOWS:
            st.sent[window].append(now)

    def observe(self, key: str, status: int, headers: dict[str, str]) -> float | None:
        """Update from a response; returns the server's requested delay for a 429, if any."""
        st = self._state(key)
        now = self.clock()
        st.seen_at = now
        for window in WINDOWS:
            limit = _int(headers.get(f"x-ratelimit-limit-{window.lower()}"))
            remaining = _int(headers.get(f"x-ratelimit-remaining-{window.lower()}"))
            if limit is not None:
                st.limit[window] = limit
            if remaining is not None:
                st.remaining[window] = remaining
        ietf_remaining, ietf_reset = parse_ietf_ratelimit(headers)
        if ietf_remaining is not None and ietf_remaining <= RESERVE and ietf_reset is not None:
            st.not_before = max(st.not_before, now + ietf_reset)
        retry_after = parse_retry_after(headers.get("retry-after"))
        if status == 429 or (status == 503 and retry_after is not None):
            delay = retry_after if retry_after is not None else ietf_reset
            if delay is not None:
                st.not_before = max(st.not_before, now + delay)
            return delay
        return None
