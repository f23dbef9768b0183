"""Resources carry the documented fields where the deployment has them (the file); every body is
JSON with a JSON Content-Type, on every endpoint."""

from __future__ import annotations

import pytest

from apiconform.context import Context
from apiconform.profiles.booga.checks import file_violations, files_in, json_body
from apiconform.profiles.booga.probes import booga_probes, results
from apiconform.surface import Endpoint


def is_files_endpoint(ctx: Context, endpoint: Endpoint) -> bool:
    """The files resource: the document's example paths (or what the target file names), or the
    deployment's `files` plugin."""
    paths = ctx.target.settings["paths"]
    return endpoint.template in (paths["list"], paths["item"]) or endpoint.group == "files"


@pytest.mark.rule("BGA-RESOURCE-FIELDS")
@pytest.mark.endpoints("any")
def test_files_carry_documented_fields(ctx: Context, endpoint: Endpoint) -> None:
    if not is_files_endpoint(ctx, endpoint) or endpoint.kind == "other":
        pytest.skip(f"{endpoint.label} is not the files resource: the document's file fields are a file's only")
    p = booga_probes(ctx, endpoint)
    if endpoint.kind == "list":
        p.require_count(1, "checking a file's fields")
        exchanges = [p.full()]
    else:
        exchanges = [p.default()]
        ctx.expect(exchanges[0].status == 200, f"GET of a listed file's id answered {exchanges[0].status}",
                   exchanges[0])
    for ex in exchanges:
        for where, obj in files_in(json_body(ex)):
            problems = file_violations(obj, where)
            ctx.expect(not problems, "; ".join(problems[:3]), ex)


@pytest.mark.rule("BGA-RESPONSE-JSON")
@pytest.mark.endpoints("any")
def test_bodies_are_json(ctx: Context, endpoint: Endpoint) -> None:
    # Every answer of the run is held to it (judge.py); here each endpoint's plain GET at least,
    # and a gzip-accepting one (a server may compress: the body must still be JSON).
    p = booga_probes(ctx, endpoint)
    ctx.check(p.default())
    ctx.check(p.send("gzip", "gzip accepted", params=p.query(), accept_encoding="gzip"))
    if endpoint.kind == "list":
        results(p.default())  # a list's body is read as a page too: a broken one is `error` elsewhere
