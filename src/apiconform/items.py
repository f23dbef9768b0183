"""One test item per rule and endpoint: the deployment's surface parametrizes the suites.

A conformance test about one kind of endpoint says so and takes the endpoint as an argument:

    @pytest.mark.rule("BGA-LIST-LIMIT-INVALID")
    @pytest.mark.endpoints("list")
    def test_bad_limits_stay_in_range(ctx, endpoint): ...

At collection the plugin finds the deployment's surface (its OpenAPI document, else the
documents' defaults: discovery.py) and makes one item per endpoint of that kind
(`test_bad_limits_stay_in_range[/api/tasks/]`). Kinds: `list`, `single`, `other`, `any` (every
endpoint). A test without the marker is about the deployment as a whole.

Each item's outcome is the rule's judgment on that endpoint; the rule's verdict is their
settlement (results.RuleResult.settle). An item that finds the property cannot show with the
data its endpoint holds calls `unobservable(why)`: a skip there, and an `error` for the rule
when no endpoint could show it (the evidence it needs never came).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from _pytest.outcomes import Skipped

from apiconform.errors import Incomplete
from apiconform.surface import KIND_WORDS, Endpoint, Surface

if TYPE_CHECKING:
    from apiconform.context import Context

ARG = "endpoint"
KINDS = ("list", "single", "other", "any", "writable")


class Unobservable(Skipped):
    """The property cannot show on this endpoint with the data it holds (a list of 5 for the
    default limit of 20): a skip there; the rule is `error` if no endpoint could show it."""


def unobservable(why: str) -> NoReturn:
    raise Unobservable(why)


@dataclass(frozen=True)
class NoEndpoint:
    """The one item of a per-endpoint test whose kind the surface does not hold (a `skip`: the
    deployment has nothing the rule applies to), or whose surface is unknown (an `error`)."""
    why: str
    verdict: str  # "skip" or "error"

    def __str__(self) -> str:
        return "none"


def kind_of(definition: Any) -> str | None:
    marker = definition.get_closest_marker("endpoints")
    if marker is None:
        return None
    kind = marker.args[0] if marker.args else "any"
    if kind not in KINDS:
        raise pytest.UsageError(f"{definition.nodeid}: @pytest.mark.endpoints({kind!r}): not one of {KINDS}")
    return str(kind)


def of_kind(surface: Surface, kind: str) -> list[Endpoint]:
    if kind == "writable":  # the lists of the writable resources (writable.py)
        collections = {w.collection for w in surface.writable}
        return [e for e in surface.of_kind("list") if e.template in collections]
    return list(surface.endpoints) if kind == "any" else surface.of_kind(kind)


def find_surface(context: Context) -> tuple[Surface | None, str]:
    """The surface, found once per run (at collection when a test is per endpoint, else by the first
    test's `ctx`): the run-level probes (how the key is sent, the OpenAPI document) are judged like
    every other exchange. Never raises: (None, why) when it cannot be found."""
    from apiconform.discovery import prepare

    why = ""
    if context.known_surface is None and not (context.client.budget.exhausted or context.client.stopped):
        try:
            prepare(context)
        except Incomplete as exc:
            why = str(exc)
        if context.known_surface is None:
            with contextlib.suppress(Incomplete):
                context.surface()
    if context.known_surface is None:
        why = why or (str(context.client.stopped) if context.client.stopped else "the target could not be reached")
    return context.known_surface, why


def parametrize(metafunc: pytest.Metafunc, context: Context | None, kind: str) -> None:
    """One item per endpoint of `kind` (ids are the endpoint labels), or one `NoEndpoint` item."""
    if context is None:  # not selected in this run (--rules): one placeholder, deselected later
        metafunc.parametrize(ARG, [NoEndpoint("not selected", "skip")], ids=["none"])
        return
    surface, why = find_surface(context)
    if surface is None:
        values: list[Any] = [NoEndpoint(f"the deployment's endpoints are unknown: {why}", "error")]
        metafunc.parametrize(ARG, values, ids=["none"])
        return
    endpoints = of_kind(surface, kind)
    if not endpoints:
        words = {"any": "endpoint", "writable": "writable resource (a list taking POST, its items PUT, PATCH or "
                 "DELETE)"}.get(kind) or KIND_WORDS[kind]
        metafunc.parametrize(ARG, [NoEndpoint(f"the deployment has no {words} endpoint ({surface.source})",
                                              "skip")], ids=["none"])
        return
    metafunc.parametrize(ARG, endpoints, ids=[e.label for e in endpoints])


def endpoint_of(item: pytest.Item) -> Endpoint | NoEndpoint | None:
    callspec = getattr(item, "callspec", None)
    value = callspec.params.get(ARG) if callspec is not None else None
    return value if isinstance(value, Endpoint | NoEndpoint) else None
