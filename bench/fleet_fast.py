"""Benchmark: `apiconform audit` of six fast targets against the same targets run one by one.

A script, not a timed test: it reports, it does not assert (wall time on a shared machine is no
verdict; tests/test_fleet_audit.py holds the mechanism, a run forked from the template giving the
same result as the slow way).
Six targets, nothing paced: both profiles' reference mocks and three mutants, each served over
HTTP on 127.0.0.1 from a subprocess of its own, and a closed port (unreachable, `incomplete`).
Each target is first run alone (`apiconform run`, one after another), then all six in one
`apiconform audit`. The audit's bound is

    1.5 x max(slowest single run, sum of single runs / cores)

(a fleet should cost little more than its slowest target, or than the cores' share of all the
work when the targets are CPU-bound). The figures and whether the bound holds are printed.

    .venv/bin/python bench/fleet_fast.py
    .venv/bin/python bench/fleet_fast.py --repeat 3 --workers 2     # 3 rounds, medians judged
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from apiconform import mocks

# (name, profile, mutant): conformant and broken of each profile; None for the closed port.
TARGETS: list[tuple[str, str, str | None]] = [
    ("booga-ok", "booga", None), ("booga-list-limit", "booga", "BGA-LIST-LIMIT"),
    ("boomerang-ok", "boomerang", None), ("boomerang-pagination-limit", "boomerang", "BMR-PAGINATION-LIMIT"),
    ("boomerang-error-fields", "boomerang", "BMR-ERROR-FIELDS"), ("down", "boomerang", None),
]
FACTOR = 1.5

# Serves one mock: argv = profile, mutant ("" for none). Booga's keys keep their (high) default limits.
SERVER = r"""
import socket, sys
import uvicorn
from apiconform import mocks
profile, mutant = sys.argv[1], sys.argv[2] or None
sock = socket.socket()
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
sock.bind(("127.0.0.1", 0))
print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
app = mocks.create_app(profile, mutant, enforce_https=False)
uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off")).run(sockets=[sock])
"""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bound(singles: list[float], cores: int) -> float:
    """What the fleet may cost: FACTOR x max(slowest single run, sum of single runs / cores)."""
    return FACTOR * max(max(singles), sum(singles) / cores)


@contextmanager
def served() -> Iterator[list[dict[str, str]]]:
    """The targets as fleet-file entries plus `env` (their credentials) and `key_b` when any."""
    procs = []
    try:
        entries = []
        for name, profile, mutant in TARGETS:
            keys = mocks.credentials(profile)
            if name == "down":
                base_url = f"http://127.0.0.1:{closed_port()}"
            else:
                proc = subprocess.Popen([sys.executable, "-c", SERVER, profile, mutant or ""], stdout=subprocess.PIPE,
                                        text=True)
                procs.append(proc)
                assert proc.stdout is not None
                base_url = proc.stdout.readline().removeprefix("listening on ").strip()
            var = "BENCH_FAST_" + name.upper().replace("-", "_")
            entry = {"name": name, "profile": profile, "base_url": base_url, "token_env": var,
                     "key": keys["primary"]}
            if "b" in keys:
                entry |= {"token_b_env": var + "_B", "key_b": keys["b"]}
            entries.append(entry)
        yield entries
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)


def fleet_toml(entries: list[dict[str, str]]) -> str:
    keys = ("name", "profile", "base_url", "token_env", "token_b_env")
    return "".join("[[target]]\n" + "".join(f"{k} = {json.dumps(e[k])}\n" for k in keys if k in e) + "\n"
                   for e in entries)


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("APICONFORM_TOKEN", "BENCH_FAST_"))}


def run_alone(entry: dict[str, str], report_dir: Path) -> tuple[float, int]:
    env = {**clean_env(), "APICONFORM_TOKEN": entry["key"]}
    if "key_b" in entry:
        env["APICONFORM_TOKEN_B"] = entry["key_b"]
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "apiconform.cli", "run", entry["profile"], "--base-url",
                           entry["base_url"], "--report-dir", str(report_dir), "--quiet"],
                          env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, proc.returncode


def run_audit(entries: list[dict[str, str]], work: Path, workers: int | None) -> tuple[float, int, dict]:
    work.mkdir(parents=True, exist_ok=True)
    fleet_file = work / "fleet.toml"
    fleet_file.write_text(fleet_toml(entries), encoding="utf-8")
    env = clean_env()
    for entry in entries:
        env[entry["token_env"]] = entry["key"]
        if "key_b" in entry:
            env[entry["token_b_env"]] = entry["key_b"]
    out = work / "fleet"
    command = [sys.executable, "-m", "apiconform.cli", "audit", str(fleet_file), "--report-dir", str(out)]
    started = time.perf_counter()
    proc = subprocess.run(command + (["--workers", str(workers)] if workers else []), env=env,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    return wall, proc.returncode, json.loads((out / "fleet.json").read_text(encoding="utf-8"))


def measure(entries: list[dict[str, str]], work: Path, workers: int | None, cores: int) -> dict[str, float]:
    """One round: every target alone, one after another, then the audit of them all."""
    singles = {}
    for entry in entries:
        wall, code = run_alone(entry, work / "alone" / entry["name"])
        singles[entry["name"]] = wall
        print(f"  alone  {entry['name']:<28} exit {code}  {wall:6.2f} s", flush=True)
    wall, code, doc = run_audit(entries, work / "audit", workers)
    limit = bound(list(singles.values()), cores)
    print(f"  audit  exit {code}, fleet verdict {doc['verdict']}: {wall:6.2f} s; bound {limit:.2f} s "
          f"({wall / limit:.2f} of it)", flush=True)
    return {"slowest": max(singles.values()), "sum": sum(singles.values()), "fleet": wall, "bound": limit}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=None, help="as audit --workers (default: audit's)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds (singles, then the audit), for a machine whose load varies; medians judged")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="apiconform-bench-fleet-fast-"))
    with served() as entries:
        for entry in entries:  # each target's sweep plan cached, as a second run finds it (and the page cache)
            run_alone(entry, work / "warm-up" / entry["name"])
        rounds = []
        for n in range(args.repeat):
            print(f"round {n + 1}:", flush=True)
            rounds.append(measure(entries, work / f"round-{n + 1}", args.workers, args.cores))

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    ratio = statistics.median(r["fleet"] / r["bound"] for r in rounds)
    of = f"   (median of {len(rounds)} rounds)" if len(rounds) > 1 else ""
    print(f"\n{len(entries)} fast targets on {args.cores} cores{of}")
    print(f"slowest single run:         {median('slowest'):6.2f} s")
    print(f"sum of single runs:         {median('sum'):6.2f} s   "
          f"(/ {args.cores} cores: {median('sum') / args.cores:.2f} s)")
    print(f"fleet (apiconform audit):   {median('fleet'):6.2f} s")
    print(f"bound {FACTOR} x max(slowest, sum / cores): {median('bound'):6.2f} s -> "
          f"{'holds' if ratio <= 1 else 'EXCEEDED'} (the fleet takes {ratio:.2f} of it)")
    print(f"artifacts: {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
