"""`apiconform run`: the conformance suites run in-process by pytest, verdicts collected."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _hypothesis_pytestplugin
import pytest

from apiconform import interrupt, phases
from apiconform import plugin as apiconform_plugin
from apiconform.catalog import load_catalog
from apiconform.errors import ConfigError
from apiconform.locations import suites_dir
from apiconform.plugin import RUNS, STATE
from apiconform.results import RunResult
from apiconform.session import Options, check_rule_ids, resolve_target
from apiconform.waivers import load_waivers


@dataclass
class RunOutcome:
    exit_code: int
    runs: list[RunResult] = field(default_factory=list)
    report_dirs: dict[str, Path] = field(default_factory=dict)
    message: str = ""

    @property
    def run(self) -> RunResult:
        return self.runs[0]


class _Bridge:
    """Hands the plugin's results back to the runner once the session is over."""

    def __init__(self) -> None:
        self.runs: list[RunResult] = []
        self.report_dirs: dict[str, Path] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        runs: list[RunResult] | None = session.config.stash.get(RUNS, None)
        self.runs = list(runs or [])
        state = session.config.stash.get(STATE, None)
        if state is not None:
            self.report_dirs = dict(state.report_dirs)


# pytest as a lean engine. The suites judge through `ctx`, not bare asserts, so assertion
# rewriting buys nothing; it cost ~1.8 s a run, compiling every module of every installed
# pytest plugin's distribution (schemathesis and hypothesis among them). Only the plugins a
# run needs are loaded: whatever else is installed beside the kit neither slows nor changes it.
# Of pytest's own, those a conformance run has no use for are left out too: the unraisable- and
# thread-exception hooks (their garbage collections at exit cost ~35 ms), junitxml (the kit
# writes its own junit.xml), doctest, pastebin and the legacy path fixtures; and the fixtures no
# suite asks for (tmp_path, monkeypatch, recwarn, subtests), unittest classes no suite has, and
# run modes the kit never starts (--pdb, --setup-only/-plan, --stepwise, a faulthandler
# timeout), and log capture (nothing in the kit logs; it wrapped each phase of every test, ~60
# us a test): each is a module to import and hooks to call around every test. The plugins a run
# needs are handed to pytest directly (ENGINE_PLUGINS): `-p NAME` would make pytest scan every
# installed distribution's entry points for NAME first, ~3 ms each. Output is captured at the
# sys level: the suites write nothing and start no process, so the file-descriptor capture's
# dup2 and temporary-file reads around every test phase would buy nothing.
class _BaseUrlOption:
    """pytest-base-url's `--base-url` (what the plugin reads in plain pytest), without that
    plugin's two session fixtures, which no suite uses: one autouse, both asking for pytest's
    `request`, which pytest builds anew (with an inspect.signature) for each of them before every
    test, ~100 us a test. Nor is its `--verify-base-url` GET sent: every request of a run goes
    through the kit's Client."""

    def pytest_addoption(self, parser: pytest.Parser) -> None:
        parser.addoption("--base-url", metavar="url", default=None, help="base url for the application under test.")


UNUSED_FIXTURES_AND_MODES = ("tmpdir", "monkeypatch", "recwarn", "subtests", "unittest", "debugging", "setuponly",
                             "setupplan", "stepwise", "faulthandler")
ENGINE_PLUGINS = (apiconform_plugin, _BaseUrlOption(), _hypothesis_pytestplugin)
ENGINE_ARGS = ("--assert=plain", "--disable-plugin-autoload", "--capture=sys",
               *(arg for name in ("unraisableexception", "threadexception", "junitxml", "doctest", "pastebin",
                                  "legacypath", "logging", *UNUSED_FIXTURES_AND_MODES)
                 for arg in ("-p", f"no:{name}")))


def pytest_args(profile: str, options: Options, verbose: bool = False) -> list[str]:
    args = [str(suites_dir(profile)), "-p", "no:cacheprovider", "--import-mode=importlib", *ENGINE_ARGS]
    args += ["-p", "no:terminal"] if not verbose else ["-v", "--tb=short"]
    # Always said, empty for the embedded mock: pytest-base-url (where it is loaded) would otherwise
    # take its default from PYTEST_BASE_URL, which a CI job may set for another suite, and send the
    # key there.
    args += ["--base-url", options.base_url or ""]
    if options.target_file:
        args += ["--target", options.target_file]
    if options.report_dir:
        args += ["--report-dir", options.report_dir]
    if not options.write_reports:
        args.append("--no-reports")
    if options.seed is not None:
        args += ["--seed", str(options.seed)]
    if options.max_requests is not None:
        args += ["--max-requests", str(options.max_requests)]
    if options.allow_writes:
        args.append("--allow-writes")
    if options.exhaust_rate_limit:
        args.append("--exhaust-rate-limit")
    if options.allow_insecure_http:
        args.append("--allow-insecure-http")
    if options.mutant:
        args += ["--mutant", options.mutant]
    if options.rules:
        args += ["--rules", ",".join(options.rules)]
    if options.progress:
        args.append("--apiconform-progress")
    if options.waivers_file:
        args += ["--waivers", options.waivers_file]
    if options.openapi_file:
        args += ["--openapi", options.openapi_file]
    return args


def check_rules_profile(profile: str, rules: list[str]) -> None:
    """A run of one profile with another profile's rule ids would select nothing (or not all)."""
    check_rule_ids(rules)  # unknown ids first: they get a suggestion
    ids = set(load_catalog(profile).ids)
    foreign = [rule_id for rule_id in rules if rule_id not in ids]
    if foreign:
        raise ConfigError(f"--rules: {', '.join(foreign)} {'is not a rule' if len(foreign) == 1 else 'are not rules'}"
                          f" of {profile} (see `apiconform rules {profile}`)")


def run(profile: str, options: Options, *, verbose: bool = False) -> RunOutcome:
    """Run one profile's suite; never raises for target misbehaviour (that is a verdict)."""
    phases.begin_run()
    try:
        check_rules_profile(profile, options.rules)  # before resolve_target creates the report folder
        resolve_target(profile, options)  # exit 2 with a clear message before any request
        if options.waivers_file:
            load_waivers(options.waivers_file)
    except ConfigError as exc:
        return RunOutcome(exit_code=2, message=str(exc))
    bridge = _Bridge()
    # SIGINT/SIGTERM from here on: nothing more is sent, the rest is `error`, every report is
    # still written; a second signal ends the process at once (interrupt.py).
    with interrupt.handled():
        code = pytest.main(pytest_args(profile, options, verbose), plugins=[*ENGINE_PLUGINS, bridge])
    if not bridge.runs:
        reasons = {pytest.ExitCode.USAGE_ERROR: "usage error", pytest.ExitCode.INTERRUPTED: "interrupted",
                   pytest.ExitCode.NO_TESTS_COLLECTED: "no conformance test selected"}
        why = reasons.get(pytest.ExitCode(code), f"pytest exit {code}")
        return RunOutcome(exit_code=2, message=f"the suite did not run ({why})")
    runs = bridge.runs
    # A failure anywhere outranks an incomplete run: exit 1 if any rule failed, else 3 or 0.
    codes = {r.exit_code for r in runs}
    exit_code = 1 if 1 in codes else max(codes)
    message = ""
    if (signal_name := next((r.extra["interrupted"] for r in runs if r.extra.get("interrupted")), None)):
        written = "; every report was written" if bridge.report_dirs else ""
        message = (f"interrupted by {signal_name}: no request was sent after it, the rules it left "
                   f"undecided are error{written} (exit {exit_code})")
    return RunOutcome(exit_code=exit_code, runs=runs, report_dirs=bridge.report_dirs, message=message)


def main_run(profile: str, options: Options, **kwargs: Any) -> int:
    from apiconform.report.console import render_summary

    outcome = run(profile, options, **kwargs)
    if outcome.message:
        print(f"apiconform: {outcome.message}", file=sys.stderr)
    for result in outcome.runs:
        print(render_summary(result, outcome.report_dirs.get(result.profile)))
    return outcome.exit_code
