"""The `apiconform` command: run, audit, merge, serve, rules, mutants, diff (see README for the contract)."""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, cast

from apiconform import __version__, phases
from apiconform.catalog import PROFILES, judged_where, load_catalog
from apiconform.errors import ConfigError

# When `apiconform run` is this process's command line, the run's start-up phase counts from here
# (the cheap imports above aside): phases.py.
IMPORTED_AT = time.perf_counter()
EXIT_USAGE = 2
# What a shell reports for a process ended by SIGPIPE (128 + 13): `apiconform rules | head` ends
# the way `cat | head` does, quietly.
EXIT_BROKEN_PIPE = 141
MAX_SEED = 2**32 - 1  # = session.MAX_SEED; not imported, so that `rules` and `--help` stay quick
DEFAULT_MAX_REQUESTS = 2000  # = target.DEFAULT_MAX_REQUESTS; not imported, for the same reason


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Epilogs keep their own line breaks (the environment and exit-status tables); option help wraps."""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No abbreviations: argparse would read `--allow-write` as --allow-writes and `--base-ur` as
        # --base-url, so a typo in a CI file could flip a safety switch without a word.
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        # One line naming the flag, exit 2 (argparse's own code); --help has the usage.
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)

    # typeshed's overloads also allow a namespace of any class; the kit only ever passes None.
    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        given = list(sys.argv[1:] if args is None else args)
        # An unknown option is named before argparse's other complaints: `merge --report-d DIR` is a
        # misspelt --report-dir, not a missing one.
        unknown = [arg for arg in self._own_options(given) if arg.split("=", 1)[0] not in self._option_string_actions]
        if unknown:
            self.refuse_unknown(unknown)
        parsed, extras = super().parse_known_args(given, namespace)
        if extras:
            # A stray word, refused by the parser that met it, a subcommand's own: left to the top-level
            # parser, argparse would point at `apiconform --help`.
            self.refuse_unknown(extras)
        return parsed, extras

    def _own_options(self, given: list[str]) -> list[str]:
        """The option-like words of `given` that are this parser's to know: up to `--`, and for the
        top-level parser up to the command (what follows is the subcommand's)."""
        has_commands = any(isinstance(action, argparse._SubParsersAction) for action in self._actions)
        out = []
        for arg in given:
            if arg == "--":
                break
            if not arg.startswith("-") or len(arg) == 1 or self._negative_number_matcher.match(arg):
                if has_commands:
                    break
                continue  # a value, or a positional
            out.append(arg)
        return out

    def refuse_unknown(self, extras: list[str]) -> NoReturn:
        import difflib  # only on this error path

        options = [arg for arg in extras if arg.startswith("-") and len(arg) > 1]
        if not options:  # only stray words; with an unknown option, the words are likely its value
            words = ", ".join(repr(arg) for arg in extras)
            problem = f"unexpected argument{'s' if len(extras) > 1 else ''} {words}"
        else:
            known = [name for name in self._option_string_actions if name.startswith("--")]
            named = []
            for option in options:
                spelled = option.split("=", 1)[0]
                close = difflib.get_close_matches(spelled, known, n=1, cutoff=0.6)
                shown = spelled if spelled.isprintable() else repr(spelled)  # one line, whatever was typed
                named.append(shown + (f" (did you mean {close[0]}?)" if close else ""))
            problem = f"unrecognized option{'s' if len(named) > 1 else ''} {', '.join(named)}"
        print(f"{self.prog}: error: {problem}; see {self.prog} --help", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _int_in(low: int, high: int | None) -> Callable[[str], int]:
    """An argparse type: an integer in low..high, refused with the range before anything runs."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < low or (high is not None and value > high):
            bounds = f"{low}..{high}" if high is not None else f">= {low}"
            raise argparse.ArgumentTypeError(f"{value} is out of range ({bounds})")
        return value
    return parse


# What `run --help` and the others end with: the variables each command reads and what its exit
# status means (DESIGN.md's public contract), so that a CI author need not look elsewhere.
RUN_EPILOG = """\
environment:
  APICONFORM_TOKEN      the target's primary key or token; a live run (--base-url or a target
                        file's base_url) needs it. Credentials are read from the environment only.
  APICONFORM_TOKEN_B    a key of a second tenant, for the tenancy and per-key-limit rules (without
                        it they are skip, with the reason)
  A target file's [credentials] may name other variables for these (token_env, token_b_env), and
  variables for a key lacking a scope (scoped_token_env) and a key to run into 429
  (exhaust_token_env). The embedded mock uses its own keys and reads none of them.
  APICONFORM_CACHE_DIR  where the sweep's plan is cached (default $XDG_CACHE_HOME/apiconform, else
                        ~/.cache/apiconform; "off" disables the cache)

exit status:
  0         every applicable rule passed
  1         at least one rule failed
  2         usage or configuration error, refused before anything is sent
  3         incomplete (target unreachable, request budget spent, interrupted) with no failure found
  130, 143  a second SIGINT or SIGTERM stopped the run at once, without reports
"""

AUDIT_EPILOG = """\
environment:
  Each [[target]] names the variable holding its key (token_env) and, for a second tenant,
  token_b_env: the fleet file holds names only. Each target's run receives its own keys, as
  APICONFORM_TOKEN and APICONFORM_TOKEN_B, and no other target's.
  APICONFORM_CACHE_DIR  where the sweep's plan is cached, as for `apiconform run`

exit status:
  0  every target passed
  1  at least one target failed
  2  a bad fleet file (or usage), refused before anything is sent
  3  at least one target incomplete, none failed
"""

MERGE_EPILOG = """\
exit status:
  0  every target passed
  1  at least one target failed
  2  a report missing or unusable, a name twice, or a report --fleet/--expect does not expect
     (or usage), refused before anything is written
  3  at least one target incomplete (or expected and without a report), none failed
"""

SERVE_EPILOG = """\
exit status:
  0  stopped
  2  usage error, or the address cannot be listened on
"""

DIFF_EPILOG = """\
exit status:
  0  no regression
  1  a regression: a rule worse in NEW than in OLD (or missing from NEW, without --allow-missing)
  2  usage error, or a report that cannot be read
"""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="apiconform",
                     description="Conformance kit for the Booga and Boomerang API conventions.",
                     epilog="Each command has its own help: apiconform COMMAND --help.")
    parser.add_argument("--version", action="version", version=f"apiconform {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    # Every option's help states its default: the value a run takes when the option is left out.
    run = sub.add_parser("run", help="check a target (default: the embedded reference mock)",
                         description="Check a target against a profile's rules.", epilog=RUN_EPILOG)
    run.add_argument("profile", choices=PROFILES)
    run.add_argument("--base-url", metavar="URL",
                     help="the target's base URL (default: the target file's base_url, else the embedded "
                          "reference mock, in-process)")
    run.add_argument("--target", dest="target_file", metavar="FILE",
                     help="TOML target file: paths, parameter names, credential variables, budget, switches "
                          "(default: none, the documents' defaults)")
    run.add_argument("--report-dir", metavar="DIR", help="where the reports go (default: reports/<profile>-<UTC "
                                                         "timestamp>/)")
    run.add_argument("--seed", type=_int_in(0, MAX_SEED), metavar="N",
                     help=f"hypothesis seed, 0..{MAX_SEED} (default: 0; recorded in the report)")
    run.add_argument("--max-requests", type=_int_in(1, None), metavar="N",
                     help=f"request budget for the whole run (default: the target file's max_requests, else "
                          f"sized for the endpoints found: {DEFAULT_MAX_REQUESTS} at least, 20000 at most)")
    run.add_argument("--openapi", dest="openapi_file", metavar="FILE",
                     help="a local OpenAPI document for the generated sweep, instead of the one the target "
                          "serves (wins over the target file's [target] openapi; default: the served one)")
    run.add_argument("--allow-writes", action="store_true",
                     help="permit POST/PUT/PATCH/DELETE (Booga); created data is deleted again (default: off, "
                          "unless the target file allows them)")
    run.add_argument("--exhaust-rate-limit", action="store_true",
                     help="permit running a key into 429 (default: off, unless the target file allows it)")
    run.add_argument("--allow-insecure-http", action="store_true",
                     help="permit credentials over plain HTTP to a non-loopback host, not recommended "
                          "(default: off, unless the target file allows it)")
    run.add_argument("--mutant", metavar="NAME",
                     help="embedded mock only: break one rule (default: none, the conformant mock; "
                          "see apiconform mutants)")
    run.add_argument("--rules", metavar="IDS", help="comma-separated rule ids to run (default: all)")
    run.add_argument("--no-reports", action="store_true", help="write no report files (default: write them)")
    run.add_argument("--waivers", metavar="FILE",
                     help="TOML/YAML waivers (rule, reason, expires YYYY-MM-DD): a current waiver reports "
                          "that rule's failure as `waived` and does not fail the run (default: none)")
    run.add_argument("--quiet", action="store_true",
                     help="no progress lines, and of the rules only those that did not pass; the totals, the "
                          "safety line and where the reports went are always printed (default: a progress line "
                          "per test on stderr, every rule at the end)")
    run.add_argument("--verbose", action="store_true", help="pytest's own output too (default: off)")

    audit = sub.add_parser("audit", help="check many targets side by side (a fleet file; pytest-xdist workers)",
                           description="Check many targets side by side, one run per target.", epilog=AUDIT_EPILOG)
    audit.add_argument("fleet_file", metavar="FLEET.toml", help="the fleet file: one [[target]] table per target")
    audit.add_argument("--report-dir", metavar="DIR", help="where the fleet artifacts go (default: "
                                                           "reports/fleet-<UTC timestamp>/)")
    audit.add_argument("--workers", type=_int_in(1, None), metavar="N",
                       help="targets run at once, at least 1 (default: one per target, at most 32)")

    merge = sub.add_parser("merge", help="fleet artifacts from report.json files made elsewhere (a CI matrix)",
                           description="The fleet artifacts from report.json files made elsewhere.",
                           epilog=MERGE_EPILOG)
    merge.add_argument("reports", nargs="*", metavar="REPORT.json",
                       help="each target's report; the target is named after its folder")
    merge.add_argument("--report-dir", metavar="DIR", required=True, help="where the fleet artifacts go (required)")
    expected = merge.add_mutually_exclusive_group()
    expected.add_argument("--fleet", dest="fleet_file", metavar="FLEET.toml",
                          help="the fleet file of the targets there should be: one without a report is incomplete "
                               "(default: only the reports named)")
    expected.add_argument("--expect", metavar="NAMES",
                          help="comma-separated names (NAME or NAME:PROFILE) of the targets there should be: "
                               "one without a report is incomplete (default: only the reports named)")

    serve = sub.add_parser("serve", help="serve a reference mock over HTTP",
                           description="Serve a profile's reference mock over HTTP; prints its base URL and keys.",
                           epilog=SERVE_EPILOG)
    serve.add_argument("profile", choices=PROFILES)
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=_int_in(0, 65535), default=8000,
                       help="0..65535; 0 picks a free port (default: 8000)")
    serve.add_argument("--mutant", metavar="NAME",
                       help="serve a mutant that breaks one rule (default: none, the conformant mock)")

    rules = sub.add_parser("rules", help="print the rule catalog")
    rules.add_argument("profile", nargs="?", choices=PROFILES, help="one profile (default: every profile)")
    rules.add_argument("--format", choices=("text", "json", "markdown"), default="text", help="(default: text)")

    mut = sub.add_parser("mutants", help="list the reference mock's mutants")
    mut.add_argument("profile", nargs="?", choices=PROFILES, help="one profile (default: every profile)")

    diff = sub.add_parser("diff", help="compare two report.json files rule by rule (exit 1 on a regression)",
                          description="Compare two report.json files rule by rule.", epilog=DIFF_EPILOG)
    diff.add_argument("old", metavar="OLD.json")
    diff.add_argument("new", metavar="NEW.json")
    diff.add_argument("--format", choices=("text", "json", "markdown"), default="text", help="(default: text)")
    diff.add_argument("--allow-missing", action="store_true",
                      help="a rule of OLD that NEW lacks is no regression (NEW ran with --rules, or another "
                           "profile; default: off)")
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    from apiconform.startup import begin_cli_run, resume_collector

    if args.own_process:  # the command line of this process, not a host calling main(argv)
        # Set here, not at import: a host that imported this module and later runs in-process
        # must not have its first run's start-up counted from that import.
        phases.CLI_STARTED = IMPORTED_AT
        begin_cli_run()  # collector paused until the suite is collected, httpx without its CLI: startup.py
    try:
        from apiconform.report.console import render_summary
        from apiconform.runner import run as run_profile
        from apiconform.session import Options

        rules = [r.strip() for r in (args.rules or "").split(",") if r.strip()]
        if args.rules is not None and not rules:  # an empty $RULES must not quietly run every rule
            raise ConfigError(f"--rules: no rule id in {args.rules!r} (leave --rules out to run every rule)")
        options = Options(
            base_url=args.base_url,
            target_file=args.target_file,
            report_dir=args.report_dir,
            write_reports=not args.no_reports,
            seed=args.seed,
            max_requests=args.max_requests,
            allow_writes=args.allow_writes or None,
            exhaust_rate_limit=args.exhaust_rate_limit or None,
            allow_insecure_http=args.allow_insecure_http,
            mutant=args.mutant,
            rules=rules,
            progress=not args.quiet,
            waivers_file=args.waivers,
            openapi_file=args.openapi_file,
        )
        outcome = run_profile(args.profile, options, verbose=args.verbose)
        if outcome.message:
            print(f"apiconform: {outcome.message}", file=sys.stderr)
        for result in outcome.runs:
            # --quiet leaves out the rules that passed: a CI log shows what needs attention.
            print(render_summary(result, outcome.report_dirs.get(result.profile), attention_only=args.quiet))
        return outcome.exit_code
    finally:
        resume_collector()  # a no-op once the suite was collected; here for runs that stop before


def cmd_audit(args: argparse.Namespace) -> int:
    from pathlib import Path

    from apiconform.fleet.audit import audit, default_workers
    from apiconform.fleet.fleet_file import load_fleet
    from apiconform.report import default_report_dir

    fleet = load_fleet(args.fleet_file)  # everything is checked before anything is sent
    report_dir = Path(args.report_dir) if args.report_dir else default_report_dir("fleet")
    return audit(fleet, report_dir, args.workers or default_workers(fleet))


def cmd_merge(args: argparse.Namespace) -> int:
    from pathlib import Path

    from apiconform.fleet.merge import expected_from_fleet, expected_from_names, merge

    expectation = None
    if args.fleet_file:
        expectation = expected_from_fleet(args.fleet_file)
    elif args.expect is not None:
        expectation = expected_from_names(args.expect)
    return merge(args.reports, Path(args.report_dir), expectation=expectation)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from apiconform import mocks

    app = mocks.create_app(args.profile, args.mutant, enforce_https=False)
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit TCP_NODELAY: without it keep-alive requests wait ~40 ms on Nagle.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        raise ConfigError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from exc
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"apiconform {args.profile} reference mock" + (f" (mutant {args.mutant})" if args.mutant else ""))
    print(serve_instructions(args.profile, f"http://{host}:{port}", kit_command()))
    sys.stdout.flush()
    config = uvicorn.Config(cast(Any, app), log_level="warning", lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
    return 0


# Where the kit looks for each key of a reference mock: the variable, and the target-file
# entry that names it (None: the variable is the kit's default and needs no entry).
SERVE_KEYS: dict[str, tuple[str, str | None, str]] = {
    "primary": ("APICONFORM_TOKEN", None, "the primary key"),
    "b": ("APICONFORM_TOKEN_B", None, "a key of a second tenant: tenancy and per-key limits"),
    "scoped": ("APICONFORM_TOKEN_SCOPED", "scoped_token_env", "a key lacking the files scope: BGA-AUTH-SCOPE"),
    "exhaust": ("APICONFORM_TOKEN_EXHAUST", "exhaust_token_env", "a key with a small limit: BGA-RATE-EXCEEDED"),
}


def kit_command() -> str:
    """How a new shell reaches this very kit, for the command lines `serve` prints: `apiconform`
    when that name on PATH is this interpreter's script; else that script by its absolute path (a
    checkout's .venv/bin is on no new shell's PATH); else this interpreter running the CLI module
    (a kit without its script, installed with pip --target, say)."""
    import shlex
    import shutil
    from pathlib import Path

    here = Path(sys.executable).absolute().parent / "apiconform"
    found = shutil.which("apiconform")
    if found is not None and here.exists() and Path(found).resolve() == here.resolve():
        return "apiconform"
    if here.exists():
        return shlex.quote(str(here))
    return f"{shlex.quote(str(Path(sys.executable).absolute()))} -m apiconform.cli"


def serve_instructions(profile: str, base_url: str, command: str = "apiconform") -> str:
    """What `serve` prints: the base URL, each key and where the kit reads it, and a shell script
    (exports, a target file, the run) that checks every rule the mock can show over plain HTTP.
    `command` starts the printed run line (kit_command(): one that works from a new shell)."""
    from apiconform import mocks

    keys = mocks.credentials(profile)
    lines = [f"base URL: {base_url}"]
    exports, entries = [], []
    for label, value in keys.items():
        var, entry, what = SERVE_KEYS.get(label, (f"APICONFORM_TOKEN_{label.upper()}", None, label))
        # bench/run.py reads the `(export VAR=VALUE)` part of these lines.
        named = f'; the target file names it: [credentials] {entry} = "{var}"' if entry else ""
        lines.append(f"credential {label}: {value}   (export {var}={value})  {what}{named}")
        exports.append(f"export {var}={value}")
        if entry:
            entries.append(f'{entry} = "{var}"')
    target_file = f"apiconform-{profile}-mock.toml"
    requires = {need for rule in load_catalog(profile).rules for need in rule.requires}
    flags = [flag for need, flag in (("writes", "--allow-writes"), ("exhaust", "--exhaust-rate-limit"))
             if need in requires]
    lines += ["", "# To check every rule against it: run these lines in another shell, in a folder of your own.",
              *exports, f"cat > {target_file} <<'EOF'", "[target]", f'base_url = "{base_url}"']
    if entries:
        lines += ["[credentials]", *entries]
    lines += ["EOF", " ".join([command, "run", profile, "--target", target_file, *flags])]
    return "\n".join(lines)


def cmd_rules(args: argparse.Namespace) -> int:
    profiles = [args.profile] if args.profile else list(PROFILES)
    catalogs = [load_catalog(p) for p in profiles]
    if args.format == "json":
        print(json.dumps({c.profile: [r.as_dict() for r in c.rules] for c in catalogs}, indent=2))
        return 0
    for catalog in catalogs:
        where = judged_where(catalog.profile)
        if args.format == "markdown":
            print(f"### {catalog.profile} ({catalog.document})\n")
            print("| id | level | title | judged on | quoted clause |\n|---|---|---|---|---|")
            for r in catalog.rules:
                clause = r.clause.replace("|", "\\|")
                extra = f" *(assumption: {r.assumption})*" if r.assumption else ""
                print(f"| `{r.id}` | {r.level} | {r.title} | {'; '.join(where.get(r.id, []))} | “{clause}”{extra} |")
            print()
            continue
        print(f"{catalog.profile}: {catalog.title} ({catalog.document}), {len(catalog.rules)} rules")
        for r in catalog.rules:
            print(f"  {r.id:<34} {r.level:<6} {r.title}")
            print(f"  {'':<34} judged on {'; '.join(where.get(r.id, [])) or 'nothing (no test)'}")
            print(f"  {'':<34} “{r.clause}”")
            if r.assumption:
                print(f"  {'':<34} assumption: {r.assumption}")
        print()
    return 0


def cmd_mutants(args: argparse.Namespace) -> int:
    from apiconform import mocks

    for profile in [args.profile] if args.profile else list(PROFILES):
        for mutant in mocks.mutants(profile).values():
            print(f"{profile:<10} {mutant.name:<40} breaks {mutant.rule}: {mutant.description}")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from apiconform.report.diff import RENDERERS, ReportError, diff_reports, load_report

    try:
        old, new = load_report(args.old), load_report(args.new)
    except ReportError as exc:
        print(f"apiconform: diff: {exc}", file=sys.stderr)
        return EXIT_USAGE
    result = diff_reports(old, new, allow_missing=args.allow_missing)
    print(RENDERERS[args.format](result))
    return result.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`apiconform rules | head`): stop quietly. Python's documented
        # recipe: point stdout at devnull so that the flush at exit does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    finally:
        sys.stdout.flush()  # --help and --version exit from here: flush where a closed pipe is caught
    args.own_process = argv is None  # `apiconform ...` itself, not main(argv) called in a host process
    handlers = {"run": cmd_run, "audit": cmd_audit, "merge": cmd_merge, "serve": cmd_serve, "rules": cmd_rules,
                "mutants": cmd_mutants, "diff": cmd_diff}
    try:
        code = handlers[args.command](args)
        sys.stdout.flush()  # here, not at interpreter exit, where a closed reader cannot be caught
        return code
    except ConfigError as exc:
        print(f"apiconform: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("apiconform: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
