"""Per-key rate limits: X-RateLimit-{Limit,Remaining}-{Minute,Hour} on every response, values
that make sense, a counter per key, and 429 past the limit."""

from __future__ import annotations

import itertools

import pytest

from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.items import unobservable
from apiconform.profiles.booga.checks import RATE_HEADERS, rate_value
from apiconform.profiles.booga.probes import BoogaProbes, booga_probes
from apiconform.surface import Endpoint

PER_KEY_REQUESTS = 5


def a_list(ctx: Context) -> BoogaProbes:
    """A list of the deployment that answers (the counters are per key, not per endpoint)."""
    for endpoint in [*ctx.surface().of_kind("list"), *ctx.surface().of_kind("other")]:
        p = booga_probes(ctx, endpoint)
        try:
            if p.default().status == 200:
                return p
        except Incomplete:
            continue
    raise Incomplete("no list or other endpoint of the deployment answered 200: the counters cannot be observed")


def small_page(ctx: Context, note: str, auth: str = "primary") -> Exchange:
    p = a_list(ctx)
    limit = {"limit": 1} if p.endpoint.kind == "list" else {}
    return ctx.get(p.path, auth=auth, params=p.query(**limit), note=note)


@pytest.mark.rule("BGA-RATE-HEADERS")
@pytest.mark.endpoints("any")
def test_rate_headers_on_every_response(ctx: Context, endpoint: Endpoint) -> None:
    # Every answer of the run, errors included, is held to it (judge.py); here each endpoint's
    # plain GET and its answer without credentials.
    p = booga_probes(ctx, endpoint)
    for ex in (p.default(), p.without_credentials()):
        ctx.check(ex)


@pytest.mark.rule("BGA-RATE-HEADER-VALUES")
@pytest.mark.endpoints("any")
def test_rate_header_values(ctx: Context, endpoint: Endpoint) -> None:
    p = booga_probes(ctx, endpoint)
    sent = [ex for ex in (p.default(), p.without_credentials()) if ex.response is not None
            and any(ex.response.header(h) is not None for h in RATE_HEADERS)]
    if not sent:
        unobservable("its answers carry no rate-limit header (see BGA-RATE-HEADERS): no value to judge")
    for ex in sent:
        ctx.check(ex)


def remaining(ctx: Context, ex: Exchange, window: str = "Minute") -> int:
    value = rate_value(ex, f"X-RateLimit-Remaining-{window}")
    if value is None:
        raise Incomplete(f"no usable X-RateLimit-Remaining-{window} (see BGA-RATE-HEADERS)", ex)
    return value


@pytest.mark.rule("BGA-RATE-REMAINING-DECREASES")
def test_remaining_decreases(ctx: Context) -> None:
    for attempt in range(2):
        seq = [small_page(ctx, f"remaining, request {n + 1}") for n in range(3)]
        minute = [remaining(ctx, ex) for ex in seq]
        hour = [remaining(ctx, ex, "Hour") for ex in seq]
        if any(b > a for a, b in itertools.pairwise(minute)) and attempt == 0:
            continue  # a window reset in between: try once more
        pairs = {"Minute": list(itertools.pairwise(minute)),
                 "Hour": list(itertools.pairwise(hour))}
        ctx.expect(all(b < a for a, b in pairs["Minute"]), f"X-RateLimit-Remaining-Minute over three "
                   f"requests: {minute}; it must fall with each request", seq[0], seq[-1])
        # The hour window may reset between two requests too (it then rises): only "unchanged" fails.
        ctx.expect(all(b != a for a, b in pairs["Hour"]), f"X-RateLimit-Remaining-Hour over three "
                   f"requests: {hour}; it must fall with each request", seq[0], seq[-1])
        return


@pytest.mark.rule("BGA-RATE-PER-KEY")
def test_keys_have_separate_counters(ctx: Context) -> None:
    ctx.require("token_b")
    for attempt in range(2):
        before = small_page(ctx, "key B before", auth="b")
        if before.status is None or not 200 <= before.status < 300:
            raise Incomplete(f"tenant B's key ({ctx.target.token_b_env}) was answered {before.status}: its own "
                             "requests must succeed for its counter to show", before)
        for n in range(PER_KEY_REQUESTS):
            small_page(ctx, f"key A request {n + 1}")
        after = small_page(ctx, "key B after", auth="b")
        b1, b2 = remaining(ctx, before), remaining(ctx, after)
        if b2 > b1 and attempt == 0:
            continue  # key B's window reset in between: try once more
        drop = b1 - b2
        ctx.expect(drop <= PER_KEY_REQUESTS,
                   f"key B's X-RateLimit-Remaining-Minute fell by {drop} ({b1} -> {b2}) "
                   f"while key A sent {PER_KEY_REQUESTS} requests and key B one: the keys share a counter",
                   before, after)
        if drop > 1:
            ctx.note(f"key B's remaining fell by {drop} for one request: another client may be using key B")
        return


@pytest.mark.rule("BGA-RATE-EXCEEDED")
def test_past_the_limit_is_429(ctx: Context) -> None:
    ctx.require("exhaust")
    label = "exhaust" if "exhaust" in ctx.credentials else "primary"

    def send(n: int) -> Exchange:
        p = a_list(ctx)
        return ctx.get(p.path, auth=label, params=p.query(), pace=False, retry_429=False,
                       note=f"exhausting the limit, request {n}")

    first = send(1)
    lefts = [v for v in (rate_value(first, f"X-RateLimit-Remaining-{w}") if first.response else None
                         for w in ("Minute", "Hour")) if v is not None]
    limits = [v for v in (rate_value(first, f"X-RateLimit-Limit-{w}") if first.response else None
                          for w in ("Minute", "Hour")) if v is not None]
    if not lefts and not limits:
        raise Incomplete("no rate-limit header says how many requests exhaust the key", first)
    bound = (min(lefts) if lefts else min(limits)) + 5
    # Past this a probe becomes a load test: the target file's max_exhaust_requests sets it.
    most = ctx.target.max_exhaust_requests
    if bound > most:
        raise Incomplete(f"exhausting the key would take {bound} requests (more than max_exhaust_requests "
                         f"= {most}); name a key of its own with a small per-minute limit in the target "
                         "file ([credentials] exhaust_token_env), or raise max_exhaust_requests", first)
    ex, sent = first, 1
    while ex.status != 429 and sent < bound:
        sent += 1
        ex = send(sent)
    ctx.expect(ex.status == 429,
               f"{sent} requests with a key whose headers said {min(lefts or limits)} remained "
               f"were never answered 429 (last: {ex.status})", first, ex)
    assert ex.response is not None
    # The 429's headers and body are BGA-RATE-HEADERS' and BGA-ERROR-FORMAT's to judge (every
    # exchange of the run is held to them): one broken behaviour, one failed rule.
    if ex.response.header("retry-after") is None:
        ctx.note("the 429 carries no Retry-After (the document shows only the X-RateLimit headers)")
