"""Target configuration: where the endpoint is and how a real deployment differs from the mocks.

Defaults follow the reference mocks' layout (DESIGN.md's assumptions); a TOML target file
(`--target FILE`) overrides endpoint paths, parameter names, credential variable names,
the request budget and the safety switches. Command-line flags win over the file.
"""

from __future__ import annotations

import copy
import ipaddress
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from apiconform.errors import ConfigError

DEFAULT_MAX_REQUESTS = 2000

PROFILE_DEFAULTS: dict[str, dict[str, Any]] = {
    "boomerang": {
        "paths": {
            "resource": "/v1/example/resource",
            "resources": "/v1/example/resources",
        },
        # Query of the non-paginated example: the document's own example.
        "resource_query": {"id": "example-1"},
        "params": {"page": "page", "limit": "limit"},
        "pagination": {
            "default_limit": 20,
            "max_limit": 100,
            "page": "page",
            "limit": "limit",
            "total_items": "total_items",
            "total_pages": "total_pages",
            "has_more": "has_more",
        },
        # Fields holding timestamps besides any field ending in `_at`.
        "timestamp_fields": ["timestamp"],
        # Schemathesis-generated GETs per run (sweep.py); a `[sweep]` section overrides it.
        "sweep": {"max_cases": 25},
    },
    "booga": {
        "paths": {
            "list": "/api/files/",
            "item": "/api/files/{id}/",
            "openapi": "/api/api-management/openapi-schema/",
        },
        "params": {"limit": "limit", "offset": "offset"},
        "features": {
            "ordering": ["created_at", "name", "size"],
            "created_after": True,
            "search": True,
        },
        # plugin name -> a path that only that plugin's schema holds
        "openapi_plugins": {"files": "/api/files/", "chat": "/api/chat/messages/"},
        # a key lacking the scope for the list endpoint (its env variable names it)
        "scoped_request": {"method": "GET", "path": "/api/files/"},
        "write_payload": {"name": "apiconform-probe.txt", "content_type": "text/plain", "size": 12},
        # Schemathesis-generated GETs per run (sweep.py): about half a minute of a 60/minute key.
        "sweep": {"max_cases": 30},
    },
}


@dataclass
class Timeouts:
    connect: float = 5.0
    read: float = 10.0
    total: float = 30.0  # a hard deadline per request, whatever the server drips


@dataclass
class TargetConfig:
    profile: str
    base_url: str | None = None
    max_requests: int = DEFAULT_MAX_REQUESTS
    allow_writes: bool = False
    exhaust_rate_limit: bool = False
    allow_insecure_http: bool = False
    token_env: str = "APICONFORM_TOKEN"
    token_b_env: str = "APICONFORM_TOKEN_B"
    scoped_token_env: str | None = None
    max_body_bytes: int = 5 * 1024 * 1024
    max_wait_seconds: float = 120.0  # the longest single back-off the kit accepts
    timeouts: Timeouts = field(default_factory=Timeouts)
    settings: dict[str, Any] = field(default_factory=dict)
    source: str | None = None

    def path(self, name: str, **params: str) -> str:
        template = self.settings["paths"][name]
        return str(template).format(**params)

    def __getitem__(self, key: str) -> Any:
        return self.settings[key]


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def load_target(profile: str, path: str | os.PathLike[str] | None = None) -> TargetConfig:
    if profile not in PROFILE_DEFAULTS:
        raise ConfigError(f"unknown profile {profile!r}")
    config = TargetConfig(profile=profile, settings=copy.deepcopy(PROFILE_DEFAULTS[profile]))
    if path is None:
        return config
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"target file {file} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"target file {file} is not valid TOML: {exc}") from exc
    config.source = str(file)
    top = data.pop("target", {})
    creds = data.pop("credentials", {})
    timeouts = data.pop("timeouts", {})
    try:
        if "base_url" in top:
            config.base_url = str(top["base_url"])
        for key in ("max_requests",):
            if key in top:
                config.max_requests = int(top[key])
        for key in ("allow_writes", "exhaust_rate_limit", "allow_insecure_http"):
            if key in top:
                setattr(config, key, bool(top[key]))
        if "max_wait_seconds" in top:
            config.max_wait_seconds = float(top["max_wait_seconds"])
        if "max_body_bytes" in top:
            config.max_body_bytes = int(top["max_body_bytes"])
        for key in ("token_env", "token_b_env", "scoped_token_env"):
            if key in creds:
                setattr(config, key, str(creds[key]))
        for key in ("connect", "read", "total"):
            if key in timeouts:
                setattr(config.timeouts, key, float(timeouts[key]))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"target file {file}: {exc}") from exc
    unknown = set(data) - set(PROFILE_DEFAULTS[profile]) - {"profile"}
    if unknown:
        raise ConfigError(f"target file {file}: unknown sections {sorted(unknown)} for profile {profile}")
    config.settings = _deep_merge(config.settings, data)
    return config


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--base-url must be an absolute http:// or https:// URL, got {url!r}")
    if parts.query or parts.fragment:
        raise ConfigError(f"--base-url must not carry a query or fragment: {url!r}")
    return url.rstrip("/")
