"""The kit's own HTTP/1.1 connections (wire.py): they read and write what h11 reads and writes.

Held to h11 itself, on generated input: every response (status lines, header lines with folds
and bad bytes, Content-Length and Transfer-Encoding right and wrong, chunked bodies, bodies to
the end of the connection, HEAD, 204, 304, 1xx first, bare LF line ends) is read by both, over
a real socket for the kit; both must agree on the status, the headers and the body, or both
refuse it. Every request head is what h11 writes, or both refuse it. Then what h11 has no say
in: which connections are kept for the next request, and the errors' words.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

import h11
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.servers.raw import Conn, RawRequest, RawServer

from apiconform import wire
from apiconform.client import Client

ORIGIN = (b"http", b"example.test", 80)


def _unusable_tls() -> object:
    raise AssertionError("no TLS here")


def wire_reads(data: bytes, method: bytes = b"GET") -> tuple[object, ...]:
    """What the kit reads of `data`, sent whole by a server that then closes."""
    ours, theirs = socket.socketpair()
    try:
        theirs.sendall(data)
        theirs.shutdown(socket.SHUT_WR)
        conn = wire._Connection(ours)
        try:
            response = wire._read_head(conn, wire.Wire(tls=_unusable_tls), ORIGIN, method, 2.0)  # type: ignore[arg-type]
            body = b"".join(response)
        except httpx.HTTPError as exc:
            assert isinstance(exc, httpx.RemoteProtocolError), exc  # never a timeout: all was sent
            return ("refused",)
        return response.status, response.headers, body
    finally:
        ours.close()
        theirs.close()


def h11_reads(data: bytes, method: bytes = b"GET") -> tuple[object, ...]:
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method=method, target=b"/", headers=[(b"Host", b"example.test")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(data)
    conn.receive_data(b"")
    status, headers, body = 0, [], b""
    try:
        while True:
            event = conn.next_event()
            if isinstance(event, h11.Response):
                status, headers = event.status_code, list(event.headers.raw_items())
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return status, headers, body
            elif not isinstance(event, h11.InformationalResponse):
                return ("refused",)  # closed before the end, or waiting for more that never comes
    except h11.ProtocolError:
        return ("refused",)


# -- responses, generated ------------------------------------------------------------------
STATUS_LINES = [b"HTTP/1.1 200 OK", b"HTTP/1.0 200 OK", b"HTTP/1.1 204 No Content", b"HTTP/1.1 304 Not Modified",
                b"HTTP/1.1 404", b"HTTP/1.1 500 Internal\tServer Error", b"HTTP/1.1 200 OK "]
BAD_STATUS_LINES = [b"HTTP/1.1 2000 X", b"HTTP/2 200 OK", b"HTTP/1.1 000 X", b"http/1.1 200 OK", b"HTTP/1.1  200 OK",
                    b"\x16\x03\x01"]
HEADER_LINES = [b"Content-Type: application/json", b"X-A:b", b"X-Empty:", b"X-Spaces:   padded   ",
                b"Connection: close", b"Connection: keep-alive, Close", b"X-Obs: caf\xe9", b" folded on",
                b"\tfolded too"]
BAD_HEADER_LINES = [b"no colon", b"Bad Name: x", b"X-\x00: y", b"X-Ctl: a\x01b", b": empty name"]
LINE_ENDS = [b"\r\n", b"\n"]


@st.composite
def chunked(draw: st.DrawFn) -> bytes:
    out = b""
    for part in draw(st.lists(st.binary(min_size=1, max_size=12), max_size=3)):
        ext = draw(st.sampled_from([b"", b"", b";name=value", b" "]))
        out += b"%x%s\r\n%s" % (len(part), ext, part) + draw(st.sampled_from([b"\r\n"] * 4 + [b"XX", b"\n"]))
    out += draw(st.sampled_from([b"0\r\n\r\n", b"0\r\n\r\n", b"0\r\nX-Trailer: t\r\n\r\n", b"0\r\n", b"",
                                 b"zz\r\n\r\n", b"0\r\nbad trailer\r\n\r\n"]))
    return out


@st.composite
def response(draw: st.DrawFn) -> bytes:
    """Mostly well-formed answers, each framed one way or another, and now and then one flaw."""
    end = draw(st.sampled_from(LINE_ENDS))
    head = b""
    if draw(st.integers(0, 3)) == 0:
        head += draw(st.sampled_from([b"HTTP/1.1 100 Continue", b"HTTP/1.1 103 Early Hints"])) + end
        head += draw(st.sampled_from([b"", b"Link: </a>; rel=preload" + end])) + end
    flawed = draw(st.integers(0, 4)) == 0
    statuses = BAD_STATUS_LINES if flawed and draw(st.booleans()) else STATUS_LINES
    head += draw(st.sampled_from(statuses)) + end
    lines = draw(st.lists(st.sampled_from(HEADER_LINES), max_size=4))
    if flawed:
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(BAD_HEADER_LINES)))
    framing = draw(st.sampled_from(["none", "length", "length", "wrong length", "length twice", "two lengths",
                                    "chunked", "chunked", "Chunked", "chunked and length", "gzip"]))
    body = draw(st.binary(max_size=12))
    size = len(body)
    lines += {
        "none": [], "length": [b"Content-Length: %d" % size], "wrong length": [b"Content-Length: %d" % (size + 3)],
        "length twice": [b"Content-Length: %d, %d" % (size, size), b"Content-Length: %d" % size],
        "two lengths": [b"Content-Length: %d" % size, b"Content-Length: %d" % (size + 1)],
        "chunked": [b"Transfer-Encoding: chunked"], "Chunked": [b"Transfer-Encoding: Chunked"],
        "chunked and length": [b"Content-Length: 3", b"Transfer-Encoding: chunked"],
        "gzip": [b"Transfer-Encoding: gzip, chunked"],
    }[framing]
    if "hunked" in framing:
        body = draw(chunked())
    return head + b"".join(line + end for line in lines) + end + body


@settings(max_examples=600, deadline=None)
@given(data=response(), method=st.sampled_from([b"GET", b"GET", b"HEAD"]))
def test_every_response_is_read_as_h11_reads_it(data: bytes, method: bytes) -> None:
    assert wire_reads(data, method) == h11_reads(data, method)


def test_a_head_of_80_kilobytes_is_read_as_httpcore_read_it() -> None:
    """httpcore gave h11 100 KiB for a response's head, not h11's own 16 KiB: big cookies and
    security headers are read, as they were."""
    head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Filler-%d: %s\r\n" % (i, b"x" * 1000) for i in range(80))
    assert wire_reads(head + b"Content-Length: 2\r\n\r\n{}")[::2] == (200, b"{}")


@pytest.mark.parametrize(("data", "read"), [
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n",
     (200, [(b"Transfer-Encoding", b"chunked")], b"abcde")),
    (b"HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\nContent-Length: 2, 2\r\n\r\nhi",
     (200, [(b"X-Long", b"a b"), (b"Content-Length", b"2")], b"hi")),
    (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\nServer: x\n\nto the end",
     (200, [(b"Server", b"x")], b"to the end")),
    (b"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\nabc", (204, [(b"Content-Length", b"3")], b"")),
    (b"HTTP/1.1 000 X\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", ("refused",)),  # not a 1xx to skip
])
def test_responses_h11_reads_are_read_the_same(data: bytes, read: tuple[object, ...]) -> None:
    assert wire_reads(data) == h11_reads(data) == read


# -- requests, generated ------------------------------------------------------------------
names = st.one_of(st.sampled_from([b"Accept", b"Authorization", b"X-API-Key", b"User-Agent", b"X-Tenant"]),
                  st.binary(min_size=0, max_size=6))
values = st.one_of(st.sampled_from([b"application/json", b"Bearer k", b"a b", b"caf\xc3\xa9"]), st.binary(max_size=8))


@settings(max_examples=400, deadline=None)
@given(method=st.sampled_from([b"GET", b"POST", b"DELETE", b"G T", b""]),
       target=st.one_of(st.sampled_from([b"/api/x/?limit=5&q=a%20b", b"/", b"*"]), st.binary(max_size=8)),
       headers=st.lists(st.tuples(names, values), max_size=4), host_at=st.integers(0, 4))
def test_every_request_head_is_what_h11_writes(method: bytes, target: bytes, headers: list[tuple[bytes, bytes]],
                                               host_at: int) -> None:
    headers = [(n, v) for n, v in headers if n.lower() not in (b"host", b"content-length", b"transfer-encoding")]
    headers.insert(min(host_at, len(headers)), (b"Host", b"example.test:8080"))  # httpx always sends one
    try:
        ours: bytes | None = wire.Wire(tls=_unusable_tls)._head(method, target, headers)  # type: ignore[arg-type]
    except httpx.LocalProtocolError:
        ours = None
    try:
        theirs: bytes | None = h11.Connection(h11.CLIENT).send(h11.Request(method=method, target=target,
                                                                            headers=headers))
    except h11.LocalProtocolError:
        theirs = None
    assert ours == theirs


# -- connections --------------------------------------------------------------------------
def _answer(head: bytes, body: bytes = b"") -> object:
    def behave(conn: Conn, request: RawRequest) -> bool:
        conn.send(head + body)
        return b"close" not in head.lower()
    return behave


@pytest.fixture
def client_of() -> Iterator[list[Client]]:
    made: list[Client] = []
    yield made
    for client in made:
        client.close()


def _get_three(server: RawServer, made: list[Client], pause: float = 0.0) -> list[bytes]:
    client = Client(server.url)
    made.append(client)
    bodies = []
    for _ in range(3):
        time.sleep(pause)
        ex = client.get("/x")
        assert ex.response is not None, ex.error
        bodies.append(ex.response.body)
    return bodies


@pytest.mark.parametrize(("head", "body", "kept"), [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", b"{}", True),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b"2\r\n{}\r\n0\r\n\r\n", True),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n", b"{}", False),
    (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", b"{}", False),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", b"{}\r\n", False),  # more than it said: not trusted again
])
def test_a_connection_is_kept_only_after_a_whole_answer_the_server_will_follow(
        head: bytes, body: bytes, kept: bool, client_of: list[Client]) -> None:
    with RawServer(_answer(head, body)) as server:  # type: ignore[arg-type]
        assert _get_three(server, client_of) == [b"{}"] * 3
        assert server.connections == (1 if kept else 3)


def test_a_connection_the_server_closed_while_idle_is_replaced(client_of: list[Client]) -> None:
    def answer_then_close(conn: Conn, request: RawRequest) -> bool:
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        return False  # closed without saying so: the kit finds out before sending on it
    with RawServer(answer_then_close) as server:
        # A moment between requests: the server's close must have arrived to be seen (sent at
        # the very moment it closes, a request meets a reset, as with httpcore).
        assert _get_three(server, client_of, pause=0.1) == [b"{}"] * 3
        assert server.connections == 3


def test_a_body_left_unread_closes_its_connection(client_of: list[Client]) -> None:
    with RawServer(_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", b"x" * 5000)) as server:  # type: ignore[arg-type]
        client = Client(server.url, max_body_bytes=100)
        client_of.append(client)
        for _ in range(2):
            ex = client.get("/x")
            assert ex.response is not None and ex.response.truncated
        assert server.connections == 2


@pytest.mark.parametrize(("data", "words"), [
    (b"", "Server disconnected without sending a response."),
    (b"HTTP/1.1 200 OK\r\nContent-", "Server disconnected without sending a response."),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc",
     "peer closed connection without sending complete message body (received 3 bytes, expected 9)"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
     "peer closed connection without sending complete message body (incomplete chunked read)"),
    (b"HTTP/1.1 200 OK\r\n" + b"X-Big: " + b"a" * 150_000 + b"\r\n\r\n", "Receive buffer too long"),
])
def test_what_the_server_got_wrong_is_said_in_httpcores_words(data: bytes, words: str) -> None:
    ours, theirs = socket.socketpair()
    try:
        theirs.setblocking(False)
        with contextlib.suppress(BlockingIOError):  # more than the socket holds: what fits is enough
            theirs.sendall(data)
        theirs.shutdown(socket.SHUT_WR)
        with pytest.raises(httpx.RemoteProtocolError) as refused:
            b"".join(wire._read_head(wire._Connection(ours), wire.Wire(tls=_unusable_tls), ORIGIN,  # type: ignore[arg-type]
                                     b"GET", 2.0))
        assert str(refused.value) == words
    finally:
        ours.close()
        theirs.close()
