"""The deployment's fixed data set: the same items in the same order in every process.

Times are fixed epoch milliseconds (not "now"), so two identical GETs return identical bodies.
Widgets outnumber the 100-item page cap (160 of them): a limit above 100 that is honoured shows
as a page of more than 100 items, so BMR-PAGINATION-LIMIT@widgets is visible.
"""

from __future__ import annotations

from typing import Any

EPOCH_MS_BASE = 1_763_205_835_591  # the document's example created_at
MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

EXAMPLE_COUNT = 45
WIDGET_COUNT = 160
ORDER_COUNT = 55

COLORS = ("red", "green", "blue")
ORDER_STATUSES = ("open", "shipped", "cancelled")
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


class DataSet:
    """Every module's items, in id order, with lookups by id. Built once per app, never changed."""

    def __init__(self) -> None:
        self.examples = example_resources()
        self.widgets = widgets()
        self.orders = orders([w["id"] for w in self.widgets])
        self.examples_by_id = {r["id"]: r for r in self.examples}
        self.widgets_by_id = {w["id"]: w for w in self.widgets}
        self.orders_by_id = {o["id"]: o for o in self.orders}

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
