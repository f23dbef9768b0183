"""Transport faults said so that a person can act on them (client.describe_connect_fault): an
https:// URL whose server speaks plain HTTP, a refused connection, a host name that does not
resolve. Each over real sockets (127.0.0.1, and a name under `.invalid`, which never resolves),
once through the client and once through a whole `apiconform run`, whose report says it."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.servers.raw import closed_port
from tests.servers.runs import read_report

from apiconform.cli import main
from apiconform.client import Client

TOKEN = "live-token-8e1f0c2b7d"
NO_DNS = "apiconform-kit-test.invalid"  # RFC 6761: .invalid never resolves


@contextlib.contextmanager
def plain_http_listener() -> Iterator[int]:
    """A port on 127.0.0.1 that answers whatever arrives, a TLS ClientHello too, with a plain
    HTTP 400, as an HTTP server does with bytes it cannot parse."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                conn.settimeout(2)
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n"
                             b"Connection: close\r\n\r\nBad Request")

    thread = threading.Thread(target=serve, daemon=True, name="plain-http")
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


# name -> (base URL for a port, what the fault must say)
def expected(case: str, port: int) -> tuple[str, list[str]]:
    if case == "https-to-plain-http":
        return f"https://127.0.0.1:{port}", [f"the server at 127.0.0.1:{port} answered the TLS handshake",
                                             "plain HTTP", "is the base URL meant to be http://?"]
    if case == "refused":
        return f"http://127.0.0.1:{port}", [f"connection to 127.0.0.1:{port} refused", "nothing listens there"]
    return f"https://{NO_DNS}", [f"the host name '{NO_DNS}' does not resolve", "is the base URL's host right?"]


CASES = ["https-to-plain-http", "refused", "dns"]


@contextlib.contextmanager
def target(case: str) -> Iterator[int]:
    if case == "https-to-plain-http":
        with plain_http_listener() as port:
            yield port
    else:
        yield closed_port()


@pytest.mark.parametrize("case", CASES)
def test_the_client_says_what_went_wrong_and_where(case: str) -> None:
    with target(case) as port:
        base, phrases = expected(case, port)
        ex = Client(base).get("/v1/example/resource", allow_fault=True)
    assert ex.response is None and ex.error
    for phrase in phrases:
        assert phrase in ex.error, ex.error
    assert "_ssl.c" not in ex.error


@pytest.mark.parametrize("case", CASES)
def test_a_run_reports_the_fault_in_the_reasons_of_its_rules(case: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("APICONFORM_TOKEN", TOKEN)
    with target(case) as port:
        base, phrases = expected(case, port)
        code = main(["run", "boomerang", "--base-url", base, "--report-dir", str(tmp_path), "--quiet"])
    captured = capsys.readouterr()
    assert code == 3, captured.err
    assert "Traceback" not in captured.out + captured.err
    assert (tmp_path / "junit.xml").is_file()
    report = read_report(tmp_path)
    assert report["verdict"] == "incomplete"
    errors = [r for r in report["rules"] if r["verdict"] == "error"]
    assert errors and all(r["verdict"] in ("error", "skip") for r in report["rules"])
    said = [r["reason"] for r in errors if all(p in r["reason"] for p in phrases)]
    assert said, [r["reason"] for r in errors]
    assert not [r for r in errors if re.search(r"_ssl\.c:\d+", r["reason"])]
    assert TOKEN not in (tmp_path / "report.json").read_text(encoding="utf-8")
