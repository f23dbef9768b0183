"""The kit against a multi-module Boomerang deployment on Flask, with the vendor's OpenAPI document.

tests/independent/boomerang_flask is written apart from the kit's reference mock and from the
Starlette server: Flask blueprints per module (example, widgets, orders, stats, events) served by
werkzeug, and a vendor OpenAPI document whose server URL holds the version
(`https://gateway.bmrg.app/v1`) and whose paths are relative to it. The kit learns every
endpoint from that document (`--openapi`), so:

- the conformant deployment exits 0 read-only with default settings, the events module's
  envelope metadata (`meta.generated_at`, the time of each answer) included: an idempotent GET
  is about the resource data (DESIGN.md);
- each `--break RULE@module[:variant]` breaks one rule on an endpoint beyond the page's two
  examples (`@unrouted`: on the paths under /v1/ that no module routes), and must fail exactly
  that rule, where it is broken;
- a base URL with a path works: a gateway prefix, and the page's own `…/vN/` form.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from tests.independent.boomerang_flask import BREAKERS, MODULE, OPENAPI, TOKEN, UNROUTED, breaker_parts
from tests.independent.serving import served

from apiconform.runner import RunOutcome, run
from apiconform.session import Options

HTTPS_ONLY = "BMR-TRANSPORT-HTTPS"  # plain HTTP on loopback: the only rule that may be skipped


def kit(url: str, monkeypatch: pytest.MonkeyPatch, **options: object) -> RunOutcome:
    monkeypatch.setenv("APICONFORM_TOKEN", TOKEN)
    monkeypatch.delenv("APICONFORM_TOKEN_B", raising=False)
    return run("boomerang", Options(base_url=url, write_reports=False, openapi_file=str(OPENAPI), **options))


def not_passed(outcome: RunOutcome) -> dict[str, str]:
    assert outcome.runs, f"the suite did not run: {outcome.message}"
    return {r.rule.id: f"{r.verdict}: {r.reason[:300]}" for r in outcome.run.results if r.verdict != "pass"}


@pytest.fixture(scope="module")
def conformant() -> Iterator[str]:
    with served(MODULE) as url:
        yield url


def test_conformant_deployment_passes_every_rule_on_every_endpoint(
        conformant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = kit(conformant, monkeypatch)
    assert set(not_passed(outcome)) <= {HTTPS_ONLY}, not_passed(outcome)
    assert outcome.exit_code == 0
    coverage = outcome.run.extra["coverage"]
    endpoints = {row["endpoint"]: row for row in coverage["endpoints"]}
    # Every GET operation of the document, at its path under the server URL's /v1.
    assert set(endpoints) == {"/v1/example/resource", "/v1/example/resources", "/v1/widgets",
                              "/v1/widgets/{widget_id}", "/v1/orders", "/v1/orders/{order_id}", "/v1/stats/summary",
                              "/v1/events", "/v1/events/{event_id}"}
    assert coverage["uncovered"] == []
    assert {row["kind"] for name, row in endpoints.items() if name.endswith("s") and "{" not in name
            and "stats" not in name} == {"list"}
    for family in ("AUTH", "ENVELOPE", "METHOD", "REQUEST", "RESPONSE"):
        assert all(row["families"][family] == "pass" for row in endpoints.values()), (family, endpoints)
    # Path parameters were real ids: the items answered 2xx and were judged.
    rows = {r.rule.id: r.endpoints for r in outcome.run.results}
    assert {"endpoint": "/v1/widgets/{widget_id}", "verdict": "pass"}.items() <= next(
        row for row in rows["BMR-ENVELOPE-DATA"] if row["endpoint"] == "/v1/widgets/{widget_id}").items()


def test_envelope_metadata_that_changes_is_no_idempotency_failure(
        conformant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 23: the events module answers {"items"|"data": ..., "meta": {"generated_at": <now>}}.
    # Its resource data repeats exactly; only the generation time beside it moves, which
    # DESIGN.md ("idempotent GET is about state") allows. The rule is judged there, and passes.
    outcome = kit(conformant, monkeypatch)
    rows = {row["endpoint"]: row for r in outcome.run.results if r.rule.id == "BMR-IDEMPOTENT-GET"
            for row in r.endpoints}
    for endpoint in ("/v1/events", "/v1/events/{event_id}"):
        assert endpoint in rows, rows
        assert rows[endpoint]["verdict"] == "pass" and rows[endpoint]["judged"] > 0, rows[endpoint]


def test_a_default_run_sends_no_writing_method(conformant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = kit(conformant, monkeypatch)
    sent = {method for method, _ in outcome.run.methods}
    assert not sent & {"POST", "PUT", "PATCH", "DELETE"}, sent


@pytest.mark.parametrize("base", ["/gw", "/gw/v1", "/gw/v1/"], ids=["prefix", "versioned", "versioned-slash"])
def test_a_base_url_with_a_path_is_taken_as_given(base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with served(MODULE, "--prefix", "/gw") as url:
        outcome = kit(url + base, monkeypatch)
    assert set(not_passed(outcome)) <= {HTTPS_ONLY}, not_passed(outcome)
    paths = {path for _, path in outcome.run.methods}
    assert all(p.startswith("/gw/v1/") for p in paths if "v1" in p), paths
    assert not any("/v1/v1/" in p for p in paths), paths


def test_a_wrong_base_url_is_an_error_not_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    # The deployment lives under /gw: without it every request is a 404 (in the error format).
    with served(MODULE, "--prefix", "/gw") as url:
        outcome = kit(url + "/elsewhere", monkeypatch)
    failed = {r.rule.id: r.reason for r in outcome.run.results if r.verdict == "fail"}
    assert failed == {}, failed
    assert outcome.exit_code == 3
    reasons = " ".join(r.reason for r in outcome.run.results if r.verdict == "error")
    assert "base URL" in reasons


@pytest.mark.parametrize("breaker", BREAKERS)
def test_breaker_beyond_the_examples_fails_exactly_its_rule(breaker: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # `RULE@module[:variant]`: the rule before "@", the module (or `unrouted`) up to ":".
    rule, module, _ = breaker_parts(breaker)
    with served(MODULE, "--break", breaker) as url:
        outcome = kit(url, monkeypatch)
    found = not_passed(outcome)
    failed = {r for r, text in found.items() if text.startswith("fail")}
    # Exactly its own rule fails; a rule that needs what the breaker broke (pagination on a page
    # without its envelope) may be left undecided, never failed.
    assert failed == {rule}, found
    assert outcome.exit_code == 1
    # The report says where it failed.
    where = {row["endpoint"] for r in outcome.run.results if r.rule.id == rule for row in r.endpoints
             if row["verdict"] == "fail"}
    if module == UNROUTED:
        # Only paths no module routes answer wrongly. The report has a row for each documented
        # endpoint and none for a path off the surface, so: no documented endpoint fails, and the
        # rule's evidence shows a path under /v1/ that none of them matches.
        documented = {row["endpoint"] for row in outcome.run.extra["coverage"]["endpoints"]}
        assert not where & documented, (where, documented)
        templates = [re.compile(re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(d))) for d in documented]
        evidence = {urlsplit(ex.request.url).path for r in outcome.run.results if r.rule.id == rule
                    for ex in r.evidence}
        assert any(path.startswith("/v1/") and not any(t.fullmatch(path) for t in templates)
                   for path in evidence), evidence
    else:
        # The broken module's endpoint, not the examples.
        assert where and all(f"/{module}" in w for w in where), where


def test_a_spent_budget_leaves_endpoints_uncovered_never_passed(
        conformant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = kit(conformant, monkeypatch, max_requests=150)
    coverage = outcome.run.extra["coverage"]
    assert outcome.exit_code == 3
    # The endpoints some rule never reached are named, with why.
    assert coverage["incomplete"], coverage
    assert any("budget" in reason for row in coverage["incomplete"] for reason in row["reasons"]), coverage
    for result in outcome.run.results:
        for row in result.endpoints:
            # A rule passes on an endpoint only where it judged something, and never overall
            # while it could not be judged on one of them.
            assert row["verdict"] != "pass" or row["judged"] > 0, (result.rule.id, row)
            if row["verdict"] == "error":
                assert result.verdict in ("error", "fail"), (result.rule.id, row)
