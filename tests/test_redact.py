"""Redaction by value: every form a server or library might echo a credential in."""

from __future__ import annotations

import base64
from urllib.parse import quote, quote_plus

from apiconform.client import Credential
from apiconform.exchange import Exchange, RecordedRequest, RecordedResponse
from apiconform.redact import MASK, REDACTOR, Redactor

SECRET = "k3y/with+odd=chars&more"


def test_every_encoded_form_is_masked() -> None:
    red = Redactor([SECRET])
    raw = SECRET.encode()
    for form in (SECRET, quote(SECRET, safe=""), quote(SECRET, safe="").lower(), quote_plus(SECRET),
                 quote(SECRET), base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode(),
                 base64.b64encode(raw).decode().rstrip("="), base64.b64encode(b"user:" + raw).decode(),
                 base64.b64encode(b"us:" + raw).decode(), base64.b64encode(b"u:" + raw + b"!").decode()):
        out = red.text(f"before {form} after")
        assert form not in out and MASK in out, form
        assert len(out) <= len("before  after") + len(MASK) + 12  # only the wrapper and boundary left
    basic = base64.b64encode(f"{SECRET}:".encode()).decode()
    assert basic.rstrip("=") not in red.text(f"Basic {basic}")


def test_short_or_empty_secrets_are_not_registered() -> None:
    red = Redactor(["", None, "abc"])
    assert red.secrets == frozenset() and red.text("abc abc") == "abc abc"


def test_headers_and_nested_values() -> None:
    red = Redactor([SECRET])
    assert red.header("Authorization", f"Bearer {SECRET}") == f"Bearer {MASK}"
    assert red.header("X-API-Key", "anything") == MASK
    assert red.header("Location", f"/login?token={quote(SECRET, safe='')}") == f"/login?token={MASK}"
    assert red.value({"a": [SECRET, 1, {SECRET: "x"}]}) == {"a": [MASK, 1, {MASK: "x"}]}


def test_reprs_never_show_a_credential() -> None:
    REDACTOR.add(SECRET)
    cred = Credential("primary", SECRET)
    assert SECRET not in repr(cred)
    request = RecordedRequest("GET", f"https://t.test/x?key={SECRET}",
                              [("Authorization", f"Bearer {SECRET}")])
    response = RecordedResponse(200, [("X-Echo", SECRET)], f'{{"token": "{SECRET}"}}'.encode())
    ex = Exchange(request, response)
    for text in (repr(ex), repr(request), repr(response), ex.describe(), str(ex.to_dict()), ex.summary()):
        assert SECRET not in text


def test_a_secret_across_the_evidence_cut_is_still_masked() -> None:
    REDACTOR.add(SECRET)
    body = ("x" * 3990 + SECRET + "y" * 100).encode()
    ex = Exchange(RecordedRequest("GET", "https://t.test/"), RecordedResponse(200, [], body))
    rendered = ex.to_dict()["response"]["body"]
    assert SECRET[:8] not in rendered and MASK in rendered
