"""The kit against a large generated Booga deployment: ~300 GET operations, a multi-megabyte document.

Issue 25, part 6: "A generated deployment of a few hundred GET operations on a real framework, with
a multi-megabyte OpenAPI document, many filters per list, and a few planted 500s on malformed filter
values. Every planted 500 must be found." tests/independent/booga_large is that deployment
(Starlette, sqlite, 150 plugins, 20-35 declared filters per list, writes declared on every 4th
plugin, seven lists that crash on a malformed filter value: five reached by the kit's malformed
value of the parameter's kind, two only by its request with every other parameter malformed).

Done when, against it, read-only with default settings (keys in the environment, nothing else):
every operation of the document is on the surface; every planted 500 fails BGA-NO-5XX with its
exchange; no rule passes having judged nothing; the clean variant (`--no-500s`) passes; the run
stays within its request budget, sized for the endpoints found. (The wall time against
schemathesis's is bench/large.py's to measure: it reports, it does not assert.)

The deployment is first shown to be what it claims by plain HTTP (no kit involved): its size, its
document, and each planted 500 answering exactly the requests the kit sends, only there.

The clean variant's run is the `apiconform run` command in a subprocess, started before the planted
variant's in-process run so that the two overlap (each is a full run of ~300 endpoints).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema
import pytest
from tests.independent.booga_large import KEY_A, KEY_B, MODULE, SCHEMA_PATH, STATS_PATH, planted_lists
from tests.independent.serving import ROOT, served

from apiconform.profiles.booga.probes import malformed
from apiconform.runner import RunOutcome, run
from apiconform.session import Options
from apiconform.surface import Param
from apiconform.target import DEFAULT_MAX_REQUESTS, MAX_SIZED_REQUESTS

pytestmark = pytest.mark.slow  # two full runs of ~300 endpoints, and a few thousand plain requests

KEYS = {"APICONFORM_TOKEN": KEY_A, "APICONFORM_TOKEN_B": KEY_B}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
PLANTED = planted_lists()
CLEAN_RUN_TIMEOUT = 600  # a hang guard only: the run's own figures are the assertions

@dataclass
class CleanRun:
    """The clean variant's `apiconform run` command, running while the planted variant's run does."""

    process: subprocess.Popen[str]
    report_dir: Path
    stats_url: str

    def finish(self) -> tuple[int, dict[str, Any], str]:
        out, _ = self.process.communicate(timeout=CLEAN_RUN_TIMEOUT)
        report = json.loads((self.report_dir / "report.json").read_text("utf-8"))
        return self.process.returncode, report, out


@pytest.fixture(scope="module")
def clean() -> Iterator[CleanRun]:
    with served(MODULE, "--no-500s", "--stats") as url, tempfile.TemporaryDirectory() as tmp:
        # As a user runs it: the command, keys in the environment, default settings.
        process = subprocess.Popen(
            [sys.executable, "-m", "apiconform.cli", "run", "booga", "--base-url", url, "--report-dir", tmp,
             "--quiet"], cwd=ROOT, env={**os.environ, **KEYS}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        try:
            yield CleanRun(process, Path(tmp), url + STATS_PATH)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="module")
def planted_url() -> Iterator[str]:
    with served(MODULE, "--stats") as url:
        yield url


@pytest.fixture(scope="module")
def planted(clean: CleanRun, planted_url: str) -> RunOutcome:
    # `clean` first: its command is already running while this one runs in-process.
    with pytest.MonkeyPatch.context() as env:
        for name, value in KEYS.items():
            env.setenv(name, value)
        # Default settings, read-only, no target file: what a user pointing the kit at it would run.
        return run("booga", Options(base_url=planted_url, write_reports=False))


@pytest.fixture(scope="module")
def clean_result(clean: CleanRun) -> tuple[int, dict[str, Any], str]:
    return clean.finish()


def document(url: str, **query: str) -> dict[str, Any]:
    r = httpx.get(url + SCHEMA_PATH, params=query, headers={"Authorization": f"Bearer {KEY_A}"}, timeout=60)
    assert r.status_code == 200, (r.status_code, r.text[:300])
    body: dict[str, Any] = r.json()
    return body


def get_operations(doc: dict[str, Any]) -> set[str]:
    return {path for path, item in doc["paths"].items() if "get" in item}


def kit_requests(doc: dict[str, Any], path: str) -> list[dict[str, str]]:
    """The query strings BGA-NO-5XX sends a list for its declared parameters (suites/booga/test_bga_errors.py):
    the first parameter of each kind malformed alone, then every other one malformed together."""
    params = [Param(p["name"], "query", bool(p.get("required")), p.get("schema", {}))
              for p in doc["paths"][path]["get"]["parameters"]
              if p["in"] == "query" and p["name"] not in ("limit", "offset")]
    firsts: dict[str, Param] = {}
    for param in params:
        firsts.setdefault(malformed(param)[0], param)
    rest = [p for p in params if p not in firsts.values()]
    return [{p.name: malformed(p)[1]} for p in firsts.values()] + [{p.name: malformed(p)[1] for p in rest}]


def stats(url: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(url, timeout=10).json()
    return body


# -- the deployment, by plain HTTP ----------------------------------------------------------------------
def test_the_deployment_is_large_and_valid(planted_url: str) -> None:
    from schemathesis.specs.openapi.definitions import OPENAPI_30  # the official OpenAPI 3.0 JSON Schema

    raw = httpx.get(planted_url + SCHEMA_PATH, headers={"X-API-Key": KEY_A}, timeout=60)
    assert raw.status_code == 200
    assert len(raw.content) > 3_000_000, len(raw.content)  # several megabytes
    assert httpx.get(planted_url + SCHEMA_PATH, timeout=10).status_code == 401  # a key, like every endpoint
    doc = raw.json()
    assert doc["openapi"] == "3.0.3"
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:120]}"
              for e in jsonschema.Draft4Validator(OPENAPI_30).iter_errors(doc)]
    assert errors == []
    lists = {p for p in get_operations(doc) if p.count("/") == 3 and p != SCHEMA_PATH}
    items = {p for p in get_operations(doc) if p.endswith("{id}/")}
    assert len(lists) == len(items) == 150 and len(get_operations(doc)) == 301
    for path in lists:
        declared = [p for p in doc["paths"][path]["get"]["parameters"] if p["name"] not in ("limit", "offset")]
        assert 20 <= len(declared) <= 40, (path, len(declared))
    # A real app's writes, declared (the kit is read-only by default and must never send them).
    writes = {(path, method.upper()) for path, item in doc["paths"].items() for method in item
              if method.upper() in WRITES}
    assert len(writes) > 100, len(writes)
    # Tags are the plugins: plugin= keeps exactly one plugin's two operations.
    assert set(document(planted_url, plugin="files")["paths"]) == {"/api/files/", "/api/files/{id}/"}
    assert set(document(planted_url, include_plugins="files,accounts")["paths"]) == {
        "/api/files/", "/api/files/{id}/", "/api/accounts/", "/api/accounts/{id}/"}


def test_each_planted_500_answers_the_kits_requests_and_only_there(planted_url: str) -> None:
    # Every list gets exactly the requests BGA-NO-5XX would send it. The planted lists answer one of
    # them 500 in the error format, no other list answers any of them 5xx, and the clean variant
    # answers none of them 5xx.
    doc = document(planted_url)
    lists = sorted(p for p in get_operations(doc) if p.count("/") == 3 and p != SCHEMA_PATH)
    with served(MODULE, "--no-500s") as clean_url:
        crashed: dict[str, list[str]] = {}
        for base, variant in ((planted_url, "planted"), (clean_url, "clean")):
            with httpx.Client(base_url=base, headers={"X-API-Key": KEY_A}, timeout=10) as client:
                for path in lists:
                    for query in kit_requests(doc, path):
                        r = client.get(path, params=query)
                        if r.status_code >= 500:
                            assert r.json() == {"detail": "A server error occurred.", "code": "server_error"}
                            assert "X-RateLimit-Remaining-Minute" in r.headers
                            crashed.setdefault(variant, []).append(path)
    assert sorted(set(crashed.get("planted", []))) == sorted(PLANTED)
    assert crashed.get("clean", []) == []


# -- the kit, read-only with default settings ----------------------------------------------------------
def verdicts(outcome: RunOutcome) -> dict[str, tuple[str, str]]:
    return {r.rule.id: (r.verdict, r.reason) for r in outcome.run.results}


def test_every_get_operation_is_on_the_surface(planted: RunOutcome, planted_url: str) -> None:
    operations = get_operations(document(planted_url))
    rows = {row["endpoint"]: row for row in planted.run.extra["coverage"]["endpoints"]}
    assert set(rows) == operations, sorted(set(rows) ^ operations)[:10]
    assert planted.run.extra["surface"]["endpoints"] == len(operations)
    assert planted.run.extra["surface"]["kinds"] == {"list": 150, "single": 150, "other": 1}


def test_every_planted_500_fails_no_5xx_with_its_exchange(planted: RunOutcome) -> None:
    result = next(r for r in planted.run.results if r.rule.id == "BGA-NO-5XX")
    assert result.verdict == "fail", (result.verdict, result.reason)
    failing = {row["endpoint"] for row in result.endpoints if row["verdict"] == "fail"}
    assert failing == set(PLANTED), {"missed": sorted(set(PLANTED) - failing),
                                     "not planted": sorted(failing - set(PLANTED)),
                                     "rows": [r for r in result.endpoints if r["endpoint"] in PLANTED]}
    assert any(ex.status == 500 for ex in result.evidence), [ex.status for ex in result.evidence]
    # Each planted list's own 500 is among the exchanges that showed the violation.
    shown = {urlsplit(ex.request.url).path for ex in result.offending if ex.status == 500}
    assert set(PLANTED) <= shown, sorted(set(PLANTED) - shown)


def test_no_rule_passes_having_judged_nothing_and_no_other_rule_fails(planted: RunOutcome) -> None:
    empty = {r.rule.id: r.reason for r in planted.run.results if r.verdict == "pass" and r.judged == 0}
    assert empty == {}
    failed = {r.rule.id: r.reason for r in planted.run.results if r.verdict == "fail"}
    assert set(failed) <= {"BGA-NO-5XX"}, failed


def test_the_clean_variant_passes(clean_result: tuple[int, dict[str, Any], str]) -> None:
    code, report, out = clean_result
    not_passed = {r["id"]: (r["verdict"], r["reason"][:200]) for r in report["rules"] if r["verdict"] in
                  ("fail", "error")}
    assert code == 0 and not_passed == {}, (code, not_passed, out[-2000:])
    empty = {r["id"] for r in report["rules"] if r["verdict"] == "pass" and r["judged"] == 0}
    assert empty == set()


def test_the_run_stays_within_a_budget_sized_for_the_deployment(planted: RunOutcome) -> None:
    # Nobody set a budget: the kit sizes it for the endpoints it found (~300 here, some 8,000
    # requests), never judging fewer endpoints because the deployment is large; at most 20000.
    assert DEFAULT_MAX_REQUESTS < planted.run.max_requests <= MAX_SIZED_REQUESTS
    assert planted.run.requests_sent <= planted.run.max_requests
    # Within it means the run ended before the budget did, not that the budget stopped it.
    unfinished = [row for row in planted.run.extra["coverage"]["incomplete"]
                  if any("budget" in reason for reason in row["reasons"])]
    assert unfinished == [], (planted.run.requests_sent, len(unfinished), unfinished[:2])


def test_neither_run_sent_a_write(planted: RunOutcome, planted_url: str, clean: CleanRun,
                                  clean_result: tuple[int, dict[str, Any], str]) -> None:
    # Read-only by default: the writes the document declares are never sent (the servers' own count).
    for url in (planted_url + STATS_PATH, clean.stats_url):
        methods = stats(url)["methods"]
        assert not set(methods) & WRITES, methods
    assert not {method for method, _ in planted.run.methods} & WRITES
