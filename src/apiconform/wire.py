"""HTTP/1.1 on the kit's own sockets: what the kit's Client sends its requests with.

Why not httpcore's pool and h11's state machine, which the kit used before: the kit sends one
request at a time and reads each answer whole, and the pool's locks, events and per-request
objects cost ~0.25 ms a request, a tenth of a run against a large deployment (8,300 requests).
This module does the same work in a few function calls.

What it reads, and how strictly, is h11's (0.16): the same grammar (the status line, header
lines with obsolete line folding, chunk headers, from h11's ABNF), the same framing (RFC 9112
6.3: no body for HEAD, 204 and 304; Transfer-Encoding, only `chunked`, before Content-Length;
else to the end of the connection), the same limit on a response's head (httpcore's 100 KiB) and the same
messages for what a server gets wrong ("Server disconnected without sending a response.",
"Receive buffer too long", "peer closed connection without sending complete message body").
What it sends is byte for byte what h11 would (Host first, then the headers as given), after
the same checks of names, values and the request target.

Errors are httpx's (ConnectError, ReadTimeout, RemoteProtocolError, ...), each raised from the
socket's or TLS's own, which is what the Client reads to say what went wrong.

Every socket operation waits at most for its own timeout and never past the request's total
deadline (DEADLINE): a server dripping a byte a second ends on time. A connection is kept for
the next request to its origin only when the answer was read to its end, the server did not
ask to close, nothing more arrived, and it is reused within KEEPALIVE_EXPIRY seconds.
"""

from __future__ import annotations

import contextlib
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar

import httpx

# h11's ABNF (h11/_abnf.py), as h11 compiles it.
_OWS = r"[ \t]*"
_TOKEN = r"[-!#$%&'*+.^_`|~0-9a-zA-Z]+"
_VCHAR = r"[\x21-\x7e]"
_VCHAR_OR_OBS_TEXT = r"[^\x00\s]"
_FIELD_CONTENT = rf"{_VCHAR_OR_OBS_TEXT}+(?:[ \t]+{_VCHAR_OR_OBS_TEXT}+)*"
_FIELD_VALUE = rf"({_FIELD_CONTENT})?"
HEADER_FIELD = re.compile(rf"(?P<field_name>{_TOKEN}):{_OWS}(?P<field_value>{_FIELD_VALUE}){_OWS}".encode())
STATUS_LINE = re.compile(rf"HTTP/(?P<http_version>[0-9]\.[0-9]) (?P<status_code>[0-9]{{3}})"
                         rf"(?: (?P<reason>([ \t]|{_VCHAR_OR_OBS_TEXT})*))?".encode())
CHUNK_HEADER = re.compile(rf"(?P<chunk_size>([0-9A-Fa-f]){{1,20}})(?P<chunk_ext>;.*)?{_OWS}\r\n".encode())
_FIELD_NAME = re.compile(_TOKEN.encode())
_FIELD_VALUE_RE = re.compile(_FIELD_VALUE.encode())
_TARGET = re.compile(rf"{_VCHAR}+".encode())
_CONTENT_LENGTH = re.compile(rb"[0-9]+")
_BLANK_LINE = re.compile(rb"\n\r?\n")
_OBS_FOLD = re.compile(rb"[ \t]+")

READ_SIZE = 64 * 1024  # what one read asks the socket for (httpcore's READ_NUM_BYTES)
MAX_HEAD = 100 * 1024  # the most of an incomplete head (or chunk header) kept: httpcore's limit for h11
KEEPALIVE_EXPIRY = 5.0  # seconds an idle connection is kept (httpx's default)
MAX_IDLE = 20  # idle connections kept in all (httpx's max_keepalive_connections)
_CHECKED_HEADER_SETS = 1024  # header sets whose names and values were checked (a run uses a handful)

# The monotonic time by which the request in flight (on this thread) must be complete.
DEADLINE: ContextVar[float | None] = ContextVar("apiconform_deadline", default=None)

Origin = tuple[bytes, bytes, int]  # scheme, host, port


def bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    """A socket operation's timeout, cut to what is left of the request's total deadline."""
    deadline = DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("total deadline exceeded")
    return left if timeout is None else min(timeout, left)


class _Connection:
    __slots__ = ("buffer", "idle_since", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()  # received, not yet consumed
        self.idle_since = 0.0

    def recv(self, timeout: float | None) -> bytes:
        try:
            self.sock.settimeout(bounded(timeout, httpx.ReadTimeout))
            return self.sock.recv(READ_SIZE)
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out") from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc)) from exc

    def send(self, data: bytes, timeout: float | None) -> None:
        try:
            self.sock.settimeout(bounded(timeout, httpx.WriteTimeout))
            self.sock.sendall(data)
        except TimeoutError as exc:
            raise httpx.WriteTimeout(str(exc) or "timed out") from exc
        except OSError as exc:
            raise httpx.WriteError(str(exc)) from exc

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def stale(self, now: float) -> bool:
        """Kept too long, or readable while idle: closed by the server, or sending uninvited."""
        if now - self.idle_since > KEEPALIVE_EXPIRY:
            return True
        try:
            if hasattr(select, "poll"):  # select() refuses descriptors past 1023
                poller = select.poll()
                poller.register(self.sock, select.POLLIN)
                return bool(poller.poll(0))
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)


class Wire:
    """Connections by origin, and one request-and-answer at a time over them."""

    def __init__(self, tls: Callable[[], ssl.SSLContext]) -> None:
        self._tls = tls  # asked for on the first https connection only
        self._idle: dict[Origin, list[_Connection]] = {}
        self._lock = threading.Lock()
        self._checked: set[tuple[tuple[bytes, bytes], ...]] = set()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for conn in connections:
                conn.close()

    def request(self, method: bytes, origin: Origin, target: bytes, headers: list[tuple[bytes, bytes]],
                body: bytes, connect_timeout: float | None, read_timeout: float | None) -> Response:
        """Send the request and read the answer's head; the body is read by iterating the Response."""
        if origin[0] not in (b"http", b"https"):
            raise httpx.UnsupportedProtocol(f"Request URL has an unsupported protocol '{origin[0].decode()}://'.")
        head = self._head(method, target, headers)
        conn = self._take(origin) or self._connect(origin, connect_timeout)
        try:
            # As httpcore: a server may answer and close before taking the whole request (a 413,
            # say); its answer is still read. A connection with nothing says so when read.
            with contextlib.suppress(httpx.WriteError):
                conn.send(head + body if body else head, read_timeout)
            return _read_head(conn, self, origin, method, read_timeout)
        except BaseException:
            conn.close()
            raise

    # -- requests --------------------------------------------------------------------------
    def _head(self, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
        key = tuple(headers)
        if key not in self._checked:
            for name, value in headers:
                if _FIELD_NAME.fullmatch(name) is None:
                    raise httpx.LocalProtocolError(f"Illegal header name {name!r}")
                if _FIELD_VALUE_RE.fullmatch(value) is None:
                    raise httpx.LocalProtocolError(f"Illegal header value {value!r}")
            if len(self._checked) >= _CHECKED_HEADER_SETS:
                self._checked.clear()
            self._checked.add(key)
        if _FIELD_NAME.fullmatch(method) is None:
            raise httpx.LocalProtocolError(f"Illegal method characters {method!r}")
        if _TARGET.fullmatch(target) is None:
            raise httpx.LocalProtocolError(f"Illegal target characters {target!r}")
        # As h11 writes it: the request line, Host first, then the rest in order.
        lines = [b"%s %s HTTP/1.1\r\n" % (method, target)]
        lines += [b"%s: %s\r\n" % (n, v) for n, v in headers if n.lower() == b"host"]
        lines += [b"%s: %s\r\n" % (n, v) for n, v in headers if n.lower() != b"host"]
        lines.append(b"\r\n")
        return b"".join(lines)

    # -- connections -----------------------------------------------------------------------
    def _take(self, origin: Origin) -> _Connection | None:
        now = time.monotonic()
        while True:
            with self._lock:
                connections = self._idle.get(origin)
                if not connections:
                    return None
                conn = connections.pop()
            if not conn.stale(now):
                return conn
            conn.close()

    def _give_back(self, origin: Origin, conn: _Connection) -> None:
        conn.idle_since = time.monotonic()
        with self._lock:
            if sum(len(c) for c in self._idle.values()) < MAX_IDLE:
                self._idle.setdefault(origin, []).append(conn)
                return
        conn.close()

    def _connect(self, origin: Origin, timeout: float | None) -> _Connection:
        scheme, host, port = origin
        name = host.decode("ascii")
        try:
            sock = socket.create_connection((name, port), bounded(timeout, httpx.ConnectTimeout))
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "timed out") from exc
        except OSError as exc:
            raise httpx.ConnectError(str(exc)) from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == b"https":
                sock.settimeout(bounded(timeout, httpx.ConnectTimeout))
                sock = self._tls().wrap_socket(sock, server_hostname=name)
        except TimeoutError as exc:
            sock.close()
            raise httpx.ConnectTimeout(str(exc) or "timed out") from exc
        except OSError as exc:  # ssl.SSLError among them: a certificate refused, no TLS at all
            sock.close()
            raise httpx.ConnectError(str(exc)) from exc
        except BaseException:
            sock.close()
            raise
        return _Connection(sock)


class Response:
    """An answer's status and headers (as received), and its body as an iterable of chunks.

    close() after reading: the connection goes back for the next request when the body was read
    to its end and may be reused; otherwise (a body left unread, a fault) it is closed."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], framing: str, length: int,
                 keep_alive: bool, conn: _Connection, wire: Wire, origin: Origin, read_timeout: float | None) -> None:
        self.status = status
        self.headers = headers
        self._framing = framing  # "length", "chunked" or "close"
        self._length = length
        self._keep_alive = keep_alive
        self._conn: _Connection | None = conn
        self._wire = wire
        self._origin = origin
        self._timeout = read_timeout
        self._complete = False

    def __iter__(self) -> Iterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        if self._framing == "length":
            yield from self._by_length(conn)
        elif self._framing == "chunked":
            yield from self._chunked(conn)
        else:
            yield from self._to_close(conn)
        self._complete = True

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._complete and self._keep_alive and not conn.buffer:
            self._wire._give_back(self._origin, conn)
        else:
            conn.close()  # unread data is never drained: closing mid-body drops the connection

    def _by_length(self, conn: _Connection) -> Iterator[bytes]:
        remaining = self._length
        while remaining:
            if not conn.buffer:
                _more(conn, self._timeout, "peer closed connection without sending complete message body "
                                           f"(received {self._length - remaining} bytes, expected {self._length})")
            chunk = _pop(conn, remaining)
            remaining -= len(chunk)
            yield chunk

    def _chunked(self, conn: _Connection) -> Iterator[bytes]:
        cut = "peer closed connection without sending complete message body (incomplete chunked read)"
        while True:
            line = _line(conn, self._timeout, cut)
            matches = CHUNK_HEADER.fullmatch(line)
            if matches is None:
                raise httpx.RemoteProtocolError(f"illegal chunk header: {line!r}")
            size = int(matches["chunk_size"], 16)
            if size == 0:
                break
            while size:
                if not conn.buffer:
                    _more(conn, self._timeout, cut)
                chunk = _pop(conn, size)
                size -= len(chunk)
                yield chunk
            while len(conn.buffer) < 2:
                _more(conn, self._timeout, cut)
            if (footer := _pop(conn, 2)) != b"\r\n":
                raise httpx.RemoteProtocolError(f"malformed chunk footer: {footer!r} (expected b'\\r\\n')")
        # The trailer: header lines up to a blank line, checked and dropped (as httpcore drops them).
        _header_list(_lines(conn, self._timeout, cut))

    def _to_close(self, conn: _Connection) -> Iterator[bytes]:
        self._keep_alive = False
        if conn.buffer:
            yield _pop(conn, len(conn.buffer))
        while data := conn.recv(self._timeout):
            yield data


def _read_head(conn: _Connection, wire: Wire, origin: Origin, method: bytes, timeout: float | None) -> Response:
    while True:
        lines = _lines(conn, timeout, "Server disconnected without sending a response.", head=True)
        if not lines:
            raise httpx.RemoteProtocolError("no response line received")
        matches = STATUS_LINE.fullmatch(lines[0])
        if matches is None:
            raise httpx.RemoteProtocolError(f"illegal status line: {lines[0]!r}")
        status = int(matches["status_code"])
        if status < 100:
            raise httpx.RemoteProtocolError(f"status code {status} is not 1xx to 9xx")  # h11 refuses it too
        headers, length, chunked = _header_list(lines[1:])
        if status >= 200 or status == 101:
            break  # 1xx (100 Continue, 103 Early Hints) are read past, as httpcore does
    framing, length = _framing(method, status, length, chunked)
    keep_alive = matches["http_version"] >= b"1.1" and b"close" not in _comma_values(headers, b"connection")
    return Response(status, headers, framing, length, keep_alive, conn, wire, origin, timeout)


def _line(conn: _Connection, timeout: float | None, cut: str) -> bytes:
    """One CRLF-ended line (with its CRLF), as h11 reads a chunk header."""
    while (end := conn.buffer.find(b"\r\n")) < 0:
        _more(conn, timeout, cut)
    return _pop(conn, end + 2)


def _lines(conn: _Connection, timeout: float | None, cut: str, head: bool = False) -> list[bytes]:
    """Everything up to the first blank line, as lines without their line ends (h11's
    ReceiveBuffer.maybe_extract_lines)."""
    searched = 0
    while True:
        if conn.buffer[:1] == b"\n":
            del conn.buffer[:1]
            return []
        if conn.buffer[:2] == b"\r\n":
            del conn.buffer[:2]
            return []
        found = _BLANK_LINE.search(conn.buffer, searched)
        if found is not None:
            lines = [line[:-1] if line.endswith(b"\r") else line for line in _pop(conn, found.end()).split(b"\n")]
            return lines[:-2]
        searched = max(0, len(conn.buffer) - 2)
        if head and conn.buffer and conn.buffer[0] < 0x21:
            raise httpx.RemoteProtocolError("illegal request line")  # h11's words for it: no HTTP at all
        _more(conn, timeout, cut)


def _pop(conn: _Connection, size: int) -> bytes:
    """At most `size` bytes of what was received, taken off the buffer."""
    taken = bytes(conn.buffer[:size])
    del conn.buffer[:size]
    return taken


def _more(conn: _Connection, timeout: float | None, cut: str) -> None:
    """Receive more, unless too much of an incomplete head (or chunk header) is held already;
    a server that closes instead is said in the words of `cut`."""
    if len(conn.buffer) > MAX_HEAD:
        raise httpx.RemoteProtocolError("Receive buffer too long")
    data = conn.recv(timeout)
    if not data:
        raise httpx.RemoteProtocolError(cut)
    conn.buffer += data


def _header_list(lines: list[bytes]) -> tuple[list[tuple[bytes, bytes]], int | None, bool]:
    """Header lines, folded lines joined, each checked (h11's _decode_header_lines), then as
    h11 keeps them: one Content-Length (several must agree), Transfer-Encoding lower-cased;
    with the Content-Length (None without one) and whether the body is chunked."""
    folded: list[bytes] = []
    for line in lines:
        fold = _OBS_FOLD.match(line)
        if fold is None:
            folded.append(line)
        elif not folded:
            raise httpx.RemoteProtocolError("continuation line at start of headers")
        else:
            folded[-1] += b" " + line[fold.end():]
    headers: list[tuple[bytes, bytes]] = []
    length: bytes | None = None
    chunked = False
    for line in folded:
        matches = HEADER_FIELD.fullmatch(line)
        if matches is None:
            raise httpx.RemoteProtocolError(f"illegal header line: {line!r}")
        name, value = matches["field_name"], matches["field_value"]
        lowered = name.lower()
        if lowered == b"content-length":
            lengths = {part.strip() for part in value.split(b",")}
            if len(lengths) != 1:
                raise httpx.RemoteProtocolError("conflicting Content-Length headers")
            value = lengths.pop()
            if _CONTENT_LENGTH.fullmatch(value) is None or len(value) > 20:
                raise httpx.RemoteProtocolError("bad Content-Length")
            if length is not None:
                if value != length:
                    raise httpx.RemoteProtocolError("conflicting Content-Length headers")
                continue
            length = value
        elif lowered == b"transfer-encoding":
            if chunked:
                raise httpx.RemoteProtocolError("multiple Transfer-Encoding headers")
            value = value.lower()
            if value != b"chunked":
                raise httpx.RemoteProtocolError("Only Transfer-Encoding: chunked is supported")
            chunked = True
        headers.append((name, value))
    return headers, None if length is None else int(length), chunked


def _comma_values(headers: list[tuple[bytes, bytes]], name: bytes) -> list[bytes]:
    return [part.strip().lower() for n, v in headers if n.lower() == name for part in v.split(b",")]


def _framing(method: bytes, status: int, length: int | None, chunked: bool) -> tuple[str, int]:
    """How the body ends (RFC 9112 6.3, as h11's _body_framing): ("length", n), ("chunked", 0)
    or ("close", 0), read until the server closes."""
    if status in (204, 304) or method == b"HEAD" or status < 200:
        return "length", 0
    if chunked:
        return "chunked", 0  # Transfer-Encoding before Content-Length
    return ("length", length) if length is not None else ("close", 0)
