"""The `apiconform` command: run, serve, rules, mutants, diff (see README for the contract)."""

from __future__ import annotations

import argparse
import json
import socket
import sys
from collections.abc import Sequence
from typing import Any, NoReturn, cast

from apiconform import __version__
from apiconform.catalog import PROFILES, load_catalog
from apiconform.errors import ConfigError

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 too; keep our prefix
        self.print_usage(sys.stderr)
        print(f"apiconform: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


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
    run.add_argument("--seed", type=int, help="hypothesis seed (default 0; recorded in the report)")
    run.add_argument("--max-requests", type=int, metavar="N", help="request budget for the whole run")
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

    serve = sub.add_parser("serve", help="serve a reference mock over HTTP")
    serve.add_argument("profile", choices=PROFILES)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="0 picks a free port")
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
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    from apiconform.runner import main_run
    from apiconform.session import Options

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
        rules=[r.strip() for r in (args.rules or "").split(",") if r.strip()],
        progress=not args.quiet,
        waivers_file=args.waivers,
    )
    return main_run(args.profile, options, verbose=args.verbose)


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
    print(f"base URL: http://{host}:{port}")
    for label, value in mocks.credentials(args.profile).items():
        var = {"primary": "APICONFORM_TOKEN", "b": "APICONFORM_TOKEN_B"}.get(label)
        print(f"credential {label}: {value}" + (f"   (export {var}={value})" if var else ""))
    sys.stdout.flush()
    config = uvicorn.Config(cast(Any, app), log_level="warning", lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
    return 0


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
    result = diff_reports(old, new)
    print(RENDERERS[args.format](result))
    return result.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"run": cmd_run, "serve": cmd_serve, "rules": cmd_rules, "mutants": cmd_mutants,
                "diff": cmd_diff}
    try:
        return handlers[args.command](args)
    except ConfigError as exc:
        print(f"apiconform: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("apiconform: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
