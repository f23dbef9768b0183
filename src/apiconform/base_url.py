"""The one check of a base URL, wherever it comes from: `--base-url` (`apiconform run`, and plain
pytest through pytest-base-url's option), a target file's `target.base_url`, a fleet file's `base_url`.

A base URL the kit cannot use exactly as written is refused before anything is sent, in one line
naming the problem. Nothing is trimmed or repaired silently: a trailing space pasted from a wiki,
or `/ gateway` in a path, would send requests somewhere the user never wrote. Nothing is left to
fail deep in the run either: urllib's ValueError for a port out of range or an unbalanced IPv6
bracket surfaced as a pytest INTERNALERROR traceback, or as exit 1, the code that means a rule failed.

Only the standard library: the CLI validates before the engine is imported.
"""

from __future__ import annotations

import ipaddress
import json
import string
import unicodedata
from urllib.parse import urlsplit

from apiconform.errors import ConfigError

# What RFC 3986 allows in a host name (reg-name: unreserved, sub-delims and pct-encoded); non-ASCII
# letters are an internationalised name, checked as IDNA below.
_HOST_CHARS = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,;=%")
_SCHEMES = ("http://", "https://")
MAX_PORT = 65535


def _character_problem(url: str) -> str | None:
    authority = url.find("://") + 3 if "://" in url else 0
    for index, char in enumerate(url):
        if char.isspace():
            if not url[index:].strip():
                return "contains white space at the end"
            if not url[:index].strip():
                return "contains white space at the start"
            if "/" in url[authority:index]:
                # Legal in a path once percent-encoded: say how, rather than encode it behind the user's back.
                return "contains white space in the path (write a space there as %20)"
            return "contains white space"
        category = unicodedata.category(char)
        if category == "Cc":
            return f"contains a control character (U+{ord(char):04X})"
        if category == "Cf":  # zero-width space, BOM, direction marks: invisible in a CI file
            return f"contains an invisible character (U+{ord(char):04X})"
    return None


def _host_problem(host: str) -> str | None:
    bad = next((c for c in host if c.isascii() and c not in _HOST_CHARS), None)
    if bad is not None:
        return f"the host {host!r} contains {bad!r}"
    if not host.isascii() or any(label.lower().startswith("xn--") for label in host.split(".")):
        # httpx encodes such a name with the idna package at the first request, and raises there.
        import idna  # httpx's own dependency; imported only for such a name

        try:
            idna.encode(host.lower())
        except idna.IDNAError as exc:
            return f"the host {host!r} is not a valid internationalised domain name ({exc})"
    return None


def _port_problem(port: str) -> str | None:
    if not port:
        return None  # `host:` is the default port (RFC 3986 3.2.3)
    if not (port.isascii() and port.isdigit()):
        return f"the port {port!r} is not a number"
    if not 1 <= int(port) <= MAX_PORT:
        return f"the port {int(port)} is out of range (1-{MAX_PORT})"
    return None


def base_url_problem(url: str) -> str | None:
    """What makes `url` unusable as a base URL, in a few words; None when it is usable."""
    problem = _character_problem(url)  # first: urlsplit drops tabs and newlines without a word
    if problem:
        return problem
    if not url.lower().startswith(_SCHEMES):
        return "is not an http:// or https:// URL"
    rest = url.split("://", 1)[1]
    if "?" in rest or "#" in rest:
        # Every documented path is appended to the base URL: a query or fragment would end up mid-URL.
        return "must not carry a query (?...) or a fragment (#...)"
    netloc = rest.split("/", 1)[0]
    if "@" in netloc:
        return "carries a user name or password (user:password@): credentials come from the environment only"
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            return "unbalanced brackets: '[' without ']' around the IPv6 address"
        host, after = netloc[1:end], netloc[end + 1:]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return f"[{host}] is not an IPv6 address"
        if after and not after.startswith(":"):
            return f"unexpected {after!r} after the IPv6 address [{host}]"
        problem = _port_problem(after[1:])
    elif "[" in netloc or "]" in netloc:
        return "unbalanced brackets: write an IPv6 address as [address] or [address]:port"
    elif netloc.count(":") > 1:
        return "an IPv6 address must be in brackets, as in http://[::1]:8000"
    else:
        host, _, port = netloc.partition(":")
        if not host:
            return "names no host"
        problem = _host_problem(host) or _port_problem(port)
    if problem:
        return problem
    try:  # what the client will parse: it must agree (a last net under the checks above)
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port urllib cannot read
    except ValueError as exc:
        return str(exc)
    return None if parts.hostname else "names no host"


def check_base_url(url: str, where: str = "--base-url", *, toml: bool = False) -> str:
    """`url` as the run uses it (scheme in lower case, no trailing /), or ConfigError in one line:
    `{where} {url}: {problem}`, the URL quoted as a shell (or, `toml`, as TOML) would show it."""
    problem = base_url_problem(url)
    if problem:
        scheme, sep, rest = url.partition("://")
        netloc, slash, path = rest.partition("/")
        if sep and "@" in netloc:  # never echo a password into a CI log
            url = f"{scheme}{sep}***@{netloc.rpartition('@')[2]}{slash}{path}"
        # repr / json escape every control or line-breaking character: the message stays one line.
        shown = json.dumps(url) if toml else repr(url)
        raise ConfigError(f"{where} {shown}: {problem}")
    scheme, sep, rest = url.partition("://")
    return (scheme.lower() + sep + rest).rstrip("/")
