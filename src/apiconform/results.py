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
    # How many exchanges the rule judged: those its tests sent or read from shared probes, and
    # every exchange of the run its per-exchange checks apply to (each once; see `see`).
    judged: int = 0
    # The waiver entry that matched this rule, if any: {rule, reason, expires, status} where
    # status is applied | expired | unused (see waivers.apply_waivers).
    waiver: dict[str, str] | None = None
    # Where it judged (report.json `endpoints`, coverage.py): every exchange it judged, those
    # that showed a violation, those that left it undecided, and the outcome of each further
    # endpoint its breadth test tried (breadth.EndpointOutcome by endpoint label).
    seen: list[Exchange] = field(default_factory=list, repr=False)
    offending: list[Exchange] = field(default_factory=list, repr=False)
    inconclusive: list[Exchange] = field(default_factory=list, repr=False)
    endpoint_outcomes: dict[str, Any] = field(default_factory=dict)
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    _outcomes: list[str] = field(default_factory=list)
    _seen_ids: set[int] = field(default_factory=set, repr=False)

    def see(self, exchanges: Iterable[Exchange]) -> None:
        """Count exchanges as judged by this rule (each once, whichever test or check saw it)."""
        for ex in exchanges:
            if id(ex) not in self._seen_ids:
                self._seen_ids.add(id(ex))
                self.seen.append(ex)
        self.judged = len(self.seen)

    def add_outcome(self, test: str, verdict: str, reason: str, evidence: list[Exchange]) -> None:
        self.tests.append(test)
        self._outcomes.append(verdict)
        if not self._outcomes[:-1] or _SEVERITY[verdict] > _SEVERITY[self.verdict]:
            self.verdict = verdict
            self.reason = reason
            self.evidence = evidence[:MAX_EVIDENCE]
        elif verdict == self.verdict and verdict in ("fail", "error") and reason \
                and reason not in self.reason.split("; "):
            # Several tests of one rule failing for the same cause read as one reason.
            self.reason = f"{self.reason}; {reason}" if self.reason else reason
        if self.verdict == "pass" and not self.evidence:
            self.evidence = evidence[:2]


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
