"""Rule results and run results: what the reports are built from."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from apiconform.catalog import Rule
from apiconform.exchange import Exchange

VERDICTS = ("pass", "fail", "skip", "error")
# A failing rule covered by a current waiver (waivers.py): reported as such, never as pass,
# but it does not fail the run.
WAIVED = "waived"
ALL_VERDICTS = (*VERDICTS, WAIVED)
# Worst first: a rule checked by several tests takes the worst of their verdicts.
_SEVERITY = {"fail": 3, "error": 2, "pass": 1, "skip": 0}
MAX_EVIDENCE = 4


MAX_NAMED = 3  # endpoints named in one rule's reason; report.json's `endpoints` has them all


@dataclass(frozen=True)
class EndpointOutcome:
    """How one rule fared on one endpoint: pass | fail | error | skip (the property cannot show
    there, or the endpoint does not offer what the rule is about), with why."""
    verdict: str
    reason: str = ""


@dataclass(frozen=True)
class Outcome:
    """One test item's verdict: one rule on one endpoint (`endpoint` None for a rule about the
    deployment as a whole)."""
    test: str
    verdict: str
    reason: str
    evidence: tuple[Exchange, ...] = ()
    endpoint: str | None = None
    unobservable: bool = False  # a skip because the data there cannot show the property


@dataclass
class RuleResult:
    rule: Rule
    verdict: str = "skip"
    reason: str = ""
    evidence: list[Exchange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    duration: float = 0.0
    requests: int = 0
    # How many exchanges the rule judged: those a check of this rule evaluated in its tests
    # (ctx.expect / ctx.check / ctx.fail name them), and every exchange of the run its
    # per-exchange checks apply to (each once; see `see`). Setup requests it only read are not.
    judged: int = 0
    # The waiver entry that matched this rule, if any: {rule, reason, expires, status} where
    # status is applied | expired | unused (see waivers.apply_waivers).
    waiver: dict[str, str] | None = None
    # Where it judged (report.json `endpoints`, coverage.py): every exchange it judged, those
    # that showed a violation, those that left it undecided, and the settled outcome on each
    # endpoint its tests were parametrized with (EndpointOutcome by endpoint label).
    seen: list[Exchange] = field(default_factory=list, repr=False)
    offending: list[Exchange] = field(default_factory=list, repr=False)
    inconclusive: list[Exchange] = field(default_factory=list, repr=False)
    endpoint_outcomes: dict[str, EndpointOutcome] = field(default_factory=dict)
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list, repr=False)
    _seen_ids: set[int] = field(default_factory=set, repr=False)

    def see(self, exchanges: Iterable[Exchange]) -> None:
        """Count exchanges as judged by this rule (each once, whichever test or check saw it)."""
        for ex in exchanges:
            if id(ex) not in self._seen_ids:
                self._seen_ids.add(id(ex))
                self.seen.append(ex)
        self.judged = len(self.seen)

    def add_outcome(self, test: str, verdict: str, reason: str, evidence: list[Exchange],
                    endpoint: str | None = None, unobservable: bool = False, settle: bool = True) -> None:
        """Record one test item's verdict and settle the rule again from all of them (`settle=False`:
        the caller settles once after the last, as the plugin does: a rule on 300 endpoints would
        otherwise be settled 300 times over)."""
        self.tests.append(test)
        self.outcomes.append(Outcome(test, verdict, reason, tuple(evidence), endpoint, unobservable))
        if endpoint is not None:
            known = self.endpoint_outcomes.get(endpoint)
            if known is None or _SEVERITY[verdict] > _SEVERITY[known.verdict]:
                self.endpoint_outcomes[endpoint] = EndpointOutcome(verdict, reason)
        if settle:
            self.settle()

    def settle(self) -> None:
        """The rule's verdict from its per-item outcomes alone (DESIGN.md, one settlement):
        `fail` if any endpoint violated it; else `error` if one that should have given evidence
        did not; else `pass` if it judged at least one (an endpoint where the property cannot
        show is said in a note); `skip` when no endpoint was applicable."""
        if not self.outcomes:
            return
        self.verdict = max((o.verdict for o in self.outcomes), key=lambda v: _SEVERITY[v])
        chosen = [o for o in self.outcomes if o.verdict == self.verdict]
        self.reason = _settled_reason(self.verdict, chosen, len({o.endpoint for o in self.outcomes}))
        unseen = [o for o in self.outcomes if o.unobservable]
        if self.verdict == "skip" and unseen:
            # Applicable, but no endpoint's data could show the property: the evidence it needs
            # never came (DESIGN.md), which is `error`, naming the data, never `skip` or `pass`.
            self.verdict, chosen = "error", unseen
            named = "; ".join(f"{o.endpoint or 'the deployment'}: {_first_line(o.reason)}"
                              for o in unseen[:MAX_NAMED])
            self.reason = f"no endpoint could show it: {named}" + (
                f" (and {len(unseen) - MAX_NAMED} more)" if len(unseen) > MAX_NAMED else "")
        evidence: list[Exchange] = []
        for outcome in chosen:  # the first exchanges of each endpoint first, then the rest
            evidence.extend(outcome.evidence[:1])
            if len(evidence) >= MAX_EVIDENCE:
                break
        taken = {id(ex) for ex in evidence}
        for outcome in chosen:
            if len(evidence) >= MAX_EVIDENCE:
                break
            evidence.extend(ex for ex in outcome.evidence[1:] if id(ex) not in taken)
        if self.verdict == "pass" and not evidence:
            evidence = [ex for o in self.outcomes for ex in o.evidence][:2]
        self.evidence = evidence[:MAX_EVIDENCE]

    def unjudged_endpoints(self) -> list[str]:
        """Notes for a passing rule: the endpoints where its property could not show, and why."""
        if self.verdict != "pass":
            return []
        skipped = [o for o in self.outcomes if o.verdict == "skip" and o.endpoint is not None and o.reason]
        notes = [f"not judged on {o.endpoint}: {_first_line(o.reason)}" for o in skipped[:MAX_NAMED]]
        if len(skipped) > MAX_NAMED:
            notes.append(f"not judged on {len(skipped) - MAX_NAMED} more endpoints (report.json `endpoints` says why)")
        return notes


def _settled_reason(verdict: str, chosen: list[Outcome], places: int) -> str:
    if verdict == "pass":
        return ""
    reasons = [o for o in chosen if o.reason]
    on_endpoints = [o for o in reasons if o.endpoint is not None]
    if verdict != "fail" and len({_first_line(o.reason) for o in reasons}) == 1 and len(reasons) == len(chosen) \
            and len(chosen) > 1:
        # One cause everywhere (the budget ran out, a key refused): said once. A failure always names
        # where it failed.
        return reasons[0].reason
    if verdict in ("fail", "error") and on_endpoints:
        by_endpoint: dict[str, str] = {}
        for o in on_endpoints:
            by_endpoint.setdefault(str(o.endpoint), _first_line(o.reason))
        named = "; ".join(f"{where}: {why}" for where, why in list(by_endpoint.items())[:MAX_NAMED])
        more = len(by_endpoint) - MAX_NAMED
        word = "fails" if verdict == "fail" else "not judged"
        of = f" of {places}" if places > 1 else ""
        whole = [_first_line(o.reason) for o in reasons if o.endpoint is None]
        return (f"{word} on {len(by_endpoint)}{of} endpoint{'s' * (len(by_endpoint) > 1 or places > 1)}: {named}"
                + (f" (and {more} more)" if more > 0 else "") + "".join(f"; {w}" for w in dict.fromkeys(whole)))
    # Several items of one rule failing (or skipping) for the same cause read as one reason.
    return "; ".join(dict.fromkeys(o.reason for o in reasons))


def _first_line(text: str) -> str:
    text = text.strip()
    return text.splitlines()[0] if text else ""


@dataclass
class RunResult:
    profile: str
    base_url: str
    mode: str  # "embedded" or "live"
    started_at: str
    seed: int
    results: list[RuleResult] = field(default_factory=list)
    finished_at: str = ""
    duration: float = 0.0
    requests_sent: int = 0
    max_requests: int = 0
    methods: Counter[tuple[str, str]] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    allow_writes: bool = False
    exhaust_rate_limit: bool = False
    mutant: str | None = None
    paced_seconds: float = 0.0
    waivers_file: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    phases: dict[str, dict[str, float]] = field(default_factory=dict)  # phases.py: where the time went

    @property
    def counts(self) -> dict[str, int]:
        counts = Counter(r.verdict for r in self.results)
        return {v: counts.get(v, 0) for v in ALL_VERDICTS if v in VERDICTS or counts.get(v)}

    @property
    def verdict(self) -> str:
        # `waived` counts like `pass` here: the waiver is the auditor's accepted exception.
        verdicts = {r.verdict for r in self.results}
        if "fail" in verdicts:
            return "fail"
        if "error" in verdicts:
            return "incomplete"
        return "pass"

    @property
    def exit_code(self) -> int:
        return {"pass": 0, "fail": 1, "incomplete": 3}[self.verdict]
