"""One Blueprint factory per API module; each takes the process's Behaviour and the data set.

Factories rather than module-level Blueprint objects: a breaker changes how a module registers
its routes and handlers (a catch-all-method route, a blueprint-local 404 handler), and each app
the factory builds gets blueprints of its own.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint

from ..behaviour import Behaviour
from ..data import DataSet
from . import events, example, orders, stats, widgets

BlueprintFactory = Callable[[Behaviour, DataSet], Blueprint]

FACTORIES: tuple[BlueprintFactory, ...] = (
    example.create_blueprint,
    widgets.create_blueprint,
    orders.create_blueprint,
    stats.create_blueprint,
    events.create_blueprint,
)
