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
from apiconform.catalog import PROFILES, load_catalog
from apiconform.errors import ConfigError

# When `apiconform run` is this process's command line, the run's start-up phase counts from here
# (the cheap imports above aside): phases.py.
IMPORTED_AT = time.perf_counter()
EXIT_USAGE = 2
# What a shell reports for a process ended by SIGPIPE (128 + 13): `apiconform rules | head` ends
# the way `cat | head` does, quietly.
EXIT_BROKEN_PIPE = 141
MAX_SEED = 2**32 - 1  # = session.MAX_SEED; not imported, so that `rules` and `--help` stay quick


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line naming the flag, exit 2 (argparse's own code); --help has the usage.
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="apiconform",
                     description="Conformance kit for the Booga and Boomerang API conventions.")
    parser.add_argument("--version", action="version", version=f"apiconform {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="check a target (default: the embedded reference mock)")
    run.add_argument("profile", choices=PROFILES)
    run.add_argument("--base-url", help="the target's base URL (default: the embedded mock, in-process)")
    run.add_argument("--target", dest="target_file", metavar="FILE", help="TOML target file")
    run.add_argument("--report-dir", metavar="DIR", help="default reports/<profile>-<UTC timestamp>/")
    run.add_argument("--seed", type=_int_in(0, MAX_SEED), metavar="N",
                     help=f"hypothesis seed, 0..{MAX_SEED} (default 0; recorded in the report)")
    run.add_argument("--max-requests", type=_int_in(1, None), metavar="N", help="request budget for the whole run")
    run.add_argument("--openapi", dest="openapi_file", metavar="FILE",
                     help="a local OpenAPI document for the generated sweep, instead of the one the target "
                          "serves (wins over the target file's [target] openapi)")
    run.add_argument("--allow-writes", action="store_true", help="permit POST/PUT/PATCH/DELETE (Booga)")
    run.add_argument("--exhaust-rate-limit", action="store_true", help="permit running a key into 429")
    run.add_argument("--allow-insecure-http", action="store_true",
                     help="permit credentials over plain HTTP to a non-loopback host (not recommended)")
    run.add_argument("--mutant", metavar="NAME", help="embedded mock only: break one rule")
    run.add_argument("--rules", metavar="IDS", help="comma-separated rule ids to run (default: all)")
    run.add_argument("--no-reports", action="store_true", help="write no report files")
    run.add_argument("--waivers", metavar="FILE",
                     help="TOML/YAML waivers (rule, reason, expires YYYY-MM-DD): a current waiver reports "
                          "that rule's failure as `waived` and does not fail the run")
    run.add_argument("--quiet", action="store_true", help="no progress lines")
    run.add_argument("--verbose", action="store_true", help="pytest's own output too")

    audit = sub.add_parser("audit", help="check many targets side by side (a fleet file; pytest-xdist workers)")
    audit.add_argument("fleet_file", metavar="FLEET.toml", help="the fleet file: one [[target]] table per target")
    audit.add_argument("--report-dir", metavar="DIR", help="default reports/fleet-<UTC timestamp>/")
    audit.add_argument("--workers", type=_int_in(1, None), metavar="N",
                       help="targets run at once, at least 1 (default: one per target, at most 32)")

    merge = sub.add_parser("merge", help="fleet artifacts from report.json files made elsewhere (a CI matrix)")
    merge.add_argument("reports", nargs="*", metavar="REPORT.json")
    merge.add_argument("--report-dir", metavar="DIR", required=True, help="where the fleet artifacts go")
    expected = merge.add_mutually_exclusive_group()
    expected.add_argument("--fleet", dest="fleet_file", metavar="FLEET.toml",
                          help="the fleet file of the targets there should be: one without a report is incomplete")
    expected.add_argument("--expect", metavar="NAMES",
                          help="comma-separated names (NAME or NAME:PROFILE) of the targets there should be: "
                               "one without a report is incomplete")

    serve = sub.add_parser("serve", help="serve a reference mock over HTTP")
    serve.add_argument("profile", choices=PROFILES)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_int_in(0, 65535), default=8000, help="0..65535; 0 picks a free port")
    serve.add_argument("--mutant", metavar="NAME", help="serve a mutant that breaks one rule")

    rules = sub.add_parser("rules", help="print the rule catalog")
    rules.add_argument("profile", nargs="?", choices=PROFILES)
    rules.add_argument("--format", choices=("text", "json", "markdown"), default="text")

    mut = sub.add_parser("mutants", help="list the reference mock's mutants")
    mut.add_argument("profile", nargs="?", choices=PROFILES)

    diff = sub.add_parser("diff", help="compare two report.json files rule by rule (exit 1 on a regression)")
    diff.add_argument("old", metavar="OLD.json")
    diff.add_argument("new", metavar="NEW.json")
    diff.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    diff.add_argument("--allow-missing", action="store_true",
                      help="a rule of OLD that NEW lacks is no regression (NEW ran with --rules, or another profile)")
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    from apiconform.startup import begin_cli_run, resume_collector

    if args.own_process:  # the command line of this process, not a host calling main(argv)
        # Set here, not at import: a host that imported this module and later runs in-process
        # must not have its first run's start-up counted from that import.
        phases.CLI_STARTED = IMPORTED_AT
        begin_cli_run()  # collector paused until the suite is collected, httpx without its CLI: startup.py
    try:
        from apiconform.runner import main_run
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
        return main_run(args.profile, options, verbose=args.verbose)
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
    print(serve_instructions(args.profile, f"http://{host}:{port}"))
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


def serve_instructions(profile: str, base_url: str) -> str:
    """What `serve` prints: the base URL, each key and where the kit reads it, and a shell script
    (exports, a target file, the run) that checks every rule the mock can show over plain HTTP."""
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
    lines += ["EOF", " ".join(["apiconform", "run", profile, "--target", target_file, *flags])]
    return "\n".join(lines)


def cmd_rules(args: argparse.Namespace) -> int:
    profiles = [args.profile] if args.profile else list(PROFILES)
    catalogs = [load_catalog(p) for p in profiles]
    if args.format == "json":
        print(json.dumps({c.profile: [r.as_dict() for r in c.rules] for c in catalogs}, indent=2))
        return 0
    for catalog in catalogs:
        if args.format == "markdown":
            print(f"### {catalog.profile} ({catalog.document})\n")
            print("| id | level | title | quoted clause |\n|---|---|---|---|")
            for r in catalog.rules:
                clause = r.clause.replace("|", "\\|")
                extra = f" *(assumption: {r.assumption})*" if r.assumption else ""
                print(f"| `{r.id}` | {r.level} | {r.title} | “{clause}”{extra} |")
            print()
            continue
        print(f"{catalog.profile}: {catalog.title} ({catalog.document}), {len(catalog.rules)} rules")
        for r in catalog.rules:
            print(f"  {r.id:<34} {r.level:<6} {r.title}")
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
