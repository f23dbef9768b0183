"""Error bodies: {detail, code} for 401/403/404/405/429, field-mapped 400s, 404 for unknown ids,
and no 5xx whatever the parameters."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.profiles.booga.checks import validation_violations
from apiconform.profiles.booga.probes import created_files, created_id, get_list, item_path, list_path
from apiconform.sweep import sweep


def random_id(ctx: Context) -> str:
    return str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4))


@pytest.mark.rule("BGA-ERROR-FORMAT")
def test_error_bodies_have_detail_and_code(ctx: Context) -> None:
    probes = [
        ctx.get(list_path(ctx), auth=None, note="401: no credentials"),
        ctx.get(list_path(ctx), auth=None, headers={"X-API-Key": "apiconform-not-a-key"},
                note="401: bad key"),
        ctx.get(item_path(ctx, random_id(ctx)), note="404: unknown id"),
    ]
    if ctx.has("scoped_key"):
        spec = ctx.target["scoped_request"]
        if str(spec.get("method", "GET")).upper() == "GET":
            probes.append(ctx.get(spec["path"], auth="scoped", note="403: key lacking scope"))
    if ctx.has("writes"):
        # A 405 probe: PUT on the read-only schema endpoint, never on a collection (a server
        # offering bulk replacement there would take it as a real write).
        probes.append(ctx.request("PUT", ctx.target.path("openapi"), json_body={},
                                  note="405: PUT on the schema"))
    errors = [ex for ex in [*probes, *sweep(ctx)] if ex.status is not None and 400 <= ex.status < 500]
    if not errors:
        raise Incomplete(f"none of the probes was answered with a 4xx (got {[ex.status for ex in probes]})",
                         probes[0])
    for ex in errors:
        ctx.check(ex)


@pytest.mark.rule("BGA-ERROR-VALIDATION")
def test_validation_errors_map_fields_to_messages(ctx: Context) -> None:
    names = ctx.params(limit="limit", created_after="created_after")
    probes = [(names["limit"], get_list(ctx, "invalid limit", limit="abc")),
              (names["limit"], get_list(ctx, "limit out of range", limit=1000))]
    if ctx.has("feature:created_after"):
        probes.append((names["created_after"], get_list(ctx, "invalid date", created_after="not-a-date")))
    rejected = [(field, ex) for field, ex in probes if ex.status == 400]
    if not rejected and ctx.has("writes"):
        with created_files(ctx) as made:
            payload = {k: v for k, v in ctx.target["write_payload"].items() if k != "name"}
            ex = ctx.request("POST", list_path(ctx), json_body=payload, note="invalid payload: no name")
            if (made_id := created_id(ex)) is not None:
                made.append(made_id)
            if ex.status == 400:
                rejected.append(("name", ex))
    if not rejected:
        answered = ", ".join(f"{ex.request.url.partition('?')[2]} -> {ex.status}" for _, ex in probes)
        if not ctx.has("writes"):
            # "For validation errors (400), …" is conditional: a deployment that falls back on
            # every bad parameter (DRF's LimitOffsetPagination does) never gives a read-only 400.
            # Every read-only way was tried: skip, naming what would exercise it (DESIGN.md).
            pytest.skip(f"no read-only request was answered 400 ({answered}): the clause applies to 400s; "
                        "--allow-writes exercises it (an invalid POST is a 400), or declare a validated filter")
        raise Incomplete(f"no request was answered 400, not even an invalid POST ({answered}): no validation error "
                         "could be examined", probes[0][1])
    for field, ex in rejected:
        problems, remarks = validation_violations(ex, (field,))
        for remark in remarks:
            ctx.note(remark)
        ctx.expect(not problems, "; ".join(problems), ex)


@pytest.mark.rule("BGA-NOT-FOUND")
def test_unknown_id_is_404(ctx: Context) -> None:
    ex = ctx.get(item_path(ctx, random_id(ctx)), note="unknown id")
    # Its body is BGA-ERROR-FORMAT's to judge (every 4xx of the run is held to it).
    ctx.expect(ex.status == 404, f"an unknown id must be 404, got {ex.status}", ex)


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
QUERIES = st.fixed_dictionaries({}, optional={
    "limit": st.integers(-10, 1000).map(str) | TEXT,
    "offset": st.integers(-10, 10_000).map(str) | TEXT,
    "ordering": st.sampled_from(["created_at", "-created_at", "name", "-size", "bogus", "-", "",
                                 "name,-size", "--name"]) | TEXT,
    "search": TEXT,
    "created_after": st.dates().map(str) | st.sampled_from(["2026-13-45", "yesterday",
                                                            "2026-01-01T25:00"]) | TEXT,
})


def _declared(ctx: Context, query: dict[str, str]) -> dict[str, str]:
    """Only the filters the target declares (an undeclared one is not part of its contract)."""
    return {k: v for k, v in query.items() if k in ("limit", "offset") or ctx.has(f"feature:{k}")}


@pytest.mark.rule("BGA-NO-5XX")
@settings(max_examples=12)
@example(query={"ordering": "bogus"})
@example(query={"created_after": "2026-13-45"})
@example(query={"offset": "-1"})
@example(query={"search": "%_'\""})
@example(query={"search": "\x00"})  # a NUL: DRF's SearchFilter refuses it with a bare-list 400
@example(query={"limit": "1e3", "offset": "abc"})
@given(query=QUERIES)
def test_no_5xx_on_generated_parameters(ctx: Context, query: dict[str, str]) -> None:
    ex = ctx.get(list_path(ctx), params=ctx.params(**_declared(ctx, query)), note=f"generated query {query}")
    ctx.check(ex)


@pytest.mark.rule("BGA-NO-5XX")
def test_no_5xx_on_generated_traffic(ctx: Context) -> None:
    generated: list[Exchange] = sweep(ctx)
    for ex in generated:
        ctx.check(ex)
