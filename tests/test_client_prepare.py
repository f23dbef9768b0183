"""The kit hands requests to its connection pool itself (Client._prepare), without httpx's request
model: what it sends and records must be what httpx.Client.build_request made of the same
request, byte for byte, for every URL, query, header set and body, the odd ones included."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apiconform.client import Client, Credential, _decoded_headers, _origin
from apiconform.exchange import RecordedResponse

BASE = "http://127.0.0.1:8731"
ODD = " \"#%<>?`{}[]|\\^~!$&'()*+,;=:@./é\t"


def _expected(client: Client, method: str, url: str, params: Any, headers: dict[str, str],
              content: bytes | None) -> tuple[Any, ...]:
    request = client._http.build_request(method, url, params=params, headers=headers, content=content)
    return (str(request.url), request.url.raw_scheme, request.url.raw_host, request.url.port, request.url.raw_path,
            request.headers.raw, [(k, v) for k, v in request.headers.items() if k.lower() != "host"])


def _prepared(client: Client, method: str, url: str, params: Any, headers: dict[str, str],
              content: bytes | None) -> tuple[Any, ...]:
    p = client._prepare(method, url, params, headers, content)
    return p.url, p.scheme, p.host, p.port, p.target, p.headers, p.recorded


def _same(client: Client, method: str, url: str, params: Any, headers: dict[str, str],
          content: bytes | None) -> None:
    try:
        expected = _expected(client, method, url, params, headers, content)
    except Exception as exc:  # httpx refuses it: so must the kit, the same way
        with pytest.raises(type(exc)):
            _prepared(client, method, url, params, headers, content)
        return
    assert _prepared(client, method, url, params, headers, content) == expected
    assert _prepared(client, method, url, params, headers, content) == expected  # remembered, still the same


@pytest.fixture(scope="module")
def client() -> Client:
    return Client(BASE)


@pytest.mark.parametrize("url", [
    f"{BASE}/api/accounts/", f"{BASE}/api/accounts/?limit=5&offset=10", f"{BASE}/api/a b/", f"{BASE}/api/%7e/",
    f"{BASE}/api/%zz/", f"{BASE}/api/./x/../y", f"{BASE}/.well-known/x", f"{BASE}/api/x?", f"{BASE}/api/x?a",
    f"{BASE}/api/x?q=a b&r=<>", f"{BASE}/api/x#frag", f"{BASE}/api/é/", f"{BASE}/api/x?q=é", f"{BASE}/api/{{id}}/",
    "http://127.0.0.1:80/x", "HTTP://127.0.0.1:8731/x", "http://LOCALHOST:8731/x", "http://user@127.0.0.1:8731/x",
    "http://127.0.0.1:8731?x=1", "http://127.0.0.1:8731", "https://example.com:443/x", "https://example.com/x",
    "http://[::1]:8731/x", "http://bücher.example/x", "http://127.0.0.1:8731/x\ty", "http://127.0.0.1:99999/x",
])
@pytest.mark.parametrize("params", [None, {}, {"limit": 5, "offset": 0}, {"q": "a b&c=é"}, {"flag": True},
                                    {"x": None}, {"many": ["1", "2"]}, {"f": 1.5}, {"limit": "-1"}])
def test_urls_and_queries_as_httpx_builds_them(client: Client, url: str, params: Any) -> None:
    _same(client, "GET", url, params, {"User-Agent": "kit", "Accept": "application/json"}, None)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "DELETE", "POST", "PUT", "PATCH"])
@pytest.mark.parametrize("content", [None, b"", b'{"a": 1}'])
@pytest.mark.parametrize("headers", [
    {"User-Agent": "apiconform", "Accept": "application/json", "Accept-Encoding": "identity",
     "Authorization": "Bearer k"},
    {"accept": "text/plain", "ACCEPT-ENCODING": "gzip", "X-API-Key": "k", "Content-Type": "application/json"},
    {"Host": "elsewhere.example", "Connection": "close", "Content-Length": "3"},
    {"Transfer-Encoding": "chunked", "Cookie": "a=b", "X-Odd": "é"},
])
def test_headers_as_httpx_builds_them(client: Client, method: str, content: bytes | None,
                                      headers: dict[str, str]) -> None:
    _same(client, method, f"{BASE}/api/x/?a=1", None, headers, content)
    _same(client, method, f"{BASE}/api/x/", {"a": 1}, headers, content)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.text(alphabet=st.sampled_from("abz09-_/." + ODD), max_size=20),
       query=st.none() | st.text(alphabet=st.sampled_from("ab=&+-" + ODD), max_size=15),
       params=st.none() | st.dictionaries(st.text(alphabet="ab é&", max_size=3),
                                          st.integers(-3, 3) | st.text(alphabet="ab é&%", max_size=4)
                                          | st.booleans() | st.none(), max_size=3),
       value=st.text(alphabet=st.sampled_from("ab é\u00ff\u0100"), max_size=4))
def test_any_request_as_httpx_builds_it(client: Client, path: str, query: str | None, params: Any,
                                        value: str) -> None:
    url = f"{BASE}/{path}" + (f"?{query}" if query is not None else "")
    _same(client, "GET", url, params, {"Accept": "application/json", "X-Value": value}, None)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8731/x", "http://127.0.0.1/x", "http://127.0.0.1:80/x",
                                 "https://Example.COM/x?y", "http://[::1]:8731/x", "HTTP://h:1/x", "http://h:1?x/y",
                                 "http://u@h:2/x", "http:///x", "https:///x"])
def test_origins_remembered_as_urlsplit_reads_them(url: str) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    expected = parts.scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    assert _origin(url) == expected
    assert _origin(url) == expected  # again, remembered


class _ThroughHttpx(httpx.HTTPTransport):
    """httpx's own transport, taken as any other: requests built and handed over by httpx, and
    sent by httpcore and h11: what the kit's own connections must send byte for byte."""

    def __init__(self) -> None:
        super().__init__(trust_env=False)


@pytest.mark.parametrize("args", [
    dict(method="POST", path_or_url="/api/x/", params={"limit": 5}, content=b"{}", headers={"X-A": "1"}),
    dict(method="GET", path_or_url="/api/x/?a=1&b=%20", credential=Credential("primary", "k"), auth_style="api-key"),
    dict(method="GET", path_or_url="/api/x y/", params={"q": ["1", "2"]}, headers={"Accept": None}),  # type: ignore[dict-item]
    dict(method="PUT", path_or_url="/api/x/1/", json_body={"a": "é"}, accept_encoding="gzip"),
])
def test_the_pool_gets_the_request_httpx_would_hand_it(args: dict[str, Any]) -> None:
    """Over a real socket: the bytes that arrive, and what is recorded, are what httpx sends."""
    sent, recorded = [], []
    for transport in (None, _ThroughHttpx()):
        with serving() as (port, got):
            client = Client(f"http://127.0.0.1:{port}", transport=transport)
            assert (client._wire is None) == (transport is not None)
            ex = client.request(**args)
            client.close()
        assert ex.status == 200 and ex.response is not None and ex.response.body == b"{}"
        sent.append(b"".join(got).replace(str(port).encode(), b"PORT"))
        recorded.append((ex.request.url.replace(str(port), "PORT"), ex.request.headers, ex.response.headers))
    assert sent[0] == sent[1] and recorded[0] == recorded[1]
    assert sent[0].startswith(f"{args['method']} /api/x".encode())


@contextlib.contextmanager
def serving() -> Iterator[tuple[int, list[bytes]]]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    got: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, rest = data.partition(b"\r\n\r\n")
            length = int(dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:]).get(b"Content-Length", 0))
            while len(rest) < length:
                rest += conn.recv(65536)
            got.append(head + b"\r\n\r\n" + rest)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Twice: a\r\nx-twice: b\r\n"
                         b"Content-Length: 2\r\n\r\n{}")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], got
    finally:
        thread.join(5)
        listener.close()


@pytest.mark.parametrize(("url", "params", "fast"), [
    (f"{BASE}/api/accounts/", None, True), (f"{BASE}/api/accounts/?limit=5&offset=10", None, True),
    (f"{BASE}/api/accounts/", {"limit": 5, "ordering": "-name"}, True), (f"{BASE}/api/x/", {"q": "a b"}, True),
    (f"{BASE}/api/x/?a=1", {"b": 2}, False), (f"{BASE}/api/x/", {}, True), (f"{BASE}/api/x/?", {}, False),
    (f"{BASE}/api/x/", {"a": True}, False),
    (f"{BASE}/api/a b/", None, False), (f"{BASE}/api/../x/", None, False), ("http://127.0.0.1:80/x", None, False),
])
def test_the_kits_own_urls_are_not_parsed_again(client: Client, url: str, params: Any, fast: bool) -> None:
    assert (client._fast_url(url, params) is not None) == fast


raw_header = st.tuples(st.binary(min_size=1, max_size=6).filter(lambda b: b"\r" not in b and b"\n" not in b),
                       st.binary(max_size=6))


@settings(max_examples=300, deadline=None)
@given(raw=st.lists(st.one_of(raw_header, st.tuples(st.sampled_from([b"Content-Length", b"content-length", b"X-A"]),
                                                    st.sampled_from([b"5", b"12", b"x", "é".encode()]))),
                    max_size=6))
def test_response_headers_as_httpx_decodes_them(raw: list[tuple[bytes, bytes]]) -> None:
    headers = httpx.Headers(raw)
    decoded = _decoded_headers(raw)
    assert decoded == headers.multi_items()
    lengths = [value for name, value in decoded if name == "content-length"]
    assert (", ".join(lengths) if lengths else None) == headers.get("content-length")


def test_a_response_header_is_its_first_value_in_any_case() -> None:
    response = RecordedResponse(200, [("Content-Type", "a"), ("content-type", "b"), ("X-İ", "c")], b"")
    assert response.header("CONTENT-type") == "a" and response.header("x-i̇") == "c"
    assert response.header("missing") is None
    response.headers.insert(0, ("content-type", "z"))  # changed in place: seen
    assert response.header("content-type") == "z"
    response.headers = [("Retry-After", "3")]  # replaced: seen
    assert response.header("retry-after") == "3" and response.header("content-type") is None
