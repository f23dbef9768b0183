"""Transport and request format: HTTPS only, versioned paths, GET only, no bodies, no Content-Type."""

from __future__ import annotations

import json
import re
import string
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.profiles.boomerang.checks import error_code, parsed_body
from apiconform.profiles.boomerang.endpoint_probes import METHODS_READ_ONLY, METHODS_WRITING
from apiconform.sweep import sweep

ENDPOINTS = ["resource", "resources"]
VERSION_SEGMENT = re.compile(r"/v[0-9]+(?=/)")


def params_of(ctx: Context, endpoint: str) -> dict[str, Any] | None:
    return dict(ctx.target["resource_query"]) if endpoint == "resource" else None


def is_2xx(ex: Exchange) -> bool:
    return ex.status is not None and 200 <= ex.status < 300


@pytest.mark.rule("BMR-TRANSPORT-HTTPS")
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_plain_http_is_not_accepted(ctx: Context, endpoint: str) -> None:
    ctx.require("https")
    url = ctx.client.url(ctx.target.path(endpoint))
    plain = "http://" + url.removeprefix("https://")
    # Never with the credential: a server that accepted plain HTTP would have seen it.
    ex = ctx.get(plain, auth=None, params=params_of(ctx, endpoint), allow_fault=True,
                 note="plain-HTTP probe, no credential")
    if ex.response is None:
        # Refused, or closed without an answer: plain HTTP is not accepted. A timeout, or any
        # other fault, says nothing either way.
        if re.search(r"refused|reset|closed|disconnect|EOF", ex.error or "", re.IGNORECASE):
            return
        raise Incomplete(f"the plain-HTTP probe got no answer ({ex.error}): whether plain HTTP is accepted is "
                         "unknown", ex)
    ctx.expect(not is_2xx(ex), f"plain HTTP was accepted: {ex.status} for GET {plain}", ex)
    location = ex.response.header("location") or ""
    if 300 <= ex.response.status < 400 and not location.startswith("https://"):
        ctx.note(f"plain HTTP is redirected to {location!r}, not to an https:// URL")
    if ex.response.status == 401:
        ctx.note("plain HTTP was answered 401: the server may process plain-HTTP requests, "
                 "so a client's token could cross the network unencrypted")


@pytest.mark.rule("BMR-PATH-VERSIONED")
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_unversioned_path_is_not_served(ctx: Context, endpoint: str) -> None:
    url = ctx.client.url(ctx.target.path(endpoint))
    parts = urlsplit(url)
    match = VERSION_SEGMENT.search(parts.path)
    if match is None:
        ctx.fail(f"the {endpoint} endpoint {parts.path} has no /vN/ version segment")
        return
    unversioned = parts._replace(path=parts.path[:match.start()] + parts.path[match.end():]).geturl()
    versioned = ctx.get(url, params=params_of(ctx, endpoint), note="versioned path")
    if not is_2xx(versioned):
        raise Incomplete(f"the versioned path {parts.path} itself answered {versioned.status}", versioned)
    ex = ctx.get(unversioned, params=params_of(ctx, endpoint), note="same request without /vN")
    ctx.expect(not is_2xx(ex), f"the unversioned path {urlsplit(unversioned).path} was served "
               f"({ex.status}); requests must target a versioned path like {match.group(0)}/", ex, versioned)


# Registered methods (WebDAV, purge, ...): real names that HTTP servers parse and hand to the
# application. An invented token is refused by many HTTP parsers (httptools, behind
# uvicorn[standard]) in plain text before the API sees it: that is not the API's behaviour.
# Read-only by default: the methods no server acts on; "such as POST, PUT, DELETE" and the other
# writing ones only with --allow-writes, since a target that breaks the rule would act on them.
def methods(ctx: Context) -> list[str]:
    return [*METHODS_READ_ONLY, *(METHODS_WRITING if ctx.allow_writes else [])]


METHOD_INDEX = st.integers(min_value=0, max_value=len(METHODS_READ_ONLY) + len(METHODS_WRITING) - 1)


def served_endpoints(ctx: Context) -> list[str]:
    """The example endpoints where an authenticated GET succeeds (once per run).

    A 4xx to POST proves that POST is rejected only where GET is served: on a path that
    answers 404 to everything, the rejection says nothing about methods.
    """
    if "bmr:served" not in ctx.cache:
        answers = {e: ctx.get(ctx.target.path(e), params=params_of(ctx, e), note="GET before the method probes")
                   for e in ENDPOINTS}
        ctx.cache["bmr:served"] = answers
    answers: dict[str, Exchange] = ctx.cache["bmr:served"]
    ctx.use(*answers.values())
    served = [e for e, ex in answers.items() if is_2xx(ex)]
    if not served:
        got = ", ".join(f"{ctx.target.path(e)} answered {ex.status}" for e, ex in answers.items())
        raise Incomplete(f"GET succeeded on neither example endpoint ({got}): a rejection of other methods "
                         "there proves nothing; the rule needs a path where GET is served",
                         next(iter(answers.values())))
    return served


def probe_method(ctx: Context, method: str, endpoint: str) -> None:
    ex = ctx.request(method, ctx.target.path(endpoint), params=params_of(ctx, endpoint),
                     note=f"{method}: the API is GET-only")
    status = ex.status or 0
    ctx.expect(not is_2xx(ex), f"{method} was served ({status}); only GET is supported", ex)
    rejected = 400 <= status < 500 or status == 501  # 501: RFC 9110's answer to an unknown method
    ctx.expect(rejected, f"{method} must be rejected with a 4xx, got {status}", ex)
    assert ex.response is not None
    if status == 405 and not ex.response.header("allow"):
        ctx.note("405 without an Allow header (RFC 9110 requires one; recommended)")
    elif status != 405:
        ctx.note(f"{method} was rejected with {status}; 405 Method Not Allowed with Allow is recommended")


@pytest.mark.rule("BMR-METHOD-GET-ONLY")
def test_documented_unsupported_methods_are_rejected(ctx: Context) -> None:
    # "such as POST, PUT, DELETE" (with --allow-writes), and the methods no server acts on, on
    # both example endpoints where GET is served.
    for endpoint in served_endpoints(ctx):
        for method in methods(ctx)[:len(METHODS_READ_ONLY) + 4]:
            probe_method(ctx, method, endpoint)


@pytest.mark.rule("BMR-METHOD-GET-ONLY")
@settings(max_examples=2)
@given(index=METHOD_INDEX, endpoint=st.sampled_from(ENDPOINTS))
def test_other_methods_are_rejected(ctx: Context, index: int, endpoint: str) -> None:
    allowed = methods(ctx)
    served = served_endpoints(ctx)
    probe_method(ctx, allowed[index % len(allowed)], endpoint if endpoint in served else served[0])


def bodies(ctx: Context) -> list[bytes]:
    """A JSON body that would change the answer if read, a form body, and bytes. The id in them
    is another real one (from the paginated example's items), so a server that reads the body
    answers with another resource, not with a 404 that could pass for a rejection."""
    query = dict(ctx.target["resource_query"])
    page = ctx.get(ctx.target.path("resources"), params=ctx.params(limit=5), note="another real id for the body")
    items = (parsed_body(page) or {}).get("items") if isinstance(parsed_body(page), dict) else None
    ids = [str(i["id"]) for i in items or [] if isinstance(i, dict) and "id" in i]
    other = next((i for i in ids if i != str(query.get("id"))), "apiconform-body-id")
    fields = {**{k: other for k in query}, ctx.target["params"]["limit"]: 5, ctx.target["params"]["page"]: 2}
    return [json.dumps(fields).encode(), urlencode(fields).encode(), b"\x00\x01apiconform"]


@pytest.mark.rule("BMR-REQUEST-BODY")
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_get_body_is_ignored_or_rejected(ctx: Context, endpoint: str) -> None:
    path, params = ctx.target.path(endpoint), params_of(ctx, endpoint)
    baseline = ctx.get(path, params=params, note="baseline without a body")
    if not is_2xx(baseline):
        raise Incomplete(f"the baseline GET answered {baseline.status}", baseline)
    for body in bodies(ctx):
        # No Content-Type: that would be BMR-CONTENT-TYPE-REJECTED's business.
        ex = ctx.get(path, params=params, content=body, note="same GET with a body")
        status = ex.status or 0
        ctx.expect(status < 500, f"a GET with a body caused a {status}", ex)
        # Rejected (400, 411, 413, 415, 422...): conformant. A 404 where the same GET without the
        # body is served says the body was read (it named another resource), not rejected.
        ctx.expect(status != 404, f"the body {body[:40]!r} turned a {baseline.status} into a 404: it was read, "
                   "not ignored or rejected", ex, baseline)
        if 400 <= status < 500:
            continue
        ctx.expect(is_2xx(ex), f"a GET with a body must be answered like the GET without (or a 4xx), "
                   f"got {status}", ex, baseline)
        if parsed_body(ex) != parsed_body(baseline):
            again = ctx.get(path, params=params, note="baseline again")
            if parsed_body(again) != parsed_body(baseline):
                raise Incomplete("two identical GETs without a body differ (see BMR-IDEMPOTENT-GET): "
                                 "cannot tell whether the body was read", again)
            ctx.fail(f"the body {body[:40]!r} changed the answer: a request body must be ignored or "
                     "rejected", ex, baseline)


CONTENT_TYPES = st.sampled_from([
    "application/json", "application/json; charset=utf-8", "text/plain", "application/xml",
    "application/x-www-form-urlencoded", "multipart/form-data; boundary=apiconform",
    "application/octet-stream",
]) | st.tuples(st.text(string.ascii_lowercase, min_size=1, max_size=12),  # type/subtype, any names
            st.text(string.ascii_lowercase + string.digits + ".+-", min_size=1, max_size=16)).map("/".join)


@pytest.mark.rule("BMR-CONTENT-TYPE-REJECTED")
@settings(max_examples=5)
@example(content_type="application/json", endpoint="resource")
@example(content_type="text/plain", endpoint="resources")
@given(content_type=CONTENT_TYPES, endpoint=st.sampled_from(ENDPOINTS))
def test_content_type_is_rejected(ctx: Context, content_type: str, endpoint: str) -> None:
    ex = ctx.get(ctx.target.path(endpoint), params=params_of(ctx, endpoint),
                 headers={"Content-Type": content_type}, note="GET carrying Content-Type")
    ctx.expect(ex.status == 400, f"a request with Content-Type: {content_type} must be rejected with "
               f"400 VALIDATION_FAILED, got {ex.status}", ex)
    code = error_code(ex)
    ctx.expect(code == "VALIDATION_FAILED", f"400 for Content-Type: {content_type} carries code {code!r}, "
               "expected VALIDATION_FAILED", ex)


# Values no endpoint documents: quotes and wildcards that reach a query builder, percent and
# control-ish text, huge and negative numbers, non-ASCII, blank, very long.
ODD_VALUES = ["'", '"', "%", "%00", "' OR '1'='1", "*", "..", "../../etc", "\u00e9\u4e2d", "-1",
              "99999999999999999999", "", " ", "null", "[]", "{}", "a" * 300, "1e309", "\\"]
ODD = st.sampled_from(ODD_VALUES) | st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]),
                                            max_size=20)


def query_names(ctx: Context, endpoint: str) -> list[str]:
    """The query parameters the kit knows for the endpoint, and one nobody declared."""
    if endpoint == "resource":
        names = list(ctx.target["resource_query"])
    else:
        names = [ctx.target["params"]["page"], ctx.target["params"]["limit"]]
    return [*names, "apiconform_undeclared"]


@pytest.mark.rule("BMR-NO-5XX")
@settings(max_examples=5)
@example(endpoint="resource", index=0, value="'")
@example(endpoint="resource", index=0, value="\u00e9\u4e2d")
@example(endpoint="resources", index=1, value="99999999999999999999")
@example(endpoint="resources", index=2, value="%00")
@given(endpoint=st.sampled_from(ENDPOINTS), index=st.integers(min_value=0, max_value=2), value=ODD)
def test_odd_query_values_never_cause_a_5xx(ctx: Context, endpoint: str, index: int, value: str) -> None:
    names = query_names(ctx, endpoint)
    name = names[index % len(names)]
    params = {**(params_of(ctx, endpoint) or {}), name: value}
    ex = ctx.get(ctx.target.path(endpoint), params=params, note=f"odd query value {name}={value[:20]!r}")
    ctx.check(ex)


@pytest.mark.rule("BMR-NO-5XX")
def test_generated_traffic_never_causes_a_5xx(ctx: Context) -> None:
    for ex in sweep(ctx):
        ctx.check(ex)
