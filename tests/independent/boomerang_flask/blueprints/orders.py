"""The `orders` module.

    GET /v1/orders?page=&limit=&status=open|shipped|cancelled&created_after=<epoch ms>   paginated
    GET /v1/orders/{order_id}                                                          non-paginated

Breakers here: BMR-TIMESTAMPS-EPOCH-MS, BMR-MALFORMED-QUERY, BMR-NO-5XX, BMR-PAGINATION-LIMIT and
BMR-PAGINATION-TRAVERSAL in this file, each @orders, and BMR-PAGINATION-TRAVERSAL@orders:floor;
BMR-CONTENT-TYPE-REJECTED@orders and BMR-AUTH-INVALID@orders live in the app's request hooks.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from ..behaviour import Behaviour
from ..data import ORDER_STATUSES, DataSet
from ..errors import ResourceNotFound
from ..pagination import page_of
from ..queries import INT64_MAX, choice, integer, page_request
from ..responses import json_response

NAME = "orders"
TIME_FIELDS = ("created_at", "updated_at")


def create_blueprint(behaviour: Behaviour, data: DataSet) -> Blueprint:
    bp = Blueprint(NAME, __name__, url_prefix="/v1/orders")

    def breaks(rule: str, variant: str | None = None) -> bool:
        return behaviour.breaks(rule, NAME, variant)

    def serialise(order: dict[str, Any]) -> dict[str, Any]:
        if breaks("BMR-TIMESTAMPS-EPOCH-MS"):
            # A serializer that emits Unix time as most languages' defaults do: whole seconds.
            return {k: v // 1000 if k in TIME_FIELDS else v for k, v in order.items()}
        return order

    @bp.get("")
    def list_orders() -> Response:
        window = page_request(malformed_as_default=breaks("BMR-MALFORMED-QUERY"),
                              int64_window=breaks("BMR-NO-5XX"),
                              min_limit=0 if breaks("BMR-PAGINATION-LIMIT") else 1)
        status = choice("status", ORDER_STATUSES)
        # Epoch milliseconds, like every time in this API; int64 like the field it compares with.
        created_after = integer("created_after", -1, 0, INT64_MAX)
        items = [serialise(o) for o in data.orders
                 if (status is None or o["status"] == status) and o["created_at"] > created_after]
        return json_response(page_of(items, window, start_one_early=breaks("BMR-PAGINATION-TRAVERSAL"),
                                     floor_total_pages=breaks("BMR-PAGINATION-TRAVERSAL", "floor")))

    @bp.get("/<order_id>")
    def get_order(order_id: str) -> Response:
        order = data.orders_by_id.get(order_id)
        if order is None:
            raise ResourceNotFound("no such order", {"order_id": order_id})
        return json_response({"data": serialise(order)})

    return bp
