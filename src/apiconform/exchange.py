"""Recorded exchanges: what was sent and what came back, the evidence behind every verdict.

Checks are pure functions over these objects. The response body is stored after the kit
itself undid any Content-Encoding (so that a lying or truncated gzip stream is visible as
`decode_error` instead of being silently accepted), and is capped in size.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from functools import cached_property
from typing import Any

from apiconform.redact import REDACTOR, Redactor

# How much of a body goes into an artifact: enough to read, bounded for huge responses.
EVIDENCE_BODY_CHARS = 4000

_MISSING = object()


@dataclass
class RecordedRequest:
    method: str
    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def __repr__(self) -> str:
        return f"RecordedRequest({self.method} {REDACTOR.text(self.url)})"


@dataclass
class RecordedResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    elapsed: float = 0.0
    raw_size: int = 0
    truncated: bool = False  # the kit stopped reading at its size cap
    decode_error: str | None = None  # Content-Encoding claimed but the stream did not decode

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        lname = name.lower()
        return [v for k, v in self.headers if k.lower() == lname]

    @property
    def media_type(self) -> str | None:
        value = self.header("content-type")
        if value is None:
            return None
        return value.split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        value = self.header("content-type")
        if value is None:
            return None
        msg = Message()
        msg["content-type"] = value
        charset = msg.get_param("charset")
        return str(charset).lower() if isinstance(charset, str) else None

    def __repr__(self) -> str:
        return f"RecordedResponse({self.status}, {len(self.body)} bytes)"

    @cached_property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @cached_property
    def _parsed(self) -> tuple[Any, str | None]:
        if self.decode_error:
            return _MISSING, self.decode_error
        if self.truncated:
            return _MISSING, "body exceeded the kit's size cap and was not read to the end"
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            return _MISSING, f"body is not valid UTF-8 ({exc.reason} at byte {exc.start})"
        try:
            return json.loads(text), None
        except json.JSONDecodeError as exc:
            return _MISSING, f"body is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"

    @property
    def json_error(self) -> str | None:
        return self._parsed[1]

    @property
    def is_json(self) -> bool:
        return self._parsed[1] is None

    def json(self) -> Any:
        value, error = self._parsed
        if error is not None:
            raise ValueError(error)
        return value


@dataclass
class Exchange:
    request: RecordedRequest
    response: RecordedResponse | None = None
    error: str | None = None  # transport-level failure: no usable response
    note: str = ""  # why the kit sent this request, in a few words

    @property
    def status(self) -> int | None:
        return self.response.status if self.response else None

    def summary(self, redactor: Redactor | None = None) -> str:
        red = redactor or REDACTOR
        line = f"{self.request.method} {red.text(self.request.url)}"
        if self.response is None:
            return f"{line} -> no response ({self.error})"
        return f"{line} -> {self.response.status}"

    def describe(self, redactor: Redactor | None = None, body_chars: int = 600) -> str:
        """A short, redacted, human-readable rendering for failure messages."""
        red = redactor or REDACTOR
        req = self.request
        lines = [f"> {req.method} {red.text(req.url)}"]
        lines += [f"> {k}: {red.header(k, v)}" for k, v in req.headers]
        if req.body:
            lines.append("> " + _body_text(req.body, body_chars, red))
        if self.response is None:
            lines.append(f"< (no response: {red.text(self.error or 'unknown')})")
            return "\n".join(lines)
        resp = self.response
        lines.append(f"< {resp.status}")
        lines += [f"< {k}: {red.header(k, v)}" for k, v in resp.headers]
        if resp.decode_error:
            lines.append(f"< (body did not decode: {resp.decode_error})")
        if resp.body:
            lines.append("< " + _body_text(resp.body, body_chars, red))
        return "\n".join(lines)

    def __repr__(self) -> str:
        # Assertion rewriting and hypothesis print reprs: never the raw headers.
        return f"Exchange({self.summary()})"

    def to_dict(self, redactor: Redactor | None = None,
                body_chars: int = EVIDENCE_BODY_CHARS) -> dict[str, Any]:
        red = redactor or REDACTOR
        req = self.request
        out: dict[str, Any] = {
            "request": {
                "method": req.method,
                "url": red.text(req.url),
                "headers": {k: red.header(k, v) for k, v in req.headers},
                "body": _body_text(req.body, body_chars, red) if req.body else None,
            },
            "response": None,
        }
        if self.note:
            out["note"] = self.note
        if self.error:
            out["error"] = red.text(self.error)
        if self.response is not None:
            resp = self.response
            out["response"] = {
                "status": resp.status,
                "headers": {k: red.header(k, v) for k, v in resp.headers},
                "body": _body_text(resp.body, body_chars, red),
                "body_bytes": len(resp.body),
                "elapsed_ms": round(resp.elapsed * 1000, 1),
            }
            if resp.decode_error:
                out["response"]["decode_error"] = red.text(resp.decode_error)
            if resp.truncated:
                out["response"]["truncated"] = True
        return out


def _body_text(body: bytes, limit: int, redactor: Redactor) -> str:
    # Redact before cutting: a cut through a secret would leave a prefix nothing matches.
    text = redactor.text(body.decode("utf-8", errors="replace"))
    if len(text) > limit:
        return text[:limit] + f"… [{len(text) - limit} more characters]"
    return text
