"""Building a run: options -> target config, credentials, client, and per-profile contexts.

Shared by the pytest plugin and the CLI so that `apiconform run` and plain
`pytest suites/<profile>` behave the same way and refuse the same bad configurations.
"""

from __future__ import annotations

import difflib
import os
import random
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from apiconform import mocks
from apiconform.base_url import check_base_url
from apiconform.catalog import PROFILES, load_catalog
from apiconform.client import Budget, Client, Credential, Recorder
from apiconform.context import Context
from apiconform.errors import ConfigError
from apiconform.pacing import Pacer
from apiconform.redact import REDACTOR
from apiconform.results import RunResult
from apiconform.target import TargetConfig, Timeouts, is_loopback_host, load_target

# Fixed by default so that the same kit on the same target gives the same verdicts run
# after run (a CI gate must not flake); pass --seed to explore other inputs.
DEFAULT_SEED = 0
# The embedded mocks live on a reserved name that can never resolve: nothing leaves the process.
EMBEDDED_HOST = "{profile}.apiconform.invalid"


@dataclass
class Options:
    base_url: str | None = None
    target_file: str | None = None
    report_dir: str | None = None
    write_reports: bool = True
    seed: int | None = None
    max_requests: int | None = None
    allow_writes: bool | None = None
    exhaust_rate_limit: bool | None = None
    allow_insecure_http: bool = False
    mutant: str | None = None
    rules: list[str] = field(default_factory=list)
    progress: bool = False
    waivers_file: str | None = None  # waivers.py: accepted, dated exceptions for audits
    openapi_file: str | None = None  # a local OpenAPI document for the sweep (wins over the target file)


@dataclass
class Harness:
    """Test-only injection into the runs opened while it is installed (see `harness()`).

    `runner.run` goes through pytest's command line, so objects cannot travel in `Options`;
    the kit's own tests install one of these instead. Never set by the CLI.
    """

    app: Any = None  # an ASGI app served in-process instead of the embedded mock or the network
    transport: Any = None  # an httpx transport, instead of the network
    clock: Callable[[], float] | None = None  # the pacer's clock (virtual time)
    sleep: Callable[[float], None] | None = None  # the pacer's sleep (advances virtual time)
    clients: list[Client] = field(default_factory=list)  # every client opened, for inspection


HARNESS: Harness | None = None


@contextmanager
def harness(**kwargs: Any) -> Iterator[Harness]:
    global HARNESS
    previous, HARNESS = HARNESS, Harness(**kwargs)
    try:
        yield HARNESS
    finally:
        HARNESS = previous


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def progress_line(message: str) -> None:
    print(REDACTOR.text(message), file=sys.stderr, flush=True)


@dataclass
class ProfileSession:
    context: Context
    run: RunResult


# 32 bits: the seed range the usual tools accept (numpy's legacy seeding among them), so that a
# reported seed can be passed on anywhere; refused before the run, not deep inside it.
MAX_SEED = 2**32 - 1


def check_rule_ids(ids: list[str]) -> None:
    """--rules names catalog rules only; a typo would silently run nothing."""
    known = [rule_id for p in PROFILES for rule_id in load_catalog(p).ids]
    by_upper = {rule_id.upper(): rule_id for rule_id in known}
    for rule_id in ids:
        if rule_id in known:
            continue
        if not rule_id.strip():  # `--rules ""` must not quietly become every rule
            raise ConfigError(f"--rules: an empty rule id in {','.join(ids)!r} (leave --rules out to run every rule)")
        close = difflib.get_close_matches(rule_id.upper(), list(by_upper), n=1, cutoff=0.6)
        hint = f"did you mean {by_upper[close[0]]}?" if close else "see `apiconform rules`"
        raise ConfigError(f"--rules: unknown rule id {rule_id!r} ({hint})")


def check_mutant(profile: str, mutant: str | None) -> None:
    """--mutant names one of the profile's mutants: refused here, before pytest starts, in one line."""
    if mutant is None:
        return
    names = list(mocks.mutants(profile))
    if mutant in names:
        return
    close = difflib.get_close_matches(mutant.upper(), names, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}? " if close else ""
    raise ConfigError(f"--mutant: unknown mutant {mutant!r} for {profile} ({hint}see `apiconform mutants {profile}`)")


def check_report_dir(options: Options) -> None:
    """Create the report folder and prove it writable now, not after a long run has been paid for."""
    if not options.write_reports:
        return
    # Without --report-dir the reports go to reports/<profile>-<UTC>/, created at the end: check reports/.
    folder = Path(options.report_dir) if options.report_dir else Path("reports")
    label = f"--report-dir {folder}" if options.report_dir else f"the default report folder {folder}/"
    blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise ConfigError(f"{label}: " + ("is a file, not a folder" if blocker == folder
                                          else f"{blocker} is a file, not a folder"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Write access, as the OS decides it (permissions, read-only mounts, ACLs): try it.
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".apiconform-write-check-"):
            pass
    except OSError as exc:
        raise ConfigError(f"{label}: cannot be written ({exc.strerror or exc})") from exc


def check_openapi_file(target: TargetConfig, from_flag: bool) -> None:
    """Read the named OpenAPI document now: an unusable one is exit 2 before anything is sent."""
    from apiconform.sweep import load_openapi_file  # schemathesis: paid only when a file is named

    assert target.openapi_file is not None
    label = "--openapi" if from_flag else f"target file {target.source}: target.openapi:"
    file = Path(target.openapi_file)
    if not file.is_file():
        raise ConfigError(f"{label} {file} does not exist" if not file.exists() else f"{label} {file} is not a file")
    load_openapi_file(str(file), label)


def resolve_target(profile: str, options: Options) -> tuple[TargetConfig, dict[str, Credential], bool]:
    """Target config and credentials; raises ConfigError before anything is sent."""
    if options.base_url is not None and not options.base_url:
        # An unset $BASE_URL in CI (`--base-url "$BASE_URL"`) must not quietly become the embedded mock.
        raise ConfigError("--base-url '': is empty (leave --base-url out to run against the embedded mock)")
    target = load_target(profile, options.target_file)  # checks the file's target.base_url
    load_catalog(profile)  # an unknown profile fails here
    check_rule_ids(options.rules)
    base_url = options.base_url or target.base_url
    embedded = base_url is None
    if options.seed is not None and not 0 <= options.seed <= MAX_SEED:
        raise ConfigError(f"--seed must be in 0..{MAX_SEED}, got {options.seed}")
    if options.max_requests is not None:
        if options.max_requests < 1:
            raise ConfigError("--max-requests must be a positive integer")
        target.max_requests = options.max_requests
        target.max_requests_given = True
    if options.openapi_file:
        target.openapi_file = options.openapi_file
    if target.openapi_file:
        check_openapi_file(target, from_flag=bool(options.openapi_file))
    if options.allow_writes is not None:
        target.allow_writes = options.allow_writes or target.allow_writes
    if options.exhaust_rate_limit is not None:
        target.exhaust_rate_limit = options.exhaust_rate_limit or target.exhaust_rate_limit
    target.allow_insecure_http = options.allow_insecure_http or target.allow_insecure_http
    creds: dict[str, Credential] = {}
    if embedded:
        check_mutant(profile, options.mutant)
        # The mock is the kit's own: its keys, and every switch on, so every rule runs.
        target.base_url = "https://" + EMBEDDED_HOST.format(profile=profile)
        for label, value in mocks.credentials(profile).items():
            creds[label] = Credential(label, value)
        target.allow_writes = True
        target.exhaust_rate_limit = True
    else:
        if options.mutant:
            raise ConfigError("--mutant applies only to the embedded mock (no --base-url)")
        assert base_url is not None
        # The flag's value is checked here, before anything is sent, for `apiconform run` and plain pytest alike.
        target.base_url = check_base_url(base_url) if options.base_url else base_url
        env: dict[str, str | None] = {"primary": target.token_env, "b": target.token_b_env,
                                      "scoped": target.scoped_token_env, "exhaust": target.exhaust_token_env}
        for label, var in env.items():
            secret = os.environ.get(var) if var else None
            if secret:
                creds[label] = Credential(label, secret.strip())
        if "primary" not in creds:
            raise ConfigError(f"set {target.token_env} to the key or token of the target "
                              "(credentials are read from the environment only)")
        host = urlsplit(target.base_url).hostname
        if target.base_url.startswith("http://") and not is_loopback_host(host) \
                and not target.allow_insecure_http:
            raise ConfigError(f"refusing to send credentials over plain HTTP to {host}: use https://, "
                              "or --allow-insecure-http if you really mean it")
    for cred in creds.values():
        REDACTOR.add(cred.value)
    check_report_dir(options)  # last: a run refused for another reason leaves no folder behind
    return target, creds, embedded


def in_process(app: Any) -> httpx.BaseTransport:
    # Imported here: its asyncio (~10 ms at start-up) is of no use to a run over the network.
    from apiconform.inprocess import InProcessTransport

    return InProcessTransport(app)


def open_profile(profile: str, options: Options) -> ProfileSession:
    target, creds, embedded = resolve_target(profile, options)
    seed = DEFAULT_SEED if options.seed is None else options.seed
    transport = None
    hooks = HARNESS or Harness()
    if hooks.app is not None:
        transport = in_process(hooks.app)
    elif hooks.transport is not None:
        transport = hooks.transport
    elif embedded:
        transport = in_process(mocks.create_app(profile, options.mutant))
    assert target.base_url is not None
    # Progress lines are wired by the pytest plugin, which knows how to get past output capture.
    pacer = Pacer(max_wait=target.max_wait_seconds)
    if hooks.clock is not None:
        pacer.clock = hooks.clock
    if hooks.sleep is not None:
        pacer.sleep = hooks.sleep
    client = Client(
        target.base_url,
        transport=transport,
        budget=Budget(target.max_requests),
        pacer=pacer,
        recorder=Recorder(),
        timeouts=target.timeouts,
        max_body_bytes=target.max_body_bytes,
        allow_insecure_http=target.allow_insecure_http,
        in_process=embedded,
        document_timeouts=Timeouts(connect=target.timeouts.connect, read=target.openapi_timeout,
                                   total=target.openapi_timeout * 1.5),
        document_max_bytes=target.openapi_max_bytes,
    )
    hooks.clients.append(client)
    context = Context(
        profile=profile,
        target=target,
        client=client,
        catalog=load_catalog(profile),
        seed=seed,
        credentials=creds,
        embedded=embedded,
        mutant=options.mutant,
        rng=random.Random(seed),
    )
    run = RunResult(
        profile=profile,
        base_url=target.base_url,
        mode="embedded" if embedded else "live",
        started_at=utc_now(),
        seed=seed,
        max_requests=target.max_requests,
        allow_writes=target.allow_writes,
        exhaust_rate_limit=target.exhaust_rate_limit,
        mutant=options.mutant,
    )
    return ProfileSession(context=context, run=run)
