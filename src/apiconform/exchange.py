"""Recorded exchanges: what was sent and what came back, the evidence behind every verdict.

Checks are pure functions over these objects. The response body is stored after the kit
itself undid any Content-Encoding (so that a lying or truncated gzip stream is visible as
`decode_error` instead of being silently accepted), and is capped in size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message
from functools import cached_property
from typing import Any

from apiconform import jsonbody
from apiconform.redact import REDACTOR, Redactor

# How much of a body goes into an artifact: enough to read, bounded for huge responses.
EVIDENCE_BODY_CHARS = 4000


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
    size_cap: int | None = None  # the cap the kit read it with (named when it was truncated)

    def header(self, name: str) -> str | None:
        """The first value of the header `name` (any case), None without one."""
        return self._first_values().get(name.lower())

    def _first_values(self) -> dict[str, str]:
        # Lower-cased name -> first value, built once per headers list: the checks and the tests
        # ask a response for its headers a few dozen times each (a scan of every name, lowered).
        index = self.__dict__.get("_index")
        if index is None or index[0] is not self.headers or index[1] != len(self.headers):
            first: dict[str, str] = {}
            for key, value in self.headers:
                first.setdefault(key.lower(), value)
            index = self.__dict__["_index"] = (self.headers, len(self.headers), first)
        return index[2]

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
    def decoded(self) -> jsonbody.Decoded:
        """The body as JSON (jsonbody.py): the value, or why not, telling the target's fault
        (`error`) from the kit's own limit (`kit_limit`)."""
        if self.decode_error:
            return jsonbody.Decoded(error=self.decode_error)
        if self.truncated:
            cap = f" of {self.size_cap} bytes" if self.size_cap else ""
            return jsonbody.Decoded(kit_limit=f"body exceeded the kit's size cap{cap} and was not read to the "
                                              "end (raise [target] max_body_bytes to judge it)")
        return jsonbody.decode(self.body)

    @property
    def json_error(self) -> str | None:
        """Why the body is not usable as JSON (the target's fault or the kit's limit), else None."""
        decoded = self.decoded
        return decoded.error or decoded.kit_limit

    @property
    def kit_limit(self) -> str | None:
        """Why the kit's own limit (size cap, nesting bound) kept it from decoding the body, else None."""
        return self.decoded.kit_limit

    @property
    def is_json(self) -> bool:
        return self.decoded.ok

    def json(self) -> Any:
        decoded = self.decoded
        if not decoded.ok:
            raise ValueError(decoded.error or decoded.kit_limit)
        return decoded.value


@dataclass
class Exchange:
    request: RecordedRequest
    response: RecordedResponse | None = None
    error: str | None = None  # transport-level failure: no usable response
    note: str = ""  # why the kit sent this request, in a few words
    # A "retry later" answer (a 429, or a 503 with Retry-After) the client waited out: the status
    # the same request got when it was sent again and answered otherwise (Client.request). None
    # for every other exchange, and for one whose resends never got past "retry later".
    answered_on_retry: int | None = None

    @property
    def status(self) -> int | None:
        return self.response.status if self.response else None

    def summary(self, redactor: Redactor | None = None) -> str:
        red = redactor or REDACTOR
        line = f"{self.request.method} {red.text(self.request.url)}"
        if self.response is None:
            return f"{line} -> no response ({self.error})"
        if self.answered_on_retry is not None:
            return f"{line} -> {self.response.status} (waited out; sent again: {self.answered_on_retry})"
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
        if self.answered_on_retry is not None:
            out["answered_on_retry"] = self.answered_on_retry
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
