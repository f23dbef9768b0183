"""Telling tenant A's results in tenant B's view: by id.

A result of B's view with the id of one of A's results is A's, shown to B, whatever else differs
(a per-viewer field such as `unread` changes nothing). One exception keeps the comparison fair to
stores that count ids per tenant (message 1 of each tenant's chat): a small integer id alone
proves nothing, so such a result is A's only when it is also alike in most of its other fields.
An opaque id (a UUID, a long token) is never issued to two tenants.
"""

from __future__ import annotations

import json
from typing import Any

from apiconform.writable import VOLATILE

COUNTER_BELOW = 10**7  # ids below this may be a per-tenant counter


def _id(item: Any) -> Any:
    return item.get("id") if isinstance(item, dict) else None


def _counter(value: Any) -> bool:
    text = str(value)
    return not isinstance(value, bool) and text.isdigit() and int(text) < COUNTER_BELOW


def _alike(mine: dict[str, Any], theirs: dict[str, Any]) -> bool:
    keys = [k for k in mine.keys() & theirs.keys() if k != "id" and not VOLATILE.search(k)]
    if not keys:
        return True
    same = sum(1 for k in keys if mine[k] == theirs[k])
    return same * 2 > len(keys)


def _whole(item: Any) -> str:
    return json.dumps(item, sort_keys=True, default=str)


def leaked(mine: list[Any], theirs: list[Any]) -> list[str]:
    """The ids (or bodies, for results without an id) of A's results (`mine`) found in B's (`theirs`)."""
    by_id = {str(_id(i)): i for i in mine if _id(i) is not None}
    wholes = {_whole(i) for i in mine if _id(i) is None}
    out: list[str] = []
    for item in theirs:
        key = _id(item)
        if key is None:
            if _whole(item) in wholes:
                out.append(_whole(item)[:80])
            continue
        own = by_id.get(str(key))
        if own is None:
            continue
        if not _counter(key) or (isinstance(item, dict) and _alike(own, item)):
            out.append(str(key))
    return out
