"""A server that echoes every key it gets leaves no trace of the real keys anywhere (issue 23).

Echoing the presented key is common and conformant: `{"detail": "Invalid API key: <key>"}`,
a header naming the key a request was served for, a "key hint" of its first characters. The
kit sent near-copies of the real key as its invalid keys (one character off, truncated), and
redacted only exact encodings, so 19 of the 20 characters of a key reached report.json and
report.html. Here the reference Booga mock, wrapped to echo every key, is run over real HTTP
by `apiconform run`; no run of 8 characters of either key may appear in any artifact or on
the console.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.servers.threaded import serve_in_thread

from apiconform.mocks import create_app, credentials

RUN = 8
KEYS = credentials("booga")
PRIMARY, TENANT_B = KEYS["primary"], KEYS["b"]


def presented_key(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The key a request carries, as the mock reads it: Bearer first, then X-API-Key."""
    found = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in headers}
    if "authorization" in found:
        scheme, _, token = found["authorization"].strip().partition(" ")
        return token.strip() if scheme.lower() == "bearer" else found["authorization"]
    return found.get("x-api-key")


class EchoKeys:
    """The mock, echoing the key of every request: in each answer's headers (the whole key,
    and a hint of its first 12 characters) and in a 401's detail, the body still
    `{detail, code}`."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = presented_key(scope["headers"])
        start: dict[str, Any] = {}
        body = bytearray()

        async def echoing(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            await self._answer(send, start, bytes(body), key)

        await self.app(scope, receive, echoing)

    @staticmethod
    async def _answer(send: Any, start: dict[str, Any], body: bytes, key: str | None) -> None:
        headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
        if key is not None and key.isascii() and key.isprintable():
            headers += [(b"x-echo-key", key.encode()), (b"x-key-hint", f"{key[:12]}...".encode())]
            if start["status"] == 401:
                error = json.loads(body)
                body = json.dumps({"detail": f"Invalid API key: {key}", "code": error["code"]}).encode()
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})


def runs_found(text: str) -> list[str]:
    """Every RUN-character window of either key that occurs in `text`, in any case."""
    folded = text.lower()
    return [window for key in (PRIMARY, TENANT_B) for i in range(len(key) - RUN + 1)
            if (window := key[i:i + RUN].lower()) in folded]


def test_no_run_of_a_key_reaches_an_artifact_or_the_console(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    env = {**os.environ, "APICONFORM_TOKEN": PRIMARY, "APICONFORM_TOKEN_B": TENANT_B}
    with serve_in_thread(EchoKeys(create_app("booga", None, enforce_https=False))) as url:
        proc = subprocess.run([sys.executable, "-m", "apiconform.cli", "run", "booga", "--base-url", url,
                               "--report-dir", str(reports)],
                              env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # the echo is conformant: the run passes
    report = json.loads((reports / "report.json").read_text(encoding="utf-8"))
    assert {r["id"] for r in report["rules"] if r["verdict"] == "pass"} >= {"BGA-AUTH-INVALID", "BGA-ERROR-FORMAT"}
    texts = {"stdout": proc.stdout, "stderr": proc.stderr}
    texts |= {str(p.relative_to(tmp_path)): p.read_text(encoding="utf-8", errors="replace")
              for p in sorted(tmp_path.rglob("*")) if p.is_file()}
    assert "report.html" in " ".join(texts) and len(texts) >= 5, sorted(texts)
    leaks = {name: found for name, text in texts.items() if (found := runs_found(text))}
    assert not leaks, leaks
