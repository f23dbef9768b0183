"""The object a conformance test receives as `ctx`: the target, its client and credentials,
and the verbs a test uses to send requests and to state violations.

    @pytest.mark.rule("BMR-AUTH-MISSING")
    def test_missing_token_is_rejected(ctx):
        ex = ctx.get(ctx.target.path("resource"), auth=None)
        ctx.expect(ex.status == 401, f"expected 401, got {ex.status}", ex)
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from apiconform import checks
from apiconform.catalog import REQUIREMENTS, Catalog, Rule
from apiconform.client import Client, Credential
from apiconform.errors import Incomplete, RuleViolation
from apiconform.exchange import Exchange
from apiconform.redact import REDACTOR
from apiconform.surface import Endpoint, Surface
from apiconform.target import TargetConfig


@dataclass
class Context:
    profile: str
    target: TargetConfig
    client: Client
    catalog: Catalog
    seed: int
    credentials: dict[str, Credential] = field(default_factory=dict)
    embedded: bool = False
    mutant: str | None = None
    rule: Rule | None = None  # the rule of the test now running
    notes: list[str] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)
    cache: dict[str, Any] = field(default_factory=dict)  # shared probes (e.g. a full traversal)
    # How the primary credential is sent by default: "bearer" or "api-key". A Booga run switches
    # to X-API-Key when Bearer is refused, so one broken way of authenticating fails its own
    # rule and not every other (probes_booga.choose_auth_style).
    auth_style: str = "bearer"
    # The endpoint the running test item judges (one item per rule and endpoint), None for a
    # rule about the deployment as a whole.
    endpoint: Endpoint | None = None
    # Exchanges a check of the running rule evaluated (ctx.expect / ctx.check / ctx.fail / ctx.judge
    # name them): what `judged` counts, and where the rule is reported as judged. A probe the test
    # only read (a page whose ids it compared against, say) is named by the check that used it.
    judged: list[Exchange] = field(default_factory=list)
    # The shared probes of each endpoint, by template (profiles/<profile>/probes.py): each named
    # request is sent once per run, whichever rule asks for it first.
    endpoint_probes: dict[str, Any] = field(default_factory=dict)
    _surface: Surface | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"<Context {self.profile} {self.client.base_url} seed={self.seed}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # hypothesis pretty-prints a test's arguments for every explicit @example; walked field
        # by field, the run's cache of exchanges cost most of a second a run.
        printer.text(repr(self))

    # -- what the deployment offers --------------------------------------------------
    def surface(self) -> Surface:
        """Every GET endpoint of the deployment, classified (surface.py), found once per run."""
        if self._surface is None:
            from apiconform import discovery

            build = discovery.booga_surface if self.profile == "booga" else discovery.boomerang_surface
            self._surface = build(self)
        return self._surface

    @property
    def known_surface(self) -> Surface | None:
        """The surface if the run has found it already (nothing is sent to find it)."""
        return self._surface

    def judge(self, *exchanges: Exchange | None) -> None:
        """Say that the running rule evaluated these exchanges (what `judged` counts)."""
        for ex in exchanges:
            if ex is not None and all(ex is not other for other in self.judged):
                self.judged.append(ex)

    # -- what the run may do -------------------------------------------------------
    @property
    def https(self) -> bool:
        return self.client.base_url.startswith("https://")

    @property
    def allow_writes(self) -> bool:
        return self.target.allow_writes

    @property
    def exhaust_rate_limit(self) -> bool:
        return self.target.exhaust_rate_limit

    def has(self, need: str) -> bool:
        if need == "https":
            return self.https
        if need == "token_b":
            return "b" in self.credentials
        if need == "writes":
            return self.allow_writes
        if need == "exhaust":
            return self.exhaust_rate_limit
        if need == "scoped_key":
            return "scoped" in self.credentials
        raise ValueError(f"unknown requirement {need!r}")

    def require(self, *needs: str) -> None:
        """Skip the running test, with the reason, unless every need is met."""
        for need in needs:
            if not self.has(need):
                pytest.skip(REQUIREMENTS[need])

    # -- sending -------------------------------------------------------------------
    def credential(self, auth: str | None) -> Credential | None:
        if auth is None:
            return None
        if auth not in self.credentials:
            pytest.skip(f"no credential {auth!r} configured")
        return self.credentials[auth]

    def request(self, method: str, path_or_url: str, *, auth: str | None = "primary",
                **kwargs: Any) -> Exchange:
        kwargs.setdefault("auth_style", self.auth_style)
        return self.client.request(method, path_or_url, credential=self.credential(auth), **kwargs)

    def get(self, path_or_url: str, *, auth: str | None = "primary", **kwargs: Any) -> Exchange:
        return self.request("GET", path_or_url, auth=auth, **kwargs)

    # -- verdicts ------------------------------------------------------------------
    def fail(self, message: str, *exchanges: Exchange) -> None:
        self.judge(*exchanges)
        raise RuleViolation(self.format_failure(message, exchanges), list(exchanges))

    def expect(self, condition: object, message: str, *exchanges: Exchange) -> None:
        self.judge(*exchanges)
        if not condition:
            self.fail(message, *exchanges)

    def check(self, exchange: Exchange, rule_id: str | None = None, where: str = "") -> None:
        """Hold one exchange to every registered check of the rule (default: the running one);
        `where` leads the failure's message (a path that is no endpoint of the surface, say)."""
        rid = rule_id or (self.rule.id if self.rule else "")
        with checks.configured(self.target.settings, self._surface):
            found = checks.findings(rid, exchange)
        for remark in (m for m in found if isinstance(m, checks.Remark)):
            self.note(remark)
        problems = [m for m in found if not isinstance(m, checks.Remark | checks.Unjudged)]
        if problems:
            self.fail((f"{where}: " if where else "") + "; ".join(problems), exchange)
        for limited in (m for m in found if isinstance(m, checks.Unjudged)):
            raise Incomplete(REDACTOR.text(limited), exchange)  # the kit's own limit: `error`
        if rid == (self.rule.id if self.rule else "") and checks.applies(rid, exchange):
            self.judge(exchange)

    def note(self, message: str) -> None:
        """A remark for the report (e.g. a recommendation not followed): never a failure."""
        if message not in self.notes:
            self.notes.append(message)

    def format_failure(self, message: str, exchanges: tuple[Exchange, ...] | list[Exchange]) -> str:
        lines = [REDACTOR.text(message)]
        if self.rule is not None:
            lines.append(f'rule {self.rule.id} ({self.rule.section}): "{self.rule.clause}"')
        for ex in list(exchanges)[:2]:
            lines.append(ex.describe())
        return "\n".join(lines)

    def params(self, **values: Any) -> dict[str, Any]:
        """Query parameters by their logical names, renamed as the target file says."""
        names: Mapping[str, str] = self.target.settings.get("params", {})
        return {names.get(k, k): v for k, v in values.items() if v is not None}
