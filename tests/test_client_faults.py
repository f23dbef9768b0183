"""Fault injection with respx: every transport misbehaviour becomes evidence, never a traceback;
429s are backed off and the same request sent again, whatever its method, a bounded number of
times; budgets and redirects hold."""

from __future__ import annotations

import gzip
import zlib

import httpx
import pytest
import respx
from tests.servers.clock import FakeClock

from apiconform.client import THROTTLED_AFTER, Budget, Client, Credential, decode_body
from apiconform.errors import BudgetExhausted, ConfigError, Incomplete, TransportFault
from apiconform.pacing import Pacer
from apiconform.target import Timeouts

BASE = "https://api.example.test"
CRED = Credential("primary", "sekrit-token-0123")


class _ThroughHttpcore(httpx.HTTPTransport):
    """httpx's own transport, handed to the Client as any other: requests go through httpcore's
    pool, which is where respx steps in. The kit's own connections (wire.py) meet their faults on
    real sockets instead (test_wire.py, test_faults.py)."""

    def __init__(self) -> None:
        super().__init__(trust_env=False)


def make_client(budget: int = 100, **kwargs: object) -> tuple[Client, FakeClock]:
    clock = FakeClock()
    pacer = Pacer(clock=clock.now, sleep=clock.sleep, max_wait=120)
    client = Client(BASE, budget=Budget(budget), pacer=pacer, timeouts=Timeouts(1, 1, 2),  # type: ignore[arg-type]
                    transport=_ThroughHttpcore(), **kwargs)
    return client, clock


@pytest.mark.parametrize(("fault", "text"), [
    (httpx.ConnectError("connection refused"), "ConnectError"),
    (httpx.ReadTimeout("read timed out"), "timed out"),
    (httpx.ConnectTimeout("slow"), "timed out"),
    (httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
     "RemoteProtocolError"),
    (httpx.ReadError("connection reset by peer"), "ReadError"),
])
def test_transport_faults_are_incomplete_with_evidence(fault: Exception, text: str) -> None:
    client, _ = make_client()
    with respx.mock(base_url=BASE) as router:
        router.get("/x").mock(side_effect=fault)
        with pytest.raises(TransportFault, match=text) as info:
            client.get("/x", credential=CRED)
        assert info.value.exchange is not None and info.value.exchange.response is None
        ex = client.get("/x", allow_fault=True)
        assert ex.error and text in ex.error and ex.status is None


def test_unreachable_after_first_few_failures_then_nothing_is_sent() -> None:
    client, _ = make_client()
    with respx.mock(base_url=BASE) as router:
        route = router.get("/x").mock(side_effect=httpx.ConnectError("refused"))
        for _ in range(3):
            with pytest.raises(TransportFault):
                client.get("/x")
        assert client.unreachable and "refused" in client.unreachable
        with pytest.raises(TransportFault, match="unreachable"):
            client.get("/x")
        assert route.call_count == 3
    assert client.budget.sent == 3


def test_one_fault_between_answers_is_evidence_three_in_a_row_stop_the_run() -> None:
    client, _ = make_client()
    with respx.mock(base_url=BASE) as router:
        router.get("/ok").mock(return_value=httpx.Response(200, json={}))
        router.get("/x").mock(side_effect=httpx.ReadTimeout("t"))
        client.get("/ok")
        for _ in range(5):  # a healthy run: faults with answers in between never add up
            client.get("/x", allow_fault=True)
            client.get("/x", allow_fault=True)
            client.get("/ok")
        assert client.unreachable is None
        for _ in range(3):
            client.get("/x", allow_fault=True)
        assert client.unreachable and "unhealthy after 3 consecutive faults" in client.unreachable
        assert len(client.stop_evidence) == 3 and all(ex.error for ex in client.stop_evidence)
        with pytest.raises(TransportFault, match="not sent: target unhealthy"):
            client.get("/ok")


def test_faults_elsewhere_do_not_mark_the_target_unreachable() -> None:
    client, _ = make_client()
    with respx.mock() as router:
        router.get("http://api.example.test/x").mock(side_effect=httpx.ConnectError("refused"))
        for _ in range(5):
            client.get("http://api.example.test/x", allow_fault=True)
    assert client.unreachable is None


def test_429_on_get_is_backed_off_per_retry_after_and_retried() -> None:
    client, clock = make_client()
    with respx.mock(base_url=BASE) as router:
        route = router.get("/x").mock(side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}),
            httpx.Response(429, headers={"Retry-After": "5"}),
            httpx.Response(200, json={"ok": True}),
        ])
        ex = client.get("/x", credential=CRED)
    assert ex.status == 200 and route.call_count == 3
    assert clock.sleeps == [3.0, 5.0]
    assert client.budget.sent == 3  # retries count against the budget


def test_429_without_retry_after_backs_off_exponentially_then_gives_up() -> None:
    client, clock = make_client()
    with respx.mock(base_url=BASE) as router:
        route = router.get("/x").mock(return_value=httpx.Response(429))
        with pytest.raises(Incomplete, match="3 answers in a row were 429") as info:
            client.get("/x")
    assert route.call_count == 3 and clock.sleeps == [2.0, 4.0]
    assert info.value.exchange is not None and info.value.exchange.status == 429


@pytest.mark.parametrize("headers", [
    {},
    {"Retry-After": "1"},
    {"Retry-After": "20"},
    {"Retry-After": "86400"},
    {"X-RateLimit-Remaining-Minute": "0"},
    {"Retry-After": "1", "X-RateLimit-Limit-Minute": "60", "X-RateLimit-Remaining-Minute": "0"},
    {"RateLimit": "limit=60, remaining=0, reset=50"},
], ids=["bare", "retry-1s", "retry-20s", "retry-a-day", "remaining-0", "booga-headers", "ietf-reset-50s"])
def test_a_429_storm_stops_the_run_whatever_its_headers(headers: dict[str, str]) -> None:
    client, clock = make_client()
    with respx.mock(base_url=BASE) as router:
        route = router.get("/x").mock(return_value=httpx.Response(429, headers=headers))
        for _ in range(20):  # every later rule tries again
            with pytest.raises(Incomplete):
                client.get("/x")
    assert client.throttled and "throttling" in client.throttled
    assert route.call_count <= THROTTLED_AFTER  # nothing is sent once the kit has stopped
    assert sum(clock.sleeps) <= 30  # the whole storm costs at most half a minute of waiting
    assert client.stop_evidence and all(ex.status == 429 for ex in client.stop_evidence)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "FROBNICATE"])
def test_a_429_to_any_method_is_waited_out_and_the_same_request_sent_again(method: str) -> None:
    # A 429 says the request was not processed: sending it again is safe, whatever the method.
    client, clock = make_client()
    with respx.mock(base_url=BASE) as router:
        route = router.route(method=method, path="/x").mock(side_effect=[
            httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(405)])
        ex = client.request(method, "/x", json_body={"a": 1}, credential=CRED)
    assert ex.status == 405 and route.call_count == 2 and clock.sleeps == [1.0]
    first, again = (call.request for call in route.calls)
    assert (again.method, again.url, again.content) == (first.method, first.url, first.content)
    assert again.headers["authorization"] == first.headers["authorization"]
    assert [e.status for e in client.recorder.current] == [429, 405]  # the 429 is evidence too


def test_a_503_with_retry_after_is_waited_out_and_the_same_request_sent_again() -> None:
    client, clock = make_client()
    with respx.mock(base_url=BASE) as router:
        route = router.get("/x").mock(side_effect=[
            httpx.Response(503, headers={"Retry-After": "2"}), httpx.Response(200, json={})])
        assert client.get("/x").status == 200
    assert route.call_count == 2 and clock.sleeps == [2.0]
    assert client.pacer.learned == {}  # an outage, not a rate: nothing to learn from it


def test_429s_after_a_burst_cap_the_rate_for_the_rest_of_the_run() -> None:
    # A gateway: 30 requests through per sliding second, then 429 with Retry-After: 1.
    client, clock = make_client(budget=1000)
    passed: list[float] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        now = clock.now()
        clock.sleep(0.002)  # each request takes a little time
        passed[:] = [t for t in passed if now - t < 1.0]
        if len(passed) >= 30:
            return httpx.Response(429, headers={"Retry-After": "1"})
        passed.append(now)
        return httpx.Response(200, json={})

    with respx.mock(base_url=BASE) as router:
        route = router.route(path__regex=r"/.*").mock(side_effect=gateway)
        for i in range(300):
            assert client.request("GET" if i % 3 else "OPTIONS", f"/r{i}").status == 200
    refused = route.call_count - 300
    assert 1 <= refused <= 2, refused  # the first burst's, then never again
    assert client.pacer.learned == {1.0: 28} and client.throttled is None


def test_retry_after_of_a_day_is_incomplete_without_sleeping() -> None:
    client, clock = make_client()
    with respx.mock(base_url=BASE) as router:
        route = router.get("/x").mock(return_value=httpx.Response(429, headers={"Retry-After": "86400"}))
        with pytest.raises(Incomplete, match=r"wait 86400s .*more than the cap"):
            client.get("/x")
        # The next request with that key would have to wait a day too: refused locally.
        with pytest.raises(Incomplete, match="more than the cap"):
            client.get("/x")
    assert route.call_count == 1 and clock.sleeps == []


def test_a_deliberate_429_is_returned_untouched() -> None:
    client, clock = make_client()
    with respx.mock(base_url=BASE) as router:
        router.get("/x").mock(return_value=httpx.Response(429))
        assert client.get("/x", retry_429=False, pace=False).status == 429
    assert clock.sleeps == [] and client.throttled is None


def test_throttled_everywhere_stops_the_kit_fast() -> None:
    client, clock = make_client(budget=1000)
    with respx.mock(base_url=BASE) as router:
        route = router.get(path__regex=r"/.*").mock(
            return_value=httpx.Response(429, headers={"Retry-After": "1"}))
        raised = 0
        for i in range(20):
            try:
                client.get(f"/r{i}")
            except Incomplete:
                raised += 1
    assert raised == 20
    assert route.call_count == THROTTLED_AFTER
    assert client.throttled and sum(clock.sleeps) < 10


def test_budget_counts_everything_and_is_a_hard_stop() -> None:
    client, _ = make_client(budget=3)
    with respx.mock(base_url=BASE) as router:
        route = router.get("/x").mock(
            side_effect=[httpx.Response(429), httpx.Response(200), httpx.Response(200)])
        client.get("/x")
        client.get("/x", allow_fault=True)
        with pytest.raises(BudgetExhausted, match="budget of 3"):
            client.get("/x")
    assert route.call_count == 3 and client.budget.sent == 3 and client.budget.exhausted


def test_redirect_is_reported_never_followed() -> None:
    client, _ = make_client()
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{BASE}/x").mock(return_value=httpx.Response(302, headers={"Location": "https://evil.test/x"}))
        other = router.get("https://evil.test/x").mock(return_value=httpx.Response(200))
        ex = client.get("/x", credential=CRED, auth_style="api-key")
    assert ex.status == 302 and ex.response is not None
    assert ex.response.header("location") == "https://evil.test/x"
    assert not other.called


def test_credentials_only_to_the_target_origin_and_never_over_plain_http() -> None:
    client, _ = make_client()
    with respx.mock(assert_all_called=False) as router:
        route = router.get(path__regex=".*").mock(return_value=httpx.Response(200))
        for url in ("https://evil.test/x", "http://api.example.test/x", "https://api.example.test:8443/x"):
            with pytest.raises(ConfigError, match="refusing"):
                client.get(url, credential=CRED)
        plain = Client("http://api.example.test")
        with pytest.raises(ConfigError, match="plain HTTP"):
            plain.get("/x", credential=CRED)
        assert not route.called
        # Loopback over plain HTTP is fine (the mocks, a local dev server).
        Client("http://127.0.0.1:9", transport=_ThroughHttpcore()).get("/x", credential=CRED)
        assert route.called


def test_body_cap_truncates_and_json_says_so() -> None:
    client, _ = make_client(max_body_bytes=1000)
    with respx.mock(base_url=BASE) as router:
        router.get("/x").mock(return_value=httpx.Response(200, content=b"[" + b"1," * 100_000 + b"1]"))
        ex = client.get("/x")
    assert ex.response is not None and ex.response.truncated and len(ex.response.body) == 1000
    assert not ex.response.is_json and "size cap" in (ex.response.json_error or "")


def test_gzip_bomb_is_capped_while_decoding() -> None:
    client, _ = make_client(max_body_bytes=10_000)
    bomb = gzip.compress(b"0" * 50_000_000)
    with respx.mock(base_url=BASE) as router:
        router.get("/x").mock(return_value=httpx.Response(
            200, stream=httpx.ByteStream(bomb), headers={"Content-Encoding": "gzip"}))
        ex = client.get("/x", accept_encoding="gzip")
    assert ex.response is not None and ex.response.truncated and ex.response.decode_error is None
    assert len(ex.response.body) == 10_000


def test_decode_body() -> None:
    data = b'{"data": {"id": 1}}' * 50
    whole = gzip.compress(data)
    assert decode_body(whole, "gzip") == (data, None)
    assert decode_body(data, None) == (data, None)
    assert decode_body(zlib.compress(data), "deflate") == (data, None)
    body, error = decode_body(whole[: len(whole) // 2], "gzip")
    assert error and "cut short" in error and data.startswith(body)
    body, error = decode_body(whole[:-4], "gzip")  # only the trailer missing
    assert error and "cut short" in error
    body, error = decode_body(data, "gzip")  # claims gzip, is not
    assert error and "does not decode" in error and body == data
    assert "not one the kit asked for" in (decode_body(data, "br")[1] or "")
    assert decode_body(whole, "gzip", limit=10)[0] == data[:11]


@pytest.mark.parametrize(("payload", "content_type", "message"), [
    (b'{"data": "\xff\xfe"}', "application/json", "not valid UTF-8"),
    (b'{"data": {"id": ', "application/json", "not valid JSON"),
    (b"<html><body>Bad gateway</body></html>", "text/html", "not valid JSON"),
    (b"", "application/json", "not valid JSON"),
])
def test_broken_bodies_are_json_errors_not_exceptions(payload: bytes, content_type: str,
                                                      message: str) -> None:
    client, _ = make_client()
    with respx.mock(base_url=BASE) as router:
        router.get("/x").mock(return_value=httpx.Response(200, content=payload,
                                                          headers={"Content-Type": content_type}))
        ex = client.get("/x")
    assert ex.response is not None and not ex.response.is_json
    assert message in (ex.response.json_error or "")
    with pytest.raises(ValueError, match=message):
        ex.response.json()
    assert ex.to_dict()["response"]["status"] == 200  # evidence renders


# mtime=0: gzip's header holds the time of compression, and the item's id holds the body (two
# xdist workers collecting a second apart would disagree on the test ids).
@pytest.mark.parametrize("body", [b'{"a": 1}', gzip.compress(b'{"a": 1}' * 100, mtime=0)[:-3]],
                         ids=["not-gzip", "cut-gzip"])
def test_lying_or_cut_gzip_is_a_decode_error_in_the_evidence(body: bytes) -> None:
    # respx pre-reads (and so decodes) mocked bodies: an httpx.MockTransport hands over raw bytes.
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=httpx.ByteStream(body), headers={"Content-Encoding": "gzip"})

    client = Client(BASE, transport=httpx.MockTransport(handler))
    ex = client.get("/x", accept_encoding="gzip")
    assert ex.response is not None and ex.response.decode_error
    assert ex.to_dict()["response"]["decode_error"] == ex.response.decode_error
    assert not ex.response.is_json


def test_write_methods_are_recorded_for_the_safety_block() -> None:
    client, _ = make_client()
    with respx.mock(base_url=BASE) as router:
        router.route(path="/x").mock(return_value=httpx.Response(204))
        client.get("/x")
        client.request("delete", "/x")
    assert client.recorder.methods == {("GET", "/x"): 1, ("DELETE", "/x"): 1}
    assert [m for m, _, _ in client.recorder.sequence] == ["GET", "DELETE"]
