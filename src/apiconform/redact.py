"""Redaction of credentials by value, in every form a server or library might echo them.

Header-name redaction is not enough: servers echo keys back in error messages, Location
headers and query strings, percent-encoded or inside a Basic/base64 blob. Nor are exact
matches: a server that echoes a near-copy of a key (`Invalid API key: <what it got>`, a
truncated or one-character-off key) hands back most of the real one, so any run of
`RUN` or more consecutive characters of a credential is masked too, in any case. Every
artifact the kit writes goes through `Redactor.text` (or `.value` for nested JSON-like data).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "[REDACTED]"
# The shortest run of a credential's characters masked wherever it appears: long enough that
# ordinary text does not hit it by chance, short enough that what is left of a key is no help.
RUN = 8
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


def _runs(secret: str) -> set[str]:
    """Every RUN-character window of the secret, lowercased (none for a shorter secret)."""
    folded = secret.lower()
    return {folded[i:i + RUN] for i in range(len(folded) - RUN + 1)}


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex matching any of `words`, their shared prefixes factored out.

    Tried at every position of every artifact string: as a trie, the engine follows one branch
    per character instead of trying each of the dozens of windows in turn (about 3x faster).
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here

    def branch(node: dict[str, Any]) -> str:
        alternatives = [re.escape(char) + branch(child) for char, child in sorted(node.items()) if char]
        if "" in node:
            alternatives.append("")
        return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"

    return branch(trie)


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each span replaced by MASK, overlapping or touching spans as one."""
    spans.sort()
    pieces: list[str] = []
    done = 0  # text[:done] is already in pieces
    start, end = spans[0]
    for next_start, next_end in spans[1:]:
        if next_start <= end:
            end = max(end, next_end)
            continue
        pieces += [text[done:start], MASK]
        done, start, end = end, next_start, next_end
    pieces += [text[done:start], MASK, text[end:]]
    return "".join(pieces)


class Redactor:
    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        # Overlapping RUN-character windows, found by a lookahead (a plain match would consume
        # them): one pattern for lowercased text, one for text whose lowercase changes length.
        self._runs: re.Pattern[str] | None = None
        self._runs_any_case: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if not secret or len(secret) < 4 or secret in self._secrets:
            return
        self._secrets.add(secret)
        forms: set[str] = set()
        runs: set[str] = set()
        for s in self._secrets:
            forms |= _forms(s)
            runs |= _runs(s)
        # Longest first so that an encoded form is not half-replaced by a shorter one.
        alternatives = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(f) for f in alternatives), re.IGNORECASE)
        if runs:
            lookahead = f"(?=({_trie_pattern(runs)}))"
            self._runs = re.compile(lookahead)
            self._runs_any_case = re.compile(lookahead, re.IGNORECASE)

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def text(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        spans = [m.span() for m in self._pattern.finditer(text)] + self._run_spans(text)
        return _masked(text, spans) if spans else text

    def _run_spans(self, text: str) -> list[tuple[int, int]]:
        if self._runs is None or self._runs_any_case is None:
            return []
        folded = text.lower()
        # Lowercasing once and matching case-sensitively is ~2.5x faster than IGNORECASE, but
        # only when it keeps every character's offset ("İ" lowercases to two characters).
        if len(folded) == len(text):
            return [m.span(1) for m in self._runs.finditer(folded)]
        return [m.span(1) for m in self._runs_any_case.finditer(text)]

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
