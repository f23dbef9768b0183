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


# Twenty characters, none repeated: no window of it occurs twice, so each case below tests one thing.
KEY = "Zq7Xv2Lm9Tr4Bn6Kc1Wd"
OTHER = "bga_live_2f8b6d1c9e4a7f3b0d5e8c1a"


def test_a_run_of_eight_or_more_characters_of_a_key_is_masked_wherever_it_is() -> None:
    red = Redactor([KEY])
    assert red.text(f"Invalid API key: {KEY[:-1]}") == f"Invalid API key: {MASK}"  # 19 of the 20
    assert red.text(f"Invalid API key: {KEY[:-4]}.") == f"Invalid API key: {MASK}."  # truncated
    assert red.text(f"got '{KEY[5:]}'") == f"got '{MASK}'"  # a suffix
    assert red.text(f"({KEY[4:14]})") == f"({MASK})"  # from the middle
    assert red.text(f"<{KEY[6:14]}>") == f"<{MASK}>"  # exactly eight
    assert red.text(f"{KEY}x") == f"{MASK}x"  # longer than the key: the key itself, then x


def test_a_changed_character_leaves_only_the_runs_it_splits_off() -> None:
    red = Redactor([KEY])
    assert red.text(KEY[:10] + "#" + KEY[11:]) == f"{MASK}#{MASK}"  # 10 and 9: both sides masked
    assert red.text(KEY[:7] + "#" + KEY[8:]) == f"{KEY[:7]}#{MASK}"  # 7 and 12: the 7 stay
    assert red.text(KEY[:12] + "#" + KEY[13:]) == f"{MASK}#{KEY[13:]}"  # 12 and 7


def test_runs_are_masked_in_any_case_and_merged_into_one_mask() -> None:
    red = Redactor([KEY])
    for variant in (KEY.upper(), KEY.lower(), KEY.swapcase(), KEY[3:15].swapcase()):
        assert red.text(f"key={variant};") == f"key={MASK};", variant
    # Overlapping windows of one run, and two runs that touch, are one mask each.
    assert red.text(f"a {KEY[2:17]} b").count(MASK) == 1
    assert red.text(f"a {KEY[:8]}{KEY[12:]} b") == f"a {MASK} b"
    assert red.text(f"a {KEY[:8]} {KEY[12:]} b") == f"a {MASK} {MASK} b"


def test_every_registered_key_has_its_runs_masked() -> None:
    red = Redactor([KEY, OTHER])
    assert red.text(f"{KEY[1:11]} and {OTHER[9:30]}") == f"{MASK} and {MASK}"


def test_runs_keep_their_place_when_lowercasing_changes_the_length() -> None:
    # "İ" lowercases to two characters: the spans must still be those of the original text.
    red = Redactor([KEY])
    assert red.text(f"İİ {KEY[2:12]} İ") == f"İİ {MASK} İ"


def test_text_without_a_run_of_eight_is_untouched() -> None:
    red = Redactor([KEY])
    sevens = " ".join(KEY[i:i + 7] for i in range(len(KEY) - 6))
    text = f'{{"detail": "Invalid API key.", "code": "authentication_failed"}} {sevens} {KEY[::-1]}'
    assert red.text(text) == text


def test_a_secret_shorter_than_a_run_is_masked_only_whole() -> None:
    red = Redactor(["s3cr3t7"])
    assert red.text("a s3cr3t7 b") == f"a {MASK} b"
    assert red.text("a s3cr3t b") == "a s3cr3t b"
