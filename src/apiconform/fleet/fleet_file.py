"""The fleet file of `apiconform audit`: a TOML list of `[[target]]` tables.

Everything is checked before anything is sent (exit 2, one line naming the entry and the key):
the keys and their types (fixtures/fleet-file.schema.json), unique names usable as folder
names, the credential variables present in the environment, no plain http:// to a non-loopback
host, and each entry's target file (which must exist and pass the target-file checks).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from apiconform.base_url import check_base_url
from apiconform.errors import ConfigError
from apiconform.target import (
    MAX_SIZED_REQUESTS,
    describe_schema_errors,
    fixture_schema,
    is_loopback_host,
    load_target,
    read_toml,
)

# Files the fleet report dir holds next to the targets' folders: no target may be named so.
FLEET_ARTIFACTS = ("fleet.json", "fleet.html", "junit.xml", "summary.md")
# A run that has not finished after this many seconds, plus this many per request of its budget,
# is stopped (a key limited to 60 requests a minute spends about a second per request).
TIMEOUT_BASE_SECONDS = 300.0
TIMEOUT_PER_REQUEST_SECONDS = 1.5


@dataclass(frozen=True)
class FleetTarget:
    """One `[[target]]` entry, checked. Credentials are held by variable name only."""

    name: str
    profile: str
    base_url: str
    token_env: str
    token_b_env: str | None = None
    target_file: str | None = None  # absolute
    max_requests: int | None = None
    allow_writes: bool = False
    exhaust_rate_limit: bool = False
    allow_insecure_http: bool = False
    timeout_seconds: float = TIMEOUT_BASE_SECONDS + TIMEOUT_PER_REQUEST_SECONDS * MAX_SIZED_REQUESTS
    # The variables the run of this target reads -> the variables of this process holding the
    # values (`APICONFORM_TOKEN` -> `token_env`, and those a target file names).
    credential_vars: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Fleet:
    path: Path
    targets: list[FleetTarget]

    def credential_vars(self) -> set[str]:
        """Every variable that holds or will hold a credential of any target of the fleet."""
        return {name for t in self.targets for pair in t.credential_vars.items() for name in pair}


def fleet_schema() -> dict[str, Any]:
    """fixtures/fleet-file.schema.json: what a fleet file may hold (README's table follows it)."""
    return fixture_schema("fleet-file.schema.json")


NO_TARGETS = "the fleet file lists no targets: write one [[target]] table per target"
NOT_AN_ARRAY = "[target] must be an array of tables: write [[target]]"


def load_fleet(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None, *,
               for_run: bool = True) -> Fleet:
    """Parse and check a fleet file; raises ConfigError (exit 2) naming every problem found.

    `for_run=False` (`apiconform merge --fleet`: nothing is sent) checks the file itself (keys,
    types, names) but neither the credential variables nor the target files, which the job that
    merges need not have."""
    env = os.environ if environ is None else environ
    file = Path(path)
    data = read_toml(file, "fleet file")
    entries = data.get("target")
    if isinstance(entries, dict):  # `[target]`: one table, not an array of them
        raise ConfigError(f"fleet file {file}: {NOT_AN_ARRAY}")
    if entries is None or entries == []:
        others = [p for p in describe_schema_errors(fleet_schema(), data)
                  if p != "'target' is a required property" and not p.startswith("target:")]
        raise ConfigError(f"fleet file {file}: " + "; ".join([NO_TARGETS, *others]))
    names = [e.get("name") if isinstance(e, dict) else None for e in entries] if isinstance(entries, list) else []

    def label(index: int) -> str:
        name = names[index] if index < len(names) else None
        return f"target[{index + 1}]" + (f" ({name})" if isinstance(name, str) else "")

    def key_path(parts: Sequence[Any]) -> str:
        if len(parts) >= 2 and parts[0] == "target" and isinstance(parts[1], int):
            return label(parts[1]) + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts[2:])
        return ".".join(str(p) for p in parts)

    problems = describe_schema_errors(fleet_schema(), data, key_path)
    if problems:
        raise ConfigError(f"fleet file {file}: " + "; ".join(problems))
    targets: list[FleetTarget] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(data["target"]):
        where = label(index)
        try:
            target = _check_entry(entry, where, file.parent, env) if for_run else _named_entry(entry, where)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        folded = target.name.casefold()
        if folded in seen:
            problems.append(f"{where}.name: {json.dumps(target.name)} is already the name of {seen[folded]} "
                            f"(names are folder names: unique, whatever their case)")
        seen.setdefault(folded, where)
        targets.append(target)
    if problems:
        raise ConfigError(f"fleet file {file}: " + "; ".join(problems))
    return Fleet(path=file, targets=targets)


def _named_entry(entry: dict[str, Any], where: str) -> FleetTarget:
    """An entry as `merge --fleet` needs it: its name, profile and base URL (nothing is sent)."""
    name = entry["name"]
    if name.casefold() in FLEET_ARTIFACTS or name in (".", ".."):
        raise ConfigError(f"{where}.name: {json.dumps(name)} is the name of a fleet artifact; choose another")
    return FleetTarget(name=name, profile=entry["profile"], base_url=entry["base_url"], token_env=entry["token_env"])


def _check_entry(entry: dict[str, Any], where: str, folder: Path, env: Mapping[str, str]) -> FleetTarget:
    name, profile = entry["name"], entry["profile"]
    _named_entry(entry, where)
    target_file = None
    if "target_file" in entry:
        resolved = folder / Path(entry["target_file"]).expanduser()
        if not resolved.is_file():
            raise ConfigError(f"{where}.target_file: {resolved} does not exist (relative paths are read "
                              f"from the fleet file's folder)")
        target_file = str(resolved.resolve())
    try:
        config = load_target(profile, target_file)
    except ConfigError as exc:
        raise ConfigError(f"{where}.{'target_file' if target_file else 'profile'}: {exc}") from exc
    # The one check `--base-url` and a target file get too: one line naming the entry, nothing sent.
    base_url = check_base_url(entry["base_url"], f"{where}.base_url:", toml=True)
    insecure = bool(entry.get("allow_insecure_http", False)) or config.allow_insecure_http
    parts = urlsplit(base_url)
    if parts.scheme == "http" and not is_loopback_host(parts.hostname) and not insecure:
        raise ConfigError(f"{where}.base_url: {json.dumps(base_url)} is plain http:// to a non-loopback host: "
                          f"the credential would travel in clear (use https://, or allow_insecure_http = true)")
    credential_vars = {config.token_env: entry["token_env"]}
    if "token_b_env" in entry:
        credential_vars[config.token_b_env] = entry["token_b_env"]
    for key in ("token_env", "token_b_env"):
        var = entry.get(key)
        if var is not None and not env.get(var):
            raise ConfigError(f"{where}.{key}: the variable {var} is not set (export the credential in it; "
                              f"the fleet file holds only its name)")
    # Further keys a target file names (scoped, exhaust): passed on under their own names when set.
    for var in (config.scoped_token_env, config.exhaust_token_env):
        if var and var not in credential_vars and env.get(var):
            credential_vars[var] = var
    budget = entry.get("max_requests")
    # A budget nobody set is sized by the run for the endpoints it finds, up to MAX_SIZED_REQUESTS
    # (discovery.size_budget): the timeout must leave a large deployment the time its budget may
    # take, or a rate-limited key's run would be stopped half-way, its later endpoints unjudged.
    limit = budget or (config.max_requests if config.max_requests_given else MAX_SIZED_REQUESTS)
    default_timeout = TIMEOUT_BASE_SECONDS + TIMEOUT_PER_REQUEST_SECONDS * limit
    return FleetTarget(
        name=name, profile=profile, base_url=base_url, token_env=entry["token_env"],
        token_b_env=entry.get("token_b_env"), target_file=target_file,
        max_requests=int(budget) if budget is not None else None,
        allow_writes=bool(entry.get("allow_writes", False)),
        exhaust_rate_limit=bool(entry.get("exhaust_rate_limit", False)),
        allow_insecure_http=bool(entry.get("allow_insecure_http", False)),
        timeout_seconds=float(entry.get("timeout_seconds", default_timeout)),
        credential_vars=credential_vars,
    )
