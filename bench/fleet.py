"""Benchmark: `apiconform audit` of a fleet of 20 rate-limited targets against the slowest alone.

A script, not a timed test: it reports, it does not assert. It serves 20 targets over HTTP on
127.0.0.1, each in a subprocess of its own: the reference mock and mutants of both profiles.
Booga's keys are limited to LIMIT requests a minute (`booga.create_app(limits=...)`: `apiconform
serve` has no flag for it), so each run is paced by its key; Boomerang has no rate limits. Then:

1. `apiconform audit` of all 20 (one worker per target), its wall time;
2. the target that took longest in the audit, run alone with `apiconform run` against a server
   of its own (the fleet's has spent its key's last minute), its wall time.

    .venv/bin/python bench/fleet.py                 # 20 targets, 60 requests a minute per key
    .venv/bin/python bench/fleet.py --targets 6 --limit 120
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from apiconform import mocks

# Serves one mock: argv = profile, mutant ("" for none), per-minute limit of each key.
SERVER = r"""
import socket, sys
import uvicorn
from apiconform.profiles.booga import mock as booga
from apiconform.profiles.boomerang import mock as boomerang
profile, mutant, limit = sys.argv[1], sys.argv[2] or None, int(sys.argv[3])
if profile == "booga":
    app = booga.create_app(mutant, enforce_https=False,
                           limits={label: (limit, limit * 60) for label in ("primary", "b", "anonymous")})
else:
    app = boomerang.create_app(mutant, enforce_https=False)
sock = socket.socket()
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
sock.bind(("127.0.0.1", 0))
print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off")).run(sockets=[sock])
"""


def targets(count: int) -> list[tuple[str, str, str | None]]:
    """(name, profile, mutant): the two reference mocks, then mutants of each profile in turn."""
    picks: list[tuple[str, str, str | None]] = [("booga-ok", "booga", None), ("boomerang-ok", "boomerang", None)]
    # Mutants of the rate-limit rules are left out: their runs measure the mutant, not the fleet.
    pools = {p: [m for m in mocks.mutants(p) if "-RATE-" not in m] for p in ("booga", "boomerang")}
    while len(picks) < count:
        for profile in ("booga", "boomerang"):
            if pools[profile] and len(picks) < count:
                mutant = pools[profile].pop(0)
                picks.append((mutant.lower(), profile, mutant))
    return picks[:count]


def start_server(profile: str, mutant: str | None, limit: int) -> tuple[subprocess.Popen[str], str]:
    """One mock served from a process of its own: the process and its base URL."""
    proc = subprocess.Popen([sys.executable, "-c", SERVER, profile, mutant or "", str(limit)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().removeprefix("listening on ").strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", type=int, default=20)
    parser.add_argument("--limit", type=int, default=60, help="requests a minute per Booga key")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="apiconform-bench-fleet-"))
    servers, env, lines = [], {}, []
    try:
        picks = targets(args.targets)
        for name, profile, mutant in picks:
            proc, base_url = start_server(profile, mutant, args.limit)
            servers.append(proc)
            var = "BENCH_" + name.upper().replace("-", "_")
            keys = mocks.credentials(profile)
            env[var] = keys["primary"]
            lines += ["[[target]]", f'name = "{name}"', f'profile = "{profile}"', f'base_url = "{base_url}"',
                      f'token_env = "{var}"']
            if "b" in keys:
                env[var + "_B"] = keys["b"]
                lines.append(f'token_b_env = "{var}_B"')
            lines.append("")
        fleet_file = work / "fleet.toml"
        fleet_file.write_text("\n".join(lines), encoding="utf-8")
        run_env = {**os.environ, **env}
        command = [sys.executable, "-m", "apiconform.cli", "audit", str(fleet_file), "--report-dir",
                   str(work / "fleet")] + (["--workers", str(args.workers)] if args.workers else [])
        started = time.perf_counter()
        audit = subprocess.run(command, env=run_env, capture_output=True, text=True, check=False)
        fleet_wall = time.perf_counter() - started
        fleet = json.loads((work / "fleet" / "fleet.json").read_text(encoding="utf-8"))
        print(audit.stdout, end="")
        slowest = max(fleet["targets"], key=lambda t: t.get("duration_s") or 0)
        entry = lines.index(f'name = "{slowest["name"]}"')
        var = lines[entry + 3].split('"')[1]
        alone_env = {**os.environ, "APICONFORM_TOKEN": env[var]}
        if var + "_B" in env:
            alone_env["APICONFORM_TOKEN_B"] = env[var + "_B"]
        # Alone on a server of its own: the fleet's server has spent the last minute of its key's limit.
        _, profile, mutant = next(pick for pick in picks if pick[0] == slowest["name"])
        proc, base_url = start_server(profile, mutant, args.limit)
        servers.append(proc)
        started = time.perf_counter()
        alone = subprocess.run([sys.executable, "-m", "apiconform.cli", "run", slowest["profile"], "--base-url",
                                base_url, "--report-dir", str(work / "alone"), "--quiet"],
                               env=alone_env, capture_output=True, text=True, check=False)
        alone_wall = time.perf_counter() - started
        print(f"\n{len(fleet['targets'])} targets, Booga keys at {args.limit} requests a minute; "
              f"audit exit {audit.returncode}, fleet verdict {fleet['verdict']}")
        print(f"fleet wall time (apiconform audit, all targets): {fleet_wall:7.1f} s")
        print(f"slowest target alone ({slowest['name']}, exit {alone.returncode}): {alone_wall:7.1f} s"
              f"   (in the fleet its run took {slowest.get('duration_s')} s)")
        ratio = fleet_wall / alone_wall
        print(f"fleet / slowest alone: {ratio:.2f}x (bound 1.5x): {'holds' if ratio <= 1.5 else 'EXCEEDED'}")
        print(f"artifacts: {work}")
    finally:
        for proc in servers:
            proc.terminate()
        for proc in servers:
            proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
