"""Specificity: one broken behaviour, one failed rule.

Every mutant of a reference mock, run against the WHOLE suite (every rule, whole-run
judgement included), must fail its own rule and no other, apart from a rule that the catalog
declares `depends_on` the broken one (its test needs what the broken rule guarantees). A rule
whose precondition the mutant breaks may end `error` (undecided), never as a false `fail`,
and nothing may be skipped on the embedded mock.
"""

from __future__ import annotations

import pytest

from apiconform import mocks
from apiconform.catalog import dependents, find_rule
from apiconform.runner import run
from apiconform.session import Options

MATRIX = [(p, m) for p in ("boomerang", "booga") for m in sorted(mocks.mutants(p))]


@pytest.mark.parametrize(("profile", "mutant"), MATRIX, ids=[f"{p}:{m}" for p, m in MATRIX])
def test_mutant_fails_its_rule_and_no_other(profile: str, mutant: str) -> None:
    spec = mocks.mutants(profile)[mutant]
    outcome = run(profile, Options(write_reports=False, mutant=mutant))
    failed = {r.rule.id for r in outcome.run.results if r.verdict == "fail"}
    allowed = {spec.rule} | dependents(find_rule(spec.rule))
    assert spec.rule in failed, f"mutant {mutant} ({spec.description}) does not fail {spec.rule}"
    extra = {r.rule.id: r.reason for r in outcome.run.results if r.rule.id in failed - allowed}
    assert not extra, f"mutant {mutant} fails other rules too: {extra}"
    skipped = [r.rule.id for r in outcome.run.results if r.verdict == "skip"]
    assert not skipped, f"mutant {mutant}: skipped {skipped}"
