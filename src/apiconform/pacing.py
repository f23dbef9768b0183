"""Pacing from rate-limit headers, so that a normal run never provokes a 429.

The kit keeps its own sliding-window count of what it sent with each key and reads what
the server says (`X-RateLimit-{Limit,Remaining}-{Minute,Hour}`, IETF `RateLimit`,
`RateLimit-Remaining`/`RateLimit-Reset`, `Retry-After`). Before each request it waits when
either says the window is nearly spent. A 429 that ordinary traffic met anyway (a gateway
that says nothing until it refuses) teaches a cap on the kit's own rate for the rest of the
run (`learn`). Clock and sleep are injectable so that tests run hours of virtual time in
milliseconds; the real sleep ends early when the run is interrupted (interrupt.py).
"""

from __future__ import annotations

import email.utils
import re
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from apiconform import interrupt
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
# What a 429 on ordinary traffic teaches (Pacer.learn): the window it is read against, from the
# wait it asked for, bounded to these seconds (a gateway's second, a document's minute).
LEARN_WINDOW = (1.0, 60.0)


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
        sleep: Callable[[float], None] = interrupt.sleep,  # time.sleep, cut short by SIGINT/SIGTERM
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.max_wait = max_wait
        self.clock = clock
        self.sleep = sleep
        self.progress = progress
        self.enabled = True
        self.waited = 0.0
        self._keys: dict[str, _KeyState] = {}
        # Every request sent (all keys) in the last LEARN_WINDOW[1] seconds and a margin, and the
        # caps the 429s taught: window seconds -> the most requests to send in any such window.
        self._all: deque[float] = deque()
        self._refused: deque[float] = deque()  # ... and when those answered 429 were sent
        self.learned: dict[float, int] = {}

    def _state(self, key: str) -> _KeyState:
        return self._keys.setdefault(key, _KeyState())

    def advertised(self, key: str) -> dict[str, int]:
        """The limits per window the target advertised for `key` so far (X-RateLimit-Limit-*)."""
        return dict(self._keys[key].limit) if key in self._keys else {}

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
        for span, cap in self.learned.items():
            wait = _wait_under_cap(self._all, span + _learned_margin(span), cap, now)
            if wait > best:
                best, why = wait, f"at most {cap} requests in {span:g}s, as the target's 429s taught"
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
        if self.progress and seconds >= 0.5:  # not every short gap under a learned cap
            self.progress(f"pacing: waiting {seconds:.1f}s ({why})")
        self.sleep(seconds)
        self.waited += seconds

    def sent(self, key: str) -> None:
        st = self._state(key)
        now = self.clock()
        for window in WINDOWS:
            st.sent[window].append(now)
        self._all.append(now)
        horizon = LEARN_WINDOW[1] + _learned_margin(LEARN_WINDOW[1])
        for stamps in (self._all, self._refused):
            while stamps and now - stamps[0] >= horizon:
                stamps.popleft()

    def learn(self, key: str, delay: float | None) -> None:
        """A 429 on ordinary traffic (the wait it asked for: `delay`): the kit was sending too fast.

        The target let N requests through within the last W seconds (sent, less those answered
        429), W being the wait asked for within LEARN_WINDOW (1 s when none was given): the kit
        sends at most N - RESERVE (N - N // 4 for a small N) in any W seconds, plus a margin,
        for the rest of the run, under what the target let through whether its window slides
        or is fixed.
        Counted over every key: a gateway may limit a client, not a key, and a per-key limit is
        met all the same. Each later 429 can only lower the cap.

        A 429 the kit's own rate cannot explain teaches nothing (the wait it asks for and the
        streak bound still hold): nothing got through in W (a key spent elsewhere, a target that
        throttles everything), or within the last minute more than twice N (a fixed window lets
        up to twice its limit through in W) got through in some other W without a refusal (a
        limit per route or per method, other clients of the key). `key` is the key that met
        it; its own headers, where it has them, pace it as before.
        """
        del key
        low, high = LEARN_WINDOW
        span = float(round(min(max(delay if delay is not None else low, low), high)))
        now = self.clock()
        through = self._through()
        recent = sum(1 for at in through if now - at < span)
        if recent < 1 or _busiest(through, span) > 2 * recent + RESERVE:
            return
        cap = recent - min(RESERVE, recent // 4)  # the reserve, but not two of a limit of three
        if cap < self.learned.get(span, cap + 1):
            self.learned[span] = cap

    def _through(self) -> list[float]:
        """When each request that was not answered 429 was sent, oldest first."""
        refused = Counter(self._refused)
        out = []
        for at in self._all:
            if refused[at] > 0:
                refused[at] -= 1
            else:
                out.append(at)
        return out

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
        if status == 429 and self._all:
            self._refused.append(self._all[-1])  # the request answered: the last sent (one at a time)
        retry_after = parse_retry_after(headers.get("retry-after"))
        if status == 429 or (status == 503 and retry_after is not None):
            delay = requested_delay(headers)
            if delay is not None:
                st.not_before = max(st.not_before, now + delay)
            return delay
        return None


def _learned_margin(span: float) -> float:
    """Added to a learned window: clocks and latencies differ, by at most MARGIN."""
    return min(MARGIN, span / 4)


def _busiest(stamps: list[float], span: float) -> int:
    """The most of `stamps` (sorted) within any `span` seconds."""
    best, start = 0, 0
    for end, at in enumerate(stamps):
        while at - stamps[start] >= span:
            start += 1
        best = max(best, end - start + 1)
    return best


def _wait_under_cap(sent: deque[float], edge: float, cap: int, now: float) -> float:
    """How long until one more request keeps at most `cap` of `sent` within any `edge` seconds."""
    if len(sent) < cap:
        return 0.0
    # The cap-th most recent request must have left the window first (O(cap), newest first).
    for position, at in enumerate(reversed(sent)):
        if now - at >= edge:
            return 0.0
        if position == cap - 1:
            return at + edge - now
    return 0.0


def requested_delay(headers: dict[str, str]) -> float | None:
    """When a 429 (or 503) says to try again, in seconds: Retry-After, else a RateLimit reset."""
    retry_after = parse_retry_after(headers.get("retry-after"))
    return retry_after if retry_after is not None else parse_ietf_ratelimit(headers)[1]
