"""Transport and request format, on every endpoint: HTTPS only, versioned paths, GET only, no
bodies, no Content-Type."""

from __future__ import annotations

import re
import string
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apiconform.context import Context
from apiconform.errors import Incomplete
from apiconform.exchange import Exchange
from apiconform.profiles.boomerang.checks import error_code
from apiconform.profiles.boomerang.probes import (
    METHODS_READ_ONLY,
    METHODS_WRITING,
    VERSION_SEGMENT,
    boomerang_probes,
    is_2xx,
    resource_data,
)
from apiconform.surface import Endpoint
from apiconform.sweep import sweep


@pytest.mark.rule("BMR-TRANSPORT-HTTPS")
@pytest.mark.endpoints("any")
def test_plain_http_is_not_accepted(ctx: Context, endpoint: Endpoint) -> None:
    ctx.require("https")
    p = boomerang_probes(ctx, endpoint)
    plain = "http://" + ctx.client.url(p.path).removeprefix("https://")
    # Never with the credential: a server that accepted plain HTTP would have seen it.
    ex = p.send("plain-http", "plain-HTTP probe, no credential", path=plain, auth=None, params=p.query(),
                allow_fault=True)
    if ex.response is None:
        # Refused, or closed without an answer: plain HTTP is not accepted. A timeout, or any
        # other fault, says nothing either way.
        if re.search(r"refused|reset|closed|disconnect|EOF", ex.error or "", re.IGNORECASE):
            ctx.judge(ex)
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
@pytest.mark.endpoints("any")
def test_unversioned_path_is_not_served(ctx: Context, endpoint: Endpoint) -> None:
    p = boomerang_probes(ctx, endpoint)
    match = VERSION_SEGMENT.search(endpoint.template)
    if match is None:
        ctx.fail(f"the endpoint {endpoint.template} has no /vN/ version segment")
    assert match is not None
    versioned = p.served()
    url = ctx.client.url(p.path)
    cut = url.rfind(match.group(0) + "/")
    ex = p.send("unversioned", "the same GET without /vN", path=url[:cut] + url[cut + len(match.group(0)):],
                params=p.query())
    ctx.expect(not is_2xx(ex), f"the unversioned path {urlsplit(ex.request.url).path} was served ({ex.status}); "
               f"requests must target a versioned path like {match.group(0)}/", ex, versioned)


# Registered methods (WebDAV, purge, ...): real names that HTTP servers parse and hand to the
# application. Read-only by default: the methods no server acts on; "such as POST, PUT, DELETE"
# and the other writing ones only with --allow-writes, since a target that breaks the rule would
# act on them.
def methods(ctx: Context) -> list[str]:
    return [*METHODS_READ_ONLY[:2], *(METHODS_WRITING[:3] if ctx.allow_writes else [])]


@pytest.mark.rule("BMR-METHOD-GET-ONLY")
@pytest.mark.endpoints("any")
def test_other_methods_are_rejected(ctx: Context, endpoint: Endpoint) -> None:
    p = boomerang_probes(ctx, endpoint)
    p.served()  # a rejection proves something only where GET is served
    for method in methods(ctx):
        ex = p.method(method)
        status = ex.status or 0
        ctx.expect(not is_2xx(ex), f"{method} was served ({status}); only GET is supported", ex)
        rejected = 400 <= status < 500 or status == 501  # 501: RFC 9110's answer to an unknown method
        ctx.expect(rejected, f"{method} must be rejected with a 4xx, got {status}", ex)
        assert ex.response is not None
        if status == 405 and not ex.response.header("allow"):
            ctx.note("405 without an Allow header (RFC 9110 requires one; recommended)")
        elif status != 405:
            ctx.note(f"{method} was rejected with {status}; 405 Method Not Allowed with Allow is recommended")
    if not ctx.allow_writes:
        ctx.note(f"sent {', '.join(methods(ctx))}; the writing methods the clause names (POST, PUT, DELETE) were "
                 "not sent: --allow-writes sends them")


@pytest.mark.rule("BMR-REQUEST-BODY")
@pytest.mark.endpoints("any")
def test_get_body_is_ignored_or_rejected(ctx: Context, endpoint: Endpoint) -> None:
    p = boomerang_probes(ctx, endpoint)
    baseline = p.served()
    body = p.body_for()
    # No Content-Type: that would be BMR-CONTENT-TYPE-REJECTED's business.
    ex = p.send("body", "the same GET with a JSON body", params=p.query(), content=body)
    status = ex.status or 0
    ctx.expect(status < 500, f"a GET with a body caused a {status}", ex)
    # Rejected (400, 411, 413, 415, 422...): conformant. A 404 where the same GET without the body
    # is served says the body was read (it named another resource), not rejected.
    ctx.expect(status != 404, f"the body {body[:40]!r} turned a {baseline.status} into a 404: it was read, not "
               "ignored or rejected", ex, baseline)
    if 400 <= status < 500:
        return
    ctx.expect(is_2xx(ex), f"a GET with a body must be answered like the GET without (or a 4xx), got {status}",
               ex, baseline)
    if resource_data(ex) != resource_data(baseline):
        again = p.with_request_id()
        if resource_data(again) != resource_data(baseline):
            raise Incomplete("two identical GETs differ (see BMR-IDEMPOTENT-GET): cannot tell whether the body "
                             "was read", again)
        ctx.fail(f"the body {body[:40]!r} changed the answer: a request body must be ignored or rejected",
                 ex, baseline)


CONTENT_TYPES = st.sampled_from([
    "application/json; charset=utf-8", "text/plain", "application/xml", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=apiconform", "application/octet-stream",
]) | st.tuples(st.text(string.ascii_lowercase, min_size=1, max_size=12),  # type/subtype, any names
            st.text(string.ascii_lowercase + string.digits + ".+-", min_size=1, max_size=16)).map("/".join)


@pytest.mark.rule("BMR-CONTENT-TYPE-REJECTED")
@pytest.mark.endpoints("any")
@settings(max_examples=1)
@given(drawn=CONTENT_TYPES)
def test_content_type_is_rejected(ctx: Context, endpoint: Endpoint, drawn: str) -> None:
    p = boomerang_probes(ctx, endpoint)
    p.served()
    other = p.send(f"content-type:{drawn}", f"GET carrying Content-Type: {drawn}", params=p.query(),
                   headers={"Content-Type": drawn})
    for content_type, ex in (("application/json", p.with_content_type()), (drawn, other)):
        code = error_code(ex)
        ctx.expect(ex.status == 400 and code == "VALIDATION_FAILED", f"a request with Content-Type: {content_type} "
                   f"must be rejected with 400 VALIDATION_FAILED, got {ex.status} code {code!r}", ex)


@pytest.mark.rule("BMR-NO-5XX")
def test_generated_traffic_never_causes_a_5xx(ctx: Context) -> None:
    generated: list[Exchange] = sweep(ctx)
    for ex in generated:
        ctx.check(ex)
    if not generated:
        pytest.skip("the generated sweep sent nothing (no OpenAPI document to draw from)")
