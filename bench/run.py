"""Benchmark: where a run's time goes, requests sent, and the kit side by side with schemathesis.

A script, not a timed test: it reports, it does not assert. Per profile:
- in-process: the embedded reference mock in this process, no socket;
- http: `apiconform run PROFILE` as a fresh command against `apiconform serve PROFILE` over real
  HTTP on 127.0.0.1, with its phases (report.json `phases`: start-up, collection, generation,
  requests, rules, judging) and CPU time;
- versus (with --versus N): N alternating pairs on the same served mock, the kit's command and
  `schemathesis run` with all checks and 25 examples, then the medians and their ratio.

    .venv/bin/python bench/run.py                     # both profiles, in-process and http
    .venv/bin/python bench/run.py --versus 5          # ... and 5 alternating pairs against schemathesis
    .venv/bin/python bench/run.py booga --repeat 3
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import apiconform
from apiconform.locations import fixtures_dir, suites_dir
from apiconform.runner import run
from apiconform.session import Options

BIN = Path(sys.executable).parent
PHASES = ("start-up", "collection", "generation", "requests", "rules", "judging")
# Where each profile's mock serves an OpenAPI document schemathesis can load (Boomerang's mock
# serves none: schemathesis reads the kit's fixture and is pointed at the mock with --url).
SCHEMA = {"booga": "{base}/api/api-management/openapi-schema/",
          "boomerang": str(fixtures_dir("boomerang") / "openapi.yaml")}


@contextmanager
def served(profile: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Start `apiconform serve PROFILE --port 0`; yield its base URL and credential env."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "apiconform.cli", "serve", profile, "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        base_url, env = "", {}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if m := re.match(r"base URL: (\S+)", line):
                base_url = m.group(1)
            if m := re.search(r"export (APICONFORM_TOKEN(?:_B)?)=(\S+)\)", line):
                env[m.group(1)] = m.group(2)
            if base_url and "APICONFORM_TOKEN" in env and (profile == "boomerang" or "APICONFORM_TOKEN_B" in env):
                break
        if not base_url:
            raise RuntimeError(f"apiconform serve {profile} did not start: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.3)  # the socket is bound before the banner, the loop starts right after
        yield base_url, env
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# Both tools run warm, as a CI gate with its caches kept would: the kit from a fresh folder each
# time (its caches live in ~/.cache/apiconform), schemathesis from one folder kept for the whole
# bench, where hypothesis keeps its Unicode tables (.hypothesis/; rebuilding them costs ~1.5 s).
SCHEMATHESIS_CWD = Path(tempfile.mkdtemp(prefix="apiconform-bench-schemathesis-"))


def timed(argv: list[str], env: dict[str, str], cwd: Path | None = None
          ) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    cpu, started = child_cpu(), time.perf_counter()
    with tempfile.TemporaryDirectory() as fresh:
        done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **env}, timeout=600,
                              cwd=cwd or fresh)
    return time.perf_counter() - started, child_cpu() - cpu, done


def kit_over_http(profile: str, base_url: str, env: dict[str, str]) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu, done = timed([str(BIN / "apiconform"), "run", profile, "--base-url", base_url,
                                 "--report-dir", tmp, "--quiet"], env)
        report = json.loads((Path(tmp) / "report.json").read_text("utf-8"))
    return {"wall": wall, "cpu": cpu, "exit": done.returncode, "requests": report["requests_sent"],
            "verdict": report["verdict"], "phases": report.get("phases", {})}


def schemathesis_over_http(profile: str, base_url: str, env: dict[str, str]) -> tuple[float, int]:
    token = env["APICONFORM_TOKEN"]
    schema = SCHEMA[profile].format(base=base_url)
    wall, _cpu, done = timed([str(BIN / "schemathesis"), "run", schema, "--url", base_url, "--checks", "all",
                              "--max-examples", "25", "--seed", "0", "-H", f"Authorization: Bearer {token}"], env,
                             cwd=SCHEMATHESIS_CWD)
    return wall, done.returncode


def print_phases(profile: str, row: dict[str, object]) -> None:
    phases = row["phases"]
    assert isinstance(phases, dict)
    parts = []
    for name in PHASES:
        if name in phases:
            parts.append(f"{name} {phases[name]['wall_s']:.3f}/{phases[name]['cpu_s']:.3f}")
    counted = sum(float(p["wall_s"]) for p in phases.values())
    wall = float(row["wall"])  # type: ignore[arg-type]
    parts.append(f"interpreter+reports {max(0.0, wall - counted):.3f}")
    print(f"{'':<10} phases (wall/cpu s): " + ", ".join(parts), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profiles", nargs="*", default=["boomerang", "booga"])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--mode", choices=("both", "in-process", "http"), default="both")
    parser.add_argument("--versus", type=int, default=0, metavar="N",
                        help="N alternating pairs: the kit's command vs schemathesis run on the same served mock")
    args = parser.parse_args()
    # Bytecode for the kit's own modules, as installing a wheel writes it: an editable checkout
    # run with PYTHONDONTWRITEBYTECODE (this sandbox sets it) would otherwise compile ~40
    # modules on every run, a cost no installed kit pays. schemathesis's are compiled already.
    compileall.compile_dir(str(Path(apiconform.__file__).parent), quiet=1)
    compileall.compile_dir(str(suites_dir("boomerang").parent), quiet=1)
    print(f"{'profile':<10} {'mode':<11} {'wall s':>7} {'cpu s':>6} {'requests':>9}  verdict")
    for profile in args.profiles:
        for _ in range(args.repeat):
            if args.mode in ("both", "in-process"):
                cpu, started = time.process_time(), time.perf_counter()
                outcome = run(profile, Options(write_reports=False))
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu
                result = outcome.run
                print(f"{profile:<10} {'in-process':<11} {wall:>7.2f} {cpu:>6.2f} {result.requests_sent:>9}  "
                      f"{result.verdict}", flush=True)
                print_phases(profile, {"wall": wall, "phases": result.phases})
            if args.mode in ("both", "http"):
                with served(profile) as (base_url, env):
                    row = kit_over_http(profile, base_url, env)
                print(f"{profile:<10} {'http':<11} {row['wall']:>7.2f} {row['cpu']:>6.2f} {row['requests']:>9}  "
                      f"{row['verdict']} (exit {row['exit']})", flush=True)
                print_phases(profile, row)
        if args.versus:
            kit, st = [], []
            with served(profile) as (base_url, env):
                kit_over_http(profile, base_url, env)  # warm the caches of both, and the OS file cache
                schemathesis_over_http(profile, base_url, env)
                for _ in range(args.versus):
                    kit.append(float(kit_over_http(profile, base_url, env)["wall"]))  # type: ignore[arg-type]
                    st.append(schemathesis_over_http(profile, base_url, env)[0])
            k, s = statistics.median(kit), statistics.median(st)
            print(f"{profile:<10} versus      apiconform median {k:.2f}s, schemathesis median {s:.2f}s "
                  f"(all checks, 25 examples): ratio {k / s:.2f}x over {args.versus} alternating pairs", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
