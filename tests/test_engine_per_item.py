"""What the kit does per test item and per exchange, made cheaper, says the same (issue 25).

- An item's location (pytest's `Item.location`, shared by the items of one test function) is
  what pytest itself finds for it.
- `ctx` is the running item's, without asking for pytest's `request`; `apiconform run` has
  `--base-url` without pytest-base-url's per-test fixtures, and no log capture.
- The whole-run judgement (judge.py), asking each check's `applies` once per exchange, gives
  what checks.applies and checks.findings give.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from apiconform import checks
from apiconform.catalog import find_rule
from apiconform.exchange import Exchange, RecordedRequest, RecordedResponse
from apiconform.judge import judge_rule, judge_run
from apiconform.results import RuleResult
from apiconform.runner import ENGINE_ARGS, ENGINE_PLUGINS, pytest_args
from apiconform.session import Options


class _Probe:
    def __init__(self) -> None:
        self.locations: list[tuple[Any, Any]] = []
        self.fixtures: set[tuple[str, ...]] = set()
        self.contexts: list[tuple[str, str | None]] = []
        self.base_url: Any = "unset"

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        self.base_url = config.option.base_url
        for item in items:
            self.locations.append((item.location, type(item).location.func(item)))  # type: ignore[attr-defined]
            self.fixtures.add(tuple(item.fixturenames))  # type: ignore[attr-defined]

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        context = item.funcargs["ctx"]  # type: ignore[attr-defined]
        endpoint = item.funcargs.get("endpoint")  # type: ignore[attr-defined]
        self.contexts.append((context.rule.id, context.endpoint.label if context.endpoint else None))
        assert context.rule.id == item.get_closest_marker("rule").args[0]  # type: ignore[union-attr]
        assert context.endpoint is (endpoint if hasattr(endpoint, "label") else None)


def test_items_have_pytests_own_locations_and_ctx_the_running_items_rule() -> None:
    probe = _Probe()
    args = pytest_args("booga", Options(write_reports=False))
    assert pytest.main(args, plugins=[*ENGINE_PLUGINS, probe]) == 0
    assert len(probe.locations) > 40
    assert all(shared == own for shared, own in probe.locations)
    assert len(probe.locations) - 10 < len(probe.contexts) <= len(probe.locations)  # a few skip in set-up
    assert any(label for _, label in probe.contexts)  # per-endpoint items among them
    # No per-test fixture of pytest-base-url (each asked for pytest's `request` before every test).
    assert probe.fixtures == {("_auth_style", "ctx", "endpoint"), ("_auth_style", "ctx")}
    assert probe.base_url == ""  # the embedded mock: said, and empty
    assert ENGINE_ARGS[ENGINE_ARGS.index("no:logging") - 1] == "-p"


def _exchanges() -> Iterator[Exchange]:
    json_headers = [("content-type", "application/json"), ("x-ratelimit-limit-minute", "100"),
                    ("x-ratelimit-remaining-minute", "99")]
    bodies = [b'{"count": 2, "next": null, "previous": null, "results": [{"id": 1}, {"id": 2}]}',
              b'{"detail": "Not found.", "code": "not_found"}', b"<html>", b'{"count": "2"}', b"",
              b'{"count": 1, "next": "http://t.invalid/api/x/?limit=1&offset=1", "previous": null, "results": []}']
    for status in (200, 201, 204, 400, 404, 500):
        for index, body in enumerate(bodies):
            headers = json_headers if index % 2 == 0 else [("content-type", "text/html")]
            for url in ("http://t.invalid/api/x/", "http://t.invalid/api/x/?limit=1", "http://t.invalid/api/x/1/",
                        "http://t.invalid/api/x/?download=zip"):
                yield Exchange(RecordedRequest("GET", url), RecordedResponse(status, headers, body))


@pytest.mark.parametrize("profile", ["booga", "boomerang"])
def test_the_whole_run_judgement_is_what_the_checks_say(profile: str, monkeypatch: pytest.MonkeyPatch) -> None:
    exchanges = list(_exchanges())
    rules = checks.checked_rules({"booga": "BGA-", "boomerang": "BMR-"}[profile])
    assert rules
    once = {rule_id: RuleResult(find_rule(rule_id), verdict="pass") for rule_id in rules}
    asked: Counter[tuple[str, int]] = Counter()
    def counting(registered: checks.RegisteredCheck) -> checks.RegisteredCheck:
        def counted(ex: Exchange) -> bool:
            asked[(registered.name, id(ex))] += 1
            return bool(registered.applies(ex))
        return replace(registered, applies=counted)

    for rule_id in rules:
        monkeypatch.setitem(checks.REGISTRY, rule_id, [counting(r) for r in checks.REGISTRY[rule_id]])
    judge_run(profile, once, exchanges, lambda ex: True, {})
    assert asked and max(asked.values()) == 1  # each check's applies, once per exchange
    monkeypatch.undo()
    for rule_id in rules:  # as checks.applies and checks.findings say, exchange by exchange
        expected = RuleResult(find_rule(rule_id), verdict="pass")
        with checks.configured({}, None):
            judge_rule(expected, [ex for ex in exchanges if checks.applies(rule_id, ex)])
        got = once[rule_id]
        assert (got.verdict, got.reason, got.notes, got.judged) == \
            (expected.verdict, expected.reason, expected.notes, expected.judged), rule_id
        assert [id(ex) for ex in got.evidence] == [id(ex) for ex in expected.evidence], rule_id
    assert {r.verdict for r in once.values()} >= {"fail"}


FREEZE_SCRIPT = """
import gc, json, sys
from apiconform import plugin
counts = []
finish = plugin.pytest_collection_finish
def collection_finish(session):
    finish(session)
    counts.append(gc.get_freeze_count())
plugin.pytest_collection_finish = collection_finish
from apiconform.cli import main
sys.argv = ["apiconform", "run", "boomerang", "--no-reports", "--quiet"]
code = main()  # the command line of this process: its collector paused at start-up
print(json.dumps({"code": code, "after_start_up": counts[0], "at_exit": gc.get_freeze_count(),
                  "enabled": gc.isenabled()}))
"""


def test_a_command_line_run_freezes_what_outlives_its_rules(tmp_path: Any) -> None:
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("APICONFORM_TOKEN")}
    done = subprocess.run([sys.executable, "-c", FREEZE_SCRIPT], capture_output=True, text=True, env=env,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0 and result["enabled"] is True
    assert result["at_exit"] > result["after_start_up"] > 10_000  # the run's survivors as well


def test_an_in_process_run_leaves_the_hosts_collector_alone() -> None:
    import gc

    before = gc.get_freeze_count()
    args = pytest_args("boomerang", Options(rules=["BMR-AUTH-INVALID"], write_reports=False))
    assert pytest.main(args, plugins=list(ENGINE_PLUGINS)) == 0
    assert gc.get_freeze_count() == before and gc.isenabled()
