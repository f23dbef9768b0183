"""A verdict's reason and notes read like the rule's own failure message, never like the test
library's internals: hypothesis's report of a failing example ("Failing explicit example:
test_x(ctx=<Context ...>, ...)", "use Verbosity.verbose to view") stays out of every result and
every artifact; at most a short replay hint (the failing example's arguments, without `ctx`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apiconform.plugin import _replay_hint
from apiconform.runner import run
from apiconform.session import Options

# What hypothesis writes into an exception's notes or message, and the kit must not repeat.
INTERNALS = ("Failing explicit example", "Failing test case", "Falsifying", "Verbosity",
             "<Context", "ctx=", "explicit examples also failed", "reproduce_failure")
# Mutants whose rule fails inside a hypothesis test (@given with @example): BGA-LIST-LIMIT's
# explicit examples fail, several of BMR-MALFORMED-QUERY's fail with the same error.
MUTANTS = [("booga", "BGA-LIST-LIMIT", "test_limit_is_honoured fails with drawn="),
           ("boomerang", "BMR-MALFORMED-QUERY", "fails with ")]


def leaks(text: str) -> list[str]:
    return [word for word in INTERNALS if word in text]


@pytest.mark.parametrize(("profile", "mutant", "hint"), MUTANTS, ids=[m for _, m, _ in MUTANTS])
def test_reasons_and_notes_carry_no_hypothesis_internals(profile: str, mutant: str, hint: str,
                                                         tmp_path: Path) -> None:
    outcome = run(profile, Options(report_dir=str(tmp_path), mutant=mutant))
    results = {r.rule.id: r for r in outcome.run.results}
    assert results[mutant].verdict == "fail", results[mutant].reason
    for result in results.values():
        assert leaks(result.reason) == [], (result.rule.id, result.reason)
        for note in result.notes:
            assert leaks(note) == [], (result.rule.id, note)
    # The failing example survives as a short replay hint, in the rule's notes.
    hints = [n for n in results[mutant].notes if hint in n]
    assert hints and all(len(n) <= 200 and "\n" not in n for n in hints), results[mutant].notes
    # And nothing of it in any artifact an auditor reads.
    for name in ("report.json", "report.html", "junit.xml", "summary.md"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert leaks(text) == [], name
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    rule = next(r for r in report["rules"] if r["id"] == mutant)
    assert any(hint in n for n in rule["notes"]), rule["notes"]


def test_replay_hint_from_hypothesis_notes() -> None:
    explicit = "Failing explicit example: test_limit_is_honoured(\n    ctx=<Context booga x seed=0>,\n    limit=1,\n)"
    assert _replay_hint(explicit) == "test_limit_is_honoured fails with limit=1"
    # The endpoint a per-endpoint item judges is in its own id, never in the hint.
    per_endpoint = ("Failing test case: test_limit_is_honoured(\n    ctx=<Context booga x seed=0>,\n"
                    "    endpoint=<Endpoint /api/tasks/>,\n    drawn=57,\n)")
    assert _replay_hint(per_endpoint) == "test_limit_is_honoured fails with drawn=57"
    generated = ("Failing test case: test_q(\n    ctx=<Context boomerang y seed=0>,\n"
                 "    param='limit',  # or any other generated value\n"
                 "    value=[\n        'a b',\n        'c',\n    ],\n)")
    assert _replay_hint(generated) == "test_q fails with param='limit', value=[ 'a b', 'c', ]"
    assert _replay_hint("Failing test case: test_only_ctx(\n    ctx=<Context z>,\n)") is None
    assert _replay_hint("(note: 2 other explicit examples also failed with this error; "
                        "use Verbosity.verbose to view)") is None
    assert _replay_hint("Explanation:\n    These lines were always and only run by failing examples:") is None
    assert _replay_hint("Draw 1: 5") is None
    long = "Failing test case: test_x(\n    ctx=<Context z>,\n    value='" + "v" * 500 + "',\n)"
    cut = _replay_hint(long)
    assert cut is not None and len(cut) == 200 and cut.endswith("…")
