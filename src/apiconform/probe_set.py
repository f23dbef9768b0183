"""The named requests of one endpoint, sent once per run and shared by every rule that reads them.

Every endpoint of the deployment's surface gets one probe set of its profile
(profiles/<profile>/probes.py): a plain GET, pages, a walk, the key sent each way, tenant B's
view, and so on, each with a name. A rule's test asks for the probes it needs; the first rule
to ask sends the request, the others read the same exchange. That is how a list is held to
every rule of its kind for about 30 requests (bench/endpoints.py measures it), and why the
cost of an endpoint is kept low by sharing, never by judging some endpoints less.
"""

from __future__ import annotations

from typing import Any

from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.surface import Endpoint


def unreached(endpoint: Endpoint, ex: Exchange) -> Incomplete:
    """A 404 to the endpoint's plain GET: that endpoint is not judged (`error` there). Whether the
    base URL is to blame is settled over the whole run (coverage.settle_evidence): only when
    nothing answered but 404."""
    return Incomplete(f"{endpoint.label} answered 404 to a plain GET: nothing there was judged (is the path "
                      "served under this base URL?)", ex)


class EndpointProbes:
    """The named requests of one endpoint, each sent once per run and shared by the rules."""

    def __init__(self, ctx: Context, endpoint: Endpoint) -> None:
        self.ctx, self.endpoint = ctx, endpoint
        self._sent: dict[str, Exchange] = {}
        self._path: str | None = None

    # -- where and how ------------------------------------------------------------------
    @property
    def path(self) -> str:
        """The endpoint's path with real values in its parameters (Incomplete when none is known)."""
        if self._path is None:
            self._path = self.endpoint.fill(self.path_values())
        return self._path

    def path_values(self) -> dict[str, str]:
        surface = self.ctx.surface()
        if self.endpoint.parent and not surface.seen_ids.get(self.endpoint.parent):
            parent = surface.find(self.endpoint.parent)
            if parent is not None and parent.kind == "list":
                self.ids_for_path(parent)
        values, why = surface.path_values(self.endpoint)
        if why:
            raise Incomplete(f"{self.endpoint.label} cannot be called: {why}")
        return values

    def query(self, **values: Any) -> dict[str, Any]:
        required, why = self.ctx.surface().required_query(self.endpoint)
        if why:
            raise Incomplete(f"{self.endpoint.label} cannot be called: {why}")
        return {**required, **self.ctx.params(**values)}

    def send(self, name: str, note: str, *, auth: str | None = "primary", path: str | None = None,
             method: str = "GET", **kwargs: Any) -> Exchange:
        """The probe `name`: sent the first time it is asked for, the same exchange after."""
        if name not in self._sent:
            self._sent[name] = self.ctx.request(method, path or self.path, auth=auth,
                                                note=f"{self.endpoint.label}: {note}", **kwargs)
        return self._sent[name]

    def ids_for_path(self, parent: Endpoint) -> None:
        """Fetch the parent list once, so that its ids fill this endpoint's path parameter."""

    def default(self) -> Exchange:
        """A plain GET (no query beyond what the endpoint requires): Incomplete on a 404."""
        ex = self.send("default", "plain GET", params=self.query())
        if ex.status == 404:
            raise unreached(self.endpoint, ex)
        return ex


def probes(ctx: Context, endpoint: Endpoint, kind: type[EndpointProbes]) -> Any:
    """The one probe set of `endpoint` in this run."""
    known = ctx.endpoint_probes.get(endpoint.template)
    if not isinstance(known, kind):
        known = ctx.endpoint_probes[endpoint.template] = kind(ctx, endpoint)
    return known
