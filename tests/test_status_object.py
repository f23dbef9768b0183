"""Object-valued status (issue 25): a deployment whose results carry `status` as an object
(`{"value": "active", "label": "Active"}`, as many Django applications serialize a choice field)
is judged on its value, never found to "carry no status"."""

from __future__ import annotations

import json
from typing import Any

from tests.servers.rewrite import Answer, Rewrite

from apiconform import mocks
from apiconform.runner import run
from apiconform.session import Options, harness


def object_status(scope: dict[str, Any], _: bytes, answer: Answer) -> Answer:
    """Every result's status as an object {value, label}, as many real deployments send it."""
    status, headers, body = answer
    if status != 200 or not scope["path"].startswith("/api/chat/"):
        return answer
    page = json.loads(body)
    for item in page.get("results", []) if isinstance(page, dict) else []:
        if isinstance(item, dict) and isinstance(item.get("status"), str):
            item["status"] = {"value": item["status"], "label": item["status"].title()}
    grown = json.dumps(page).encode()
    headers = [(k, str(len(grown)).encode() if k.lower() == b"content-length" else v) for k, v in headers]
    return status, headers, grown


def test_an_object_status_is_read_by_its_value() -> None:
    # DESIGN.md: a resource status that is an object ({value, label}) is read by its value.
    with harness(app=Rewrite(mocks.create_app("booga"), object_status)):
        outcome = run("booga", Options(write_reports=False, rules=["BGA-FILTER-STATUS"]))
    result = next(r for r in outcome.run.results if r.rule.id == "BGA-FILTER-STATUS")
    assert result.verdict == "pass", result.reason
    assert any(row["verdict"] == "pass" and row["endpoint"] == "/api/chat/messages/" for row in result.endpoints)
