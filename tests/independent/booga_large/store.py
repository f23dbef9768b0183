"""The data: one in-memory sqlite database, a table per plugin, seeded the same way on every start.

sqlite because that is where a real list's bugs live: WHERE, ORDER BY, LIMIT and OFFSET with bound
values (an integer past 64 bits cannot be bound: OverflowError), and a REGEXP function registered
the way Django's sqlite backend registers it (a pattern that does not compile raises inside the
SQL function: sqlite3.OperationalError). Table and column names come only from the catalog, never
from a request; every value a client sends is a bound parameter.

The endpoints are async and the database is in memory: every query runs on the event loop's
thread, one at a time, so one connection needs no lock.

Tenant A owns 3-25 rows per plugin, spread over six weeks with distinct created_at values (so
orderings have no ties and created_after has rows on both sides of any day); tenant B owns one or
two, older and named "Partner ...", so a leak between tenants is plain in a listing.
"""

from __future__ import annotations

import random
import re
import sqlite3
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from .catalog import Plugin

TENANT_A, TENANT_B = 1, 2
END = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # tenant A's newest row is just before this
SPAN = timedelta(weeks=6)
TENANT_B_END = END - timedelta(weeks=7)
# Words of the seeded names: a few recur in every list (a search term that keeps a next page), the
# numbers make each name unique.
ADJECTIVES = ("quarterly", "annual", "urgent", "regional", "internal", "shared", "pilot", "legacy")
NOUNS = ("review", "report", "summary", "budget", "rollout", "audit", "plan", "request")
CONTENT_TYPES = ("application/pdf", "image/png", "text/csv", "application/zip")
COLUMNS = {
    "description": "TEXT", "code": "TEXT", "status": "TEXT", "owner_id": "INTEGER", "quantity": "INTEGER",
    "priority": "INTEGER", "amount_cents": "INTEGER", "score": "REAL", "is_archived": "INTEGER",
    "due_date": "TEXT", "size": "INTEGER", "content_type": "TEXT",
}


@lru_cache(maxsize=256)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _regexp(pattern: str | None, value: Any) -> bool:
    """`value REGEXP pattern` (sqlite calls regexp(pattern, value)); re.error is raised, not caught."""
    if pattern is None or value is None:
        return False
    return _pattern(pattern).search(str(value)) is not None


def stamp(moment: datetime) -> str:
    """The stored form: ISO 8601 in UTC with Z, so text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def table(plugin: Plugin) -> str:
    return f"p_{plugin.name}"


def column_of(field: str) -> str:
    return "amount_cents" if field == "amount" else field


class Store:
    def __init__(self, plugins: Sequence[Plugin]) -> None:
        self.conn = sqlite3.connect(":memory:", check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.create_function("regexp", 2, _regexp, deterministic=True)
        for plugin in plugins:
            columns = ", ".join(f"{column_of(f)} {COLUMNS[column_of(f)]}" for f in plugin.fields)
            key = "id INTEGER PRIMARY KEY AUTOINCREMENT" if plugin.id_type == "integer" else "id TEXT PRIMARY KEY"
            self.conn.execute(f"CREATE TABLE {table(plugin)} ({key}, tenant_id INTEGER NOT NULL, name TEXT NOT NULL, "
                              f"{columns + ', ' if columns else ''}created_at TEXT NOT NULL, updated_at TEXT NOT NULL)")
            self.conn.execute(f"CREATE INDEX {table(plugin)}_tenant ON {table(plugin)} (tenant_id, created_at)")
        self.seed(plugins)

    def query(self, sql: str, values: Sequence[Any] = ()) -> list[dict[str, Any]]:
        # No try: an OverflowError or sqlite3.Error here is a bug of the caller's, and the app's
        # catch-all answers it 500 (the planted bugs rely on that; the correct filters bound and
        # check every value before it gets here).
        return [dict(row) for row in self.conn.execute(sql, values).fetchall()]

    def insert(self, plugin: Plugin, row: dict[str, Any]) -> Any:
        columns = list(row)
        cursor = self.conn.execute(
            f"INSERT INTO {table(plugin)} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
            [row[c] for c in columns])
        return row.get("id", cursor.lastrowid)

    def seed(self, plugins: Sequence[Plugin]) -> None:
        with self.conn:
            for plugin in plugins:
                rng = random.Random(f"booga-large:{plugin.name}")  # the same rows on every start
                for tenant, count, end, prefix in ((TENANT_A, plugin.rows_a, END, ""),
                                                   (TENANT_B, plugin.rows_b, TENANT_B_END, "Partner ")):
                    for n, created in enumerate(moments(rng, count, end)):
                        self.insert(plugin, make_row(plugin, rng, tenant, n, created, prefix))


def moments(rng: random.Random, count: int, end: datetime) -> list[datetime]:
    """`count` distinct moments over SPAN up to `end`, oldest first (each step longer than the jitter)."""
    step = SPAN / max(count, 1)
    jitter = int(min(step.total_seconds() / 2, 3600))
    return [end - SPAN + step * n + timedelta(seconds=rng.randrange(0, max(jitter, 1))) for n in range(count)]


def make_row(plugin: Plugin, rng: random.Random, tenant: int, n: int, created: datetime,
             prefix: str) -> dict[str, Any]:
    one = plugin.singular.replace("_", " ")
    row: dict[str, Any] = {
        "tenant_id": tenant,
        "name": f"{prefix}{rng.choice(ADJECTIVES).capitalize()} {one} {rng.choice(NOUNS)} {n + 1:03d}",
        "created_at": stamp(created),
        "updated_at": stamp(created + timedelta(hours=rng.randrange(0, 72))),
    }
    if plugin.id_type == "uuid":
        row["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    values: dict[str, Any] = {
        "description": lambda: f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} for the {one} team"
        if rng.random() < 0.8 else None,
        "code": lambda: f"{plugin.name[:3].upper()}-{tenant}{n + 1:04d}",
        # The first rows cycle through every status, so a filter by any of them finds something.
        "status": lambda: plugin.statuses[n] if n < len(plugin.statuses) else rng.choice(plugin.statuses),
        "owner_id": lambda: rng.randrange(1, 40),
        "quantity": lambda: rng.randrange(0, 500),
        "priority": lambda: rng.randrange(1, 6),
        "amount_cents": lambda: rng.randrange(100, 10_000_000),
        "score": lambda: round(rng.uniform(0, 100), 2),
        "is_archived": lambda: int(rng.random() < 0.3),
        "due_date": lambda: (created + timedelta(days=rng.randrange(3, 40))).date().isoformat()
        if rng.random() < 0.7 else None,
        "size": lambda: rng.randrange(1, 50_000_000),
        "content_type": lambda: rng.choice(CONTENT_TYPES),
    }
    for field in plugin.fields:
        row[column_of(field)] = values[column_of(field)]()
    return row
