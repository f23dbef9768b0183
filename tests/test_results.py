"""Rule-verdict aggregation across the tests of one rule."""

from __future__ import annotations

from apiconform.catalog import load_catalog
from apiconform.results import RuleResult


def test_rule_result_does_not_repeat_identical_reasons() -> None:
    result = RuleResult(rule=load_catalog("booga").rules[0])
    for test in ("a", "b", "c"):
        result.add_outcome(test, "error", "target unreachable", [])
    result.add_outcome("d", "error", "budget spent", [])
    assert result.reason == "target unreachable; budget spent"
