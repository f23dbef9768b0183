"""Target configuration: where the endpoint is and how a real deployment differs from the mocks.

Defaults follow the reference mocks' layout (DESIGN.md's assumptions); a TOML target file
(`--target FILE`) overrides endpoint paths, parameter names, credential variable names,
the request budget and the safety switches. Command-line flags win over the file.
"""

from __future__ import annotations

import copy
import datetime
import difflib
import ipaddress
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apiconform.base_url import check_base_url
from apiconform.errors import ConfigError
from apiconform.locations import fixtures_dir
from apiconform.profiles.booga import defaults as booga_defaults
from apiconform.profiles.boomerang import defaults as boomerang_defaults

if TYPE_CHECKING:
    from jsonschema import ValidationError

DEFAULT_MAX_REQUESTS = 2000
MAX_SIZED_REQUESTS = 20000  # the most a budget sized for a large deployment may grow to
# The name this module gave the base-URL check before base_url.py held it (tests/test_target.py uses it).
validate_base_url = check_base_url
# The most requests spent running one key into 429: past this a probe becomes a load test.
DEFAULT_MAX_EXHAUST_REQUESTS = 400

# Each profile's defaults live in its folder (profiles/<profile>/defaults.py).
PROFILE_DEFAULTS: dict[str, dict[str, Any]] = {"boomerang": boomerang_defaults.DEFAULTS,
                                               "booga": booga_defaults.DEFAULTS}


@dataclass
class Timeouts:
    """Seconds per request. A JSON API answers well within them; a dead or dripping target
    costs at most `total` per request, and the client stops after a few such faults in a row."""

    connect: float = 5.0
    read: float = 5.0  # silence between two reads (the status line included)
    total: float = 6.0  # a hard deadline per request, whatever the server drips


@dataclass
class TargetConfig:
    profile: str
    base_url: str | None = None
    max_requests: int = DEFAULT_MAX_REQUESTS
    # Whether the budget was set (--max-requests, the target file): if not, the run sizes it for the
    # endpoints it finds, within DEFAULT_MAX_REQUESTS..MAX_SIZED_REQUESTS (discovery.size_budget).
    max_requests_given: bool = False
    allow_writes: bool = False
    exhaust_rate_limit: bool = False
    allow_insecure_http: bool = False
    token_env: str = "APICONFORM_TOKEN"
    token_b_env: str = "APICONFORM_TOKEN_B"
    scoped_token_env: str | None = None
    exhaust_token_env: str | None = None  # a key of its own for BGA-RATE-EXCEEDED
    max_exhaust_requests: int = DEFAULT_MAX_EXHAUST_REQUESTS
    openapi_file: str | None = None  # a local OpenAPI document for the sweep, instead of the served one
    max_body_bytes: int = 5 * 1024 * 1024
    # The deployment's OpenAPI document has its own cap and patience (DESIGN.md): a real one can be
    # tens of MB and take a server many seconds to generate.
    openapi_max_bytes: int = 64 * 1024 * 1024
    openapi_timeout: float = 60.0
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


# Keys of a file's [target], [credentials] and [timeouts] that map 1:1 onto TargetConfig /
# Timeouts attributes (the schema has already checked their types and ranges).
_TARGET_KEYS = ("base_url", "max_requests", "max_exhaust_requests", "allow_writes", "exhaust_rate_limit",
                "allow_insecure_http", "max_wait_seconds", "max_body_bytes", "openapi_max_bytes", "openapi_timeout")
_CREDENTIAL_KEYS = ("token_env", "token_b_env", "scoped_token_env", "exhaust_token_env")
_TIMEOUT_KEYS = ("connect", "read", "total")
_WHOLE_TABLES = ("openapi_plugins", "resource_query")


@cache
def fixture_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in fixtures/ (e.g. target.schema.json)."""
    schema: dict[str, Any] = json.loads((fixtures_dir() / name).read_text(encoding="utf-8"))
    return schema


def target_schema() -> dict[str, Any]:
    """fixtures/target.schema.json: what a target file may hold (README's table follows it)."""
    return fixture_schema("target.schema.json")


def read_toml(file: Path, kind: str) -> dict[str, Any]:
    """A user's TOML file (`kind`: "target file", "fleet file"); ConfigError naming what is wrong."""
    import tomllib  # here: a run without a target file has no TOML to read

    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{kind} {file} does not exist") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{kind} {file} is a folder, not a file") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{kind} {file} is not a UTF-8 text file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{kind} {file} is not valid TOML: {exc}") from exc


def load_target(profile: str, path: str | os.PathLike[str] | None = None) -> TargetConfig:
    if profile not in PROFILE_DEFAULTS:
        raise ConfigError(f"unknown profile {profile!r}")
    config = TargetConfig(profile=profile, settings=copy.deepcopy(PROFILE_DEFAULTS[profile]))
    if path is None:
        return config
    file = Path(path)
    data = read_toml(file, "target file")
    written_for = data.setdefault("profile", profile)
    if written_for != profile:
        raise ConfigError(f"target file {file}: profile: the file is written for {_show(written_for)}, "
                          f"the run is {profile}")
    problems = schema_problems(data)
    if problems:
        raise ConfigError(f"target file {file}: " + "; ".join(problems))
    config.source = str(file)
    del data["profile"]
    top, creds, timeouts = data.pop("target", {}), data.pop("credentials", {}), data.pop("timeouts", {})
    for key in _TARGET_KEYS:
        if key in top:
            setattr(config, key, top[key])
    if config.base_url is not None:  # the schema only asked for http(s)://HOST at its start
        config.base_url = check_base_url(config.base_url, f"target file {file}: target.base_url:", toml=True)
    config.max_requests_given = "max_requests" in top
    for key in ("max_requests", "max_exhaust_requests", "max_body_bytes", "openapi_max_bytes"):
        setattr(config, key, int(getattr(config, key)))  # JSON Schema counts 3.0 as an integer
    if "openapi" in top:
        # Relative to the file, so that a target file and its OpenAPI document travel together.
        config.openapi_file = str(file.parent / Path(top["openapi"]).expanduser())
    for key in _CREDENTIAL_KEYS:
        if key in creds:
            setattr(config, key, creds[key])
    for key in _TIMEOUT_KEYS:
        if key in timeouts:
            setattr(config.timeouts, key, float(timeouts[key]))
    # Tables of free names (plugins, query parameters) describe the deployment as a whole:
    # merged key by key, a default the deployment lacks could never be removed.
    replaced = {key: data.pop(key) for key in _WHOLE_TABLES if key in data}
    config.settings = _deep_merge(config.settings, data) | replaced
    return config


def schema_problems(data: dict[str, Any]) -> list[str]:
    """Every way `data` (a parsed target file, `profile` set) breaks the schema, one line each."""
    return describe_schema_errors(target_schema(), data)


def describe_schema_errors(schema: dict[str, Any], data: Any,
                           key_path: Callable[[Sequence[Any]], str] | None = None) -> list[str]:
    """Every way `data` breaks `schema`, one line each, keys named as TOML spells them
    (`target.max_requests: -3 is less than the minimum of 1`). `key_path` turns an error's
    path into that name (default: `a.b[0].c`); the fleet file labels its entries with it."""
    # Imported here, not at the top: only a target or fleet file is checked with it, so neither a
    # run without one nor `rules`, `serve` or `mutants` loads jsonschema (~35 ms).
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    return [_describe(error, key_path or _key_path, schema) for error in errors]


def _key_path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _show(value: Any) -> str:
    """A value as TOML spells it (true, "name"), not as Python does (True, 'name')."""
    try:
        return json.dumps(value)
    except TypeError:
        return str(value)  # dates and times


_KINDS = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "an array",
          dict: "a table", datetime.datetime: "a date-time", datetime.date: "a date", datetime.time: "a time"}
# What each pattern of the schema asks for, in words.
_PATTERN_WORDS = {
    "^/": "a path starting with /",
    "^/.*\\{id\\}": "a path starting with / and holding {id}",
    "^[A-Za-z_][A-Za-z0-9_]*$": "the name of an environment variable (letters, digits, _), not a credential",
    "^https?://[^/?#]+": "an http:// or https:// URL",
    "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$": "usable as a folder name (1-64 letters, digits, '.', '_' or '-', "
                                          "starting with a letter or digit)",
}
_TYPE_WORDS = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "a boolean",
               "array": "an array", "object": "a table"}


def _expected(schema: dict[str, Any], root: dict[str, Any]) -> str:
    """What `schema` asks for, in words; a `$ref` of its items is looked up in the `root` schema."""
    types = schema.get("type", [])
    words = " or ".join(_TYPE_WORDS.get(t, t) for t in ([types] if isinstance(types, str) else types))
    items = schema.get("items")
    if types == "array" and isinstance(items, dict):
        item_type = items.get("type") or root.get("$defs", {}).get(
            str(items.get("$ref", "")).rsplit("/", 1)[-1], {}).get("type")
        if item_type:
            words = f"an array of {item_type}s"
    return words


def _describe(error: ValidationError, key_path: Callable[[Sequence[Any]], str], root: dict[str, Any]) -> str:
    where = key_path(list(error.absolute_path))
    value, schema = error.instance, error.schema
    assert isinstance(schema, dict)
    if error.validator == "additionalProperties":
        known = sorted(schema.get("properties", {}))
        names = sorted(set(value) - set(known)) if isinstance(value, dict) else []
        out = []
        for name in names:
            section = not where and isinstance(value[name], dict)
            label = f"[{name}]" if section else f"{where}.{name}" if where else name
            hint = difflib.get_close_matches(name, known, n=1)
            kind = "section" if section else "key"
            out.append(f"{label}: unknown {kind}" + (f" (did you mean {hint[0]}?)" if hint else
                                                     f" (known: {', '.join(k for k in known if k != 'profile')})"))
        return "; ".join(out)
    prefix = f"{where}: " if where else ""
    if error.validator == "type":
        kind = _KINDS.get(type(value), type(value).__name__)
        return f"{prefix}{_show(value)} is {kind}, expected {_expected(schema, root)}"
    if error.validator == "enum":
        return f"{prefix}{_show(value)} is not one of {', '.join(_show(v) for v in error.validator_value)}"
    if error.validator == "pattern":
        wanted = _PATTERN_WORDS.get(str(error.validator_value), f"matching {error.validator_value}")
        return f"{prefix}{_show(value)} is not {wanted}"
    return prefix + error.message


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
