"""`apiconform merge --fleet FLEET.toml | --expect NAME,...`: a target whose CI job wrote no report
is `incomplete` (with the reason) in every fleet artifact, and the merge exits like `audit` (3, or
1 if a target failed); and what the fleet artifacts lead with: each target that needs attention,
its verdict and why, once, above the matrix (fleet.html) and the tables (summary.md).

The reports are real runs, made once for the module: a conformant and a mutant Boomerang run
(two rules each), and a run against a port where nothing listens (every rule `error`, for one
shared reason).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from tests.test_bad_input import refused

from apiconform.cli import main
from apiconform.fleet.merge import NO_REPORT_REASON
from apiconform.locations import fixtures_dir
from apiconform.report.fleet import shared_reasons
from apiconform.runner import run
from apiconform.session import Options

SCHEMA = json.loads((fixtures_dir() / "fleet.schema.json").read_text(encoding="utf-8"))
MUTANT = "BMR-ERROR-FIELDS"
RULES = ["BMR-ERROR-FIELDS", "BMR-GZIP"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """kind -> report.json: pass, fail (a mutant), down (connection refused on every request)."""
    made = {}
    for kind, options in (("pass", {"rules": RULES}), ("fail", {"rules": RULES, "mutant": MUTANT})):
        folder = tmp_path_factory.mktemp(kind)
        assert run("boomerang", Options(report_dir=str(folder), **options)).exit_code == (  # type: ignore[arg-type]
            1 if kind == "fail" else 0)
        made[kind] = folder / "report.json"
    folder = tmp_path_factory.mktemp("down")
    # Bound, never listening: every connection is refused, for as long as the run lasts.
    with socket.socket() as closed, pytest.MonkeyPatch.context() as mp:
        closed.bind(("127.0.0.1", 0))
        mp.setenv("APICONFORM_TOKEN", "merge-test-token")
        outcome = run("boomerang", Options(base_url=f"http://127.0.0.1:{closed.getsockname()[1]}",
                                           report_dir=str(folder)))
    assert outcome.exit_code == 3
    made["down"] = folder / "report.json"
    yield made


def downloads(tmp_path: Path, runs: dict[str, Path], **names: str) -> list[str]:
    """Reports as a CI merge job downloads them: reports/<name>/report.json, name -> kind."""
    paths = []
    for name, kind in names.items():
        (tmp_path / "reports" / name).mkdir(parents=True)
        shutil.copy(runs[kind], tmp_path / "reports" / name / "report.json")
        paths.append(str(tmp_path / "reports" / name / "report.json"))
    return paths


FLEET = """
[[target]]
name = "{a}"
profile = "boomerang"
base_url = "https://a.example"
token_env = "MERGE_TEST_UNSET_A"     # the merging job holds no credential: never checked here
target_file = "targets/a.toml"       # nor is the target file (it need not be there)

[[target]]
name = "vendor-b"
profile = "boomerang"
base_url = "https://b.example"
token_env = "MERGE_TEST_UNSET_B"

[[target]]
name = "vendor-c"
profile = "boomerang"
base_url = "https://c.example"
token_env = "MERGE_TEST_UNSET_C"
"""


def fleet_file(tmp_path: Path, a: str = "vendor-a") -> str:
    path = tmp_path / "fleet.toml"
    path.write_text(FLEET.format(a=a), encoding="utf-8")
    return str(path)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def valid(fleet: dict[str, Any]) -> bool:
    return jsonschema.Draft202012Validator(SCHEMA).is_valid(fleet)


# -- merge knows the fleet --------------------------------------------------------------------------

def test_a_fleet_target_without_a_report_is_incomplete(tmp_path: Path, runs: dict[str, Path],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert not any(os.environ.get(f"MERGE_TEST_UNSET_{x}") for x in "ABC")
    reports = downloads(tmp_path, runs, **{"vendor-c": "pass", "vendor-a": "pass"})
    out = tmp_path / "fleet"
    assert main(["merge", *reports, "--report-dir", str(out), "--fleet", fleet_file(tmp_path)]) == 3
    stdout = capsys.readouterr().out
    assert "vendor-b  boomerang  incomplete  exit 3" in stdout and "fleet: incomplete (exit 3)" in stdout
    fleet = load(out / "fleet.json")
    assert valid(fleet)
    assert [t["name"] for t in fleet["targets"]] == ["vendor-a", "vendor-b", "vendor-c"]  # the fleet's order
    lost = fleet["targets"][1]
    assert (lost["verdict"], lost["exit_code"], lost["report"], lost["reason"], lost["base_url"]) == (
        "incomplete", 3, None, NO_REPORT_REASON, "https://b.example")
    assert (fleet["verdict"], fleet["exit_code"], fleet["counts"]) == (
        "incomplete", 3, {"pass": 2, "fail": 0, "incomplete": 1})
    # Every artifact says so.
    suite = next(s for s in ET.parse(out / "junit.xml").getroot() if s.get("name") == "vendor-b")
    error = suite.find("testcase/error")
    assert error is not None and error.get("message") == NO_REPORT_REASON
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert summary.count(NO_REPORT_REASON) == 1
    assert f"**vendor-b** (boomerang): incomplete — {NO_REPORT_REASON}" in summary
    html = (out / "fleet.html").read_text(encoding="utf-8")
    assert NO_REPORT_REASON in html.split('<h2>Rules by target</h2>')[0]
    assert not (out / "vendor-b").exists()


def test_a_failure_outranks_a_missing_report(tmp_path: Path, runs: dict[str, Path]) -> None:
    reports = downloads(tmp_path, runs, **{"vendor-a": "fail"})
    out = tmp_path / "fleet"
    assert main(["merge", *reports, "--report-dir", str(out), "--expect", "vendor-a, vendor-b"]) == 1
    fleet = load(out / "fleet.json")
    assert valid(fleet)
    assert [(t["name"], t["verdict"]) for t in fleet["targets"]] == [("vendor-a", "fail"), ("vendor-b", "incomplete")]
    # --expect without a profile: the reports' (all boomerang); no base URL is known.
    assert (fleet["targets"][1]["profile"], fleet["targets"][1]["base_url"]) == ("boomerang", "")


def test_no_report_at_all_makes_every_expected_target_incomplete(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fleet"
    assert main(["merge", "--report-dir", str(out), "--expect", "a:booga,b:boomerang"]) == 3
    fleet = load(out / "fleet.json")
    assert valid(fleet)
    assert [(t["name"], t["profile"], t["reason"]) for t in fleet["targets"]] == [
        ("a", "booga", NO_REPORT_REASON), ("b", "boomerang", NO_REPORT_REASON)]
    capsys.readouterr()
    # Without --fleet or --expect, a merge of nothing is a usage error, not an empty fleet.
    assert main(["merge", "--report-dir", str(tmp_path / "other")]) == 2
    assert "no report.json named" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()


def test_a_name_is_matched_whatever_its_case_and_takes_the_fleets_spelling(tmp_path: Path,
                                                                          runs: dict[str, Path]) -> None:
    reports = downloads(tmp_path, runs, **{"Vendor-A": "pass", "vendor-b": "pass", "vendor-c": "pass"})
    out = tmp_path / "fleet"
    assert main(["merge", *reports, "--report-dir", str(out), "--fleet", fleet_file(tmp_path)]) == 0
    fleet = load(out / "fleet.json")
    assert fleet["targets"][0]["name"] == "vendor-a" and fleet["targets"][0]["report"] == "vendor-a/report.json"
    assert (out / "vendor-a" / "report.html").is_file()


def test_what_the_fleet_does_not_expect_is_refused(tmp_path: Path, runs: dict[str, Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    reports = downloads(tmp_path, runs, **{"vendor-a": "pass", "vendor-z": "pass"})
    out = tmp_path / "fleet"
    line = refused(["merge", *reports, "--report-dir", str(out), "--fleet", fleet_file(tmp_path)], capsys)
    assert "target 'vendor-z' is not in the fleet file" in line and "expected: vendor-a, vendor-b, vendor-c" in line
    line = refused(["merge", reports[0], "--report-dir", str(out), "--expect", "vendor-a:booga"], capsys)
    assert line.endswith("target 'vendor-a' is a boomerang report, but --expect names it booga")
    for expect, words in (("", "no target named"), (" , ", "no target named"), ("a,,b", "an empty name"),
                          ("a,A", "named twice"), ("a:nope", "the profile must be one of"),
                          ("../x", "is not a target name")):
        assert words in refused(["merge", reports[0], "--report-dir", str(out), "--expect", expect], capsys)
    line = refused(["merge", reports[0], "--report-dir", str(out), "--expect", "vendor-a", "--fleet", "f.toml"],
                    capsys)
    assert "not allowed with argument" in line
    assert not out.exists()


def test_a_missing_target_of_unknown_profile_must_be_named_with_it(tmp_path: Path, runs: dict[str, Path],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fleet"
    line = refused(["merge", "--report-dir", str(out), "--expect", "a,b:booga,c:boomerang"], capsys)
    assert line == ("apiconform: --expect: a has no report and its profile cannot be told from the others: "
                    "write a:booga or a:boomerang")


@pytest.mark.parametrize(("text", "message"), [
    ("", "the fleet file lists no targets: write one [[target]] table per target"),
    ("# nothing yet\n", "the fleet file lists no targets: write one [[target]] table per target"),
    ("target = []\n", "the fleet file lists no targets: write one [[target]] table per target"),
    ('[[targets]]\nname = "a"\n', "the fleet file lists no targets: write one [[target]] table per target; "
                                  "targets: unknown key (did you mean target?)"),
    ('[target]\nname = "a"\nprofile = "booga"\nbase_url = "https://a.example"\ntoken_env = "K"\n',
     "[target] must be an array of tables: write [[target]]"),
])
@pytest.mark.parametrize("command", ["audit", "merge"])
def test_a_fleet_file_without_targets_says_how_to_write_them(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             text: str, message: str, command: str) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text(text, encoding="utf-8")
    argv = ["audit", str(path)] if command == "audit" else ["merge", "--report-dir", str(tmp_path / "o"),
                                                              "--fleet", str(path)]
    assert refused(argv, capsys) == f"apiconform: fleet file {path}: {message}"


# -- what needs attention leads -----------------------------------------------------------------------

def test_shared_reasons_are_said_once() -> None:
    rules = [{"id": "A", "reason": "GET /a: refused; not run: unreachable"},
             {"id": "B", "reason": "not run: unreachable"},
             {"id": "C", "reason": "GET /a: refused; not run: unreachable; GET /c: refused"},
             {"id": "D", "reason": "its own"}]
    groups, rest = shared_reasons(rules)
    assert groups == [("not run: unreachable", ["A", "B", "C"]), ("GET /a: refused", ["A", "C"])]
    assert rest == {"A": "", "B": "", "C": "GET /c: refused", "D": "its own"}


def test_an_unreachable_target_leads_with_its_reason_once(tmp_path: Path, runs: dict[str, Path]) -> None:
    reports = downloads(tmp_path, runs, **{"vendor-a": "pass", "vendor-down": "down", "vendor-f": "fail"})
    out = tmp_path / "fleet"
    assert main(["merge", *reports, "--report-dir", str(out)]) == 1
    report = load(runs["down"])
    assert {r["verdict"] for r in report["rules"]} == {"error"} and len(report["rules"]) == 22
    summary = (out / "summary.md").read_text(encoding="utf-8")
    head, tables = summary.split("| target | profile |", 1)
    lines = [line for line in head.splitlines() if line.startswith("- ")]
    # Failed targets first, then incomplete ones; passing ones are not "attention".
    assert lines[0].startswith(f"- ❌ **vendor-f** (boomerang): fail — failed: `{MUTANT}`")
    assert lines[1].startswith("- ⚠️ **vendor-down** (boomerang): incomplete — error in 22 rules: not run: target "
                               "unreachable after 3 consecutive faults")
    assert "connection to 127.0.0.1:" in lines[1] and "refused" in lines[1] and len(lines) == 2
    assert summary.count("target unreachable after 3 consecutive faults") == 1  # not once per rule
    down = tables.split("#### vendor-down")[1]
    assert "the reason above" in down and all(f"`{r['id']}`" in down for r in report["rules"])
    html = (out / "fleet.html").read_text(encoding="utf-8")
    above, matrix = html.split('<h2>Rules by target</h2>')
    assert "target unreachable after 3 consecutive faults" in above.split('id="attention"')[1]
    assert above.index('data-target="vendor-f"') < above.index('data-target="vendor-down"')
    assert f'href="vendor-f/report.html#rule-{MUTANT}"' in above
    # The targets table below the matrix gives the reason too: no empty "why" for the unreachable one.
    row = matrix.split('<table class="fleet-targets"')[1].split("vendor-down")[2].split("</tr>")[0]
    assert "target unreachable" in row


def test_all_passed_says_so_up_front(tmp_path: Path, runs: dict[str, Path]) -> None:
    reports = downloads(tmp_path, runs, **{"vendor-a": "pass", "vendor-b": "pass"})
    out = tmp_path / "fleet"
    assert main(["merge", *reports, "--report-dir", str(out)]) == 0
    html = (out / "fleet.html").read_text(encoding="utf-8")
    assert "Every target passed every applicable rule" in html.split('<h2>Rules by target</h2>')[0]
    assert "Needs attention" not in (out / "summary.md").read_text(encoding="utf-8")
