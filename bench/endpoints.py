"""Benchmark: what each further endpoint of a deployment costs (a script, not a timed test).

The configured endpoints are examined deeply; every further endpoint the deployment's OpenAPI
declares costs a bounded number of requests (README: "The whole API, endpoint by endpoint"):
on average at most 20 for a list and 10 for any other. This measures it, read-only, on the
multi-endpoint servers of tests/independent:

- Boomerang on Flask (7 endpoints): the same server run with the vendor's OpenAPI document and
  without it (the page's two examples only); marginal cost = the difference / added endpoints;
- Booga on Django REST framework (3 plugins, 7 endpoints): the requests sent to each further
  endpoint's paths, from report.json's `safety.methods_sent`, averaged per kind;
- the reference mocks, in-process, for the totals (about 150 requests plus the marginal cost of
  each endpoint they add).

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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.independent import booga_drf, boomerang_flask  # noqa: E402
from tests.independent.serving import served  # noqa: E402

from apiconform.runner import run  # noqa: E402
from apiconform.session import Options  # noqa: E402


def kit(profile: str, env: dict[str, str], **options: Any) -> tuple[dict[str, Any], float]:
    previous = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            run(profile, Options(report_dir=tmp, **options))
            wall = time.perf_counter() - started
            report = json.loads((Path(tmp) / "report.json").read_text("utf-8"))
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return report, wall


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


def line(name: str, report: dict[str, Any], wall: float) -> None:
    kinds = report["surface"]["kinds"]
    print(f"{name:<34} {wall:>6.2f} s {report['requests_sent']:>5} requests  {report['verdict']:<10} "
          f"endpoints {report['surface']['endpoints']} ({', '.join(f'{n} {k}' for k, n in kinds.items() if n)})",
          flush=True)


def main() -> int:
    print(f"{'run':<34} {'wall':>8} {'sent':>14}  verdict")
    for profile in ("boomerang", "booga"):
        report, wall = kit(profile, {})
        line(f"{profile} reference mock (embedded)", report, wall)

    flask_env = {"APICONFORM_TOKEN": boomerang_flask.TOKEN}
    with served(boomerang_flask.MODULE) as url:
        examples, wall_a = kit("boomerang", flask_env, base_url=url)
        whole, wall_b = kit("boomerang", flask_env, base_url=url, openapi_file=str(boomerang_flask.OPENAPI))
    line("boomerang flask, examples only", examples, wall_a)
    line("boomerang flask, --openapi", whole, wall_b)
    added = whole["surface"]["endpoints"] - examples["surface"]["endpoints"]
    lists = whole["surface"]["kinds"]["list"] - examples["surface"]["kinds"]["list"]
    extra = whole["requests_sent"] - examples["requests_sent"]
    bound = 20 * lists + 10 * (added - lists)
    print(f"{'':<34} marginal: {extra} requests for {added} further endpoints ({lists} lists) = "
          f"{extra / max(1, added):.1f} per endpoint; the bound (20 a list, 10 any other) is {bound}")

    drf_env = {"APICONFORM_TOKEN": booga_drf.KEY_A, "APICONFORM_TOKEN_B": booga_drf.KEY_B}
    with served(booga_drf.MODULE) as url:
        report, wall = kit("booga", drf_env, base_url=url)
    line("booga drf, 3 plugins", report, wall)
    counts = per_endpoint(report)
    configured = {"/api/files/", "/api/files/{id}/", "/api/api-management/openapi-schema/"}
    by_kind: dict[str, list[int]] = defaultdict(list)
    for row in report["coverage"]["endpoints"]:
        if row["endpoint"] not in configured:
            by_kind[row["kind"]].append(counts.get(row["endpoint"], 0))
    for kind, costs in sorted(by_kind.items()):
        print(f"{'':<34} further {kind}: {costs} requests each, mean {sum(costs) / len(costs):.1f} "
              f"(bound {20 if kind == 'list' else 10})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
