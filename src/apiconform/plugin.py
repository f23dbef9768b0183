"""The pytest plugin: runs the conformance suites and turns test outcomes into rule verdicts.

Loaded through the `pytest11` entry point, so it is in every pytest session of an environment
the kit is installed in. It is inert for a session that does not run the kit's suites: no
hypothesis profile, no forced seed, nothing at configure time but its options and the `rule`
marker, so the kit's own tests and other projects' suites are unaffected.

Each conformance test carries `@pytest.mark.rule("ID")` naming one catalog rule. Outcomes
map onto verdicts: passed -> pass, a `RuleViolation`/assertion -> fail, an `Incomplete`
(timeout, refused, budget spent) -> error, skipped -> skip. A rule checked by several tests
takes the worst verdict among them.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import random
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import core as hypothesis_core

from apiconform import interrupt, items, phases, plan_cache
from apiconform.catalog import Rule, find_rule
from apiconform.coverage import coverage_report, settle_evidence
from apiconform.errors import ConfigError, Incomplete, RuleViolation
from apiconform.exchange import Exchange
from apiconform.judge import judge_run
from apiconform.locations import suites_dir
from apiconform.redact import REDACTOR
from apiconform.results import RuleResult, RunResult
from apiconform.session import Options, ProfileSession, check_rule_ids, open_profile, progress_line, utc_now
from apiconform.startup import resume_collector
from apiconform.surface import Endpoint
from apiconform.waivers import Waiver, apply_waivers, load_waivers

STATE = pytest.StashKey["ApiconformState"]()

# The hypothesis settings of a conformance run. Never registered at import: hypothesis reads its
# default settings when @given/@settings decorate a test, and a profile loaded by this plugin
# would change every test of every project in the environment (issue 23). They apply while the
# kit's suites are imported and for the rest of a conformance session, then the profile that
# was loaded before comes back.
HYPOTHESIS_PROFILE = "apiconform"
HYPOTHESIS_SETTINGS: dict[str, Any] = {
    "database": None,  # no example database: a run depends on the seed alone
    "deadline": None,  # network latency is not a property of the code under test
    "derandomize": False,
    "phases": (Phase.explicit, Phase.generate),  # no shrinking: it costs requests on live targets
    # differing_executors: a check for test methods called on several instances, which the suites'
    # module-level tests never are; suppressed with function_scoped_fixture, it spares
    # hypothesis's pytest plugin a scan of every @given test's fixtures (~0.25 ms an item).
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.differing_executors,
                              HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    "max_examples": 25,
    "print_blob": False,
}


@functools.cache
def _hypothesis_profile() -> str:
    # On hypothesis's own defaults, not on whatever profile is loaded: the same run everywhere.
    settings.register_profile(HYPOTHESIS_PROFILE, settings.get_profile("default"), **HYPOTHESIS_SETTINGS)
    return HYPOTHESIS_PROFILE


@contextlib.contextmanager
def kit_hypothesis_profile() -> Iterator[None]:
    """The kit's hypothesis profile for the block, the previous one restored after it."""
    previous = settings.get_current_profile_name()
    settings.load_profile(_hypothesis_profile())
    try:
        yield
    finally:
        settings.load_profile(previous)


@functools.cache
def _kit_suites() -> Path:
    return suites_dir().resolve()


def _in_kit_suites(path: Path) -> bool:
    return path.resolve().is_relative_to(_kit_suites())


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("apiconform", "apiconform conformance run")
    group.addoption("--target", dest="apiconform_target", default=None, metavar="FILE",
                    help="TOML target file: paths, parameter names, credential variables, budget, switches")
    group.addoption("--report-dir", dest="apiconform_report_dir", default=None, metavar="DIR",
                    help="write report.json, junit.xml, report.html here (default reports/<profile>-<UTC>/)")
    group.addoption("--no-reports", dest="apiconform_no_reports", action="store_true",
                    help="do not write report files")
    group.addoption("--seed", dest="apiconform_seed", type=int, default=None,
                    help="hypothesis seed (default 0: the same run every time)")
    group.addoption("--max-requests", dest="apiconform_max_requests", type=int, default=None,
                    help="request budget across everything the kit sends")
    group.addoption("--allow-writes", dest="apiconform_allow_writes", action="store_true", default=None,
                    help="permit POST/PUT/PATCH/DELETE (Booga); created data is deleted again")
    group.addoption("--exhaust-rate-limit", dest="apiconform_exhaust", action="store_true", default=None,
                    help="permit deliberately running a key into 429")
    group.addoption("--allow-insecure-http", dest="apiconform_insecure", action="store_true", default=False,
                    help="permit sending credentials over plain HTTP to a non-loopback host")
    group.addoption("--mutant", dest="apiconform_mutant", default=None,
                    help="embedded mock only: break one rule (see `apiconform mutants PROFILE`)")
    group.addoption("--rules", dest="apiconform_rules", default=None,
                    help="comma-separated rule ids to run (default: all)")
    group.addoption("--waivers", dest="apiconform_waivers", default=None, metavar="FILE",
                    help="TOML/YAML file of waivers (rule, reason, expires): a current one turns "
                         "that rule's fail into `waived`")
    group.addoption("--openapi", dest="apiconform_openapi", default=None, metavar="FILE",
                    help="a local OpenAPI document for the generated sweep, instead of the one the target serves")
    group.addoption("--apiconform-progress", dest="apiconform_progress", action="store_true",
                    help="print a progress line per test on stderr (used by `apiconform run`)")


class ApiconformState:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        opt = config.option
        self.options = Options(
            base_url=getattr(opt, "base_url", None) or None,
            target_file=opt.apiconform_target,
            report_dir=opt.apiconform_report_dir,
            write_reports=not opt.apiconform_no_reports,
            seed=opt.apiconform_seed,
            max_requests=opt.apiconform_max_requests,
            allow_writes=opt.apiconform_allow_writes,
            exhaust_rate_limit=opt.apiconform_exhaust,
            allow_insecure_http=opt.apiconform_insecure,
            mutant=opt.apiconform_mutant,
            rules=[r.strip() for r in (opt.apiconform_rules or "").split(",") if r.strip()],
            progress=opt.apiconform_progress,
            waivers_file=opt.apiconform_waivers,
            openapi_file=opt.apiconform_openapi,
        )
        self.waivers: list[Waiver] = []
        self.profiles: dict[str, ProfileSession] = {}
        self.results: dict[str, dict[str, RuleResult]] = {}
        # Every exchange of the run per profile, in order: judged as a whole at the end (judge.py).
        self.exchanges: dict[str, list[Exchange]] = {}
        self.total_items = 0
        self.done_items = 0
        self.started = time.monotonic()
        self.last_eta = 0.0  # when the last "still to go" line was printed
        self.report_dirs: dict[str, Path] = {}
        self.tests_of: dict[str, list[str]] = {}  # rule id -> its selected tests (node ids)
        self.interrupted: str | None = None  # the signal that stopped the run ("SIGTERM")
        # A conformance session's hypothesis profile and seed, undone when the session ends.
        self.hypothesis_scope: contextlib.ExitStack | None = None
        # A command-line run in its own process, whose collector start-up paused (startup.py).
        self.own_process = False

    def session(self, profile: str) -> ProfileSession:
        if profile not in self.profiles:
            self.profiles[profile] = open_profile(profile, self.options)
            if self.options.progress:
                self.profiles[profile].context.client.pacer.progress = self.progress
        return self.profiles[profile]

    def progress(self, message: str) -> None:
        """A progress line from inside a test (pacing waits): past pytest's output capture,
        which would otherwise swallow it until the test ends."""
        capman = self.config.pluginmanager.getplugin("capturemanager")
        if capman is None:
            progress_line(message)
            return
        with capman.global_and_fixture_disabled():
            progress_line(message)


_RULE = pytest.StashKey["Rule | None"]()


def rule_of(item: pytest.Item) -> Rule | None:
    """The item's rule, read from its marker once (asked for by every hook of every item)."""
    if _RULE in item.stash:
        return item.stash[_RULE]
    marks = list(item.iter_markers("rule"))
    if not marks:
        item.stash[_RULE] = None
        return None
    if len(marks) > 1:
        raise pytest.UsageError(f"{item.nodeid}: a conformance test names exactly one rule")
    rule_id = marks[0].args[0]
    try:
        found = item.stash[_RULE] = find_rule(rule_id)
    except KeyError:
        raise pytest.UsageError(f"{item.nodeid}: rule {rule_id!r} is not in any catalog") from None
    return found


def _is_conformance(item: pytest.Item) -> bool:
    """A test using the plugin's own `ctx` fixture (another project's fixture of that name is
    its own business: the plugin leaves such a test alone)."""
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.get("ctx") if info is not None else None
    if not defs:
        return False
    return getattr(getattr(defs[-1], "func", None), "__module__", "") == __name__


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config.option, "tbstyle"):
        # `apiconform run` (no terminal plugin, so no --tb): the kit reports verdicts, not
        # tracebacks. pytest would otherwise build a long one, parsing the module's source, for
        # every item a spent budget or a dead target leaves `error`: about 14 ms each, a minute on
        # a deployment of 300 endpoints. One line each costs nothing.
        config.option.tbstyle = "line"
    config.addinivalue_line("markers", "rule(id): the catalog rule this conformance test checks")
    config.addinivalue_line("markers", "endpoints(kind): one item per endpoint of that kind of the deployment "
                                       "(list, single, other, any); see apiconform.items")
    state = ApiconformState(config)
    config.stash[STATE] = state
    seed = state.options.seed
    state.seed = 0 if seed is None else seed  # type: ignore[attr-defined]


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    """A module of the kit's suites is imported under the kit's hypothesis profile.

    Hypothesis fixes a test's settings when its decorators run, at import, before collection
    can tell a conformance session from another; the suites' own `@settings(max_examples=N)`
    still override the profile's cap. Any other module is imported untouched.
    """
    if not (isinstance(collector, pytest.Module) and _in_kit_suites(collector.path)):
        yield
        return
    with kit_hypothesis_profile():
        yield


def _start_conformance_hypothesis(state: ApiconformState) -> None:
    """From here to the end of a conformance session: the kit's profile and its seed."""
    if state.hypothesis_scope is not None:
        return
    scope = state.hypothesis_scope = contextlib.ExitStack()
    scope.enter_context(kit_hypothesis_profile())
    scope.callback(setattr, hypothesis_core, "global_force_seed", hypothesis_core.global_force_seed)
    # hypothesis' own --hypothesis-seed sets this same global; the kit's --seed drives it.
    hypothesis_core.global_force_seed = state.seed  # type: ignore[attr-defined]


def _end_conformance_hypothesis(state: ApiconformState) -> None:
    if state.hypothesis_scope is not None:
        state.hypothesis_scope.close()  # the seed, then the profile, as they were
        state.hypothesis_scope = None


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is not None:
        _end_conformance_hypothesis(state)
        for profile in state.profiles.values():
            profile.context.client.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked `endpoints(KIND)` becomes one item per endpoint of that kind (items.py)."""
    kind = items.kind_of(metafunc.definition)
    if kind is None:
        return
    rule = rule_of(metafunc.definition)
    if rule is None:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: conformance test without @pytest.mark.rule")
    state: ApiconformState = metafunc.config.stash[STATE]
    context = None
    if not state.options.rules or rule.id in state.options.rules:
        # A bad configuration is refused in one line by pytest_collection_modifyitems, which
        # opens the session again: raised here it would be a collection error per module.
        with contextlib.suppress(ConfigError):
            context = state.session(rule.profile).context
    items.parametrize(metafunc, context, kind)


# tryfirst: before hypothesis's own hook, which already writes to hypothesis's storage.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    state = config.stash[STATE]
    if config.option.apiconform_rules is not None:
        # Plain pytest as `apiconform run` does: an empty --rules (an unset $RULES in CI) or an
        # unknown id is refused, never a run of everything or of nothing.
        if not state.options.rules:
            raise pytest.UsageError(f"--rules: no rule id in {config.option.apiconform_rules!r} "
                                    "(leave --rules out to run every rule)")
        try:
            check_rule_ids(state.options.rules)
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from exc
    selected, deselected = [], []
    profiles: set[str] = set()
    for item in items:
        rule = rule_of(item)
        if rule is None:
            if _is_conformance(item):
                raise pytest.UsageError(f"{item.nodeid}: conformance test without @pytest.mark.rule")
            selected.append(item)
            continue
        if state.options.rules and rule.id not in state.options.rules:
            deselected.append(item)
            continue
        profiles.add(rule.profile)
        selected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    # Rules that deliberately exhaust a rate limit go last, so they cannot starve the others.
    selected.sort(key=lambda it: (r := rule_of(it)) is not None and "exhaust" in r.requires)
    items[:] = selected
    if profiles:  # a conformance run: not the kit's own tests, nor another project's
        _start_conformance_hypothesis(state)
        plan_cache.use_for_hypothesis()
        if any((r := rule_of(it)) is not None and r.id.endswith("-NO-5XX") for it in items):
            plan_cache.warm_unicode_tables()  # what the sweep's first draw needs, computed meanwhile
    try:
        for profile in sorted(profiles):
            state.session(profile)  # validates the configuration before any request
        if state.options.waivers_file and profiles:
            state.waivers = load_waivers(state.options.waivers_file)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from exc
    state.total_items = sum(1 for it in items if rule_of(it) is not None)
    where: dict[Any, tuple[str, int | None]] = {}
    for item in items:
        if (rule := rule_of(item)) is not None:
            state.tests_of.setdefault(rule.id, []).append(item.nodeid)
            _share_location(item, where)


def _share_location(item: pytest.Item, where: dict[Any, tuple[str, int | None]]) -> None:
    """The items of one test function (one per endpoint) share its file and line: pytest finds
    them per item (Item.location, asked for as each item starts), reading the function's source
    each time, ~70 us an item. Found for the first, set on the others as pytest would."""
    if type(item) is not pytest.Function:
        return
    function = item.obj
    if function not in where:
        where[function] = item.location[:2]
    else:
        item.__dict__["location"] = (*where[function], item.getmodpath())  # Item.location is a cached_property


# The test being set up or run (pytest_runtest_setup): `ctx` reads it from here rather than asking
# for pytest's `request`, whose fixture definition pytest builds anew, with an inspect.signature,
# each time it is asked for (twice a test).
_RUNNING: list[pytest.Item] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _RUNNING[:] = [item]


@pytest.fixture
def ctx() -> Any:
    """The conformance context of the running test's profile, set up for its rule."""
    node = _RUNNING[0]
    state: ApiconformState = node.config.stash[STATE]
    rule = rule_of(node)
    if rule is None:
        raise pytest.UsageError(f"{node.nodeid}: conformance test without @pytest.mark.rule")
    context = state.session(rule.profile).context
    context.rule = rule
    context.notes = []
    context.judged = []
    endpoint = items.endpoint_of(node)
    context.endpoint = endpoint if isinstance(endpoint, Endpoint) else None
    label = f":{endpoint.label}" if isinstance(endpoint, Endpoint) else ""
    context.rng = random.Random(f"{context.seed}:{rule.id}{label}")
    # What the deployment offers, found once before the first rule (at collection, unless no test
    # of the run is per endpoint): run-level probes, judged like every other exchange (judge.py);
    # if it cannot be found, the first rule that needs it says why.
    items.find_surface(context)
    state.exchanges.setdefault(rule.profile, []).extend(context.client.recorder.current)
    context.client.recorder.current = []
    client = context.client
    # Decided without a request: the rest of a run against a dead, throttling or spent
    # target ends fast, each rule an `error` with the reason.
    if client.budget.exhausted:
        raise Incomplete(f"request budget of {client.budget.limit} requests was spent before this rule")
    if client.stopped:
        # The exchanges that stopped the kit are every such rule's evidence.
        raise Incomplete(f"not run: {client.stopped}", *client.stop_evidence)
    if isinstance(endpoint, items.NoEndpoint):
        if endpoint.verdict == "skip":
            pytest.skip(endpoint.why)
        raise Incomplete(endpoint.why)
    return context


def _exception_verdict(exc: BaseException) -> str:
    if isinstance(exc, Incomplete):
        return "error"
    if isinstance(exc, AssertionError):
        return "fail"
    if isinstance(exc, BaseExceptionGroup):
        inner = [_exception_verdict(e) for e in exc.exceptions]
        return "fail" if "fail" in inner else "error"
    return "error"


def _first_violation(exc: BaseException) -> BaseException:
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            if isinstance(inner, AssertionError):
                return _first_violation(inner)
        return _first_violation(exc.exceptions[0])
    return exc


def _reason(exc: BaseException, verdict: str) -> str:
    exc = _first_violation(exc)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if verdict == "error" and not isinstance(exc, Incomplete):
        text = f"kit error {type(exc).__name__}: {text}"
    return REDACTOR.text(text)


_FAILING_EXAMPLE = ("Failing test case: ", "Failing explicit example: ")
_HINT_LIMIT = 200


def _replay_hint(note: str) -> str | None:
    """The arguments of the example hypothesis reports as failing, as the rule's note.

    Hypothesis attaches its report to the exception as notes: the failing call
    (`Failing explicit example: test_x(ctx=<Context ...>, limit=1)`, one argument a line), a
    count of other failing examples, explanations. None of that is the rule's own words; only
    the arguments are worth keeping, as a replay hint: `test_x fails with limit=1` (no `ctx`).
    Anything else, or a call it cannot read, gives None.
    """
    prefix = next((p for p in _FAILING_EXAMPLE if note.startswith(p)), None)
    if prefix is None:
        return None
    call = note.removeprefix(prefix)
    name, _, rest = call.partition("(\n")  # hypothesis prints the call split, one argument a line
    body = rest.rstrip()
    if not name.isidentifier() or not body.endswith(")"):
        return None
    args: list[list[str]] = []
    for line in body.removesuffix(")").splitlines():
        outer = line.startswith("    ") and not line.startswith("     ")
        if outer and line.lstrip().startswith("#"):  # hypothesis's comment on the example
            continue
        if outer and line.strip().partition("=")[0].isidentifier():  # an argument starts
            args.append([line.strip()])
        elif args and line.strip():
            args[-1].append(line.strip())  # its value, printed over several lines
        elif line.strip():
            return None
    shown = []
    for parts in args:
        text = " ".join(parts).removesuffix("  # or any other generated value").removesuffix(",")
        key, eq, _value = text.partition("=")
        if not eq or not key.isidentifier():
            return None
        if key not in ("ctx", "endpoint"):  # the item's own id names its endpoint
            shown.append(text)
    if not shown:
        return None
    hint = REDACTOR.text(f"{name} fails with " + ", ".join(shown))  # redacted before it is cut
    return hint if len(hint) <= _HINT_LIMIT else hint[:_HINT_LIMIT - 1] + "…"


def _evidence(exc: BaseException | None, current: list[Exchange], verdict: str) -> list[Exchange]:
    if exc is not None:
        exc = _first_violation(exc)
        if isinstance(exc, RuleViolation) and exc.exchanges:
            return exc.exchanges
        if isinstance(exc, Incomplete) and exc.exchanges:
            return list(exc.exchanges)
    if verdict == "pass":
        return current[:2]
    return current[-2:]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    rule = rule_of(item)
    if rule is None:
        return
    decided = (call.when == "call") or (call.when == "setup" and report.outcome != "passed")
    if not decided:
        return
    state: ApiconformState = item.config.stash[STATE]
    exc = call.excinfo.value if call.excinfo is not None else None
    if report.skipped:
        verdict = "skip"
        reason = str(exc.msg) if exc is not None and hasattr(exc, "msg") else "skipped"
        if isinstance(report.longrepr, tuple):
            reason = report.longrepr[2].removeprefix("Skipped: ")
    elif report.passed:
        verdict, reason = "pass", ""
    else:
        assert exc is not None
        verdict = _exception_verdict(exc)
        if isinstance(exc, ConfigError):
            verdict = "error"
        reason = _reason(exc, verdict)
    profile = state.session(rule.profile)
    context = profile.context
    results = state.results.setdefault(rule.profile, {})
    result = results.setdefault(rule.id, RuleResult(rule=rule))
    endpoint = items.endpoint_of(item)
    result.add_outcome(item.nodeid, verdict, reason, _evidence(exc, context.client.recorder.current, verdict),
                       endpoint=endpoint.label if isinstance(endpoint, Endpoint) else None,
                       unobservable=isinstance(exc, items.Unobservable), settle=False)
    for note in context.notes:
        if note not in result.notes:
            result.notes.append(REDACTOR.text(note))
    if exc is not None:
        # An exception's notes are the test library's (hypothesis's report of the failing
        # example, "use Verbosity.verbose to view"): not evidence. Only the failing example's
        # arguments are kept, as a replay hint.
        for note in getattr(_first_violation(exc), "__notes__", []) or []:
            hint = _replay_hint(str(note))
            if hint is not None and hint not in result.notes:
                result.notes.append(hint)
    result.duration += call.duration
    result.requests += len(context.client.recorder.current)
    # Judged: the exchanges a check of this rule evaluated (ctx.expect / ctx.check / ctx.fail),
    # never a setup request it only read.
    result.see(context.judged)
    shown = _evidence(exc, [], verdict) if exc is not None else []
    if verdict == "fail":
        result.offending.extend(shown)
    elif verdict == "error":
        result.inconclusive.extend(shown)
    context.judged = []
    state.exchanges.setdefault(rule.profile, []).extend(context.client.recorder.current)
    context.client.recorder.current = []  # recorded once, even if a later phase reports again
    state.done_items += 1
    if state.options.progress:
        # The item's verdict is the rule's on that endpoint; the rule's own is settled at the end
        # over every endpoint and every exchange of the run (it may still fail elsewhere).
        progress_line(f"[{state.done_items:>3}/{state.total_items}] {verdict:<5} {rule.id}  "
                      f"{item.name}" + (f"  ({reason[:100]})" if reason and verdict != "pass" else ""))
        remaining_line(state)


ETA_EVERY = 15.0  # seconds between two "still to go" lines on a long run


def remaining_line(state: ApiconformState) -> None:
    """On a long run, now and then: how much is left, and how long it takes at the current rate."""
    now = time.monotonic()
    left = state.total_items - state.done_items
    if left <= 0 or now - state.last_eta < ETA_EVERY or now - state.started < ETA_EVERY:
        return
    state.last_eta = now
    per_item = (now - state.started) / max(1, state.done_items)
    seconds = left * per_item
    took = f"about {seconds / 60:.0f} min" if seconds >= 90 else f"about {seconds:.0f} s"
    sent = sum(p.context.client.budget.sent for p in state.profiles.values())
    progress_line(f"      {left} of {state.total_items} rule-and-endpoint tests left, {took} at the current rate "
                  f"({sent} requests sent so far)")


def finish_runs(state: ApiconformState) -> list[RunResult]:
    runs = []
    for name, profile in sorted(state.profiles.items()):
        run = profile.run
        catalog = profile.context.catalog
        results = state.results.get(name, {})
        # What a profile must do however the run ended (delete what the write rules created);
        # its exchanges are judged with the rest.
        profile.context.rule, profile.context.endpoint = None, None
        for last in profile.context.cache.pop("run:finally", []):
            last(profile.context)
        if state.interrupted:
            _settle_interrupted(state, name, results, state.interrupted)
        ordered: list[RuleResult] = []
        for rule in catalog.rules:
            if rule.id in results:
                ordered.append(results[rule.id])
            elif not state.options.rules:
                # A catalog rule with no collected test cannot be claimed as checked.
                ordered.append(RuleResult(rule=rule, verdict="error", reason="no test of this rule was run"))
        run.results = ordered
        for result in ordered:
            result.settle()  # once, over all its items (makereport records them unsettled)
            result.notes.extend(n for n in result.unjudged_endpoints() if n not in result.notes)
            if profile.context.client.stopped and result.outcomes and \
                    all(o.verdict == "error" for o in result.outcomes):
                # The target went away (or throttled the kit off): one cause for every endpoint of
                # the rule, said as such rather than endpoint by endpoint.
                result.reason = REDACTOR.text(f"not run: {profile.context.client.stopped}")
        context = profile.context
        surface = context.known_surface
        judge_run(name, results, state.exchanges.get(name, []),
                  lambda ex, client=context.client: client.same_origin(ex.request.url),  # type: ignore[misc]
                  context.target.settings, surface)
        settle_evidence(ordered, state.exchanges.get(name, []), context.client.base_url, surface)
        client = context.client
        stopped = f"the request budget of {client.budget.limit} was spent" if client.budget.exhausted else \
            (client.stopped or "")
        run.extra.update(coverage_report(ordered, surface, stopped))
        # Run-level facts the suites found out (e.g. which way of sending the key was used).
        run.extra.update(context.cache.get("run:extra", {}))
        if state.interrupted:
            run.extra["interrupted"] = state.interrupted  # report.json `interrupted`
        run.waivers_file = state.options.waivers_file
        apply_waivers(run, state.waivers)
        client = profile.context.client
        run.requests_sent = client.budget.sent
        run.max_requests = client.budget.limit  # sized for the endpoints found when nobody set it
        run.methods = client.recorder.methods
        run.statuses = client.recorder.statuses
        run.paced_seconds = client.pacer.waited
        run.finished_at = utc_now()
        run.duration = time.monotonic() - state.started
        runs.append(run)
    return runs


def _settle_interrupted(state: ApiconformState, name: str, results: dict[str, RuleResult],
                        signal_name: str) -> None:
    """A run stopped by a signal: every selected test that never reported is `error`.

    Through `apiconform run` every test still reports (the Client refuses to send, so each rule
    left is `error` "not run: interrupted by ..."); plain pytest ends the session at the
    KeyboardInterrupt instead, leaving the test in flight and those after it unreported. What
    the test in flight had recorded is judged with the rest.
    """
    context = state.profiles[name].context
    state.exchanges.setdefault(name, []).extend(context.client.recorder.current)
    context.client.recorder.current = []
    for rule in context.catalog.rules:
        nodeids = state.tests_of.get(rule.id, [])
        if not nodeids:
            continue
        result = results.setdefault(rule.id, RuleResult(rule=rule))
        for nodeid in nodeids:
            if nodeid not in result.tests:
                result.add_outcome(nodeid, "error", f"interrupted by {signal_name}", [])


def pytest_collection(session: pytest.Session) -> None:
    phases.current().mark("collection")


def pytest_collection_finish(session: pytest.Session) -> None:
    paused = not gc.isenabled()
    resume_collector()  # a command-line run's imports and collection are over: see startup.py
    state: ApiconformState | None = session.config.stash.get(STATE, None)
    if state is not None and paused and gc.isenabled():  # resumed here: it was the command line's pause
        state.own_process = True
    phases.current().mark("rules")


def _freeze_survivors(state: ApiconformState) -> None:
    """In a command-line run's own process, what is alive now (every exchange, kept for the judgement
    and the reports) stays alive until the process exits: moved out of the collector's reach as
    start-up's heap was (startup.py), it is not walked again by the full collections the judgement's
    allocations trigger (~250 ms over 8,000 exchanges, freeing nothing) nor by the interpreter's own
    at exit (~300 ms). A host running the kit in-process keeps its collector as it was."""
    if state.own_process:
        gc.freeze()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state: ApiconformState | None = session.config.stash.get(STATE, None)
    if state is None or not state.profiles:
        return
    timing = phases.current()
    timing.mark("judging")
    _freeze_survivors(state)
    # SIGINT/SIGTERM under `apiconform run` (interrupt.py), or a KeyboardInterrupt under plain pytest.
    state.interrupted = interrupt.received() or (
        "SIGINT" if exitstatus == pytest.ExitCode.INTERRUPTED else None)
    runs = finish_runs(state)
    session.config.stash[RUNS] = runs
    timing.mark("reports")
    for run in runs:
        run.phases = timing.as_dict()  # report.json: every phase but the writing of the reports
    if state.options.write_reports:
        from apiconform.report import write_reports

        for run in runs:
            state.report_dirs[run.profile] = write_reports(run, state.options.report_dir, len(runs) > 1)
    timing.mark(None)
    for run in runs:
        run.phases = timing.as_dict()
    _freeze_survivors(state)  # and what the judgement decoded and the reports made


RUNS = pytest.StashKey[list[RunResult]]()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    runs = config.stash.get(RUNS, None)
    if not runs:
        return
    from apiconform.report.console import render_summary

    state = config.stash[STATE]
    for run in runs:
        terminalreporter.write_sep("=", f"apiconform {run.profile}")
        terminalreporter.write_line(render_summary(run, state.report_dirs.get(run.profile)))
