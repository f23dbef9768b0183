"""examples/github-actions-fleet.yml: a matrix of targets whose reports one job merges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "examples" / "github-actions-fleet.yml"


def _load() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return doc


def _step(job: dict[str, Any], uses: str) -> dict[str, Any]:
    steps = [s for s in job["steps"] if str(s.get("uses", "")).startswith(uses)]
    assert len(steps) == 1, f"{uses}: {steps}"
    return steps[0]


def test_one_job_per_target_runs_and_uploads_its_reports() -> None:
    jobs = _load()["jobs"]
    target = jobs["target"]
    matrix = target["strategy"]["matrix"]["include"]
    assert len(matrix) >= 2 and len({m["name"] for m in matrix}) == len(matrix)
    assert target["strategy"]["fail-fast"] is False
    assert all({"name", "profile", "base_url", "secret"} <= set(m) for m in matrix)
    run = next(s for s in target["steps"] if "apiconform run" in str(s.get("run", "")))
    assert 'reports/${{ matrix.name }}' in run["run"]
    assert "secrets[matrix.secret]" in run["env"]["APICONFORM_TOKEN"]  # credentials only in the environment
    upload = _step(target, "actions/upload-artifact@v4")
    assert upload["if"] == "always()"
    assert upload["with"]["name"] == "apiconform-report-${{ matrix.name }}"


def test_a_merge_job_downloads_every_target_and_runs_apiconform_merge() -> None:
    jobs = _load()["jobs"]
    merge = jobs["merge"]
    assert merge["needs"] == "target" and merge["if"] == "always()"
    download = _step(merge, "actions/download-artifact@v4")
    pattern = download["with"]["pattern"]
    uploaded = _step(jobs["target"], "actions/upload-artifact@v4")["with"]["name"]
    # the download pattern matches the per-target artifact names
    assert pattern.endswith("*") and uploaded.startswith(pattern[:-1])
    assert download["with"]["merge-multiple"] is True
    runs = [str(s.get("run", "")) for s in merge["steps"]]
    merge_step = next(r for r in runs if "apiconform merge" in r)
    assert "reports/*/report.json" in merge_step and "--report-dir fleet" in merge_step
    assert any("GITHUB_STEP_SUMMARY" in r and "fleet/summary.md" in r for r in runs)
    fleet_upload = _step(merge, "actions/upload-artifact@v4")
    assert fleet_upload["if"] == "always()" and fleet_upload["with"]["path"] == "fleet/"


def test_the_readme_fleet_file_table_lists_the_schema_keys() -> None:
    import json
    import re

    readme = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    table = readme.split("<!-- fleet-file:begin")[1].split("<!-- fleet-file:end")[0]
    documented = re.findall(r"^\| `(\w+)` \|", table, flags=re.M)
    schema = json.loads((ROOT / "fixtures" / "fleet-file.schema.json").read_text(encoding="utf-8"))
    assert documented == list(schema["$defs"]["target"]["properties"])
