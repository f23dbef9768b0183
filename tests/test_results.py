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


# -- settling a rule from its per-endpoint outcomes (RuleResult.settle) ---------------------------
def rule_result() -> RuleResult:
    return RuleResult(rule=load_catalog("booga").rules[0])


def test_pass_and_skip_settle_as_pass_with_the_skipped_endpoints_in_the_notes() -> None:
    result = rule_result()
    result.add_outcome("t[/api/a/]", "pass", "", [], endpoint="/api/a/")
    result.add_outcome("t[/api/b/]", "skip", "it holds 1 result; a walk needs 2\nmore text", [], endpoint="/api/b/",
                       unobservable=True)
    assert (result.verdict, result.reason) == ("pass", "")
    assert result.unjudged_endpoints() == ["not judged on /api/b/: it holds 1 result; a walk needs 2"]


def test_only_skips_settle_as_skip() -> None:
    result = rule_result()
    for endpoint in ("/api/a/", "/api/b/"):
        result.add_outcome(f"t[{endpoint}]", "skip", "needs --allow-writes", [], endpoint=endpoint)
    assert (result.verdict, result.reason) == ("skip", "needs --allow-writes")
    assert result.unjudged_endpoints() == []  # notes belong to a pass


def test_no_endpoint_that_could_show_it_is_an_error_naming_each() -> None:
    # Applicable everywhere, but no endpoint's data could show the property: the evidence never came.
    result = rule_result()
    result.add_outcome("t[/api/a/]", "skip", "it holds 0 results", [], endpoint="/api/a/", unobservable=True)
    result.add_outcome("t[/api/b/]", "skip", "it holds 1 result", [], endpoint="/api/b/", unobservable=True)
    assert result.verdict == "error"
    assert result.reason == "no endpoint could show it: /api/a/: it holds 0 results; /api/b/: it holds 1 result"


def test_a_skip_that_is_not_unobservable_beside_an_unobservable_one_is_still_an_error() -> None:
    result = rule_result()
    result.add_outcome("t[/api/a/]", "skip", "not declared there", [], endpoint="/api/a/")
    result.add_outcome("t[/api/b/]", "skip", "it holds 1 result", [], endpoint="/api/b/", unobservable=True)
    assert result.verdict == "error" and result.reason == "no endpoint could show it: /api/b/: it holds 1 result"


def test_fail_beats_error_beats_pass_and_the_reason_names_the_endpoints() -> None:
    result = rule_result()
    result.add_outcome("t[/api/a/]", "pass", "", [], endpoint="/api/a/")
    result.add_outcome("t[/api/b/]", "error", "timed out\nevidence", [], endpoint="/api/b/")
    assert result.verdict == "error"
    assert result.reason.startswith("not judged on 1 of 2 endpoint") and result.reason.endswith(": /api/b/: timed out")
    result.add_outcome("t[/api/c/]", "fail", "page holds 21 results", [], endpoint="/api/c/")
    assert result.verdict == "fail"
    assert result.reason.startswith("fails on 1 of 3 endpoint")
    assert result.reason.endswith(": /api/c/: page holds 21 results"), result.reason
    assert result.unjudged_endpoints() == []


def test_a_reason_names_a_few_endpoints_and_counts_the_rest() -> None:
    result = rule_result()
    for n in range(5):
        result.add_outcome(f"t[/api/{n}/]", "fail", f"broken {n}", [], endpoint=f"/api/{n}/")
    assert result.reason == ("fails on 5 of 5 endpoints: /api/0/: broken 0; /api/1/: broken 1; /api/2/: broken 2 "
                             "(and 2 more)")


def test_an_endpoints_worst_item_is_its_outcome() -> None:
    # Two items of one rule on one endpoint (hypothesis examples, two tests): the worse stands there.
    result = rule_result()
    result.add_outcome("t1[/api/a/]", "fail", "broken", [], endpoint="/api/a/")
    result.add_outcome("t2[/api/a/]", "pass", "", [], endpoint="/api/a/")
    assert result.endpoint_outcomes["/api/a/"].verdict == "fail" and result.verdict == "fail"
