"""Benchmark: wall time and requests sent for a full run of each profile.

A script, not a timed test: it reports, it does not assert. Two modes per profile:
- in-process: the embedded reference mock, no socket (what `apiconform run PROFILE` does);
- http: the same suite against `apiconform serve PROFILE` over real HTTP on 127.0.0.1.

    .venv/bin/python bench/run.py            # both profiles, both modes
    .venv/bin/python bench/run.py booga --repeat 3
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from apiconform.runner import run
from apiconform.session import Options


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


def measure(profile: str, options: Options) -> tuple[float, int, str]:
    started = time.perf_counter()
    outcome = run(profile, options)
    wall = time.perf_counter() - started
    if not outcome.runs:
        return wall, 0, f"did not run: {outcome.message}"
    result = outcome.run
    return wall, result.requests_sent, f"{result.verdict} {result.counts}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profiles", nargs="*", default=["boomerang", "booga"])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--mode", choices=("both", "in-process", "http"), default="both")
    args = parser.parse_args()
    print(f"{'profile':<10} {'mode':<11} {'wall s':>7} {'requests':>9}  verdict")
    for profile in args.profiles:
        for _ in range(args.repeat):
            if args.mode in ("both", "in-process"):
                wall, sent, verdict = measure(profile, Options(write_reports=False))
                print(f"{profile:<10} {'in-process':<11} {wall:>7.2f} {sent:>9}  {verdict}", flush=True)
            if args.mode in ("both", "http"):
                with served(profile) as (base_url, env):
                    saved = {k: os.environ.get(k) for k in env}
                    os.environ.update(env)
                    try:
                        wall, sent, verdict = measure(profile, Options(base_url=base_url, write_reports=False))
                    finally:
                        for k, v in saved.items():
                            if v is None:
                                os.environ.pop(k, None)
                            else:
                                os.environ[k] = v
                print(f"{profile:<10} {'http':<11} {wall:>7.2f} {sent:>9}  {verdict}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
