"""Every rule on every endpoint it applies to, within a budget.

The first endpoint of a kind (the configured list, item, example endpoints) is examined deeply
by the suites' own tests; every further one the deployment's surface holds (surface.py) is held
to the same rules with a bounded number of requests, shared between the rules through named,
typed probes (breadth_booga.py, breadth_boomerang.py): on average at most 20 for a list and 10
for any other endpoint.

`each_endpoint` runs one rule's judgement over those endpoints and settles the rule once all
were tried: a violation on any endpoint fails it (naming each endpoint where it failed), an
endpoint that could not be judged (budget spent, every request 404, data missing) makes it
`error` unless one failed, and an endpoint where the property cannot show with the data it
holds is reported as not judged there, with why. Each endpoint's outcome is recorded in
`ctx.endpoint_outcomes`, from which the report's per-rule endpoints and its coverage table
are built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from apiconform.context import Context
from apiconform.errors import Incomplete, RuleViolation
from apiconform.exchange import Exchange
from apiconform.surface import Endpoint

# Said when the configured (first) endpoint of a kind is the only one the surface holds.
MAX_REASONS = 3  # endpoints named in one rule's reason; the report's endpoint table has them all


@dataclass(frozen=True)
class EndpointOutcome:
    verdict: str  # pass | fail | error | skip (not observable with the data the endpoint holds)
    reason: str = ""


def unreached(endpoint: Endpoint, ex: Exchange, base_url: str) -> Incomplete:
    """A 404 to the endpoint's plain GET: the path or the base URL is wrong, not the target."""
    return Incomplete(f"{endpoint.label} answered 404 to a plain GET: check the base URL ({base_url}) and the "
                      "path (a gateway prefix belongs in --base-url); nothing there was judged", ex)


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
            surface = self.ctx.surface()
            if self.endpoint.parent and not surface.seen_ids.get(self.endpoint.parent):
                parent = surface.find(self.endpoint.parent)
                if parent is not None and parent.kind == "list":
                    self.ids_for_path(parent)
            values, why = surface.path_values(self.endpoint)
            if why:
                raise Incomplete(f"{self.endpoint.label} cannot be called: {why}")
            self._path = self.endpoint.fill(values)
        return self._path

    def query(self, **values: Any) -> dict[str, Any]:
        required, why = self.ctx.surface().required_query(self.endpoint)
        if why:
            raise Incomplete(f"{self.endpoint.label} cannot be called: {why}")
        return {**required, **self.ctx.params(**values)}

    def send(self, name: str, note: str, *, auth: str | None = "primary", path: str | None = None,
             method: str = "GET", **kwargs: Any) -> Exchange:
        """The probe `name`: sent the first time it is asked for, read back (and used) after."""
        if name in self._sent:
            self.ctx.use(self._sent[name])
            return self._sent[name]
        ex = self.ctx.request(method, path or self.path, auth=auth, note=f"{self.endpoint.label}: {note}", **kwargs)
        self._sent[name] = ex
        return ex

    def ids_for_path(self, parent: Endpoint) -> None:
        """Fetch the parent list once, so its ids fill this endpoint's path parameter."""

    def default(self) -> Exchange:
        """A plain GET (no query beyond what the endpoint requires): Incomplete on a 404."""
        ex = self.send("default", "plain GET", params=self.query())
        if ex.status == 404:
            raise unreached(self.endpoint, ex, self.ctx.client.base_url)
        return ex


def each_endpoint(ctx: Context, endpoints: Iterable[Endpoint], judge: Callable[[Endpoint], str | None]) -> None:
    """Run `judge` on every endpoint (it returns None when it judged the endpoint, or why the
    property is not observable there), then settle the rule from every endpoint's outcome."""
    failures: list[tuple[Endpoint, RuleViolation]] = []
    errors: list[tuple[Endpoint, Incomplete]] = []
    for endpoint in endpoints:
        if ctx.client.budget.exhausted or ctx.client.stopped:
            why = f"request budget of {ctx.client.budget.limit} spent" if ctx.client.budget.exhausted \
                else str(ctx.client.stopped)
            errors.append((endpoint, Incomplete(f"{endpoint.label} not reached: {why}")))
            ctx.endpoint_outcomes[endpoint.label] = EndpointOutcome("error", f"not reached: {why}")
            continue
        try:
            unobservable = judge(endpoint)
        except RuleViolation as exc:
            failures.append((endpoint, exc))
            ctx.endpoint_outcomes[endpoint.label] = EndpointOutcome("fail", _first_line(exc))
        except Incomplete as exc:
            errors.append((endpoint, exc))
            ctx.endpoint_outcomes[endpoint.label] = EndpointOutcome("error", _first_line(exc))
        else:
            ctx.endpoint_outcomes[endpoint.label] = EndpointOutcome(
                "skip" if unobservable else "pass", unobservable or "")
            if unobservable:
                ctx.note(f"{endpoint.label}: not judged: {unobservable}")
    if failures:
        named = "; ".join(f"{e.label}: {_first_line(exc)}" for e, exc in failures[:MAX_REASONS])
        more = f" (and {len(failures) - MAX_REASONS} more endpoints)" if len(failures) > MAX_REASONS else ""
        exchanges = [ex for _, exc in failures for ex in exc.exchanges[:1]]
        raise RuleViolation(f"fails on {len(failures)} endpoint{'s' * (len(failures) > 1)}: {named}{more}",
                            exchanges)
    if errors:
        named = "; ".join(f"{e.label}: {_first_line(exc)}" for e, exc in errors[:MAX_REASONS])
        raise Incomplete(f"not judged on {len(errors)} endpoint{'s' * (len(errors) > 1)}: {named}",
                         *[ex for _, exc in errors for ex in exc.exchanges[:1]])


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
