"""The mutation matrix: the kit's proof that no check is one that cannot fail.

For each profile the conformant reference mock must pass every rule with nothing skipped
(the embedded mock turns every switch on), and every mutant — the mock with exactly one
rule broken — must make that rule fail. Each mutant runs only against the rule it breaks,
in-process, so the whole matrix stays fast.
"""

from __future__ import annotations

import functools

import pytest

from apiconform import mocks
from apiconform.catalog import load_catalog
from apiconform.runner import run
from apiconform.session import Options

PROFILES = [p for p in ("boomerang", "booga") if mocks.mutants(p)]
MATRIX = [(p, m) for p in PROFILES for m in sorted(mocks.mutants(p))]


@functools.cache
def mutant_run(profile: str, mutant: str) -> tuple[str, str, int]:
    """(verdict of the rule the mutant breaks, reason, exit code): one run per mutant and process,
    shared by the test of that mutant and the printed matrix (which, on an xdist worker that did
    not run some mutant, runs it itself)."""
    rule = mocks.mutants(profile)[mutant].rule
    outcome = run(profile, Options(write_reports=False, mutant=mutant, rules=[rule]))
    result = {r.rule.id: r for r in outcome.run.results}[rule]
    return result.verdict, result.reason, outcome.exit_code


@pytest.mark.parametrize("profile", PROFILES)
def test_conformant_mock_passes_every_rule(profile: str) -> None:
    outcome = run(profile, Options(write_reports=False))
    verdicts = {r.rule.id: (r.verdict, r.reason) for r in outcome.run.results}
    assert set(verdicts) == set(load_catalog(profile).ids)
    not_passed = {k: v for k, v in verdicts.items() if v[0] != "pass"}
    assert not not_passed, f"the conformant {profile} mock must pass every rule: {not_passed}"
    assert outcome.exit_code == 0


@pytest.mark.parametrize(("profile", "mutant"), MATRIX, ids=[f"{p}:{m}" for p, m in MATRIX])
def test_mutant_fails_its_rule(profile: str, mutant: str) -> None:
    spec = mocks.mutants(profile)[mutant]
    verdict, reason, exit_code = mutant_run(profile, mutant)
    assert verdict == "fail", (
        f"mutant {mutant} ({spec.description}) should fail {spec.rule}, got {verdict}: {reason}")
    assert exit_code == 1


def test_print_matrix(capsys: pytest.CaptureFixture[str]) -> None:
    """Print the matrix, computed here (no reliance on which tests ran before, or in which
    process), and hold it to what it claims: every catalog rule of a profile is broken by some
    mutant, every mutant breaks a catalog rule, and each makes its rule fail."""
    rows = []
    for profile, mutant in MATRIX:
        rule = mocks.mutants(profile)[mutant].rule
        rows.append((profile, mutant, rule, mutant_run(profile, mutant)[0]))
    with capsys.disabled():
        print("\nmutation matrix (profile, mutant, rule it breaks, verdict):")
        for profile, mutant, rule, verdict in rows:
            print(f"  {profile:<10} {mutant:<44} {rule:<34} {verdict}")
    for profile in PROFILES:
        catalog = set(load_catalog(profile).ids)
        broken = {rule for p, _, rule, _ in rows if p == profile}
        assert broken <= catalog, f"{profile} mutants break rules not in the catalog: {broken - catalog}"
        assert catalog <= broken, f"{profile} rules no mutant shows can fail: {sorted(catalog - broken)}"
    assert [row for row in rows if row[3] != "fail"] == []
