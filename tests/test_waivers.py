"""Waivers: parsing, validation (exit 2), and their effect on a real run and every report."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from apiconform.catalog import load_catalog
from apiconform.cli import main
from apiconform.errors import ConfigError
from apiconform.results import RuleResult, RunResult
from apiconform.runner import run
from apiconform.session import Options
from apiconform.waivers import Waiver, apply_waivers, load_waivers, parse_waivers

MUTANT = "BMR-ERROR-FIELDS"
TOML = f"""
[[waiver]]
rule = "{MUTANT}"
reason = "trace_id ships in 2.4 (TICKET-1)"
expires = 2999-12-31
"""


def write(tmp_path: Path, text: str, name: str = "waivers.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_toml_and_yaml_are_read(tmp_path: Path) -> None:
    toml = load_waivers(write(tmp_path, TOML))
    text = (f"waivers:\n  - rule: {MUTANT}\n    reason: trace_id ships in 2.4 (TICKET-1)\n"
            "    expires: 2999-12-31\n")
    yaml = load_waivers(write(tmp_path, text, "w.yaml"))
    assert toml == yaml == [Waiver(MUTANT, "trace_id ships in 2.4 (TICKET-1)", date(2999, 12, 31))]


@pytest.mark.parametrize(("data", "message"), [
    ({"waiver": [{"rule": MUTANT, "expires": "2999-01-01"}]}, "reason"),
    ({"waiver": [{"rule": MUTANT, "reason": "x"}]}, "expires"),
    ({"waiver": [{"rule": MUTANT, "reason": "x", "expires": "next year"}]}, "YYYY-MM-DD"),
    ({"waiver": [{"rule": MUTANT, "reason": "x", "expires": "2999-01-01", "owner": "me"}]}, "unknown keys"),
    ({"waiver": [{"rule": MUTANT, "reason": "x", "expires": "2999-01-01"}] * 2}, "more than once"),
    ({"exceptions": []}, "top-level"),
])
def test_bad_entries_are_config_errors(data: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_waivers(data)


def test_unknown_rule_and_bad_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown rule id.*BMR-NO-SUCH-RULE"):
        load_waivers(write(tmp_path, TOML.replace(MUTANT, "BMR-NO-SUCH-RULE")))
    with pytest.raises(ConfigError, match="does not exist"):
        load_waivers(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_waivers(write(tmp_path, "[[waiver]\n"))


def _run_with(*verdicts: str) -> RunResult:
    rules = load_catalog("boomerang").rules
    results = [RuleResult(rule=rule, verdict=v, reason="why" if v != "pass" else "")
               for rule, v in zip(rules, verdicts, strict=False)]
    return RunResult(profile="boomerang", base_url="https://x", mode="live", started_at="", seed=0,
                     results=results)


def test_apply_waivers_effects() -> None:
    run_result = _run_with("fail", "fail", "pass", "error")
    ids = [r.rule.id for r in run_result.results]
    today = date(2030, 6, 1)
    apply_waivers(run_result, [Waiver(ids[0], "known", date(2030, 6, 1)),  # last valid day
                               Waiver(ids[1], "old", date(2030, 5, 31)),  # expired yesterday
                               Waiver(ids[2], "stale", date(2031, 1, 1)),
                               Waiver(ids[3], "not for errors", date(2031, 1, 1))], today)
    current, expired, passed, errored = run_result.results
    assert current.verdict == "waived" and current.waiver and current.waiver["status"] == "applied"
    assert expired.verdict == "fail" and expired.waiver and expired.waiver["status"] == "expired"
    assert any("expired on 2030-05-31" in n for n in expired.notes)
    assert passed.verdict == "pass" and passed.waiver and passed.waiver["status"] == "unused"
    assert any("can be removed" in n for n in passed.notes)
    assert errored.verdict == "error"
    assert run_result.verdict == "fail" and run_result.exit_code == 1  # the expired one fails the run
    assert run_result.counts["waived"] == 1


def test_only_waived_failures_exit_0() -> None:
    run_result = _run_with("fail", "pass")
    apply_waivers(run_result, [Waiver(run_result.results[0].rule.id, "known", date(2999, 1, 1))])
    assert run_result.verdict == "pass" and run_result.exit_code == 0


def test_waived_run_in_every_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "reports"
    code = main(["run", "boomerang", "--mutant", MUTANT, "--waivers", write(tmp_path, TOML),
                 "--report-dir", str(folder), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    assert f"WAIVE {MUTANT}" in out and "waiver (applied): trace_id ships in 2.4" in out
    report = json.loads((folder / "report.json").read_text())
    rule = next(r for r in report["rules"] if r["id"] == MUTANT)
    assert rule["verdict"] == "waived" and "trace_id" in rule["reason"]  # the failure stays visible
    assert rule["waiver"] == {"rule": MUTANT, "reason": "trace_id ships in 2.4 (TICKET-1)",
                              "expires": "2999-12-31", "status": "applied"}
    assert report["verdict"] == "pass" and report["counts"]["waived"] == 1
    case = next(c for c in ET.parse(folder / "junit.xml").getroot().iter("testcase")
                if c.get("name", "").startswith(MUTANT))
    skipped = case.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "waived: trace_id ships in 2.4 (TICKET-1) (until 2999-12-31)"
    html = (folder / "report.html").read_text()
    assert f'id="rule-{MUTANT}" data-verdict="waived"' in html and "trace_id ships in 2.4" in html
    summary = (folder / "summary.md").read_text()
    assert "Waived failures (1)" in summary and "until 2999-12-31" in summary


def test_expired_waiver_fails_again(tmp_path: Path) -> None:
    expired = write(tmp_path, TOML.replace("2999-12-31", "2000-01-01"))
    outcome = run("boomerang", Options(mutant=MUTANT, rules=[MUTANT], write_reports=False,
                                       waivers_file=expired))
    assert outcome.exit_code == 1
    result = outcome.run.results[0]
    assert result.verdict == "fail"
    assert any("expired on 2000-01-01" in n for n in result.notes)


def test_waiver_of_passing_rule_is_noted(tmp_path: Path) -> None:
    waivers = write(tmp_path, TOML)
    outcome = run("boomerang", Options(rules=[MUTANT], write_reports=False, waivers_file=waivers))
    assert outcome.exit_code == 0
    result = outcome.run.results[0]
    assert result.verdict == "pass" and result.waiver and result.waiver["status"] == "unused"


def test_unknown_rule_exits_2_before_any_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, TOML.replace(MUTANT, "BMR-NO-SUCH-RULE"))
    assert run("boomerang", Options(write_reports=False, waivers_file=path)).exit_code == 2
    assert main(["run", "boomerang", "--waivers", path, "--no-reports", "--quiet"]) == 2
    assert "BMR-NO-SUCH-RULE" in capsys.readouterr().err
