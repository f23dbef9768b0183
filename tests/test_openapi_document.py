"""The deployment's OpenAPI document is read whole, with its own size cap and patience (issue 25).

A real deployment's generated document can be many megabytes (13 MB on a Django REST framework
application of 293 GET operations) and take seconds to produce ("The schema is cached for one
hour"). Past the ordinary body cap (5 MiB) or read timeout (5 s), the kit used to fall back to
the documents' defaults and judge three endpoints. The document now has caps of its own (64 MiB,
60 s), and its one reading serves discovery and the schema endpoint's own rules alike.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.servers.rewrite import Answer, Rewrite

from apiconform import mocks
from apiconform.runner import run
from apiconform.session import Options, harness

SCHEMA = "/api/api-management/openapi-schema/"
PADDING = 8 * 1024 * 1024  # past the ordinary 5 MiB cap of a response body


def padded(scope: dict[str, Any], _: bytes, answer: Answer) -> Answer:
    """The full document, grown past 8 MiB with descriptions, as a generated one with many filters is."""
    status, headers, body = answer
    if scope["path"] != SCHEMA or scope.get("query_string") or status != 200:
        return answer
    document = json.loads(body)
    document["info"]["description"] = "x" * PADDING
    grown = json.dumps(document).encode()
    headers = [(k, str(len(grown)).encode() if k.lower() == b"content-length" else v) for k, v in headers]
    return status, headers, grown


def test_a_document_past_the_body_cap_is_read_whole() -> None:
    with harness(app=Rewrite(mocks.create_app("booga"), padded)) as hooks:
        outcome = run("booga", Options(write_reports=False, rules=["BGA-OPENAPI-SCHEMA", "BGA-LIST-ENVELOPE"]))
    surface = outcome.run.extra["surface"]
    assert surface["source"].startswith("the OpenAPI document served at"), surface
    assert surface["kinds"]["list"] == 2  # the document's lists, not the documents' defaults
    verdicts = {r.rule.id: (r.verdict, r.reason) for r in outcome.run.results}
    assert verdicts["BGA-OPENAPI-SCHEMA"] == ("pass", ""), verdicts
    # Read once: the auth probe's answer is discovery's and the schema endpoint's plain GET.
    full = [status for _, url, status in hooks.clients[0].recorder.sequence if url.endswith(SCHEMA)]
    assert full == [200], full


def test_a_small_document_cap_in_the_target_file_is_the_kits_limit(tmp_path: Any) -> None:
    # A cap the user set below the document's size: `error` naming the setting, never a `fail`.
    target = tmp_path / "target.toml"
    target.write_text('profile = "booga"\n[target]\nopenapi_max_bytes = 1000000\n')
    with harness(app=Rewrite(mocks.create_app("booga"), padded)):
        outcome = run("booga", Options(write_reports=False, rules=["BGA-OPENAPI-SCHEMA"], target_file=str(target)))
    result = next(r for r in outcome.run.results if r.rule.id == "BGA-OPENAPI-SCHEMA")
    assert result.verdict == "error", (result.verdict, result.reason)


@pytest.mark.parametrize("setting", ["openapi_max_bytes = 0", "openapi_timeout = 0", 'openapi_timeout = "slow"'])
def test_the_document_settings_are_checked(tmp_path: Any, setting: str) -> None:
    from apiconform.errors import ConfigError
    from apiconform.target import load_target

    target = tmp_path / "target.toml"
    target.write_text(f'profile = "booga"\n[target]\n{setting}\n')
    with pytest.raises(ConfigError, match="openapi_"):
        load_target("booga", target)

