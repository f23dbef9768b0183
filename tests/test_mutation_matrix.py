"""The mutation matrix: the kit's proof that no check is one that cannot fail.

For each profile the conformant reference mock must pass every rule with nothing skipped
(the embedded mock turns every switch on), and every mutant — the mock with exactly one
rule broken — must make that rule fail. Each mutant runs only against the rule it breaks,
in-process, so the whole matrix stays fast.
"""

from __future__ import annotations

import pytest

from apiconform import mocks
from apiconform.catalog import load_catalog
from apiconform.runner import run
from apiconform.session import Options

PROFILES = [p for p in ("boomerang", "booga") if mocks.mutants(p)]
MATRIX = [(p, m) for p in PROFILES for m in sorted(mocks.mutants(p))]
_rows: list[str] = []


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
    outcome = run(profile, Options(write_reports=False, mutant=mutant, rules=[spec.rule]))
    verdicts = {r.rule.id: r for r in outcome.run.results}
    result = verdicts[spec.rule]
    _rows.append(f"{profile:<10} {mutant:<44} {spec.rule:<34} {result.verdict}")
    assert result.verdict == "fail", (
        f"mutant {mutant} ({spec.description}) should fail {spec.rule}, got {result.verdict}: {result.reason}")
    assert outcome.exit_code == 1


def test_print_matrix(capsys: pytest.CaptureFixture[str]) -> None:
    """Print the matrix in the test output (runs last in this module)."""
    with capsys.disabled():
        print("\nmutation matrix (profile, mutant, rule it breaks, verdict):")
        for row in _rows:
            print("  " + row)
    assert len(_rows) == len(MATRIX)
