"""Error bodies: {detail, code} on every error (unrouted paths included), field-mapped 400s, 404 for
an unknown id on every single resource, and no 5xx whatever the parameters, on every list."""

from __future__ import annotations

import pytest

from apiconform.context import Context
from apiconform.discovery import path_groups
from apiconform.exchange import Exchange
from apiconform.forgery import forged_key
from apiconform.items import unobservable
from apiconform.profiles.booga.checks import validation_violations
from apiconform.profiles.booga.probes import HUGE, BoogaProbes, booga_probes, malformed, unknown_id
from apiconform.surface import Endpoint, Param
from apiconform.sweep import sweep

UNROUTED = "apiconform-no-such-endpoint"


def unrouted_paths(ctx: Context) -> list[str]:
    """A path under the API's root that no deployment routes, and one under each plugin's prefix."""
    surface = ctx.surface()
    templates = [e.template for e in surface.endpoints]
    groups = path_groups(templates)
    root = "/" + "/".join(s for s in templates[0].split("/")[:2] if s) if templates else "/api"
    root = root if root != "/" else ""
    paths = [f"{root}/{UNROUTED}/"]
    for group in sorted(groups)[:8]:  # a few prefixes suffice: each plugin shares the app's handlers
        members = sorted(groups[group])
        prefix = members[0].split(group, 1)[0] + group
        paths.append(f"{prefix}/{UNROUTED}/x/")
    return list(dict.fromkeys(paths))


@pytest.mark.rule("BGA-ERROR-FORMAT")
@pytest.mark.endpoints("any")
def test_every_endpoints_errors_have_detail_and_code(ctx: Context, endpoint: Endpoint) -> None:
    # The endpoint's own errors, sent for the auth and not-found rules too (shared probes): a 401
    # without credentials, a 401 for a key that is not issued, a 404 for an unknown id.
    p = booga_probes(ctx, endpoint)
    p.default()  # reached at all (a 404 to everything is the path's, not the error format's, business)
    forged = forged_key(ctx.credentials["primary"].value, ctx.rng, avoid={c.value for c in ctx.credentials.values()})
    probes = [p.without_credentials(), p.with_forged_key("X-API-Key", forged)]
    if endpoint.kind == "single":
        probes.append(unknown_id_probe(p))
    errors = [ex for ex in probes if ex.status is not None and ex.status >= 400]
    if not errors:
        unobservable(f"none of its error probes was answered with an error ({[ex.status for ex in probes]})")
    for ex in errors:
        ctx.check(ex)


@pytest.mark.rule("BGA-ERROR-FORMAT")
def test_unrouted_paths_answer_in_the_error_format(ctx: Context) -> None:
    # Every error of the run (401s, 404s, 400s, ...) is held to the format by the whole-run
    # judgement; these are the errors no rule's own probe gives: paths the deployment does not route.
    for path in unrouted_paths(ctx):
        ex = ctx.get(path, note="a path the deployment does not route")
        ctx.expect(ex.status is not None and ex.status >= 400,
                   f"a path the deployment does not route ({path}) answered {ex.status}, not an error", ex)
        ctx.check(ex, where=f"{path} (a path the deployment does not route)")


def _validation_probes(ctx: Context, p: BoogaProbes) -> list[tuple[str, Exchange]]:
    """Read-only requests a validating list refuses with a field map: a limit that is not a number,
    a created_after that is not a date, a status outside its declared enum."""
    probes = [(ctx.params(limit="limit")["limit"], p.limit("abc"))]
    for name in ("created_after", "status"):  # shared with BGA-NO-5XX's malformed values
        param = p.endpoint.param(name)
        if param is not None and (name != "status" or param.enum):
            probes.append((name, p.malformed(param)))
    return probes


@pytest.mark.rule("BGA-ERROR-VALIDATION")
@pytest.mark.endpoints("list")
def test_validation_errors_map_fields_to_messages(ctx: Context, endpoint: Endpoint) -> None:
    p = booga_probes(ctx, endpoint)
    probes = _validation_probes(ctx, p)
    rejected = [(name, ex) for name, ex in probes if ex.status == 400]
    if not rejected:
        # "For validation errors (400), …" is conditional: a list that falls back on every bad
        # parameter (DRF's LimitOffsetPagination does) never gives a read-only 400 (DESIGN.md).
        answered = ", ".join(f"{ex.request.url.partition('?')[2]} -> {ex.status}" for _, ex in probes)
        pytest.skip(f"no read-only request was answered 400 ({answered}): the clause applies to 400s; "
                    "--allow-writes exercises it (an invalid POST), or a validated filter")
    for name, ex in rejected:
        problems, remarks = validation_violations(ex, (name,))
        for remark in remarks:
            ctx.note(remark)
        ctx.expect(not problems, "; ".join(problems), ex)


@pytest.mark.rule("BGA-ERROR-VALIDATION")
@pytest.mark.endpoints("writable")
def test_an_invalid_payload_is_a_field_mapped_400(ctx: Context, endpoint: Endpoint) -> None:
    from apiconform.profiles.booga.writes import workspace

    with workspace(ctx, endpoint) as space:
        field, ex = next(space.invalid_posts(most=1))
        if ex.status != 400:
            # Whether an invalid payload is refused is BGA-WRITE-INVALID's business; here no 400 came.
            unobservable(f"POST with an invalid {field} answered {ex.status}: no validation error to judge (see "
                         "BGA-WRITE-INVALID)")
        problems, remarks = validation_violations(ex, (field,))
        for remark in remarks:
            ctx.note(remark)
        ctx.expect(not problems, "; ".join(problems), ex)


def unknown_id_probe(p: BoogaProbes) -> Exchange:
    # An unknown id needs no known one; only a nested path needs its parents' real ids.
    endpoint = p.endpoint
    values = p.path_values() if len(endpoint.path_params) > 1 else {}
    last = endpoint.path_params[-1].name if endpoint.path_params else "id"
    path = endpoint.fill({**values, last: unknown_id(endpoint)})
    return p.send("unknown-id", "an unknown id", path=path, params=p.query())


@pytest.mark.rule("BGA-NOT-FOUND")
@pytest.mark.endpoints("single")
def test_unknown_id_is_404(ctx: Context, endpoint: Endpoint) -> None:
    ex = unknown_id_probe(booga_probes(ctx, endpoint))
    # Its body is BGA-ERROR-FORMAT's to judge (every 4xx of the run is held to it).
    ctx.expect(ex.status == 404, f"an unknown id must be 404, got {ex.status}", ex)


@pytest.mark.rule("BGA-NO-5XX")
@pytest.mark.endpoints("list")
def test_malformed_declared_parameters_never_cause_a_5xx(ctx: Context, endpoint: Endpoint) -> None:
    # "400 | Bad request — invalid parameters or payload": a malformed value of any parameter the
    # list declares is a 400 (or ignored), never a 5xx. A real list may declare dozens of filters
    # (`name__iregex`, `created__lt`, …): one request per kind of parameter, each alone, comes
    # first; then one more with every other declared parameter malformed together. The pagination
    # bounds are the list rules' own probes (judged here too, by the check on every exchange).
    p = booga_probes(ctx, endpoint)
    skip = set(ctx.params(limit="limit", offset="offset").values())
    declared = [param for param in endpoint.query if param.name not in skip and not param.required]
    firsts: dict[str, Param] = {}
    for param in declared:
        firsts.setdefault(malformed(param)[0], param)
    for param in firsts.values():
        ctx.check(p.malformed(param))
    rest = [param for param in declared if param not in firsts.values()]
    if rest:
        ctx.check(p.page("malformed-rest", f"{len(rest)} more declared parameters, each malformed",
                         **{param.name: malformed(param)[1] for param in rest}))
    for ex in (p.limit(HUGE), p.offset_past_64_bits()):  # shared with the limit and offset rules
        ctx.check(ex)
    if not declared:
        ctx.note(f"{endpoint.label} declares no filter parameters: only its pagination bounds were sent")


@pytest.mark.rule("BGA-NO-5XX")
def test_no_5xx_on_generated_traffic(ctx: Context) -> None:
    generated: list[Exchange] = sweep(ctx)
    if not generated:
        unobservable("the generated sweep sent nothing")
    for ex in generated:
        ctx.check(ex)
