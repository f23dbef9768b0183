"""Keys that are not issued, of the shape of one that is: what the invalid-key rules send.

A wrong key must never be derived from the real one (one character flipped, the last four
cut, upper-cased): a server whose 401 says `Invalid API key: <the key it got>` would hand back
nearly all of the real key, into the evidence and every report (issue 23). A forged key is
drawn at random instead, and shares with the real key only its shape, so a server that checks
a key's format rather than looking it up still lets it through and is caught.
"""

from __future__ import annotations

import random
import string
from collections.abc import Collection

ATTEMPTS = 1000  # a same-shape key collides with an issued one about never; this only bounds a loop


def _alphabets(real: str) -> dict[str, str]:
    """The alphabet of each character class, as narrow as the real key shows it: a hex key's
    letters stay hex letters, so a forgery passes a hex format check."""
    lower = {c for c in real if c in string.ascii_lowercase}
    upper = {c for c in real if c in string.ascii_uppercase}
    return {
        "lower": "abcdef" if lower <= set("abcdef") else string.ascii_lowercase,
        "upper": "ABCDEF" if upper <= set("ABCDEF") else string.ascii_uppercase,
        "digit": string.digits,
    }


def _class_of(char: str) -> str | None:
    if char in string.ascii_lowercase:
        return "lower"
    if char in string.ascii_uppercase:
        return "upper"
    if char in string.digits:
        return "digit"
    return None


def _draw(real: str, rng: random.Random) -> str:
    alphabets = _alphabets(real)
    # A separator or other punctuation (`_` in `bga_live_…`, `-`, a JWT's `.`) is kept where it
    # is: it is the key's format, not its secret, and keeping it keeps the forgery the shape a
    # format check accepts. Everything else is drawn afresh, so no two neighbours of the real
    # key survive together.
    return "".join(c if (cls := _class_of(c)) is None else rng.choice(alphabets[cls]) for c in real)


def forged_key(real: str, rng: random.Random, avoid: Collection[str] = ()) -> str:
    """A random key of `real`'s length, each character from the class of `real`'s at that
    position (lowercase, uppercase, digit), differing from `real` and every key in `avoid`.

    Deterministic for a seeded `rng` (the rule's `ctx.rng`). A key with no letter or digit has
    no shape to keep: the forgery is then letters and digits of its length.
    """
    template = real if any(_class_of(c) for c in real) else ("xY9" * len(real))[:len(real)] or "xY9"
    for _ in range(ATTEMPTS):
        forged = _draw(template, rng)
        if forged != real and forged not in avoid:
            return forged
    raise ValueError(f"no key of this shape ({len(real)} characters) differs from every issued one")
