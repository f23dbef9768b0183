"""TLS: every https connection is verified against httpx's default roots, and a run against an
http:// target never pays for loading them.

A real handshake against a local server whose certificate is signed by a CA of the test's own
(made with the openssl command): untrusted by default, so the request must fail; trusted once
the verifying context is swapped for one that knows the CA, so the request must pass. That
second half proves the handshake uses the verifying context, not the pool's placeholder.
"""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.servers.raw import RawServer

from apiconform import client as client_module
from apiconform.client import Budget, Client, Credential
from apiconform.errors import TransportFault
from apiconform.pacing import Pacer
from apiconform.target import Timeouts

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ca.pem, and server.pem/server.key for localhost and 127.0.0.1 signed by it."""
    d = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=apiconform test CA", cwd=d)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=localhost", cwd=d)
    (d / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n", encoding="utf-8")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf", cwd=d)
    return d


class _Json(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"data": {}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tls_url(pki: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Json)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki / "server.pem", pki / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _client(base_url: str) -> Client:
    return Client(base_url, budget=Budget(10), pacer=Pacer(max_wait=5), timeouts=Timeouts(2, 2, 5))


def test_an_untrusted_certificate_is_refused(tls_url: str) -> None:
    client = _client(tls_url)
    try:
        with pytest.raises(TransportFault, match=r"(?i)certificate"):
            client.get("/v1/x", credential=Credential("primary", "tls-test-token-0123"))
    finally:
        client.close()


def test_the_handshake_uses_the_verifying_context(tls_url: str, pki: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trusting = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    trusting.set_alpn_protocols(["http/1.1"])
    monkeypatch.setattr(client_module, "verified_tls", lambda: trusting)
    client = _client(tls_url)
    try:
        assert client.get("/v1/x", credential=Credential("primary", "tls-test-token-0123")).status == 200
    finally:
        client.close()


def test_the_verifying_context_checks_certificates_and_names() -> None:
    context = client_module.verified_tls()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0  # certifi's roots


def test_an_http_target_never_loads_the_roots() -> None:
    client_module.verified_tls.cache_clear()
    with RawServer(lambda conn, request: conn.respond(200, b"{}", [("Content-Type", "application/json")])) as raw:
        client = _client(raw.url)
        try:
            assert client.get("/v1/x").status == 200
        finally:
            client.close()
    assert client_module.verified_tls.cache_info().currsize == 0
