"""The kit's HTTP client: every request the kit sends goes through here.

One place holds the safety rules: the request budget, pacing and bounded 429 back-off,
credentials only to the target's own origin (redirects are never followed), a hard
deadline per request, a cap on what is read, and Content-Encoding undone by the kit so
that a lying or truncated gzip stream is evidence rather than silently accepted data.

It also decides when a target is not worth talking to any more: a few transport faults in
a row (unhealthy, `unreachable`) or a few "retry later" answers in a row after their wait
was honoured (`throttled`). From then on nothing is sent and nothing is waited for; every
rule not yet decided becomes `error` with the reason and the last exchanges as evidence.
"""

from __future__ import annotations

import errno
import json
import re
import socket
import ssl
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx
from httpx._urlparse import PATH_SAFE, QUERY_SAFE, UNRESERVED_CHARACTERS

from apiconform import interrupt, phases, wire
from apiconform.errors import BudgetExhausted, ConfigError, Incomplete, TransportFault
from apiconform.exchange import Exchange, RecordedRequest, RecordedResponse
from apiconform.pacing import Pacer, requested_delay
from apiconform.redact import REDACTOR, Redactor
from apiconform.target import Timeouts, is_loopback_host

USER_AGENT = "apiconform/0.1 (conformance kit)"
# h11's terse messages, said so that a reader of the report knows what the server did.
KNOWN_ERRORS = {
    "Receive buffer too long": "response headers larger than the HTTP parser's limit (enormous headers)",
    "Server disconnected without sending a response.": "the server closed the connection without answering",
}
# Transport faults in a row (timeouts, resets, the total deadline) on the target's own origin
# after which the target counts as unhealthy. One fault in a healthy run is that rule's
# evidence; three in a row cost at most three deadlines and end the run.
FAULTS_IN_A_ROW = 3
# "Retry later" answers in a row on ordinary traffic (429, or 503 with Retry-After), each but
# the first sent after the wait the previous one asked for: the key is spent or the target is
# hostile, and the kit stops instead of adding to the customer's quota.
THROTTLED_AFTER = 3
# The most one such streak may make the kit wait in all (Retry-After, a RateLimit reset, or the
# kit's own back-off of 2 s, 4 s): a throttling target costs a run well under a minute.
THROTTLE_WAIT = 30.0
# Of a body past the size cap the kit keeps this much for evidence (a report shows 4000
# characters) and drops the rest: thousands of capped bodies must not fill the memory.
KEPT_OF_TRUNCATED = 64 * 1024
# How many of the exchanges that stopped a run are kept as evidence for the rules not run.
STOP_EVIDENCE = 3
# Characters httpx leaves as they are in a URL's path and query (httpx/_urlparse.py): a URL made of
# them alone is sent as written, so the kit need not have httpx parse it (see Client._fast_url).
_PATH_KEPT = UNRESERVED_CHARACTERS + PATH_SAFE
_QUERY_KEPT = UNRESERVED_CHARACTERS + QUERY_SAFE
# Header sets remembered as httpx builds them (Client._prepare): a run uses a handful; a test
# sending random header values must not make the memory grow without bound.
_HEADER_SETS = 1024

# The monotonic time by which the request in flight (on this thread) must be complete: every
# socket operation of the kit's own connections ends by it (wire.py).
_DEADLINE = wire.DEADLINE


@cache
def verified_tls() -> ssl.SSLContext:
    """The context of every TLS connection the kit makes: httpx's default (certifi's roots,
    certificates and host names checked), built once, on the first https connection: loading
    the roots costs ~20 ms, which a run against an http:// target never needs to pay."""
    context = httpx.create_ssl_context(trust_env=False)
    context.set_alpn_protocols(["http/1.1"])
    return context


class DeadlineTransport(httpx.BaseTransport):
    """The transport a Client makes for itself: the kit's own connections (wire.py), whose every
    socket operation ends by the request's total deadline. The Client sends through `wire`
    directly (Client._fetch_own); the httpx.Client that holds this transport only builds requests."""

    def __init__(self) -> None:
        self.wire = wire.Wire(tls=lambda: verified_tls())  # looked up when a connection needs it

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise NotImplementedError("the kit's Client sends through DeadlineTransport.wire (Client._fetch_own)")

    def close(self) -> None:
        self.wire.close()


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


def relative_to_base(base_path: str, path: str) -> str:
    """`path` (a documented path, `/v1/example/resource`) without the leading segments that
    `base_path` (the base URL's own path, `/gw/v1`) already ends with, and without its leading
    slash, ready for urljoin onto the base: `example/resource`."""
    base = [s for s in base_path.split("/") if s]
    head, sep, tail = path.partition("?")
    parts = head.lstrip("/").split("/")
    for overlap in range(min(len(base), len(parts) - 1), 0, -1):
        if base[-overlap:] == parts[:overlap]:
            parts = parts[overlap:]
            break
    return "/".join(parts) + sep + tail


@cache
def _loopback(host: str) -> bool:
    return is_loopback_host(host)  # an ipaddress parse, asked for per request with a credential


# scheme://authority -> its origin: asked for several times per request (credentials, faults).
_ORIGINS: dict[str, tuple[str, str, int | None]] = {}


def _origin(url: str) -> tuple[str, str, int | None]:
    # The origin depends on the URL's scheme and authority alone: remembered by that prefix
    # when it is plain (no character urlsplit would strip or split at).
    prefix = None
    if url.startswith(("http://", "https://")):
        slash = url.find("/", 8)
        if slash > 0 and url.isascii() and url.isprintable() and not any(c in url[:slash] for c in " ?#"):
            prefix = url[:slash]
            if (found := _ORIGINS.get(prefix)) is not None:
                return found
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    origin = parts.scheme, (parts.hostname or "").lower(), port
    if prefix is not None and len(_ORIGINS) < 256:
        _ORIGINS[prefix] = origin
    return origin


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
class _Prepared:
    """A request as httpx.Client.build_request makes it, in the pieces the connection pool takes."""

    url: str  # as httpx says it (what is recorded)
    scheme: bytes
    host: bytes
    port: int | None
    target: bytes  # path and query
    headers: list[tuple[bytes, bytes]]  # as sent, in order
    recorded: list[tuple[str, str]]  # as recorded: httpx's names (lower case), without Host


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
    `pace=False`. On every other request a 429 (or a 503 with Retry-After) is never the answer:
    the kit waits as told and sends the same request again, whatever its method (a 429 says the
    request was not processed), until THROTTLED_AFTER of them in a row (or THROTTLE_WAIT of
    waiting) stop the run; each such answer is still recorded, and judged like every exchange,
    and each 429 teaches the pacer a lower rate for the rest of the run (Pacer.learn).
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
        document_timeouts: Timeouts | None = None,
        document_max_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._joined: dict[str, str] = {}  # documented path -> its URL (url())
        self.origin = _origin(self.base_url)
        self.budget = budget or Budget(10_000)
        self.pacer = pacer or Pacer()
        self.recorder = recorder or Recorder()
        self.redactor = redactor or REDACTOR
        self.timeouts = timeouts or Timeouts()
        self.max_body_bytes = max_body_bytes
        # The OpenAPI document's own: a real one can be tens of MB and take seconds to generate.
        self.document_timeouts = document_timeouts or Timeouts(connect=5.0, read=60.0, total=90.0)
        self.document_max_bytes = document_max_bytes
        self.allow_insecure_http = allow_insecure_http
        self.in_process = in_process
        self.unreachable: str | None = None  # why the target counts as unhealthy (faults in a row)
        self.throttled: str | None = None  # why the kit stopped sending (retry-later in a row)
        self.stop_evidence: list[Exchange] = []  # the last exchanges before the kit stopped
        self._faults: list[Exchange] = []  # the current run of transport faults on the target
        self._answered = False  # the target has answered at least once
        self._retry_later: list[Exchange] = []  # the current run of 429 (or 503 + Retry-After)
        self._retry_later_waited = 0.0  # what that run has made the kit wait so far
        self.unexpected_429 = 0  # 429s on ordinary traffic (pacing should keep this at 0)
        t = self.timeouts
        self._transport = transport or DeadlineTransport()
        # The client builds requests (default headers, the timeouts) and owns the transport; the
        # kit sends through the transport itself (see _fetch).
        self._http = httpx.Client(
            transport=self._transport,
            follow_redirects=False,  # never carry credentials along a redirect: a 3xx is evidence
            timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.read, pool=t.connect),
            trust_env=False,  # no proxies or netrc credentials picked up from the environment
        )
        # The kit's own transport: requests go to its own connections (wire.py) directly, the
        # bytes httpx would send, without httpx's request and response models, httpcore's pool or
        # h11's state machine (together about half of the kit's time per request). Any other
        # transport (in-process apps, tests' mocks) takes the request httpx builds.
        self._wire = self._transport.wire if isinstance(self._transport, DeadlineTransport) else None
        self._authorities: dict[str, tuple[bytes, bytes, int | None] | None] = {}
        self._header_sets: dict[tuple[Any, ...], tuple[list[tuple[bytes, bytes]], list[tuple[str, str]]]] = {}

    def close(self) -> None:
        self._http.close()

    @property
    def stopped(self) -> str | None:
        """Why the kit sends nothing more to this target (None while it still does)."""
        return interrupt.reason() or self.unreachable or self.throttled

    # -- URL handling ---------------------------------------------------------------
    def url(self, path_or_url: str) -> str:
        """An absolute URL for a documented path, which is relative to the base URL.

        A base URL may carry a path (a gateway prefix, or Boomerang's documented base
        `https://gateway.bmrg.app/vN/`, which already holds the version): where the base ends
        with the segments the path starts with (`…/v1` + `/v1/example/resource`), they are one
        and the same, never sent twice (`/v1/v1/…`).
        """
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        if (joined := self._joined.get(path_or_url)) is None:
            joined = urljoin(self.base_url + "/", relative_to_base(urlsplit(self.base_url).path, path_or_url))
            if len(self._joined) >= 4096:
                self._joined.clear()
            self._joined[path_or_url] = joined  # the same few paths, asked for per request
        return joined

    def same_origin(self, url: str) -> bool:
        return _origin(url) == self.origin

    def _guard_credentials(self, url: str) -> None:
        scheme, host, _ = _origin(url)
        if not self.same_origin(url):
            raise ConfigError(f"refusing to send a credential to {self.redactor.text(url)}: "
                              "not the target's origin")
        if scheme == "http" and not self.in_process and not _loopback(host) \
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
        document: bool = False,
        cleanup: bool = False,
    ) -> Exchange:
        """Send one request (plus its retries after 429s); returns the recorded exchange.

        `cleanup`: the deletion of something the kit created. It is sent even after a signal or
        with the budget spent (leaving a live target as it was found weighs more than either),
        never to a target that stopped answering or throttles the kit.

        `document`: the deployment's OpenAPI document, read with its own size cap and timeouts
        (`document_max_bytes`, `document_timeouts`): a generated document of many megabytes may
        take a server many seconds to produce ("The schema is cached for one hour").

        A transport failure raises `TransportFault` unless `allow_fault`, in which case the
        exchange comes back with `error` set and no response. A spent budget, an unhealthy or
        throttling target, or an interrupted run raise `Incomplete`.
        """
        method = method.upper()
        url = self.url(path_or_url)
        self._refuse_if_stopped(cleanup)
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
        retry = False
        waited_out: list[Exchange] = []  # this request's "retry later" answers, each sent again
        while True:
            if pace or retry:  # a retry waits as it was told, whatever `pace` says
                self._pace(key)
            exchange = self._send_once(method, url, params, hdrs, content, note, allow_fault, key, document, cleanup)
            if not retry_429 or exchange.response is None:
                return exchange  # a deliberate 429 is the test's; a fault is counted elsewhere
            if not _asks_to_retry_later(exchange):
                self._retry_later, self._retry_later_waited = [], 0.0
                # The request was answered after all: each earlier "retry later" was the target's
                # load, not the request's doing (DESIGN.md: a 503 with Retry-After, resent and
                # then answered, is judged by the error format only).
                for earlier in waited_out:
                    earlier.answered_on_retry = exchange.status
                return exchange
            self._retry_later.append(exchange)
            waited_out.append(exchange)
            delay = requested_delay(_lower_headers(exchange.response.headers))
            if exchange.status == 429:
                self.unexpected_429 += 1
                self.pacer.learn(key, delay)  # slower from now on: the rate that met this 429
            streak = len(self._retry_later)
            if streak >= THROTTLED_AFTER:
                asked = "429 Too Many Requests" if exchange.status == 429 else \
                    f"{exchange.status} with Retry-After"
                self._stop("throttled", f"the target is throttling the kit: {streak} answers in a row were "
                                        f"{asked}, each sent after the wait the previous one asked for",
                           self._retry_later)
                raise Incomplete(f"rate limited: {self.throttled}; the kit stops sending", exchange)
            if delay is None:
                # Nothing says when: the kit's own back-off, 2 s then 4 s.
                self.pacer.defer(key, 2.0 ** streak)
            # The same request again, after the wait (a 503 with Retry-After says when as well).
            retry = True

    def get(self, path_or_url: str, **kwargs: Any) -> Exchange:
        return self.request("GET", path_or_url, **kwargs)

    def _refuse_if_stopped(self, cleanup: bool = False) -> None:
        if not cleanup and (interrupted := interrupt.reason()) is not None:
            raise Incomplete(f"not sent: {interrupted}")  # SIGINT/SIGTERM: nothing new leaves
        last = self.stop_evidence[-1] if self.stop_evidence else None
        if self.unreachable:
            raise TransportFault(f"not sent: {self.unreachable}", last)
        if self.throttled:
            raise Incomplete(f"not sent: {self.throttled}", last)

    def _pace(self, key: str) -> None:
        """Wait as the pacer says; while answers keep saying "retry later", only as long as
        THROTTLE_WAIT allows in all, and not at all once the kit has stopped."""
        if not self._retry_later:
            self.pacer.before(key)
            return
        wait, why = self.pacer.delay_for(key)
        cap = min(THROTTLE_WAIT, self.pacer.max_wait)
        if self._retry_later_waited + wait > cap:
            last = self._retry_later[-1]
            which = f"a {last.status} answer" if len(self._retry_later) == 1 else \
                f"{len(self._retry_later)} {last.status} answers in a row"
            self._stop("throttled", f"the target is throttling the kit: after {which} the next request would "
                                    f"have to wait {wait:.0f}s ({why}), more than the cap of {cap:.0f}s the kit "
                                    "waits in all on retry-later answers", self._retry_later)
            raise Incomplete(f"rate limited: {self.throttled}", last)
        self.pacer.wait(wait, f"{why}; retry-later answer {len(self._retry_later)} of at most "
                              f"{THROTTLED_AFTER - 1} in a row")
        self._retry_later_waited += wait

    def _stop(self, kind: str, reason: str, evidence: list[Exchange]) -> None:
        setattr(self, kind, self.redactor.text(reason))
        self.stop_evidence = list(evidence[-STOP_EVIDENCE:])

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
        document: bool = False,
        cleanup: bool = False,
    ) -> Exchange:
        self._refuse_if_stopped(cleanup)  # also after a wait: the run may have been interrupted meanwhile
        if cleanup:
            self.budget.sent += 1  # counted, never refused
        else:
            self.budget.take()
        cap = self.document_max_bytes if document else self.max_body_bytes
        t = self.document_timeouts if document else self.timeouts
        request: httpx.Request | _Prepared
        if self._wire is not None:
            request = self._prepare(method, url, params, headers, content)
            recorded = RecordedRequest(method=method, url=request.url, headers=list(request.recorded), body=content)
        else:
            timeout = httpx.Timeout(connect=t.connect, read=t.read, write=t.read, pool=t.connect)
            request = self._http.build_request(method, url, params=params, headers=headers, content=content,
                                               timeout=timeout)
            recorded = RecordedRequest(
                method=method,
                url=str(request.url),
                headers=_recorded_headers(request.headers),
                body=content,
            )
        exchange = Exchange(request=recorded, note=note)
        self.pacer.sent(key)
        started = time.monotonic()
        raw: _Raw | None = None
        try:
            with phases.current().nested("requests"):
                if isinstance(request, _Prepared):
                    raw = self._fetch_own(method, request, content, t, started, cap)
                else:
                    raw = self._fetch(request, started, t.total, cap)
        except TransportFault as exc:
            exchange.error = str(exc)
        except httpx.TimeoutException as exc:
            exchange.error = self._timeout_text(exc, started, t)
        except httpx.HTTPError as exc:
            text = self.redactor.text(str(exc)) or "connection failed"
            said = describe_connect_fault(exc, url)  # refused, DNS, not TLS: what to do about it
            text = self.redactor.text(said) if said else KNOWN_ERRORS.get(text, text)
            exchange.error = f"{type(exc).__name__}: {text}"
        except (OSError, ValueError) as exc:  # e.g. a header line that is not latin-1
            exchange.error = f"{type(exc).__name__}: {self.redactor.text(str(exc))}"
        path = urlsplit(url).path
        if raw is None:
            self.recorder.record(exchange, path)
            self._count_fault(url, exchange)
            if allow_fault:
                return exchange
            raise TransportFault(f"{method} {self.redactor.text(url)}: {exchange.error}", exchange)
        if self.same_origin(url):
            self._faults, self._answered = [], True
        lowered = _lower_headers(raw.headers)
        body, decode_error = decode_body(raw.body, lowered.get("content-encoding"), cap)
        if raw.truncated and decode_error and body is not raw.body:
            decode_error = None  # the kit stopped reading: a short stream is its own doing
        truncated = raw.truncated or len(body) > cap
        exchange.response = RecordedResponse(
            status=raw.status,
            headers=raw.headers,
            body=body[:min(cap, KEPT_OF_TRUNCATED)] if truncated else body,
            elapsed=time.monotonic() - started,
            raw_size=len(raw.body),
            truncated=truncated,
            decode_error=decode_error,
            size_cap=cap,
        )
        self.pacer.observe(key, raw.status, lowered)
        self.recorder.record(exchange, path)
        return exchange

    def _timeout_text(self, exc: httpx.TimeoutException, started: float, t: Timeouts) -> str:
        if time.monotonic() - started >= t.total - 0.01:
            return f"no complete response within the total deadline of {t.total:g}s"
        limit = t.connect if isinstance(exc, httpx.ConnectTimeout) else t.read
        return f"timed out ({type(exc).__name__}: nothing for {limit:g}s)"

    def _count_fault(self, url: str, exchange: Exchange) -> None:
        if not self.same_origin(url):
            return  # e.g. the plain-http probe of an https target: expected to fail
        self._faults.append(exchange)
        if len(self._faults) >= FAULTS_IN_A_ROW:
            state = "unhealthy" if self._answered else "unreachable"
            self._stop("unreachable", f"target {state} after {len(self._faults)} consecutive faults "
                                      f"(the last: {exchange.error})", self._faults)

    def _fetch(self, request: httpx.Request, started: float, total: float, cap: int) -> _Raw:
        # A transport handed in (an in-process app, a test's mock): the total deadline is checked
        # as the body is read (_read_up_to); the kit's own sockets end by it too (_fetch_own).
        # Straight to the transport, not through httpx.Client.send: every request carries exactly
        # the credentials and headers its rule asks for, so no cookie a response set is ever sent
        # back (a session cookie would make a "no credentials" probe authenticated), no redirect
        # is followed and no auth flow runs. It also spares the cookie jar's per-response work.
        response = self._transport.handle_request(request)
        try:
            body, truncated = self._read_capped(response, started, total, cap)
        finally:
            # Unread data is never drained: closing mid-body drops the connection.
            response.close()
        return _Raw(response.status_code, list(response.headers.multi_items()), body, truncated)

    def _prepare(self, method: str, url: str, params: Mapping[str, Any] | None, headers: dict[str, str],
                 content: bytes | None) -> _Prepared:
        """The request httpx.Client.build_request would make, byte for byte.

        A URL httpx would send as written (the kit's own, nearly always) is not parsed again; the
        headers, which depend only on the header set, the origin, the method and the body's length,
        are built by httpx once per such set. Anything else is httpx's own build.
        """
        fast = self._fast_url(url, params)
        if fast is not None:
            prefix, said, target = fast
            scheme, host, port = self._authorities[prefix]  # type: ignore[misc]
            key = (method, prefix, tuple(headers.items()), None if content is None else len(content))
            built = self._header_sets.get(key)
            if built is None:
                request = self._http.build_request(method, prefix + "/", headers=headers, content=content)
                if len(self._header_sets) >= _HEADER_SETS:
                    self._header_sets.clear()
                built = self._header_sets[key] = (request.headers.raw, _recorded_headers(request.headers))
            return _Prepared(said, scheme, host, port, target, built[0], built[1])
        request = self._http.build_request(method, url, params=params, headers=headers, content=content)
        return _Prepared(str(request.url), request.url.raw_scheme, request.url.raw_host, request.url.port,
                         request.url.raw_path, request.headers.raw, _recorded_headers(request.headers))

    def _fast_url(self, url: str, params: Mapping[str, Any] | None) -> tuple[str, str, bytes] | None:
        """(scheme and authority, the URL as httpx says it, the request target) when httpx would
        send `url` (with `params`) as written, its query being what httpx makes of simple
        `params`; None when only httpx can tell (it then builds the request itself)."""
        if url.startswith("http://"):
            slash = url.find("/", 7)
        elif url.startswith("https://"):
            slash = url.find("/", 8)
        else:
            return None
        if slash < 0:
            return None
        prefix, rest = url[:slash], url[slash:]
        if prefix not in self._authorities:
            self._authorities[prefix] = _canonical_authority(prefix)
        if self._authorities[prefix] is None:
            return None
        path, sep, query = rest.partition("?")
        # httpx drops "." and ".." segments and percent-encodes what is not in its safe sets.
        if path.rstrip(_PATH_KEPT) or "/." in path or query.rstrip(_QUERY_KEPT):
            return None
        if params is not None:
            if sep:
                return None  # httpx re-encodes an existing query when merging params into it
            if not params:
                return prefix, url, rest.encode("ascii")  # no query, and none added
            pairs = []
            for name, value in params.items():
                if type(name) is not str or type(value) not in (str, int):
                    return None  # lists, booleans, None: httpx's own rules
                pairs.append((name, str(value)))
            query = urlencode(pairs)  # what httpx.QueryParams says
            url, rest = f"{url}?{query}", f"{rest}?{query}"
        return prefix, url, rest.encode("ascii")

    def _fetch_own(self, method: str, prepared: _Prepared, content: bytes | None, t: Timeouts, started: float,
                   cap: int) -> _Raw:
        """_fetch for the kit's own transport: the request httpx would hand its transport, sent
        over the kit's own connections (wire.py), the answer read as _fetch reads it."""
        token = _DEADLINE.set(started + t.total)
        try:
            port = prepared.port or (443 if prepared.scheme == b"https" else 80)
            response = self._wire.request(  # type: ignore[union-attr]
                method.encode("ascii"), (prepared.scheme, prepared.host, port), prepared.target, prepared.headers,
                content or b"", t.connect, t.read)
            headers = _decoded_headers(response.headers)
            try:
                lengths = [value for name, value in headers if name == "content-length"]
                announced = _int_header(", ".join(lengths) if lengths else None)  # as httpx.Headers.get says it
                body, truncated = _read_up_to(response, announced, started, t.total, cap)
            finally:
                response.close()  # unread data is never drained: closing mid-body drops the connection
        finally:
            _DEADLINE.reset(token)
        return _Raw(response.status, headers, body, truncated)

    def _read_capped(self, response: httpx.Response, started: float, total: float, cap: int) -> tuple[bytes, bool]:
        announced = _int_header(response.headers.get("content-length"))
        return _read_up_to(response.iter_raw(), announced, started, total, cap)


def _read_up_to(stream: Iterable[bytes], announced: int | None, started: float, total: float,
                cap: int) -> tuple[bytes, bool]:
    """The body, up to `cap` bytes (and whether it was cut), within the total deadline."""
    limit = cap
    if announced is not None and announced > limit:
        # Said up front to be past the cap: read only what evidence keeps, never the rest.
        limit = min(limit, KEPT_OF_TRUNCATED)
    chunks: list[bytes] = []
    size = 0
    for chunk in stream:
        if not chunk:
            continue
        chunks.append(chunk)
        size += len(chunk)
        if time.monotonic() - started > total:
            raise TransportFault(f"no complete response within the total deadline of {total:g}s")
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


def _asks_to_retry_later(exchange: Exchange) -> bool:
    """A 429, or a 503 that says when to come back: the target asks the kit to wait."""
    response = exchange.response
    if response is None:
        return False
    return response.status == 429 or (response.status == 503 and response.header("retry-after") is not None)


def _int_header(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _decoded_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """httpx.Headers(raw).multi_items(): lower-cased names, and every name and value decoded as
    ASCII, else UTF-8, else ISO-8859-1, whichever first decodes them all."""
    for encoding in ("ascii", "utf-8"):
        try:
            return [(name.lower().decode(encoding), value.decode(encoding)) for name, value in raw]
        except UnicodeDecodeError:
            continue
    return [(name.lower().decode("iso-8859-1"), value.decode("iso-8859-1")) for name, value in raw]


def _recorded_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers.items() if k.lower() not in ("host",)]


def _canonical_authority(prefix: str) -> tuple[bytes, bytes, int | None] | None:
    """(scheme, host, port) as httpx sends them, when httpx says `prefix` (scheme://host[:port])
    as written; None when it would not (upper case, a default port, IDNA, user info, ...)."""
    if "@" in prefix:
        return None
    try:
        url = httpx.URL(prefix + "/")
    except (httpx.InvalidURL, ValueError):
        return None
    if str(url) != prefix + "/":
        return None
    return url.raw_scheme, url.raw_host, url.port


def _lower_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers}


# OpenSSL's reasons when what came back to the ClientHello was no TLS record at all: typically an
# HTTP server's answer ("HTTP/1.1 400 …" read as a record header).
_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG",
                      "UNKNOWN_PROTOCOL", "HTTP_REQUEST", "RECORD_TOO_LARGE"})


def describe_connect_fault(exc: BaseException, url: str) -> str | None:
    """A transport fault said so that a person can act on it (naming the host and port), for a
    refused connection, a host name that does not resolve, or an https:// URL whose server does
    not speak TLS; None for any other fault (its own text is said then)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        port = None
    where = f"{host}:{port}" if port else host
    causes: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    for cause in causes:
        if isinstance(cause, ssl.SSLError) and getattr(cause, "reason", None) in _NOT_TLS:
            detail = re.sub(r"\s*\(_ssl\.c:\d+\)", "", str(cause))
            return (f"the server at {where} answered the TLS handshake with something that is not TLS, "
                    f"most likely plain HTTP ({detail}): is the base URL meant to be http://?")
        if isinstance(cause, socket.gaierror):
            return (f"the host name {host!r} does not resolve ({cause.strerror or cause}): "
                    "is the base URL's host right?")
        if isinstance(cause, ConnectionRefusedError) or (isinstance(cause, OSError)
                                                          and cause.errno == errno.ECONNREFUSED):
            return (f"connection to {where} refused: nothing listens there "
                    "(is the base URL's host and port right, and the server running?)")
    return None
