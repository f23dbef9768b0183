"""The kit's HTTP client: every request the kit sends goes through here.

One place holds the safety rules: the request budget, pacing and bounded 429 back-off,
credentials only to the target's own origin (redirects are never followed), a hard
deadline per request, a cap on what is read, and Content-Encoding undone by the kit so
that a lying or truncated gzip stream is evidence rather than silently accepted data.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from apiconform.errors import BudgetExhausted, ConfigError, Incomplete, TransportFault
from apiconform.exchange import Exchange, RecordedRequest, RecordedResponse
from apiconform.pacing import Pacer
from apiconform.redact import REDACTOR, Redactor
from apiconform.target import Timeouts, is_loopback_host

USER_AGENT = "apiconform/0.1 (conformance kit)"
# Retries of one request after a 429: only idempotent methods, and only a few times.
MAX_429_RETRIES = 2
IDEMPOTENT = frozenset({"GET", "HEAD"})
# h11's terse messages, said so that a reader of the report knows what the server did.
KNOWN_ERRORS = {
    "Receive buffer too long": "response headers larger than the HTTP parser's limit (enormous headers)",
    "Server disconnected without sending a response.": "the server closed the connection without answering",
}
# After this many 429s in a row on ordinary traffic the target is throttling the kit: every
# later request is refused locally (rule -> error) instead of adding to the customer's quota.
THROTTLED_AFTER = 4
# Transport failures in a row (to the target's own origin) after which the target counts as
# unreachable: fewer if it has never answered at all, so a dead target ends a run in seconds.
UNREACHABLE_FIRST = 3
UNREACHABLE_AFTER = 6


@dataclass(frozen=True)
class Credential:
    label: str  # primary, b, scoped, ...
    value: str = field(repr=False)  # a repr lands in tracebacks and hypothesis output

    def headers(self, style: str = "bearer") -> dict[str, str]:
        if style == "bearer":
            return {"Authorization": f"Bearer {self.value}"}
        if style == "api-key":
            return {"X-API-Key": self.value}
        raise ValueError(f"unknown auth style {style!r}")


class Budget:
    """A request budget shared by everything the kit sends in one run."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.sent = 0

    def take(self) -> None:
        if self.sent >= self.limit:
            raise BudgetExhausted(f"request budget of {self.limit} requests is spent")
        self.sent += 1

    @property
    def exhausted(self) -> bool:
        return self.sent >= self.limit


@dataclass
class Recorder:
    """Collects exchanges: per test (evidence) and per run (what was sent where)."""

    current: list[Exchange] = field(default_factory=list)
    methods: Counter[tuple[str, str]] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    # (method, url, status or None) of every request in order: replay and determinism checks.
    sequence: list[tuple[str, str, int | None]] = field(default_factory=list)

    def record(self, exchange: Exchange, path: str) -> None:
        self.current.append(exchange)
        self.sequence.append((exchange.request.method, exchange.request.url, exchange.status))
        self.methods[(exchange.request.method, path)] += 1
        if exchange.response is not None:
            self.statuses[exchange.response.status] += 1


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def decode_body(raw: bytes, encoding: str | None, limit: int | None = None) -> tuple[bytes, str | None]:
    """Undo Content-Encoding; (body, error). A gzip stream must reach its end marker.

    With `limit`, decoding stops after `limit + 1` bytes (a small gzip bomb must not take the
    kit's memory); the caller sees the longer body and marks it truncated.
    """
    enc = (encoding or "").strip().lower()
    if enc in ("", "identity"):
        return raw, None
    if enc in ("gzip", "x-gzip", "deflate"):
        wbits = 16 + zlib.MAX_WBITS if enc != "deflate" else zlib.MAX_WBITS
        decoder = zlib.decompressobj(wbits)
        try:
            if limit is None:
                body = decoder.decompress(raw) + decoder.flush()
            else:
                body = decoder.decompress(raw, limit + 1)
                if len(body) > limit:
                    return body, None
                body += decoder.flush()
        except zlib.error as exc:
            return raw, f"Content-Encoding: {enc} claimed but the body does not decode ({exc})"
        if not decoder.eof:
            return body, f"Content-Encoding: {enc} stream is cut short (no end-of-stream marker)"
        return body, None
    return raw, f"Content-Encoding {enc!r} is not one the kit asked for"


@dataclass
class _Raw:
    """What came off the wire for one request, before the kit decodes anything."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    truncated: bool


class Client:
    """Sends requests for the suites. The safety rules live here, not in the tests.

    A test that wants to see a 429 (deliberate exhaustion) passes `retry_429=False` and
    `pace=False`; on every other request a 429 is backed off and retried (idempotent methods
    only), and one that cannot be retried ends the rule as `error`, never as a `fail`.
    """

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        budget: Budget | None = None,
        pacer: Pacer | None = None,
        recorder: Recorder | None = None,
        redactor: Redactor | None = None,
        timeouts: Timeouts | None = None,
        max_body_bytes: int = 5 * 1024 * 1024,
        allow_insecure_http: bool = False,
        in_process: bool = False,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.origin = _origin(self.base_url)
        self.budget = budget or Budget(10_000)
        self.pacer = pacer or Pacer()
        self.recorder = recorder or Recorder()
        self.redactor = redactor or REDACTOR
        self.timeouts = timeouts or Timeouts()
        self.max_body_bytes = max_body_bytes
        self.allow_insecure_http = allow_insecure_http
        self.in_process = in_process
        # A real socket can stall inside a single read for ever (a server dripping a byte a
        # second never trips httpx's per-read timeout), so network requests run in a worker
        # thread that is abandoned at the total deadline. An in-process app is the kit's own.
        self.threaded = transport is None
        self.unreachable: str | None = None  # why the target counts as unreachable
        self.throttled: str | None = None  # why the kit stopped sending (429 after 429)
        self._faults_in_a_row = 0
        self._answered = False
        self._429_in_a_row = 0
        self.unexpected_429 = 0  # 429s on ordinary traffic (pacing should keep this at 0)
        t = self.timeouts
        self._http = httpx.Client(
            transport=transport,
            follow_redirects=False,  # never carry credentials along a redirect: a 3xx is evidence
            timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.read, pool=t.connect),
            trust_env=False,  # no proxies or netrc credentials picked up from the environment
        )

    def close(self) -> None:
        self._http.close()

    # -- URL handling ---------------------------------------------------------------
    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return urljoin(self.base_url + "/", path_or_url.lstrip("/"))

    def same_origin(self, url: str) -> bool:
        return _origin(url) == self.origin

    def _guard_credentials(self, url: str) -> None:
        scheme, host, _ = _origin(url)
        if not self.same_origin(url):
            raise ConfigError(f"refusing to send a credential to {self.redactor.text(url)}: "
                              "not the target's origin")
        if scheme == "http" and not self.in_process and not is_loopback_host(host) \
                and not self.allow_insecure_http:
            raise ConfigError(f"refusing to send a credential over plain HTTP to non-loopback host {host}")

    # -- sending --------------------------------------------------------------------
    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        credential: Credential | None = None,
        auth_style: str = "bearer",
        content: bytes | None = None,
        json_body: Any = None,
        accept_encoding: str = "identity",
        note: str = "",
        retry_429: bool = True,
        pace: bool = True,
        allow_fault: bool = False,
    ) -> Exchange:
        """Send one request (plus bounded 429 retries for GET/HEAD); returns the recorded exchange.

        A transport failure raises `TransportFault` unless `allow_fault`, in which case the
        exchange comes back with `error` set and no response. An unexpected 429 that cannot
        be retried, a spent budget, an unreachable or throttling target raise `Incomplete`.
        """
        method = method.upper()
        url = self.url(path_or_url)
        if self.unreachable:
            raise TransportFault(f"not sent: the target is unreachable ({self.unreachable})")
        if self.throttled:
            raise Incomplete(f"not sent: the target is throttling the kit ({self.throttled})")
        hdrs: dict[str, str] = {"User-Agent": USER_AGENT, "Accept": "application/json",
                                "Accept-Encoding": accept_encoding}
        if credential is not None:
            self._guard_credentials(url)
            hdrs.update(credential.headers(auth_style))
        if headers:
            hdrs.update(headers)
        # Callers remove a default header by passing None as its value.
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        if json_body is not None:
            content = json.dumps(json_body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        key = credential.label if credential else "anonymous"
        attempts = 0
        while True:
            if pace:
                self.pacer.before(key)
            exchange = self._send_once(method, url, params, hdrs, content, note, allow_fault, key)
            if exchange.status != 429 or not retry_429:
                if exchange.response is not None and retry_429:
                    self._429_in_a_row = 0
                return exchange
            assert exchange.response is not None
            self._429_in_a_row += 1
            self.unexpected_429 += 1
            delay = self.pacer.observe(key, 429, _lower_headers(exchange.response.headers))
            if self._429_in_a_row >= THROTTLED_AFTER:
                self.throttled = f"{self._429_in_a_row} responses in a row were 429 Too Many Requests"
                raise Incomplete(f"rate limited: {self.throttled}; the kit stops sending", exchange)
            if method not in IDEMPOTENT:
                raise Incomplete(f"rate limited: 429 to {method}, which the kit never retries", exchange)
            if attempts >= MAX_429_RETRIES:
                raise Incomplete(f"rate limited: still 429 after {attempts} retries", exchange)
            wait = delay if delay is not None else min(2.0 ** (attempts + 1), 30.0)
            if wait > self.pacer.max_wait:
                raise Incomplete(f"rate limited: the server asks to wait {wait:.0f}s, more than the cap "
                                 f"of {self.pacer.max_wait:.0f}s (max_wait_seconds)", exchange)
            attempts += 1
            self.pacer.wait(wait, f"429 Too Many Requests, retry {attempts} of {MAX_429_RETRIES}")

    def get(self, path_or_url: str, **kwargs: Any) -> Exchange:
        return self.request("GET", path_or_url, **kwargs)

    def _send_once(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
        content: bytes | None,
        note: str,
        allow_fault: bool,
        key: str,
    ) -> Exchange:
        self.budget.take()
        request = self._http.build_request(method, url, params=params, headers=headers, content=content)
        recorded = RecordedRequest(
            method=method,
            url=str(request.url),
            headers=[(k, v) for k, v in request.headers.items() if k.lower() not in ("host",)],
            body=content,
        )
        exchange = Exchange(request=recorded, note=note)
        self.pacer.sent(key)
        started = time.monotonic()
        raw: _Raw | None = None
        try:
            raw = self._fetch_with_deadline(request, started)
        except TransportFault as exc:
            exchange.error = str(exc)
        except httpx.TimeoutException as exc:
            exchange.error = f"timed out ({type(exc).__name__})"
        except httpx.HTTPError as exc:
            text = self.redactor.text(str(exc)) or "connection failed"
            exchange.error = f"{type(exc).__name__}: {KNOWN_ERRORS.get(text, text)}"
        except (OSError, ValueError) as exc:  # e.g. a header line that is not latin-1
            exchange.error = f"{type(exc).__name__}: {self.redactor.text(str(exc))}"
        path = urlsplit(url).path
        if raw is None:
            self.recorder.record(exchange, path)
            self._count_fault(url, exchange.error or "")
            if allow_fault:
                return exchange
            raise TransportFault(f"{method} {self.redactor.text(url)}: {exchange.error}", exchange)
        if self.same_origin(url):
            self._faults_in_a_row, self._answered = 0, True
        body, decode_error = decode_body(raw.body, _lower_headers(raw.headers).get("content-encoding"),
                                          self.max_body_bytes)
        if raw.truncated and decode_error and body is not raw.body:
            decode_error = None  # the kit stopped reading: a short stream is its own doing
        exchange.response = RecordedResponse(
            status=raw.status,
            headers=raw.headers,
            body=body[: self.max_body_bytes],
            elapsed=time.monotonic() - started,
            raw_size=len(raw.body),
            truncated=raw.truncated or len(body) > self.max_body_bytes,
            decode_error=decode_error,
        )
        self.pacer.observe(key, raw.status, _lower_headers(raw.headers))
        self.recorder.record(exchange, path)
        return exchange

    def _count_fault(self, url: str, error: str) -> None:
        if not self.same_origin(url):
            return  # e.g. the plain-http probe of an https target: expected to fail
        self._faults_in_a_row += 1
        limit = UNREACHABLE_AFTER if self._answered else UNREACHABLE_FIRST
        if self._faults_in_a_row >= limit:
            self.unreachable = f"{self._faults_in_a_row} requests in a row failed, the last: " \
                               f"{self.redactor.text(error)}"

    def _fetch_with_deadline(self, request: httpx.Request, started: float) -> _Raw:
        if not self.threaded:
            return self._fetch(request, started)
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["raw"] = self._fetch(request, started, box)
            except BaseException as exc:  # handed to the caller's thread
                box["error"] = exc

        worker = threading.Thread(target=work, name="apiconform-request", daemon=True)
        worker.start()
        worker.join(self.timeouts.total)
        if worker.is_alive():
            # Abandon the worker; closing the response (once headers are in) ends its read.
            response = box.get("response")
            if response is not None:
                threading.Thread(target=response.close, daemon=True).start()
            raise TransportFault(f"no complete response within the total deadline of "
                                 f"{self.timeouts.total:g}s")
        if "error" in box:
            raise box["error"]
        raw: _Raw = box["raw"]
        return raw

    def _fetch(self, request: httpx.Request, started: float, box: dict[str, Any] | None = None) -> _Raw:
        response = self._http.send(request, stream=True)
        if box is not None:
            box["response"] = response
        try:
            body, truncated = self._read_capped(response, started)
        finally:
            response.close()
        return _Raw(response.status_code, list(response.headers.multi_items()), body, truncated)

    def _read_capped(self, response: httpx.Response, started: float) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_raw():
            chunks.append(chunk)
            size += len(chunk)
            if time.monotonic() - started > self.timeouts.total:
                raise TransportFault(f"no complete response within the total deadline of "
                                     f"{self.timeouts.total:g}s")
            if size > self.max_body_bytes:
                # Stop reading: closing the response drops the connection, the rest is never read.
                return b"".join(chunks)[: self.max_body_bytes], True
        return b"".join(chunks), False


def _lower_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers}
