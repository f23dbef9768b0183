"""The data layer: one in-memory sqlite database (the stdlib sqlite3 module), shared by every request.

sqlite rather than Python lists because that is what the list endpoints of a real deployment
are: SQL with WHERE, ORDER BY, LIMIT and OFFSET, so pagination, ordering and filters behave the
way a database makes them behave (a negative LIMIT means "no limit", an integer past 64 bits
cannot be bound at all). In memory, seeded at start-up, so a server starts in well under a
second and every run sees the same rows.

FastAPI runs the (synchronous) endpoints in a thread pool: one connection, opened with
check_same_thread=False, is serialised by a lock. Table and column names never come from a
request: callers pass them from fixed tables (TABLES, ORDERABLE, WRITABLE).

Arrays and nested objects (a task's labels and checklist, an invoice's lines, billing and tags)
are JSON text columns, encoded on the way in and decoded on the way out (JSON_COLUMNS); a write
replaces such a column whole. Ids come from each table's AUTOINCREMENT sequence, one per plugin
for every tenant: unique across tenants, never reused after a delete.

A row belongs to `tenant_id`; `created_by` is the tenant whose key created it (an audit column,
the same tenant but for the BGA-TENANCY-CREATE@invoices breaker). A tenant's reads and writes
see the rows it owns or created (VISIBLE): the creator keeps the rows it made even where the
owner differs, as a "created by me" view does.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SCHEMA = """
CREATE TABLE tenants (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE);
CREATE TABLE api_keys (
    key TEXT PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    per_minute INTEGER NOT NULL,
    per_hour INTEGER NOT NULL
);
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    title TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'done')),
    priority INTEGER NOT NULL,
    due_date TEXT,
    labels TEXT NOT NULL DEFAULT '[]',
    checklist TEXT NOT NULL DEFAULT '[]',
    created_by INTEGER NOT NULL REFERENCES tenants (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    company TEXT,
    phone TEXT,
    created_by INTEGER NOT NULL REFERENCES tenants (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE invoices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    number TEXT NOT NULL,
    customer_name TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'paid', 'void')),
    paid_at TEXT,
    lines TEXT NOT NULL DEFAULT '[]',
    billing TEXT NOT NULL DEFAULT '{}',
    tags TEXT NOT NULL DEFAULT '[]',
    created_by INTEGER NOT NULL REFERENCES tenants (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX tasks_tenant ON tasks (tenant_id, created_at);
CREATE INDEX contacts_tenant ON contacts (tenant_id, created_at);
CREATE INDEX invoices_tenant ON invoices (tenant_id, created_at);
"""
TABLES = ("tasks", "contacts", "invoices")
# Columns a list may be ordered by, per table (ordering values are mapped onto these, never pasted).
ORDERABLE = {"tasks": ("created_at", "title", "priority"), "contacts": ("created_at", "name"),
             "invoices": ("created_at",)}
# The plugins a client may write to.
WRITABLE = ("tasks", "invoices")
# Columns holding JSON text (arrays, nested objects), per table.
JSON_COLUMNS = {"tasks": ("labels", "checklist"), "contacts": (), "invoices": ("lines", "billing", "tags")}
# Who may see a row: its tenant, or the tenant that created it (see the module's docstring).
VISIBLE = "(tenant_id = ? OR created_by = ?)"


def stamp(moment: datetime) -> str:
    """The stored form: ISO 8601 in UTC with Z, so text order is time order (created_after compares text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> str:
    return stamp(datetime.now(UTC))


def encode(table: str, row: dict[str, Any]) -> dict[str, Any]:
    return {k: json.dumps(v) if k in JSON_COLUMNS[table] else v for k, v in row.items()}


def decode(table: str, row: dict[str, Any]) -> dict[str, Any]:
    return {k: json.loads(v) if k in JSON_COLUMNS[table] and isinstance(v, str) else v for k, v in row.items()}


class DatabaseError(Exception):
    """A query failed (sqlite3.Error, or a value sqlite cannot bind): errors.py answers 500."""


@dataclass(frozen=True)
class ApiKey:
    key: str
    tenant_id: int
    per_minute: int
    per_hour: int


@dataclass
class Query:
    """One list query: the table, the conditions (SQL with ? placeholders and their values), the order."""

    table: str
    tenant_id: int | None  # None: every tenant's rows (only a breaker asks for that)
    where: list[tuple[str, Sequence[Any]]] = field(default_factory=list)
    order: str = "created_at"
    descending: bool = True

    def filter(self, sql: str, *values: Any) -> Query:
        self.where.append((sql, values))
        return self


class Database:
    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:", check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.lock = threading.Lock()
        self.conn.executescript(SCHEMA)

    def execute(self, sql: str, values: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            with self.lock:
                return [dict(row) for row in self.conn.execute(sql, values).fetchall()]
        except (sqlite3.Error, OverflowError) as exc:
            # OverflowError: "Python int too large to convert to SQLite INTEGER", raised while binding.
            raise DatabaseError(str(exc)) from exc

    def insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if table in TABLES:
            rows = [encode(table, row) for row in rows]
        columns = list(rows[0])
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        with self.lock, self.conn:
            self.conn.executemany(sql, [[row[c] for c in columns] for row in rows])

    def find_key(self, raw: str) -> ApiKey | None:
        found = self.execute("SELECT key, tenant_id, per_minute, per_hour FROM api_keys WHERE key = ?", (raw,))
        return ApiKey(**found[0]) if found else None

    def tenant_by_slug(self, slug: str) -> int | None:
        found = self.execute("SELECT id FROM tenants WHERE slug = ?", (slug,))
        return int(found[0]["id"]) if found else None

    def page(self, query: Query, limit: int | None, offset: int) -> tuple[int, list[dict[str, Any]]]:
        """(count of every matching row, the rows of the page). limit None: every row from offset on.

        `offset` goes to sqlite as it is: the endpoints' validators bound it (settings.SQLITE_MAX_INT).
        """
        assert query.table in TABLES and query.order in ORDERABLE[query.table]
        conditions = list(query.where)
        if query.tenant_id is not None:
            conditions.insert(0, (VISIBLE, (query.tenant_id, query.tenant_id)))
        where = " AND ".join(f"({sql})" for sql, _ in conditions) or "1"
        values = [v for _, vs in conditions for v in vs]
        count = int(self.execute(f"SELECT COUNT(*) AS n FROM {query.table} WHERE {where}", values)[0]["n"])
        direction = "DESC" if query.descending else "ASC"
        # id breaks ties, so that pages of equal sort values never overlap or skip a row.
        rows = self.execute(
            f"SELECT * FROM {query.table} WHERE {where} ORDER BY {query.order} {direction}, id {direction} "
            "LIMIT ? OFFSET ?", [*values, -1 if limit is None else limit, offset])
        return count, [decode(query.table, row) for row in rows]

    def get(self, table: str, ident: int, tenant_id: int | None) -> dict[str, Any] | None:
        """One row by id, visible to that tenant (None: of any tenant)."""
        assert table in TABLES
        if tenant_id is None:
            found = self.execute(f"SELECT * FROM {table} WHERE id = ?", (ident,))
        else:
            found = self.execute(f"SELECT * FROM {table} WHERE id = ? AND {VISIBLE}", (ident, tenant_id, tenant_id))
        return decode(table, found[0]) if found else None

    # -- writes ----------------------------------------------------------------------------------
    def create(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        """Insert one row (its JSON columns encoded); the row as stored, with its new id."""
        assert table in WRITABLE
        encoded = encode(table, row)
        columns = list(encoded)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        try:
            with self.lock, self.conn:
                ident = self.conn.execute(sql, [encoded[c] for c in columns]).lastrowid
        except (sqlite3.Error, OverflowError) as exc:
            raise DatabaseError(str(exc)) from exc
        assert ident is not None
        made = self.get(table, ident, None)
        assert made is not None
        return made

    def update(self, table: str, ident: int, tenant_id: int | None, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Set `changes` on the row visible to the tenant (None: any tenant's); the row after, or None."""
        assert table in WRITABLE and "id" not in changes and "tenant_id" not in changes
        encoded = encode(table, changes)
        scope, values = ("", []) if tenant_id is None else (f" AND {VISIBLE}", [tenant_id, tenant_id])
        sql = f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in encoded)} WHERE id = ?{scope}"
        try:
            with self.lock, self.conn:
                changed = self.conn.execute(sql, [*encoded.values(), ident, *values]).rowcount
        except (sqlite3.Error, OverflowError) as exc:
            raise DatabaseError(str(exc)) from exc
        return self.get(table, ident, None) if changed else None

    def delete(self, table: str, ident: int, tenant_id: int | None) -> bool:
        """Delete the row visible to the tenant (None: any tenant's); whether there was one."""
        assert table in WRITABLE
        scope, values = ("", []) if tenant_id is None else (f" AND {VISIBLE}", [tenant_id, tenant_id])
        try:
            with self.lock, self.conn:
                return self.conn.execute(f"DELETE FROM {table} WHERE id = ?{scope}", [ident, *values]).rowcount > 0
        except (sqlite3.Error, OverflowError) as exc:
            raise DatabaseError(str(exc)) from exc
