"""Redaction of credentials by value, in every form a server or library might echo them.

Header-name redaction is not enough: servers echo keys back in error messages, Location
headers and query strings, percent-encoded or inside a Basic/base64 blob. Every artifact
the kit writes goes through `Redactor.text` (or `.value` for nested JSON-like data).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "[REDACTED]"
# Header names whose values are secret whatever they hold.
SECRET_HEADERS = {"authorization", "x-api-key", "proxy-authorization", "cookie", "set-cookie"}


def _b64_cores(raw: bytes) -> set[str]:
    """The part of any base64 text that encodes `raw`, whatever its offset in the encoded data
    (a Basic-auth "user:secret" blob, a JWT-like wrapper): one core per alignment mod 3."""
    cores: set[str] = set()
    for encoder in (base64.b64encode, base64.urlsafe_b64encode):
        for offset in range(3):
            encoded = encoder(b"\0" * offset + raw).decode("ascii")
            start = 4 if offset else 0  # the first group mixes in unknown preceding bytes
            end = ((offset + len(raw)) // 3) * 4  # the last partial group mixes in what follows
            core = encoded[start:end]
            if len(core) >= 8:
                cores.add(core)
    return cores


def _forms(secret: str) -> set[str]:
    forms = {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}
    raw = secret.encode("utf-8", "surrogatepass")
    for encoder in (base64.b64encode, base64.urlsafe_b64encode):
        encoded = encoder(raw).decode("ascii")
        forms.add(encoded)
        forms.add(encoded.rstrip("="))
    forms |= _b64_cores(raw)
    return {f for f in forms if len(f) >= 4}


class Redactor:
    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if not secret or len(secret) < 4 or secret in self._secrets:
            return
        self._secrets.add(secret)
        forms: set[str] = set()
        for s in self._secrets:
            forms |= _forms(s)
        # Longest first so that an encoded form is not half-replaced by a shorter one.
        alternatives = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(f) for f in alternatives), re.IGNORECASE)

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def text(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)

    def header(self, name: str, value: str) -> str:
        if name.lower() in SECRET_HEADERS:
            scheme, _, rest = value.partition(" ")
            if rest and scheme.isalpha() and len(scheme) < 16:
                return f"{scheme} {MASK}"
            return MASK
        return self.text(value)

    def value(self, data: Any) -> Any:
        """Redact every string inside JSON-like data (keys included)."""
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, dict):
            return {self.text(str(k)): self.value(v) for k, v in data.items()}
        if isinstance(data, (list, tuple)):
            return [self.value(v) for v in data]
        return data


# The process-wide redactor: the CLI and the pytest plugin register every credential they
# load here, so that any code path that formats a message can redact without plumbing.
REDACTOR = Redactor()
