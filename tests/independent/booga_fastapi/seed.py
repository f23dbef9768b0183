"""Seed data: the same rows on every start (a fixed seed and a fixed calendar, no clock).

Tenant A: SEEDED tasks, contacts and invoices spread over six weeks, each created at a moment of
its own (distinct created_at values, so orderings have no ties between pages and created_after
has earlier and later rows on either side of any day). Tenant B: three of each, older than all of
A's and named "Partner ...", so a leak between tenants is plain in a listing.

The arrays and nested objects (a task's labels and checklist, an invoice's lines, billing and
tags) are drawn from a random generator of their own (`details`), so the rest of every row is
what it was before they existed. An invoice's lines add up to its amount_cents.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from . import KEY_A, KEY_B, SEEDED
from .db import Database, stamp
from .settings import Settings

END = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # tenant A's newest row is just before this
SPAN = timedelta(weeks=6)
TENANT_B_OFFSET = timedelta(weeks=7)  # tenant B's rows are older still

TASK_SUBJECTS = ["Review contract", "Prepare budget", "Call supplier", "Update roadmap", "Fix login bug",
                 "Plan offsite", "Write minutes", "Renew licence"]
TASK_STATUSES = ["open", "in_progress", "done"]
FIRST_NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
LAST_NAMES = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman",
              "Berners"]
COMPANIES = ["Acme Corp", "Globex", "Initech", "Umbrella Labs", "Stark Industries", None]
CUSTOMERS = ["Acme Corp", "Globex", "Initech", "Umbrella Labs", "Stark Industries", "Wayne Enterprises"]
CURRENCIES = ["EUR", "USD", "GBP"]
LABELS = ["urgent", "finance", "legal", "ops", "customer", "q1"]
CHECKLIST = ["Draft", "Review", "Sign off", "Send", "Archive"]
LINE_ITEMS = ["Consulting", "Licence", "Support plan", "Training day", "Travel", "Hosting"]
CITIES = {"EUR": [("Berlin", "DE"), ("Paris", "FR"), ("Dublin", "IE")], "USD": [("New York", "US"), ("Austin", "US")],
          "GBP": [("London", "GB"), ("Leeds", "GB")]}


def moments(rng: random.Random, count: int, end: datetime) -> list[datetime]:
    """`count` distinct moments over SPAN up to `end`, oldest first (each step is longer than the jitter)."""
    step = SPAN / max(count, 1)
    jitter = int(min(step.total_seconds() / 2, 3600))
    return [end - SPAN + step * n + timedelta(seconds=rng.randrange(0, max(jitter, 1))) for n in range(count)]


def tasks(rng: random.Random, tenant_id: int, count: int, end: datetime, prefix: str = "") -> list[dict[str, Any]]:
    rows = []
    for n, created in enumerate(moments(rng, count, end)):
        # The first three cycle through every status, so a filter by any of them finds something.
        status = TASK_STATUSES[n] if n < len(TASK_STATUSES) else rng.choice(TASK_STATUSES)
        due: date | None = (created + timedelta(days=rng.randrange(3, 30))).date() if rng.random() < 0.7 else None
        updated = created + timedelta(hours=rng.randrange(0, 48))
        rows.append({"tenant_id": tenant_id, "title": f"{prefix}{rng.choice(TASK_SUBJECTS)} #{n + 1:03d}",
                     "status": status, "priority": rng.randrange(1, 6), "due_date": due.isoformat() if due else None,
                     "created_at": stamp(created), "updated_at": stamp(updated)})
    return rows


def contacts(rng: random.Random, tenant_id: int, count: int, end: datetime, prefix: str = "") -> list[dict[str, Any]]:
    rows = []
    for n, created in enumerate(moments(rng, count, end)):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = rng.choice(COMPANIES)
        domain = (company or "example").lower().replace(" ", "") + ".com"
        rows.append({"tenant_id": tenant_id, "name": f"{prefix}{first} {last}",
                     "email": f"{first.lower()}.{last.lower()}{n + 1}@{domain}", "company": company,
                     "phone": f"+44 20 7946 {rng.randrange(0, 10_000):04d}" if rng.random() < 0.6 else None,
                     "created_at": stamp(created), "updated_at": stamp(created)})
    return rows


def invoices(rng: random.Random, tenant_id: int, count: int, end: datetime, prefix: str = "") -> list[dict[str, Any]]:
    rows = []
    for n, created in enumerate(moments(rng, count, end)):
        status = rng.choice(["draft", "sent", "paid", "paid", "void"])
        # Paid invoices were updated when paid, days to weeks after they were created.
        paid = created + timedelta(days=rng.randrange(2, 40)) if status == "paid" else None
        rows.append({"tenant_id": tenant_id, "number": f"{prefix}INV-{created.year}-{n + 1:04d}",
                     "customer_name": rng.choice(CUSTOMERS), "amount_cents": rng.randrange(1_000, 5_000_000),
                     "currency": rng.choice(CURRENCIES), "status": status, "paid_at": stamp(paid) if paid else None,
                     "created_at": stamp(created), "updated_at": stamp(paid or created)})
    return rows


def task_details(rng: random.Random, row: dict[str, Any]) -> dict[str, Any]:
    checklist = [{"text": text, "done": rng.random() < 0.5} for text in rng.sample(CHECKLIST, rng.randrange(0, 4))]
    return {**row, "labels": rng.sample(LABELS, rng.randrange(0, 3)), "checklist": checklist}


def invoice_details(rng: random.Random, row: dict[str, Any]) -> dict[str, Any]:
    """Lines adding up to the amount (the last takes the rest), billing in a city of its currency."""
    amount, count = row["amount_cents"], rng.randrange(1, 4)
    cuts = sorted(rng.sample(range(1, amount), count - 1))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, amount], strict=True)]
    lines = [{"description": rng.choice(LINE_ITEMS), "quantity": 1, "unit_price": cents / 100} for cents in parts]
    city, country = rng.choice(CITIES[row["currency"]])
    billing = {"name": row["customer_name"], "address": {"city": city, "country": country}}
    return {**row, "lines": lines, "billing": billing, "tags": rng.sample(LABELS, rng.randrange(0, 3))}


def detailed(table: str, rng: random.Random, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with their arrays and nested objects, and created by their own tenant."""
    add = {"tasks": task_details, "invoices": invoice_details}.get(table)
    return [{**(add(rng, row) if add else row), "created_by": row["tenant_id"]} for row in rows]


def seed(db: Database, settings: Settings) -> None:
    rng = random.Random(20260302)
    details = random.Random(20260303)
    db.insert("tenants", [{"id": 1, "slug": "ta"}, {"id": 2, "slug": "tb"}])
    db.insert("api_keys", [{"key": key, "tenant_id": tenant, "per_minute": settings.per_minute,
                            "per_hour": settings.per_hour} for key, tenant in ((KEY_A, 1), (KEY_B, 2))])
    older = END - TENANT_B_OFFSET
    for table, make in (("tasks", tasks), ("contacts", contacts), ("invoices", invoices)):
        db.insert(table, detailed(table, details, make(rng, 1, SEEDED[table], END)))
        db.insert(table, detailed(table, details, make(rng, 2, 3, older, prefix="Partner ")))
