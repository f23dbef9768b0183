"""Forged keys: random, of the issued key's shape, never derived from it (issue 23)."""

from __future__ import annotations

import random
import string

import pytest

from apiconform.forgery import forged_key

KEYS = ["bga_live_7c1e9a4f2b8d6e3a5c0f1b2d", "bmr-reference-token-3f9a1c7e5b", "Zq7Xv2Lm9Tr4Bn6Kc1Wd",
        "eyJhbGciOi.eyJzdWIiOiIx.SflKxwRJSM"]


def _classes(key: str) -> list[str]:
    return ["lower" if c.islower() else "upper" if c.isupper() else "digit" if c.isdigit() else c for c in key]


def _shares_a_run(a: str, b: str, run: int = 8) -> bool:
    return any(a[i:i + run] in b for i in range(len(a) - run + 1))


@pytest.mark.parametrize("real", KEYS)
def test_a_forgery_has_the_shape_and_nothing_else_of_the_real_key(real: str) -> None:
    rng = random.Random(0)
    for _ in range(200):
        forged = forged_key(real, rng, avoid={real})
        assert len(forged) == len(real) and _classes(forged) == _classes(real)
        assert forged != real and not _shares_a_run(forged, real), forged


def test_a_forgery_is_the_same_for_the_same_seed() -> None:
    real = KEYS[0]
    assert forged_key(real, random.Random("0:BGA-AUTH-INVALID")) == \
        forged_key(real, random.Random("0:BGA-AUTH-INVALID"))
    assert forged_key(real, random.Random("0:BGA-AUTH-INVALID")) != \
        forged_key(real, random.Random("1:BGA-AUTH-INVALID"))


def test_a_hex_key_is_forged_in_hex() -> None:
    forged = forged_key("7c1e9a4f2b8d6e3a5c0f", random.Random(3))
    assert set(forged) <= set(string.hexdigits.lower())


def test_an_issued_key_is_never_the_forgery() -> None:
    # A one-digit key leaves ten candidates: all but "9" issued, so "9" it must be.
    issued = {str(d) for d in range(9)}
    assert forged_key("0", random.Random(0), avoid=issued) == "9"
    with pytest.raises(ValueError):
        forged_key("0", random.Random(0), avoid=issued | {"9"})


def test_a_key_without_letters_or_digits_still_gets_a_forgery() -> None:
    forged = forged_key("----", random.Random(0))
    assert len(forged) == 4 and forged.isalnum()
