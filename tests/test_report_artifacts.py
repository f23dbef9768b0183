"""The report artifacts of real embedded runs (conformant and mutant): all four are written,
report.json matches fixtures/report.schema.json, junit.xml has a testcase per rule and
endpoint with agreeing counts, report.html is self-contained, summary.md names what needs attention, and no
credential lands in any of them."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from apiconform import mocks
from apiconform.locations import fixtures_dir
from apiconform.runner import run
from apiconform.session import Options

ARTIFACTS = ("report.json", "junit.xml", "report.html", "summary.md")
MUTANT = "BMR-ERROR-FIELDS"
SCHEMA_FILE = fixtures_dir() / "report.schema.json"


@pytest.fixture(scope="module", params=["conformant", "mutant"])
def run_dir(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, int]:
    folder = tmp_path_factory.mktemp(request.param)
    mutant = MUTANT if request.param == "mutant" else None
    outcome = run("boomerang", Options(report_dir=str(folder), mutant=mutant))
    return request.param, folder, outcome.exit_code


def load(folder: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    return report


def test_all_artifacts_written(run_dir: tuple[str, Path, int]) -> None:
    kind, folder, exit_code = run_dir
    for name in ARTIFACTS:
        assert (folder / name).is_file() and (folder / name).stat().st_size > 0, name
    report = load(folder)
    assert exit_code == (1 if kind == "mutant" else 0)
    assert report["verdict"] == ("fail" if kind == "mutant" else "pass")
    failing = [r["id"] for r in report["rules"] if r["verdict"] == "fail"]
    assert failing == ([MUTANT] if kind == "mutant" else [])


def test_report_json_matches_schema(run_dir: tuple[str, Path, int]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(load(run_dir[1]))]
    assert errors == []


def test_schema_rejects_a_broken_report(run_dir: tuple[str, Path, int]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    report = load(run_dir[1])
    report["rules"][0]["verdict"] = "passed"
    del report["tool"]
    assert not jsonschema.Draft202012Validator(schema).is_valid(report)


def test_junit_one_testcase_per_rule_and_endpoint(run_dir: tuple[str, Path, int]) -> None:
    """A testcase per rule and endpoint, grouped by rule (classname boomerang.RULE-ID), one for a
    rule about the deployment as a whole; a rule fails in junit.xml exactly where it failed."""
    folder = run_dir[1]
    report = load(folder)
    root = ET.parse(folder / "junit.xml").getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    cases = suite.findall("testcase")
    assert list(dict.fromkeys(c.get("classname") for c in cases)) == [f"boomerang.{r['id']}" for r in report["rules"]]
    for node in (root, suite):
        assert int(node.get("tests", -1)) == len(cases)
        assert int(node.get("failures", -1)) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(node.get("errors", -1)) == sum(1 for c in cases if c.find("error") is not None)
        assert int(node.get("skipped", -1)) == sum(1 for c in cases if c.find("skipped") is not None)
    for rule in report["rules"]:
        own = [c for c in cases if c.get("classname") == f"boomerang.{rule['id']}"]
        names = [c.get("name") for c in own]
        where = [row["endpoint"] for row in rule["endpoints"]]
        stem = f"{rule['id']} {rule['title']}"
        assert names[:len(where)] == [f"{stem} [{e}]" for e in where] if where else names == [stem], names
        failures = [c.find("failure") for c in own if c.find("failure") is not None]
        assert bool(failures) == (rule["verdict"] == "fail"), rule["id"]
        for failure in failures:
            assert failure is not None and rule["clause"] in (failure.text or "")


def test_html_names_every_rule_and_loads_nothing(run_dir: tuple[str, Path, int]) -> None:
    folder = run_dir[1]
    report = load(folder)
    page = (folder / "report.html").read_text(encoding="utf-8")
    for rule in report["rules"]:
        assert f'id="rule-{rule["id"]}"' in page
    assert page.count('<tbody class="rule"') == len(report["rules"])
    assert "default-src 'none'" in page  # the CSP forbids every fetch, whatever the data holds
    problems = external_references(page)
    assert problems == []


class _Refs(HTMLParser):
    """Collects everything in markup (not data) that could make a browser fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._raw: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("link", "img", "iframe", "object", "embed", "base", "video", "audio", "source"):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name in ("src", "srcset", "action", "formaction", "poster", "data"):
                self.problems.append(f"{tag}[{name}]")
            if name == "href" and not (value or "").startswith("#"):
                self.problems.append(f"{tag}[href={value}]")
            if value and "://" in value:
                self.problems.append(f"{tag}[{name}={value}]")
        self._raw = tag if tag in ("style", "script") else None

    def handle_endtag(self, tag: str) -> None:
        self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw and re.search(r"://|@import|url\(|fetch\(|XMLHttpRequest|import\(", data):
            self.problems.append(f"<{self._raw}> refers outside: {data[:80]!r}")


def external_references(page: str) -> list[str]:
    parser = _Refs()
    parser.feed(page)
    return parser.problems


def test_external_reference_detector_works() -> None:
    assert external_references('<link rel="stylesheet" href="https://cdn.example/x.css">')
    assert external_references('<script src="https://cdn.example/x.js"></script>')
    assert external_references('<style>@import url(https://x/y.css);</style>')
    assert external_references('<a href="http://example.com">x</a>')
    assert external_references('<img src="data:image/png;base64,AAAA">')
    assert external_references('<p>GET https://data.example/in/a/text/node</p><a href="#rule-X">x</a>') == []


def test_summary_md(run_dir: tuple[str, Path, int]) -> None:
    kind, folder, _ = run_dir
    report = load(folder)
    text = (folder / "summary.md").read_text(encoding="utf-8")
    assert text.startswith("## ")
    assert f"`{report['target']['base_url']}`" in text
    assert f"seed: `{report['seed']}`" in text
    if kind == "mutant":
        assert "FAIL" in text.splitlines()[0]
        rule = next(r for r in report["rules"] if r["id"] == MUTANT)
        assert f"| `{MUTANT}` |" in text
        assert rule["reason"][:60] in text
    else:
        assert "PASS" in text.splitlines()[0]
        assert "Every applicable rule passed." in text


def test_no_credential_in_any_artifact(run_dir: tuple[str, Path, int]) -> None:
    folder = run_dir[1]
    secrets = [v for v in mocks.credentials("boomerang").values() if v]
    assert secrets
    for name in ARTIFACTS:
        text = (folder / name).read_text(encoding="utf-8")
        for secret in secrets:
            assert secret not in text, f"credential in {name}"
    assert "Bearer [REDACTED]" in (folder / "report.json").read_text(encoding="utf-8")
