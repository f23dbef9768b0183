"""Credentials: read from the environment only, redacted by value in every artifact, never sent
over plain HTTP to a non-loopback host, never carried to another origin."""

from __future__ import annotations

import base64
import socket
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from tests.servers import behaviours as b
from tests.servers.clock import FakeClock
from tests.servers.raw import RawServer
from tests.servers.runs import artifact_texts, profiles_with_suites, read_report, target_file

from apiconform.cli import main
from apiconform.runner import run
from apiconform.session import Options, harness

# A value with characters that percent-encoding changes, so the encoded forms differ from it.
TOKEN = "s3cr3t/Tok+en=42_live"
TOKEN_B = "another:key/B+99"


def forms(secret: str) -> list[str]:
    raw = secret.encode()
    return [secret, quote(secret, safe=""), quote_plus(secret), base64.b64encode(raw).decode(),
            base64.urlsafe_b64encode(raw).decode().rstrip("=")]


class SocketGuard:
    """Records (and blocks) every outgoing connection attempt."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.attempts: list[Any] = []

        def refuse(*args: Any, **kwargs: Any) -> Any:
            self.attempts.append(args)
            raise OSError("network use blocked by the test")

        monkeypatch.setattr(socket, "create_connection", refuse)
        monkeypatch.setattr(socket, "getaddrinfo", refuse)
        monkeypatch.setattr(socket.socket, "connect", refuse)
        monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.mark.parametrize("profile", ["booga", "boomerang"])
def test_plain_http_to_a_remote_host_exits_2_sending_nothing(
        profile: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    monkeypatch.setenv("APICONFORM_TOKEN", "x-token-value")
    guard = SocketGuard(monkeypatch)
    code = main(["run", profile, "--base-url", "http://some-host.example", "--report-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "plain HTTP" in err and "--allow-insecure-http" in err
    assert guard.attempts == []
    assert not list(tmp_path.iterdir())  # no report: nothing was run


def test_credentials_come_from_the_environment_only(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("APICONFORM_TOKEN", raising=False)
    guard = SocketGuard(monkeypatch)
    assert main(["run", "boomerang", "--base-url", "https://api.example.test", "--no-reports"]) == 2
    assert "APICONFORM_TOKEN" in capsys.readouterr().err and guard.attempts == []


@pytest.mark.parametrize("profile", profiles_with_suites())
def test_redirect_to_another_origin_carries_no_credential(profile: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APICONFORM_TOKEN", TOKEN)
    monkeypatch.setenv("APICONFORM_TOKEN_B", TOKEN_B)
    with RawServer(b.echo_credentials) as other, RawServer(b.redirect_to(other.url)) as target, \
            harness(sleep=FakeClock().sleep):
        outcome = run(profile, Options(base_url=target.url, target_file=target_file(tmp_path),
                                       report_dir=str(tmp_path / "r")))
    assert outcome.exit_code in (1, 3)
    assert target.received, "the target was probed"
    assert other.received == [] and other.connections == 0, "the kit followed a redirect"
    report = read_report(tmp_path / "r")
    assert report["status_counts"].get("302")
    for text in artifact_texts(tmp_path / "r").values():
        for secret in (TOKEN, TOKEN_B):
            for form in forms(secret):
                assert form not in text


@pytest.mark.parametrize("profile", profiles_with_suites())
def test_echoed_credentials_never_reach_an_artifact(profile: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capfd: pytest.CaptureFixture[str]) -> None:
    """A server that echoes the credential everywhere (body, error message, Location, Link and
    custom headers, query echo; raw, base64, percent-encoded): no form of it in any artifact,
    nor in pytest's and hypothesis' verbose output, nor in the progress lines."""
    monkeypatch.setenv("APICONFORM_TOKEN", TOKEN)
    monkeypatch.setenv("APICONFORM_TOKEN_B", TOKEN_B)
    with RawServer(b.echo_credentials) as server, harness(sleep=FakeClock().sleep):
        outcome = run(profile, Options(base_url=server.url, target_file=target_file(tmp_path),
                                       report_dir=str(tmp_path / "r"), progress=True), verbose=True)
        assert any(TOKEN in r.head.decode("latin-1") for r in server.received), "the server saw the token"
    captured = capfd.readouterr()
    assert outcome.exit_code in (1, 3)
    texts = artifact_texts(tmp_path / "r")
    assert {"report.json", "junit.xml", "report.html"} <= set(texts)
    texts["stdout"], texts["stderr"] = captured.out, captured.err
    assert "[REDACTED]" in texts["report.json"]  # the echo was there, and was redacted
    leaks = [(name, form) for name, text in texts.items() for secret in (TOKEN, TOKEN_B)
             for form in forms(secret) if form in text]
    assert leaks == []
    for r in outcome.run.results:  # exception messages and recorded exchanges, in memory too
        assert TOKEN not in r.reason
        for ex in r.evidence:
            assert TOKEN not in repr(ex) and TOKEN not in ex.describe() and TOKEN not in str(ex.to_dict())


def test_a_cookie_the_target_sets_is_never_sent_back() -> None:
    # A session cookie would make a later "no credentials" probe authenticated (Django's
    # SessionAuthentication accepts one): every request carries exactly what its rule gives it.
    import httpx

    from apiconform.client import Client, Credential

    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("cookie"))
        return httpx.Response(200, stream=httpx.ByteStream(b'{"data": {}}'),
                              headers=[("content-type", "application/json"),
                                       ("set-cookie", "sessionid=abc123; Path=/"), ("set-cookie", "csrftoken=x")])

    client = Client("http://127.0.0.1:9", transport=httpx.MockTransport(handler))
    client.get("/v1/resource", credential=Credential("primary", TOKEN))
    anonymous = client.get("/v1/resource")
    assert seen == [None, None]
    assert "cookie" not in {name.lower() for name, _ in anonymous.request.headers}
