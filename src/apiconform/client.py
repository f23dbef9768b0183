"""The kit's HTTP client: every request the kit sends goes through here.

One place holds the safety rules: the request budget, pacing and bounded 429 back-off,
credentials only to the target's own origin (redirects are never followed), a hard
deadline per request, a cap on what is read, and Content-Encoding undone by the kit so
that a lying or truncated gzip stream is evidence rather than silently accepted data.
"""

from __future__ import annotations

import time
import zlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from apiconform.errors import BudgetExhausted, ConfigError, TransportFault
from apiconform.exchange import Exchange, RecordedRequest, RecordedResponse
from apiconform.pacing import Pacer
from apiconform.redact import REDACTOR, Redactor
from apiconform.target import Timeouts, is_loopback_host

USER_AGENT = "apiconform/0.1 (conformance kit)"
MAX_429_RETRIES = 3


@dataclass(frozen=True)
class Credential:
    label: str  # primary, b, scoped, ...
    value: str

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

    def record(self, exchange: Exchange, path: str) -> None:
        self.current.append(exchange)
        self.methods[(exchange.request.method, path)] += 1
        if exchange.response is not None:
            self.statuses[exchange.response.status] += 1


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def decode_body(raw: bytes, encoding: str | None) -> tuple[bytes, str | None]:
    """Undo Content-Encoding; (body, error). A gzip stream must reach its end marker."""
    enc = (encoding or "").strip().lower()
    if enc in ("", "identity"):
        return raw, None
    if enc in ("gzip", "x-gzip", "deflate"):
        wbits = 16 + zlib.MAX_WBITS if enc != "deflate" else zlib.MAX_WBITS
        decoder = zlib.decompressobj(wbits)
        try:
            body = decoder.decompress(raw) + decoder.flush()
        except zlib.error as exc:
            return raw, f"Content-Encoding: {enc} claimed but the body does not decode ({exc})"
        if not decoder.eof:
            return body, f"Content-Encoding: {enc} stream is cut short (no end-of-stream marker)"
        return body, None
    return raw, f"Content-Encoding {enc!r} is not one the kit asked for"


class Client:
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
        sleep: Callable[[float], None] = time.sleep,
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
        self.sleep = sleep
        t = self.timeouts
        self._http = httpx.Client(
            transport=transport,
            follow_redirects=False,  # never carry credentials along a redirect
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
        """Send one request (plus bounded 429 retries for GET); returns the recorded exchange.

        A transport failure raises `TransportFault` unless `allow_fault`, in which case the
        exchange comes back with `error` set and no response.
        """
        url = self.url(path_or_url)
        hdrs: dict[str, str] = {"User-Agent": USER_AGENT, "Accept": "application/json",
                                "Accept-Encoding": accept_encoding}
        if credential is not None:
            self._guard_credentials(url)
            hdrs.update(credential.headers(auth_style))
        if headers:
            hdrs.update(headers)
        # Callers may remove a default header by passing it with an empty-string marker.
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        if json_body is not None:
            import json as _json

            content = _json.dumps(json_body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        key = credential.label if credential else "anonymous"
        attempts = 0
        while True:
            if pace:
                self.pacer.before(key)
            exchange = self._send_once(method, url, params, hdrs, content, note, allow_fault, key)
            status = exchange.status
            retryable = method in ("GET", "HEAD") and retry_429 and status == 429
            if not retryable or attempts >= MAX_429_RETRIES:
                return exchange
            attempts += 1
            assert exchange.response is not None
            delay = self.pacer.observe(key, 429, _lower_headers(exchange.response.headers))
            wait = delay if delay is not None else min(2.0**attempts, 30.0)
            if wait > self.pacer.max_wait:
                return exchange
            self.sleep(wait)

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
        try:
            response = self._http.send(request, stream=True)
            try:
                raw, truncated = self._read_capped(response, started)
            finally:
                response.close()
        except TransportFault as exc:
            exchange.error = str(exc)
        except httpx.TimeoutException as exc:
            exchange.error = f"timed out ({type(exc).__name__})"
        except httpx.HTTPError as exc:
            exchange.error = f"{type(exc).__name__}: {self.redactor.text(str(exc)) or 'connection failed'}"
        if exchange.error is not None:
            self.recorder.record(exchange, urlsplit(url).path)
            if allow_fault:
                return exchange
            raise TransportFault(f"{method} {self.redactor.text(url)}: {exchange.error}", exchange)
        resp_headers = [(k, v) for k, v in response.headers.multi_items()]
        body, decode_error = decode_body(raw, response.headers.get("content-encoding"))
        exchange.response = RecordedResponse(
            status=response.status_code,
            headers=resp_headers,
            body=body[: self.max_body_bytes],
            elapsed=time.monotonic() - started,
            raw_size=len(raw),
            truncated=truncated,
            decode_error=decode_error,
        )
        self.pacer.observe(key, response.status_code, _lower_headers(resp_headers))
        self.recorder.record(exchange, urlsplit(url).path)
        return exchange

    def _read_capped(self, response: httpx.Response, started: float) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_raw():
            chunks.append(chunk)
            size += len(chunk)
            if time.monotonic() - started > self.timeouts.total:
                raise TransportFault(f"response not complete after {self.timeouts.total:.0f}s (total deadline)")
            if size > self.max_body_bytes:
                return b"".join(chunks)[: self.max_body_bytes], True
        return b"".join(chunks), False


def _lower_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers}
