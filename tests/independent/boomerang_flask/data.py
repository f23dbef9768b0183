"""The deployment's fixed data set: the same items in the same order in every process.

Times are fixed epoch milliseconds (not "now"), so two identical GETs return identical resource
data (the events module's envelope metadata, generated_at, is the one "now": not resource data).
Widgets outnumber the 100-item page cap (160 of them): a limit above 100 that is honoured shows
as a page of more than 100 items, so BMR-PAGINATION-LIMIT@widgets is visible. Orders are 53, a
prime: ceil and floor of 53/limit differ for every limit from 2 to 52 and above 53, so a
total_pages computed by floor division (BMR-PAGINATION-TRAVERSAL@orders:floor) shows at the
defaults (20) and at whatever limit a client walks with. Events are 347 (prime too), more than
three full pages of 100: a list that long is not always walked to its end, so only fetching its
last page directly shows what that page says (BMR-PAGINATION-TRAVERSAL@events).
"""

from __future__ import annotations

from typing import Any

EPOCH_MS_BASE = 1_763_205_835_591  # the document's example created_at
MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

EXAMPLE_COUNT = 45
WIDGET_COUNT = 160
ORDER_COUNT = 53
EVENT_COUNT = 347

COLORS = ("red", "green", "blue")
ORDER_STATUSES = ("open", "shipped", "cancelled")
EVENT_TYPES = ("widget.updated", "order.created", "order.shipped", "order.cancelled")
GENERATED_AT = EPOCH_MS_BASE + 15 * MINUTE_MS  # when the stats "snapshot" was taken: fixed


def example_resources() -> list[dict[str, Any]]:
    # example-1 is the document's own example, field for field; the others are older.
    return [{"id": f"example-{n}", "name": "Example Resource" if n == 1 else f"Example Resource {n}",
             "created_at": EPOCH_MS_BASE - (n - 1) * HOUR_MS}
            for n in range(1, EXAMPLE_COUNT + 1)]


def widgets() -> list[dict[str, Any]]:
    out = []
    for n in range(1, WIDGET_COUNT + 1):
        created = EPOCH_MS_BASE - (WIDGET_COUNT - n) * DAY_MS
        out.append({
            "id": f"wdg_{n:03d}",
            "name": f"Widget {n}",
            "color": COLORS[(n - 1) % len(COLORS)],
            "size_mm": 10 + (n * 7) % 90,
            "price_cents": 199 + (n * 37) % 5000,
            "created_at": created,
            "updated_at": created + (n % 9) * HOUR_MS,
        })
    return out


def orders(widget_ids: list[str]) -> list[dict[str, Any]]:
    out = []
    for n in range(1, ORDER_COUNT + 1):
        created = EPOCH_MS_BASE - (ORDER_COUNT - n) * 6 * HOUR_MS
        quantity = 1 + n % 4
        out.append({
            "id": f"ord_{n:03d}",
            "status": ORDER_STATUSES[(n * 2) % len(ORDER_STATUSES)],
            "widget_id": widget_ids[(n * 11) % len(widget_ids)],
            "quantity": quantity,
            "total_cents": quantity * (250 + (n * 53) % 3000),
            "created_at": created,
            "updated_at": created + (1 + n % 5) * 17 * MINUTE_MS,
        })
    return out


def events(widget_ids: list[str], order_ids: list[str]) -> list[dict[str, Any]]:
    # An activity feed, oldest first, every 37 minutes; each event names a widget or an order.
    out = []
    for n in range(1, EVENT_COUNT + 1):
        kind = EVENT_TYPES[(n * 3) % len(EVENT_TYPES)]
        subjects = widget_ids if kind.startswith("widget.") else order_ids
        out.append({
            "id": f"evt_{n:04d}",
            "type": kind,
            "subject_id": subjects[(n * 13) % len(subjects)],
            "occurred_at": EPOCH_MS_BASE - (EVENT_COUNT - n) * 37 * MINUTE_MS,
        })
    return out


class DataSet:
    """Every module's items, in id order, with lookups by id. Built once per app, never changed."""

    def __init__(self) -> None:
        self.examples = example_resources()
        self.widgets = widgets()
        self.orders = orders([w["id"] for w in self.widgets])
        self.events = events([w["id"] for w in self.widgets], [o["id"] for o in self.orders])
        self.examples_by_id = {r["id"]: r for r in self.examples}
        self.widgets_by_id = {w["id"]: w for w in self.widgets}
        self.orders_by_id = {o["id"]: o for o in self.orders}
        self.events_by_id = {e["id"]: e for e in self.events}

    def summary(self) -> dict[str, Any]:
        by_status = {s: sum(1 for o in self.orders if o["status"] == s) for s in ORDER_STATUSES}
        return {
            "example_resources": len(self.examples),
            "widgets": len(self.widgets),
            "orders": len(self.orders),
            "orders_open": by_status["open"],
            "orders_shipped": by_status["shipped"],
            "orders_cancelled": by_status["cancelled"],
            "revenue_cents": sum(o["total_cents"] for o in self.orders if o["status"] != "cancelled"),
            "generated_at": GENERATED_AT,
        }
