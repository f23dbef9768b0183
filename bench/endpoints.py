"""Benchmark: what each endpoint of a deployment costs, by kind (a script, not a timed test).

Every endpoint of a kind gets the same probes, shared between the rules (README: "What a run
sends"); the cost is measured, not capped. This runs the kit read-only, with default settings,
on the multi-endpoint servers of tests/independent and on the reference mocks, and prints for
each run its wall time and requests, then the requests sent to each endpoint's paths (from
report.json's `safety.methods_sent`), averaged per kind, against the figures the kit plans with
(discovery.PER_ENDPOINT: about 32 a list, 8 a single resource).

    .venv/bin/python bench/endpoints.py
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.independent import booga_drf, boomerang_flask  # noqa: E402
from tests.independent.serving import served  # noqa: E402

from apiconform.discovery import PER_ENDPOINT  # noqa: E402
from apiconform.runner import run  # noqa: E402
from apiconform.session import Options  # noqa: E402


@contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    previous = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def kit(profile: str, env: dict[str, str], **options: Any) -> tuple[dict[str, Any], float]:
    with environment(env), tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        run(profile, Options(report_dir=tmp, **options))
        wall = time.perf_counter() - started
        return json.loads((Path(tmp) / "report.json").read_text("utf-8")), wall


def per_endpoint(report: dict[str, Any]) -> dict[str, int]:
    """Requests sent to each endpoint of the coverage table (a path's parameters as [^/]+)."""
    rows = report["coverage"]["endpoints"]
    patterns = [(row["endpoint"], re.compile(".*" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(row["endpoint"]))
                                             + "$")) for row in rows]
    literal_first = sorted(patterns, key=lambda p: ("{" in p[0], -len(p[0])))
    counts: dict[str, int] = defaultdict(int)
    for sent in report["safety"]["methods_sent"]:
        for endpoint, pattern in literal_first:
            if pattern.match(sent["path"]):
                counts[endpoint] += sent["count"]
                break
    return counts


def report_line(name: str, report: dict[str, Any], wall: float) -> None:
    kinds = report["surface"]["kinds"]
    print(f"{name:<34} {wall:>6.2f} s {report['requests_sent']:>5} requests  {report['verdict']:<10} "
          f"endpoints {report['surface']['endpoints']} ({', '.join(f'{n} {k}' for k, n in kinds.items() if n)})",
          flush=True)
    counts = per_endpoint(report)
    by_kind: dict[str, list[int]] = defaultdict(list)
    for row in report["coverage"]["endpoints"]:
        by_kind[row["kind"]].append(counts.get(row["endpoint"], 0))
    placed = sum(sum(costs) for costs in by_kind.values())
    for kind, costs in sorted(by_kind.items()):
        print(f"{'':<34} per {kind}: {costs} requests, mean {sum(costs) / len(costs):.1f} "
              f"(planned {PER_ENDPOINT[report['profile']][kind]})")
    print(f"{'':<34} about the deployment as a whole (discovery, unrouted paths, counters, sweep): "
          f"{report['requests_sent'] - placed}")


def main() -> int:
    print(f"{'run':<34} {'wall':>8} {'sent':>14}  verdict")
    for profile in ("boomerang", "booga"):
        report, wall = kit(profile, {})
        report_line(f"{profile} reference mock (embedded)", report, wall)

    flask_env = {"APICONFORM_TOKEN": boomerang_flask.TOKEN}
    with served(boomerang_flask.MODULE) as url:
        whole, wall = kit("boomerang", flask_env, base_url=url, openapi_file=str(boomerang_flask.OPENAPI))
    report_line("boomerang flask, --openapi", whole, wall)

    drf_env = {"APICONFORM_TOKEN": booga_drf.KEY_A, "APICONFORM_TOKEN_B": booga_drf.KEY_B}
    with served(booga_drf.MODULE) as url:
        report, wall = kit("booga", drf_env, base_url=url)
    report_line("booga drf, 3 plugins", report, wall)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
