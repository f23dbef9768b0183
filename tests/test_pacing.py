"""The Pacer in virtual time: it reads the server's rate-limit headers and keeps its own count,
so that a client talking to a 60/minute key never receives a 429."""

from __future__ import annotations

import email.utils
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.servers.clock import FakeClock

from apiconform.errors import Incomplete
from apiconform.pacing import Pacer, parse_ietf_ratelimit, parse_retry_after


class FixedWindowLimiter:
    """A server's per-key limiter: fixed windows aligned at `phase`, like many gateways."""

    def __init__(self, clock: FakeClock, per_minute: int, per_hour: int, phase: float = 0.0) -> None:
        self.clock, self.phase = clock, phase
        self.limits = {"Minute": (60.0, per_minute), "Hour": (3600.0, per_hour)}
        self.counts: dict[str, tuple[int, int]] = {}

    def hit(self) -> tuple[int, dict[str, str]]:
        now = self.clock.now() - self.phase
        status, headers = 200, {}
        for name, (span, limit) in self.limits.items():
            window = int(now // span)
            start, count = self.counts.get(name, (window, 0))
            if start != window:
                count = 0
            if count >= limit:
                status = 429
            self.counts[name] = (window, count + (status != 429))
            headers[f"x-ratelimit-limit-{name.lower()}"] = str(limit)
            headers[f"x-ratelimit-remaining-{name.lower()}"] = str(max(0, limit - count - (status != 429)))
        return status, headers


class SlidingLimiter:
    def __init__(self, clock: FakeClock, per_minute: int) -> None:
        self.clock, self.limit, self.stamps = clock, per_minute, []  # type: ignore[var-annotated]

    def hit(self) -> tuple[int, dict[str, str]]:
        now = self.clock.now()
        self.stamps = [t for t in self.stamps if now - t < 60]
        ok = len(self.stamps) < self.limit
        if ok:
            self.stamps.append(now)
        return (200 if ok else 429), {"x-ratelimit-limit-minute": str(self.limit),
                                      "x-ratelimit-remaining-minute": str(self.limit - len(self.stamps))}


def drive(pacer: Pacer, limiter: FixedWindowLimiter | SlidingLimiter, n: int, key: str = "primary",
          gap: float = 0.01) -> list[int]:
    statuses = []
    for _ in range(n):
        pacer.before(key)
        pacer.sent(key)
        status, headers = limiter.hit()
        pacer.observe(key, status, headers)
        statuses.append(status)
        pacer.sleep(gap)  # the request itself takes a little time
    return statuses


def test_sixty_a_minute_fixed_window_never_429() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock.now, sleep=clock.sleep)
    statuses = drive(pacer, FixedWindowLimiter(clock, 60, 3600), 400)
    assert 429 not in statuses
    assert pacer.waited > 0  # it did have to wait: 400 requests take more than six minutes
    assert clock.now() - 1000 < 12 * 60  # ... but not absurdly long


@settings(max_examples=30, deadline=None)
@given(phase=st.floats(0, 59.9), per_minute=st.integers(3, 80), gap=st.floats(0.0, 2.0),
       start=st.floats(0, 10_000))
def test_fixed_windows_at_any_phase_never_429(phase: float, per_minute: int, gap: float,
                                              start: float) -> None:
    clock = FakeClock(start)
    pacer = Pacer(clock=clock.now, sleep=clock.sleep, max_wait=3600)
    assert 429 not in drive(pacer, FixedWindowLimiter(clock, per_minute, 3600, phase), 150, gap=gap)


def test_sliding_window_never_429() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock.now, sleep=clock.sleep)
    assert 429 not in drive(pacer, SlidingLimiter(clock, 60), 300)


def test_other_clients_of_the_key_are_seen_through_remaining() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock.now, sleep=clock.sleep)
    limiter = FixedWindowLimiter(clock, 60, 3600)
    for _ in range(55):  # someone else spent most of the window
        limiter.hit()
    assert 429 not in drive(pacer, limiter, 100)


def test_keys_are_paced_separately() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock.now, sleep=clock.sleep)
    pacer.observe("a", 200, {"x-ratelimit-limit-minute": "60", "x-ratelimit-remaining-minute": "0"})
    assert pacer.delay_for("a")[0] > 59
    assert pacer.delay_for("b")[0] == 0


def test_hour_window_too_long_to_wait_is_incomplete_not_a_sleep() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock.now, sleep=clock.sleep, max_wait=120)
    pacer.observe("k", 200, {"x-ratelimit-limit-hour": "3600", "x-ratelimit-remaining-hour": "1"})
    with pytest.raises(Incomplete, match="more than the cap"):
        pacer.before("k")
    assert clock.sleeps == []


def test_retry_after_on_429_delays_the_next_request() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock.now, sleep=clock.sleep)
    assert pacer.observe("k", 429, {"retry-after": "7"}) == 7.0
    pacer.before("k")
    assert clock.sleeps == [7.0]


def test_retry_after_is_ignored_on_success_but_honoured_on_503() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock.now, sleep=clock.sleep)
    assert pacer.observe("k", 200, {"retry-after": "30"}) is None
    assert pacer.delay_for("k")[0] == 0
    assert pacer.observe("k", 503, {"retry-after": "3"}) == 3.0
    assert pacer.delay_for("k")[0] == pytest.approx(3.0)


def test_ietf_headers() -> None:
    assert parse_ietf_ratelimit({"ratelimit": "limit=100, remaining=0, reset=30"}) == (0, 30.0)
    assert parse_ietf_ratelimit({"ratelimit": '"default";r=5;t=12'}) == (5, 12.0)
    assert parse_ietf_ratelimit({"ratelimit-remaining": "1", "ratelimit-reset": "9"}) == (1, 9.0)
    remaining, reset = parse_ietf_ratelimit({"x-ratelimit-remaining": "0",
                                             "x-ratelimit-reset": str(int(time.time()) + 40)})
    assert remaining == 0 and reset is not None and 35 < reset <= 41  # an epoch timestamp
    assert parse_ietf_ratelimit({"ratelimit-remaining": "soon"}) == (None, None)


def test_ietf_remaining_zero_waits_for_reset() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock.now, sleep=clock.sleep)
    pacer.observe("k", 200, {"ratelimit-remaining": "0", "ratelimit-reset": "20"})
    wait, why = pacer.delay_for("k")
    assert 20 <= wait <= 22 and "retry later" in why


def test_retry_after_forms() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("tomorrow-ish") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00") is None  # no zone: not an HTTP date
    date = email.utils.formatdate(time.time() + 90, usegmt=True)
    value = parse_retry_after(date)
    assert value is not None and 85 < value <= 91
    assert parse_retry_after(email.utils.formatdate(0, usegmt=True)) == 0.0


def test_progress_is_printed_when_waiting() -> None:
    clock, lines = FakeClock(), list[str]()
    pacer = Pacer(clock=clock.now, sleep=clock.sleep, progress=lines.append)
    pacer.observe("k", 200, {"x-ratelimit-limit-minute": "60", "x-ratelimit-remaining-minute": "2"})
    pacer.before("k")
    assert len(lines) == 1 and lines[0].startswith("pacing: waiting 6")
    assert pacer.waited == clock.sleeps[0]


class SilentGateway:
    """A gateway that says nothing until it refuses: `limit` a second through (sliding or fixed
    one-second windows), then 429 with Retry-After: 1 and no rate-limit header at all."""

    def __init__(self, clock: FakeClock, limit: int, fixed: bool) -> None:
        self.clock, self.limit, self.fixed, self.passed = clock, limit, fixed, list[float]()

    def hit(self) -> tuple[int, dict[str, str]]:
        now = self.clock.now()
        start = float(int(now)) if self.fixed else now - 1.0
        self.passed = [t for t in self.passed if t >= start and (self.fixed or t > start)]
        if len(self.passed) >= self.limit:
            return 429, {"retry-after": "1"}
        self.passed.append(now)
        return 200, {}


def drive_learning(pacer: Pacer, gateway: SilentGateway, n: int, gap: float = 0.002) -> list[int]:
    """What the Client does: pace, send, observe, and on a 429 learn, wait as told, send again."""
    statuses = []
    while len([s for s in statuses if s != 429]) < n:
        pacer.before("k")
        pacer.sent("k")
        status, headers = gateway.hit()
        delay = pacer.observe("k", status, headers)
        if status == 429:
            pacer.learn("k", delay)
        statuses.append(status)
        pacer.sleep(gap)
    return statuses


@pytest.mark.parametrize("fixed", [False, True], ids=["sliding", "fixed"])
@pytest.mark.parametrize("limit", [3, 30, 100])
def test_429s_teach_a_rate_under_a_silent_gateway(limit: int, fixed: bool) -> None:
    clock = FakeClock(1000.37)
    pacer = Pacer(clock=clock.now, sleep=clock.sleep)
    statuses = drive_learning(pacer, SilentGateway(clock, limit, fixed), 600)
    assert 1 <= statuses.count(429) <= 3, statuses.count(429)  # the first burst, then (nearly) never
    assert 429 not in statuses[len(statuses) // 2:]  # the second half of the run meets none
    (span, cap), = pacer.learned.items()
    assert span == 1.0 and max(1, limit - 2) <= cap <= limit
    assert clock.now() - 1000 < 600 / cap * 1.3 + 5  # slower, but not absurdly


def test_a_429_the_kits_own_rate_cannot_explain_teaches_nothing() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock.now, sleep=clock.sleep)
    for _ in range(40):  # 40 through within a second, no refusal
        pacer.sent("k")
        clock.sleep(0.01)
    clock.sleep(5)
    pacer.sent("k")
    pacer.sent("k")
    pacer.observe("k", 429, {"retry-after": "1"})
    pacer.learn("k", 1.0)  # 1 through in the last second, 40 earlier: a limit per route, not a rate
    assert pacer.learned == {}
    fresh = Pacer(clock=clock.now, sleep=clock.sleep)
    fresh.sent("k")
    fresh.observe("k", 429, {"retry-after": "3"})
    fresh.learn("k", 3.0)  # nothing got through at all: a spent key, not the kit's rate
    assert fresh.learned == {}
