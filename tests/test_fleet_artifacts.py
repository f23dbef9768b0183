"""Fleet artifacts (issue 10): fleet.json against fixtures/fleet.schema.json, the fleet verdict and
exit status (DESIGN.md: 1 if any target failed, else 3 if any was incomplete, else 0), junit.xml
with one testsuite per target, summary.md naming each failing rule per target, fleet.html as a
self-contained matrix, a target without a report, merge giving what audit gives, and redaction.

The reports are real: a few embedded runs, made once for the module, copied under other names.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from apiconform.errors import ConfigError
from apiconform.locations import fixtures_dir
from apiconform.redact import REDACTOR
from apiconform.report.fleet import (
    FleetEntry,
    build_fleet,
    default_name,
    entry_from_report,
    fleet_exit_code,
    render_fleet_html,
    write_fleet_artifacts,
)
from apiconform.runner import run
from apiconform.session import Options

FLEET_ARTIFACTS = ("fleet.json", "fleet.html", "junit.xml", "summary.md")
SCHEMA = json.loads((fixtures_dir() / "fleet.schema.json").read_text(encoding="utf-8"))
BGA_MUTANT = "BGA-RESOURCE-FIELDS"
BMR_MUTANT = "BMR-ERROR-FIELDS"
CRASH = "worker crashed: Segmentation fault (exit -11) after 12 s"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run folders of real embedded runs: kind -> folder holding report.json and the rest."""
    made = {}
    for kind, profile, options in (
        ("booga-pass", "booga", {}),
        ("booga-fail", "booga", {"mutant": BGA_MUTANT}),
        ("bmr-pass", "boomerang", {}),
        ("bmr-fail", "boomerang", {"mutant": BMR_MUTANT}),
        ("bmr-incomplete", "boomerang", {"max_requests": 3}),
    ):
        folder = tmp_path_factory.mktemp(kind)
        outcome = run(profile, Options(report_dir=str(folder), **options))  # type: ignore[arg-type]
        assert outcome.exit_code == {"pass": 0, "fail": 1, "incomplete": 3}[kind.rsplit("-", 1)[1]], kind
        made[kind] = folder
    return made


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def audit_entry(runs: dict[str, Path], fleet_dir: Path, name: str, kind: str) -> FleetEntry:
    """An entry as `audit` makes it: the target's artifacts already in DIR/<name>/."""
    shutil.copytree(runs[kind], fleet_dir / name)
    report = load(fleet_dir / name / "report.json")
    code = {"pass": 0, "fail": 1, "incomplete": 3}[report["verdict"]]
    return FleetEntry(name=name, profile=report["profile"], base_url=report["target"]["base_url"],
                      exit_code=code, report=report, report_path=f"{name}/report.json")


def crashed(name: str = "vendor-crash", profile: str = "booga") -> FleetEntry:
    return FleetEntry(name=name, profile=profile, base_url="https://crash.example", exit_code=-11,
                      report=None, report_path=None, reason=CRASH)


MIX = (("vendor-a", "booga-pass"), ("vendor-b", "booga-fail"), ("beta-1", "bmr-pass"),
       ("beta-2", "bmr-fail"), ("beta-3", "bmr-incomplete"))


@pytest.fixture(scope="module")
def fleet_dir(runs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mixed fleet: both profiles, pass, fail, incomplete and one target without a report."""
    folder = tmp_path_factory.mktemp("fleet")
    entries = [audit_entry(runs, folder, name, kind) for name, kind in MIX] + [crashed()]
    fleet = write_fleet_artifacts(entries, folder)
    assert fleet == load(folder / "fleet.json")
    return folder


def reports_of(folder: Path, fleet: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    return {t["name"]: load(folder / t["report"]) if t["report"] else None for t in fleet["targets"]}


# -- fleet.json -----------------------------------------------------------------------------------

def test_all_fleet_artifacts_written(fleet_dir: Path) -> None:
    for name in FLEET_ARTIFACTS:
        assert (fleet_dir / name).is_file() and (fleet_dir / name).stat().st_size > 0, name


def test_fleet_json_matches_schema(fleet_dir: Path) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(load(fleet_dir / "fleet.json"))]
    assert errors == []


def test_schema_rejects_a_broken_fleet(fleet_dir: Path) -> None:
    good = load(fleet_dir / "fleet.json")
    for breaks in (lambda f: f.pop("targets"), lambda f: f.update(verdict="passed"),
                   lambda f: f["targets"][0].pop("report"), lambda f: f["targets"][0].update(verdict="error"),
                   lambda f: f["targets"][-1].pop("reason"),  # no report and no reason
                   lambda f: f["targets"][0]["rules"].update({"BGA-X": "passed"})):
        broken = copy.deepcopy(good)
        breaks(broken)
        assert not jsonschema.Draft202012Validator(SCHEMA).is_valid(broken)


def test_fleet_json_targets(fleet_dir: Path) -> None:
    fleet = load(fleet_dir / "fleet.json")
    assert [t["name"] for t in fleet["targets"]] == [name for name, _ in MIX] + ["vendor-crash"]
    by_name = {t["name"]: t for t in fleet["targets"]}
    for name, _kind in MIX:
        target, report = by_name[name], load(fleet_dir / name / "report.json")
        assert target["report"] == f"{name}/report.json"
        assert (target["profile"], target["base_url"]) == (report["profile"], report["target"]["base_url"])
        assert target["verdict"] == report["verdict"]  # the run verdict values of report.json
        assert target["rules"] == {r["id"]: r["verdict"] for r in report["rules"]}
        assert target["counts"] == report["counts"]
    assert [rid for rid, v in by_name["vendor-b"]["rules"].items() if v == "fail"] == [BGA_MUTANT]
    assert [rid for rid, v in by_name["beta-2"]["rules"].items() if v == "fail"] == [BMR_MUTANT]
    assert by_name["beta-3"]["verdict"] == "incomplete"
    lost = by_name["vendor-crash"]
    assert (lost["report"], lost["verdict"], lost["reason"], lost["rules"]) == (None, "incomplete", CRASH, {})
    assert (fleet["verdict"], fleet["exit_code"]) == ("fail", 1)
    assert fleet["counts"] == {"pass": 2, "fail": 2, "incomplete": 2}
    # The matrix rows: every rule of both profiles, booga's first, each once.
    ids = [r["id"] for r in fleet["rules"]]
    assert len(ids) == len(set(ids))
    assert ids == ([r["id"] for r in load(fleet_dir / "vendor-a/report.json")["rules"]]
                   + [r["id"] for r in load(fleet_dir / "beta-1/report.json")["rules"]])


@pytest.mark.parametrize(("kinds", "crash", "verdict", "code"), [
    (["booga-pass", "bmr-pass"], False, "pass", 0),
    (["booga-pass", "bmr-incomplete"], False, "incomplete", 3),
    (["booga-pass"], True, "incomplete", 3),  # a target without a report is incomplete
    (["bmr-fail", "bmr-incomplete"], True, "fail", 1),  # a failure outranks incompleteness
    (["booga-pass", "booga-fail", "bmr-pass"], False, "fail", 1),
    ([], True, "incomplete", 3),
    ([], False, "incomplete", 3),  # no target at all: nothing passed
])
def test_fleet_verdict_and_exit_code(runs: dict[str, Path], tmp_path: Path, kinds: list[str], crash: bool,
                                     verdict: str, code: int) -> None:
    entries = [audit_entry(runs, tmp_path, f"t{i}", kind) for i, kind in enumerate(kinds)]
    if crash:
        entries.append(crashed())
    fleet = build_fleet(entries)
    assert (fleet["verdict"], fleet["exit_code"], fleet_exit_code(fleet)) == (verdict, code, code)
    assert jsonschema.Draft202012Validator(SCHEMA).is_valid(fleet)


def test_a_crashed_worker_never_reads_as_passed_or_failed() -> None:
    for status, code in ((0, 3), (1, 3), (-9, 3), (3, 3), (2, 2)):
        entry = crashed()
        entry.exit_code = status
        target = build_fleet([entry])["targets"][0]
        assert (target["verdict"], target["exit_code"]) == ("incomplete", code)
    entry = crashed()
    entry.reason = None
    assert build_fleet([entry])["targets"][0]["reason"]  # a reason is always given


def test_target_names_must_be_unique() -> None:
    with pytest.raises(ConfigError, match="vendor-crash"):
        build_fleet([crashed(), crashed()])


# -- junit.xml ------------------------------------------------------------------------------------

def test_junit_one_testsuite_per_target(fleet_dir: Path) -> None:
    fleet = load(fleet_dir / "fleet.json")
    reports = reports_of(fleet_dir, fleet)
    root = ET.parse(fleet_dir / "junit.xml").getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [t["name"] for t in fleet["targets"]]
    for suite in suites:
        report = reports[suite.get("name", "")]
        cases = suite.findall("testcase")
        if report is None:
            assert len(cases) == 1 and suite.get("errors") == "1"
            error = cases[0].find("error")
            assert error is not None and error.get("message") == CRASH
            continue
        # A testcase per rule and endpoint, grouped by rule under the target (classname TARGET.RULE).
        rule_of = {c.get("name"): c.get("classname", "").partition(".")[2] for c in cases}
        assert {c.get("classname", "").partition(".")[0] for c in cases} == {suite.get("name")}
        assert list(dict.fromkeys(rule_of.values())) == [r["id"] for r in report["rules"]]
        for case in cases:
            assert case.get("name", "").startswith(f"{rule_of[case.get('name')]} "), case.get("name")
        tally = {"failures": "failure", "errors": "error", "skipped": "skipped"}
        for attribute, tag in tally.items():
            assert suite.get(attribute) == str(sum(1 for c in cases if c.find(tag) is not None)), attribute
        failed = list(dict.fromkeys(c.get("name", "").split()[0] for c in cases if c.find("failure") is not None))
        assert failed == [r["id"] for r in report["rules"] if r["verdict"] == "fail"]
    for attribute in ("tests", "failures", "errors", "skipped"):
        assert root.get(attribute) == str(sum(int(s.get(attribute, "0")) for s in suites)), attribute


# -- summary.md -----------------------------------------------------------------------------------

def test_summary_names_each_failing_rule_per_target(fleet_dir: Path) -> None:
    fleet = load(fleet_dir / "fleet.json")
    text = (fleet_dir / "summary.md").read_text(encoding="utf-8")
    assert text.startswith("## ❌ apiconform fleet: FAIL")
    assert "2 pass, 2 fail, 2 incomplete" in text
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| ")}
    for target in fleet["targets"]:
        row = rows[target["name"]]
        assert f"| {target['profile']} |" in row and target["verdict"] in row
        for rid, verdict in target["rules"].items():
            assert (f"`{rid}`" in row) == (verdict == "fail"), (target["name"], rid)
        if target["report"]:
            assert f"({target['name']}/report.html)" in row
    assert "no report" in rows["vendor-crash"]
    assert text.count(CRASH) == 1  # the reason, once: in what needs attention
    sections = text.split("#### ")[1:]
    named = {section.split(" ", 1)[0]: section for section in sections}
    assert set(named) == {"vendor-b", "beta-2", "beta-3"}  # the targets with rules to show
    assert f"`{BGA_MUTANT}`" in named["vendor-b"] and f"`{BMR_MUTANT}`" in named["beta-2"]
    errors = [rid for rid, v in fleet["targets"][4]["rules"].items() if v == "error"]
    assert errors and all(f"`{rid}`" in named["beta-3"] for rid in errors)


# -- fleet.html -----------------------------------------------------------------------------------

class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key == "href" and value:
                self.links.append(value)
            if key == "src" and value:
                self.sources.append(value)


def test_html_is_a_self_contained_matrix(fleet_dir: Path) -> None:
    fleet = load(fleet_dir / "fleet.json")
    html = (fleet_dir / "fleet.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    parser = _Links()
    parser.feed(html)
    assert parser.sources == []
    assert not [link for link in parser.links if re.match(r"[a-z]+:", link)], "no external link"
    assert len(re.findall(r'<tr data-rule="', html)) == len(fleet["rules"])
    assert html.count('<th scope="col"><span class="tname">') == len(fleet["targets"])
    # Each verdict cell links to the rule's anchor in that target's report.html, which exists.
    for link in parser.links:
        if "#rule-" in link:
            page, anchor = link.split("#")
            assert f'id="{anchor}"' in (fleet_dir / page).read_text(encoding="utf-8"), link
    for target in fleet["targets"][:-1]:
        for rid in target["rules"]:
            assert f'href="{target["name"]}/report.html#rule-{rid}"' in html
    cells = re.findall(r'<tr data-rule="([^"]+)">(.*?)</tr>', html)
    first = dict(cells)["BGA-AUTH-BEARER"]
    # booga rule: vendor-a/b have verdicts, the boomerang targets a blank "—", the crashed one n/a.
    assert re.findall(r">(pass|fail|error|skip|waived|—|n/a)<", first) == ["pass", "pass", "—", "—", "—", "n/a"]


def test_html_escapes_everything(runs: dict[str, Path], tmp_path: Path) -> None:
    entry = audit_entry(runs, tmp_path, "vendor-x", "booga-fail")
    assert entry.report is not None
    entry.base_url = 'https://x.example/"><script>alert(1)</script>'
    rule = next(r for r in entry.report["rules"] if r["verdict"] == "fail")
    rule["reason"] = "<img src=x onerror=alert(2)> & more"
    rule["title"] = "<b>bold</b>"
    lost = crashed()
    lost.reason = "<script>alert(3)</script>"
    fleet = build_fleet([entry, lost])
    html = render_fleet_html(fleet, {"vendor-x": entry.report, "vendor-crash": None})
    assert "<script>alert" not in html and "<img" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(1)" in html and "&lt;script&gt;alert(3)" in html and "&lt;b&gt;bold" in html


# -- merge ----------------------------------------------------------------------------------------

def test_merge_gives_what_audit_gives(runs: dict[str, Path], fleet_dir: Path, tmp_path: Path) -> None:
    """Reports downloaded from CI jobs (report.json only) merge into the same fleet.json, and every
    target gets its usual artifacts in DIR/<name>/ so each link resolves."""
    downloads = tmp_path / "downloads"
    for name, kind in MIX:
        (downloads / name).mkdir(parents=True)
        shutil.copy(runs[kind] / "report.json", downloads / name / "report.json")
    merged_dir = tmp_path / "merged"
    entries = [entry_from_report(downloads / name / "report.json", merged_dir) for name, _ in MIX]
    entries.append(crashed())
    merged = write_fleet_artifacts(entries, merged_dir)
    audited = load(fleet_dir / "fleet.json")
    for fleet in (merged, audited):
        fleet.pop("generated_at")
    assert merged == audited
    for name, _ in MIX:
        for artifact in ("report.json", "junit.xml", "report.html", "summary.md"):
            assert (merged_dir / name / artifact).is_file(), (name, artifact)
    assert (merged_dir / "summary.md").read_text(encoding="utf-8").replace(
        load(merged_dir / "fleet.json")["generated_at"], "T") == (fleet_dir / "summary.md").read_text(
        encoding="utf-8").replace(load(fleet_dir / "fleet.json")["generated_at"], "T")


def test_entry_from_report(runs: dict[str, Path], tmp_path: Path) -> None:
    source = runs["bmr-fail"] / "report.json"
    entry = entry_from_report(source, tmp_path, name="beta")
    assert (entry.name, entry.profile, entry.exit_code, entry.report_path) == ("beta", "boomerang", 1,
                                                                               "beta/report.json")
    assert entry.report == load(source)
    assert entry_from_report(runs["bmr-incomplete"] / "report.json", tmp_path).exit_code == 3
    assert entry_from_report(runs["booga-pass"] / "report.json", tmp_path).exit_code == 0
    report = load(source)
    assert default_name(Path("ci/vendor-a/report.json"), report) == "vendor-a"
    assert default_name(Path("ci/vendor b.json"), report) == "vendor-b"
    assert default_name(Path("report.json"), report) != ""
    assert default_name(Path("/report.json"), report) == "boomerang.apiconform.invalid"


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "cannot read"),
    ('{"verdict": "pass"}', "not an apiconform report.json"),
    ("[]", "not an apiconform report.json"),
])
def test_entry_from_report_refuses_what_is_not_a_report(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "x" / "report.json"
    path.parent.mkdir()
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        entry_from_report(path, tmp_path / "out")
    with pytest.raises(ConfigError, match="cannot read"):
        entry_from_report(tmp_path / "missing.json", tmp_path / "out")


def test_entry_from_report_refuses_a_name_that_is_not_a_folder(runs: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="folder name"):
        entry_from_report(runs["bmr-pass"] / "report.json", tmp_path, name="../escape")


# -- redaction ------------------------------------------------------------------------------------

SECRET = "fleet-secret-Zq8Vb3Kd"


def test_no_credential_in_any_fleet_artifact(runs: dict[str, Path], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # Registered with the process-wide REDACTOR (as the engine does), restored afterwards.
    monkeypatch.setattr(REDACTOR, "_secrets", set(REDACTOR.secrets))
    monkeypatch.setattr(REDACTOR, "_pattern", REDACTOR._pattern)
    REDACTOR.add(SECRET)
    encoded = base64.b64encode(f"user:{SECRET}".encode()).decode()
    downloads = tmp_path / "downloads" / "leaky"
    downloads.mkdir(parents=True)
    report = load(runs["booga-fail"] / "report.json")
    rule = next(r for r in report["rules"] if r["verdict"] == "fail")
    rule["reason"] = f"server echoed key {SECRET} and Basic {encoded}"
    rule["title"] += f" {SECRET}"
    rule["notes"] = [f"note {SECRET}"]
    rule["evidence"][0]["request"]["url"] += f"?api_key={SECRET}"
    rule["evidence"][0]["request"]["headers"]["X-Echo"] = SECRET
    report["target"]["base_url"] += f"/{SECRET}"
    (downloads / "report.json").write_text(json.dumps(report), encoding="utf-8")
    out = tmp_path / "fleet"
    lost = crashed()
    lost.reason = f"worker died printing {SECRET}"
    lost.base_url = f"https://{SECRET}.example"
    write_fleet_artifacts([entry_from_report(downloads / "report.json", out), lost], out)
    written = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {*FLEET_ARTIFACTS, "report.json", "report.html"}
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert SECRET not in text and encoded not in text, path
    assert "[REDACTED]" in (out / "fleet.html").read_text(encoding="utf-8")
