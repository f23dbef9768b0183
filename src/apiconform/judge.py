"""Judging the whole run: every registered check against every exchange it fits.

A test decides which requests to make, but a convention holds for every response: an error
body in the documented format on a method probe, rate-limit headers on a 201, consistent
`next`/`previous` on a default page. So after the tests, each rule with per-exchange checks
is held to every exchange the run recorded on the target's origin, whichever test sent it
(a probe, a traversal, the schemathesis sweep, an auth or method probe, a write).

A violation found there fails the rule that owns the check, with the first offending
exchanges as evidence; remarks become notes. Each rule records how many exchanges it judged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from apiconform import checks
from apiconform.exchange import Exchange
from apiconform.redact import REDACTOR
from apiconform.results import MAX_EVIDENCE, RuleResult
from apiconform.surface import Surface

PREFIXES = {"boomerang": "BMR-", "booga": "BGA-"}
MAX_REMARKS = 3  # distinct remarks kept per rule: enough to read, bounded on a long run


def judge_run(profile: str, results: Mapping[str, RuleResult], exchanges: Iterable[Exchange],
              on_target: Callable[[Exchange], bool], settings: Mapping[str, Any],
              surface: Surface | None = None) -> None:
    """Update `results` in place from every exchange of the run (only rules that were run)."""
    relevant = [ex for ex in exchanges if ex.response is not None and on_target(ex)]
    with checks.configured(settings, surface):
        for rule_id in checks.checked_rules(PREFIXES.get(profile, "")):
            result = results.get(rule_id)
            if result is None:
                continue  # not selected in this run (--rules)
            judge_rule(result, *_applicable_findings(rule_id, relevant))


def _applicable_findings(rule_id: str, exchanges: list[Exchange]) -> tuple[list[Exchange], list[list[str]]]:
    """The exchanges a check of the rule applies to (checks.applies), each with every message of
    the rule's checks (checks.findings): each check's `applies`, which may parse the URL, asked
    once per exchange rather than twice (a run of 8,000 exchanges asks some 100,000 times)."""
    registered = checks.REGISTRY.get(rule_id, [])
    applicable: list[Exchange] = []
    found: list[list[str]] = []
    for ex in exchanges:
        hits = [r for r in registered if r.applies(ex)]
        if hits:
            applicable.append(ex)
            found.append([message for r in hits for message in r.func(ex)])
    return applicable, found


def judge_rule(result: RuleResult, applicable: list[Exchange], findings: list[list[str]] | None = None) -> None:
    """Hold the rule to the exchanges its checks apply to; `findings`, one list per exchange, when
    they are known already (checks.findings)."""
    rule_id = result.rule.id
    offenders: list[tuple[Exchange, list[str]]] = []
    remarks: list[str] = []
    unjudged: list[tuple[Exchange, str]] = []  # the kit's own limit kept it from judging these
    for index, ex in enumerate(applicable):
        found = findings[index] if findings is not None else checks.findings(rule_id, ex)
        problems = [m for m in found if not isinstance(m, checks.Remark | checks.Unjudged)]
        if problems:
            offenders.append((ex, problems))
        elif limits := [m for m in found if isinstance(m, checks.Unjudged)]:
            unjudged.append((ex, limits[0]))
        for remark in found:
            if isinstance(remark, checks.Remark) and remark not in remarks:
                remarks.append(remark)
    skipped = {id(ex) for ex, _ in unjudged}
    result.see(ex for ex in applicable if id(ex) not in skipped)
    result.offending.extend(ex for ex, _ in offenders)
    for remark in remarks[:MAX_REMARKS]:
        if remark not in result.notes:
            result.notes.append(REDACTOR.text(remark))
    if not offenders:
        if unjudged and result.verdict == "pass":
            # Nothing failed, but some of the evidence was never judged: not a pass.
            first_ex, why = unjudged[0]
            result.verdict = "error"
            result.reason = REDACTOR.text(f"{len(unjudged)} of {len(applicable)} exchanges of the run could not "
                                          f"be judged; first, {first_ex.summary()}: {why}")
            result.evidence = [ex for ex, _ in unjudged[:MAX_EVIDENCE]]
        return
    share = f"{len(offenders)} of {len(applicable)} exchanges of the run break it"
    if result.verdict == "fail":
        # The rule's own test already failed: say how widespread the violation is.
        result.notes.append(share)
        return
    first_ex, first = offenders[0]
    result.verdict = "fail"
    result.reason = REDACTOR.text(f"{share}; first, {first_ex.summary()}: {first[0]}")
    result.evidence = [ex for ex, _ in offenders[:MAX_EVIDENCE]]
