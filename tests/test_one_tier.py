"""Every endpoint is a first-class endpoint: each rule about a kind of endpoint is judged on every
endpoint of that kind, as one test item each, and the reports say so per rule and endpoint.

Run against the independent FastAPI deployment (tests/independent/booga_fastapi: three plugins,
no files plugin, integer ids), read-only with default settings: no endpoint of a kind may be
judged by fewer rules than another of its kind, and junit.xml has a testcase per rule and
endpoint, grouped by rule.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.independent.booga_fastapi import KEY_A, KEY_B, MODULE
from tests.independent.serving import served

from apiconform.catalog import WHERE_WORDS, judged_where
from apiconform.runner import run
from apiconform.session import Options

KIND_OF = {words: kind for kind, words in WHERE_WORDS.items()}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict, Path]]:  # type: ignore[type-arg]
    folder = tmp_path_factory.mktemp("one-tier")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("APICONFORM_TOKEN", KEY_A)
        mp.setenv("APICONFORM_TOKEN_B", KEY_B)
        with served(MODULE) as url:
            outcome = run("booga", Options(base_url=url, report_dir=str(folder)))
    assert outcome.exit_code == 0, {r.rule.id: r.reason for r in outcome.run.results if r.verdict != "pass"}
    yield json.loads((folder / "report.json").read_text(encoding="utf-8")), folder


def test_every_rule_is_judged_on_every_endpoint_of_its_kind(report: tuple[dict, Path]) -> None:  # type: ignore[type-arg]
    data, _ = report
    endpoints = {row["endpoint"]: row["kind"] for row in data["coverage"]["endpoints"]}
    assert "/api/files/" not in endpoints  # the document's example is not this deployment's
    where = judged_where("booga")
    for rule in data["rules"]:
        kinds = [KIND_OF[w] for w in where[rule["id"]] if KIND_OF[w] is not None]
        if not kinds:
            continue
        due = {e for e, kind in endpoints.items() if "any" in kinds or kind in kinds}
        rows = {row["endpoint"]: row for row in rule["endpoints"]}
        # One outcome on every endpoint of its kind: judged there, or said why not (never silent).
        assert due <= set(rows), (rule["id"], sorted(due - set(rows)))
        for endpoint in due:
            row = rows[endpoint]
            assert row["verdict"] in ("pass", "skip"), (rule["id"], endpoint, row)
            if row["verdict"] == "pass":
                assert row["judged"] > 0, (rule["id"], endpoint, row)
            else:
                assert row["reason"], (rule["id"], endpoint, row)


def test_lists_are_held_to_the_same_rules(report: tuple[dict, Path]) -> None:  # type: ignore[type-arg]
    # The rules that judged one list judged every list, but for the filters a list does not declare.
    data, _ = report
    lists = [row["endpoint"] for row in data["coverage"]["endpoints"] if row["kind"] == "list"]
    judged: dict[str, set[str]] = {e: set() for e in lists}
    where = judged_where("booga")
    for rule in data["rules"]:
        if not {WHERE_WORDS["list"], WHERE_WORDS["any"]} & set(where[rule["id"]]):
            continue  # a rule about the deployment as a whole (its counters, its schema)
        for row in rule["endpoints"]:
            if row["endpoint"] in judged and row["verdict"] == "pass":
                judged[row["endpoint"]].add(rule["id"])
    common = set.intersection(*judged.values())
    for endpoint, rules in judged.items():
        assert rules - common <= {r for r in rules if r.startswith("BGA-FILTER-")}, (endpoint, rules - common)
    assert {"BGA-LIST-LIMIT-INVALID", "BGA-LIST-OFFSET", "BGA-LIST-TRAVERSAL", "BGA-LIST-LINKS", "BGA-NO-5XX",
            "BGA-AUTH-INVALID", "BGA-TENANCY-LIST"} <= common


def test_junit_has_a_testcase_per_rule_and_endpoint(report: tuple[dict, Path]) -> None:  # type: ignore[type-arg]
    data, folder = report
    cases = ET.parse(folder / "junit.xml").getroot().iter("testcase")
    by_rule: dict[str, set[str]] = {}
    for case in cases:
        rule_id = case.get("classname", "").partition(".")[2]
        name = case.get("name", "")
        by_rule.setdefault(rule_id, set()).add(name.rpartition("[")[2].rstrip("]") if "[" in name else "")
    for rule in data["rules"]:
        assert by_rule[rule["id"]] >= {row["endpoint"] for row in rule["endpoints"]}, rule["id"]
