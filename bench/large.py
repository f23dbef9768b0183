"""Benchmark: the kit beside schemathesis on the large generated Booga deployment (issue 25, part 6).

A script, not a timed test: it reports, it does not assert. It serves
tests/independent/booga_large (~150 plugins, ~300 GET operations, a multi-megabyte OpenAPI document,
seven planted 500s), then, on that one server, one after the other:

- the kit as a user runs it: `apiconform run booga --base-url URL`, keys in the environment,
  default settings (read-only, the default request budget);
- schemathesis on the same served document: `schemathesis run URL/api/api-management/openapi-schema/
  --checks all --max-examples 5 --include-method GET` with the key header (GET only: the kit is
  read-only), bounded by --timeout;

and prints each one's wall time and requests, the ratio of the wall times, and which planted 500s
each one provoked. Requests are counted twice: by each tool where it says (the kit's report.json)
and by the server itself (its request counter, `--stats`), which also tells which methods arrived
and which paths answered 5xx. The kit runs first: schemathesis's method checks send POST, PUT,
PATCH and DELETE to operations that do not declare them, which must not change what the kit sees.

Both tools run as a first run in CI would: the kit with an empty cache folder, schemathesis in an
empty working folder (where hypothesis keeps its tables). --warm runs each once beforehand and
measures the second run instead, as bench/run.py does.

    .venv/bin/python bench/large.py
    .venv/bin/python bench/large.py --max-requests 20000   # and the kit once more with that budget
    .venv/bin/python bench/large.py --plugins 50 --timeout 300
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.independent.booga_large import KEY_A, KEY_B, MODULE, SCHEMA_PATH, STATS_PATH, planted_lists  # noqa: E402
from tests.independent.serving import served  # noqa: E402

import apiconform  # noqa: E402
from apiconform.locations import suites_dir  # noqa: E402

BIN = Path(sys.executable).parent
GOAL = 0.25  # issue 25: the kit's wall time at most a quarter of schemathesis's, in one run
KEYS = {"APICONFORM_TOKEN": KEY_A, "APICONFORM_TOKEN_B": KEY_B}


@dataclass
class Row:
    tool: str
    wall: float
    exit: int | None  # None: stopped at the timeout
    requests_server: int  # what the server counted
    requests_tool: int | None = None  # what the tool says it sent (the kit's report.json)
    verdict: str = ""
    methods: dict[str, int] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)  # "POST 405" -> count
    server_errors: set[str] = field(default_factory=set)  # paths that answered 5xx to this tool
    blamed: set[str] = field(default_factory=set)  # lists the tool's verdict names for a 5xx
    note: str = ""


def stats(base_url: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(base_url + STATS_PATH, timeout=10).json()
    return body


def delta(before: dict[str, Any], after: dict[str, Any], key: str) -> dict[str, int]:
    return {k: n - before[key].get(k, 0) for k, n in after[key].items() if n - before[key].get(k, 0)}


def measured(tool: str, argv: list[str], base_url: str, env: dict[str, str], cwd: Path,
             timeout: float) -> tuple[Row, subprocess.CompletedProcess[str] | None]:
    """Run one command against the server; its wall time and what the server saw of it."""
    before = stats(base_url)
    started = time.perf_counter()
    try:
        done: subprocess.CompletedProcess[str] | None = subprocess.run(
            argv, capture_output=True, text=True, env={**os.environ, **env}, cwd=cwd, timeout=timeout)
    except subprocess.TimeoutExpired:
        done = None
    wall = time.perf_counter() - started
    after = stats(base_url)
    row = Row(tool, wall, None if done is None else done.returncode, after["requests"] - before["requests"],
              methods=delta(before, after, "methods"), answers=delta(before, after, "answers"),
              server_errors=set(delta(before, after, "server_errors")))
    if done is None:
        row.note = f"stopped at the timeout of {timeout:.0f} s"
    return row, done


def kit(base_url: str, cache: Path, timeout: float, max_requests: int | None = None) -> Row:
    with tempfile.TemporaryDirectory() as tmp:
        argv = [str(BIN / "apiconform"), "run", "booga", "--base-url", base_url, "--report-dir", tmp, "--quiet"]
        if max_requests is not None:
            argv += ["--max-requests", str(max_requests)]
        row, done = measured("apiconform" + (f" --max-requests {max_requests}" if max_requests else ""), argv,
                             base_url, {**KEYS, "APICONFORM_CACHE_DIR": str(cache)}, Path(tmp), timeout)
        report_file = Path(tmp) / "report.json"
        if report_file.exists():
            report = json.loads(report_file.read_text("utf-8"))
            row.requests_tool, row.verdict = report["requests_sent"], report["verdict"]
            no_5xx = next(r for r in report["rules"] if r["id"] == "BGA-NO-5XX")
            row.blamed = {e["endpoint"] for e in no_5xx.get("endpoints", []) if e["verdict"] == "fail"}
            if no_5xx["verdict"] != "fail":
                row.note = f"BGA-NO-5XX {no_5xx['verdict']}: {no_5xx['reason'][:160]}"
        elif done is not None:
            row.note = f"no report: {done.stdout[-300:]} {done.stderr[-300:]}"
    return row


def schemathesis(base_url: str, cwd: Path, timeout: float, examples: int) -> Row:
    argv = [str(BIN / "schemathesis"), "run", base_url + SCHEMA_PATH, "--checks", "all", "--max-examples",
            str(examples), "--include-method", "GET", "--seed", "0", "-H", f"Authorization: Bearer {KEY_A}"]
    row, done = measured("schemathesis", argv, base_url, {}, cwd, timeout)
    if done is not None:
        row.verdict = "fail" if done.returncode else "pass"
        # Its summary's last line: how many cases, failures, and the time it took by its own clock.
        tail = [line.strip("= ") for line in done.stdout.splitlines() if line.strip()][-1:]
        row.note = tail[0] if tail else done.stderr[-300:]
    return row


def document(base_url: str) -> tuple[int, int, int]:
    """(bytes, GET operations, all operations) of the served document."""
    raw = httpx.get(base_url + SCHEMA_PATH, headers={"Authorization": f"Bearer {KEY_A}"}, timeout=60)
    paths = raw.json()["paths"]
    methods = ("get", "put", "post", "patch", "delete")
    return len(raw.content), sum("get" in item for item in paths.values()), \
        sum(m in item for item in paths.values() for m in methods)


def show(row: Row, planted: set[str]) -> None:
    sent = f"{row.requests_server}" + (f" (report.json: {row.requests_tool})" if row.requests_tool is not None else "")
    exit_code = "timeout" if row.exit is None else str(row.exit)
    print(f"{row.tool:<34} {row.wall:>8.1f} s  {sent:<26} exit {exit_code:<7} {row.verdict}", flush=True)
    others = {a: n for a, n in sorted(row.answers.items()) if not a.startswith(("GET ", "HEAD "))}
    if others:
        # Which methods besides GET reached the server, and how they were answered (a 2xx would be a write).
        print(f"{'':<34} answers to methods other than GET: {others}")
    print(f"{'':<34} planted 500s provoked: {len(row.server_errors & planted)} of {len(planted)}"
          + (f"; named by BGA-NO-5XX: {len(row.blamed & planted)}" if row.tool.startswith("apiconform") else "")
          + (f"; missed: {sorted(planted - row.blamed)}" if row.tool.startswith("apiconform") and
             row.blamed & planted != planted else ""))
    if row.note:
        print(f"{'':<34} {row.note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plugins", type=int, default=None, help="plugins of the deployment (default: its own, 150)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds either tool may take (default 900)")
    parser.add_argument("--examples", type=int, default=5, help="schemathesis --max-examples (default 5)")
    parser.add_argument("--max-requests", type=int, default=None,
                        help="also run the kit with this request budget, after its default run")
    parser.add_argument("--warm", action="store_true", help="run each tool once before the measured run")
    args = parser.parse_args()
    # Bytecode for the kit's own modules, as installing a wheel writes it (bench/run.py says why).
    compileall.compile_dir(str(Path(apiconform.__file__).parent), quiet=1)
    compileall.compile_dir(str(suites_dir("booga").parent), quiet=1)
    planted = set(planted_lists())
    extra = ["--plugins", str(args.plugins)] if args.plugins else []
    with served(MODULE, "--stats", *extra) as base_url, tempfile.TemporaryDirectory() as cache, \
            tempfile.TemporaryDirectory() as st_cwd:
        size, gets, every = document(base_url)
        print(f"deployment: {base_url}, document {size / 1e6:.2f} MB, {gets} GET operations ({every} in all), "
              f"{len(planted)} planted 500s", flush=True)
        if args.warm:
            kit(base_url, Path(cache), args.timeout)
            schemathesis(base_url, Path(st_cwd), args.timeout, args.examples)
        print(f"{'tool':<34} {'wall':>10}  {'requests (server)':<26} {'exit':<12} verdict")
        rows = [kit(base_url, Path(cache), args.timeout)]
        show(rows[0], planted)
        if args.max_requests:
            rows.append(kit(base_url, Path(cache), args.timeout, args.max_requests))
            show(rows[-1], planted)
        st = schemathesis(base_url, Path(st_cwd), args.timeout, args.examples)
        show(st, planted)
    bound = " (schemathesis stopped at the timeout: an upper bound)" if st.exit is None else ""
    for row in rows:
        # Three decimals and the verdict said: 0.253 printed as "0.25x" read as within the goal.
        ratio = row.wall / st.wall
        print(f"ratio {row.tool} / schemathesis: {row.wall:.1f} / {st.wall:.1f} s = {ratio:.3f}x "
              f"wall, {row.requests_server / max(1, st.requests_server):.2f}x requests{bound} "
              f"(the goal: at most 0.25x wall: {'met' if ratio <= GOAL else 'not met'})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
