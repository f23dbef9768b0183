"""Per-key rate limits: X-RateLimit-{Limit,Remaining}-{Minute,Hour} on every response, values
that make sense, a counter per key, and 429 past the limit."""

from __future__ import annotations

import itertools
import uuid

import pytest

from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.profiles.booga.checks import rate_value
from apiconform.profiles.booga.probes import first_page, get_list, item_path, list_path, results
from apiconform.sweep import sweep

PER_KEY_REQUESTS = 5


def rate_probes(ctx: Context) -> list[Exchange]:
    """Successes and every kind of error, once per run (both header rules look at them)."""
    if "bga:rate-probes" not in ctx.cache:
        page = first_page(ctx)
        items = results(page) if 200 <= (page.status or 0) < 300 else []
        probes = [page]
        if items and isinstance(items[0], dict):  # an empty account still answers errors
            probes.append(ctx.get(item_path(ctx, str(items[0].get("id"))), note="one file"))
        probes += [
            ctx.get(list_path(ctx), auth=None, note="401: no credentials"),
            ctx.get(list_path(ctx), auth=None, headers={"X-API-Key": "apiconform-not-a-key"},
                    note="401: bad key"),
            ctx.get(item_path(ctx, str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4))), note="404"),
            get_list(ctx, "possibly 400: limit=abc", limit="abc"),
        ]
        if ctx.has("scoped_key"):
            probes.append(ctx.get(ctx.target["scoped_request"]["path"], auth="scoped", note="403"))
        ctx.cache["bga:rate-probes"] = probes
    return list(ctx.cache["bga:rate-probes"]) + sweep(ctx)


@pytest.mark.rule("BGA-RATE-HEADERS")
def test_rate_headers_on_every_response(ctx: Context) -> None:
    for ex in rate_probes(ctx):
        ctx.check(ex)


@pytest.mark.rule("BGA-RATE-HEADER-VALUES")
def test_rate_header_values(ctx: Context) -> None:
    for ex in rate_probes(ctx):
        ctx.check(ex)


def remaining(ctx: Context, ex: Exchange, window: str = "Minute") -> int:
    value = rate_value(ex, f"X-RateLimit-Remaining-{window}")
    if value is None:
        raise Incomplete(f"no usable X-RateLimit-Remaining-{window} (see BGA-RATE-HEADERS)", ex)
    return value


@pytest.mark.rule("BGA-RATE-REMAINING-DECREASES")
def test_remaining_decreases(ctx: Context) -> None:
    for attempt in range(2):
        seq = [get_list(ctx, f"remaining, request {n + 1}", limit=1) for n in range(3)]
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
        before = get_list(ctx, "key B before", auth="b", limit=1)
        for n in range(PER_KEY_REQUESTS):
            get_list(ctx, f"key A request {n + 1}", limit=1)
        after = get_list(ctx, "key B after", auth="b", limit=1)
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
        return ctx.get(list_path(ctx), auth=label, params=ctx.params(limit=1), pace=False, retry_429=False,
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
