"""The GitHub Actions examples run as shipped: their jobs that need no secret, step by step.

- examples/github-actions.yml, job `mock`: installs the kit from its checkout (`pip install
  ./apiconform`), serves the reference mock, reads the keys `apiconform serve` prints, and checks
  every rule against it: every step passes, report and job summary written. Then the same job with
  its serve step replaced, as the workflow's comment says, by a step that hands over a live URL
  and a key: the run step, as copied, checks that service read-only (no target file left behind,
  no write switch).
- examples/github-actions-fleet.yml, job `merge`: on the reports of two matrix jobs of which one
  died before writing its report, it installs the kit the same way and merges: exit 3, the
  missing target `incomplete` with the reason, the fleet's summary.md on the job's summary page,
  with no link there that would lead nowhere (a path relative to the fleet folder).
- Both workflows check out the kit at a ref this repository has.

The steps run as GitHub's runner runs them: each `run:` script with `bash --noprofile --norc -eo
pipefail`, in the job's working folder, with the workflow's, the job's and the step's `env`, and
what earlier steps wrote to $GITHUB_ENV; after a failed step only `if: always()` steps run. The
`uses:` steps are GitHub's and are not run: actions/checkout of the kit (`path: apiconform`) is
this repository, linked as ./apiconform in the working folder; actions/setup-python is a fresh
virtualenv (below); upload-artifact and download-artifact are the test's own copying. A script of
these jobs may not hold a `${{ }}` expression (nothing here would evaluate it), so what runs here
is the text a user copies.

The virtualenv is made in the temporary folder with `.venv/bin/python -m venv`, and the example's
own `pip install ./apiconform` installs the kit into it: a real, non-editable wheel build from the
checkout. So that this takes seconds and no download, the kit's dependencies are those already in
.venv: its site-packages are put on the new virtualenv's path by a .pth file (`--system-site-packages`
would not do: .venv is itself a virtualenv, and the "system" of one made from it is the base
interpreter's site-packages, which hold none of them), so pip finds every requirement satisfied and
installs only the kit; and the build runs without build isolation (PIP_NO_BUILD_ISOLATION=0, pip's
spelling of --no-build-isolation) with .venv's hatchling. A process a step leaves running (the
served mock) is stopped with that step's process group at the end.
"""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
STEP_TIMEOUT = 120
# The only actions the jobs run here may use: what each stands for in this test.
KNOWN_ACTIONS = ("actions/checkout@", "actions/setup-python@", "actions/upload-artifact@",
                 "actions/download-artifact@")

pytestmark = pytest.mark.slow


def workflow(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    return doc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Step:
    name: str
    outcome: str  # success, failure, skipped (after a failure), uses (a `uses:` step, not run here)
    code: int | None = None
    log: str = ""


@dataclass
class Job:
    steps: list[Step] = field(default_factory=list)
    summary: str = ""

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    @property
    def passed(self) -> bool:
        return all(s.outcome in ("success", "uses") for s in self.steps)

    def logs(self) -> str:
        return "\n".join(f"--- {s.name}: {s.outcome} ({s.code})\n{s.log}" for s in self.steps)


class Runner:
    """A working folder with the kit's checkout at ./apiconform and a fresh virtualenv, in which
    jobs of the examples run step by step (see the module's docstring)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.groups: list[int] = []  # the process group of each step: background processes live on
        self.venv = folder / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True, timeout=120)
        site = subprocess.run([str(self.venv / "bin" / "python"), "-c",
                               "import sysconfig; print(sysconfig.get_path('purelib'))"],
                              check=True, capture_output=True, text=True, timeout=60).stdout.strip()
        # .venv's packages (the kit's dependencies, hatchling) importable; a plain path line, so
        # .venv's own .pth files (its editable apiconform among them) are not processed.
        (Path(site) / "_apiconform_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")

    def workspace(self, name: str) -> Path:
        """A job's working folder, holding the kit's checkout as actions/checkout put it there."""
        work = self.folder / name
        work.mkdir()
        (work / "apiconform").symlink_to(ROOT, target_is_directory=True)
        return work

    def env(self, work: Path) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("APICONFORM_", "PYTEST", "PIP_", "VIRTUAL_ENV", "PYTHON"))}
        if os.environ.get("APICONFORM_CACHE_DIR"):  # the test session's plan cache
            keep["APICONFORM_CACHE_DIR"] = os.environ["APICONFORM_CACHE_DIR"]
        return {**keep, "PATH": f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
                "GITHUB_WORKSPACE": str(work), "CI": "true", "GITHUB_ACTIONS": "true",
                # What the runner sets for every step (the fleet summary links the run's page).
                "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "octo/service",
                "GITHUB_RUN_ID": "4242",
                "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}

    def run(self, doc: dict[str, Any], job_name: str, work: Path, overrides: dict[str, str] | None = None) -> Job:
        job_def = doc["jobs"][job_name]
        github_env = work.parent / f"{work.name}.github_env"
        summary = work.parent / f"{work.name}.step_summary"
        github_env.write_text("")
        summary.write_text("")
        base = {**self.env(work), **{k: str(v) for k, v in (doc.get("env") or {}).items()},
                **{k: str(v) for k, v in (job_def.get("env") or {}).items()}, **(overrides or {}),
                "GITHUB_ENV": str(github_env), "GITHUB_STEP_SUMMARY": str(summary)}
        job = Job()
        failed = False
        for index, step in enumerate(job_def["steps"]):
            name = step.get("name") or step.get("uses") or f"step {index + 1}"
            if "uses" in step:
                assert str(step["uses"]).startswith(KNOWN_ACTIONS), f"{job_name}: {step['uses']} is not stood in for"
                job.steps.append(Step(name, "uses"))
                continue
            condition = step.get("if")
            assert condition in (None, "always()"), f"{job_name}/{name}: `if: {condition}` is not run here"
            if failed and condition != "always()":
                job.steps.append(Step(name, "skipped"))
                continue
            script = str(step["run"])
            step_env = {k: str(v) for k, v in (step.get("env") or {}).items()}
            assert "${{" not in script + "".join(step_env.values()), f"{job_name}/{name}: an expression"
            env = {**base, **read_github_env(github_env), **step_env}
            path = work.parent / f"{work.name}.step{index}.sh"
            path.write_text(script)
            with open(work.parent / f"{work.name}.step{index}.log", "w+") as log:
                proc = subprocess.Popen(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)], cwd=work,
                                        env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
                self.groups.append(proc.pid)
                code = proc.wait(timeout=STEP_TIMEOUT)
                log.seek(0)
                text = log.read()
            job.steps.append(Step(name, "success" if code == 0 else "failure", code, text))
            failed = failed or code != 0
        job.summary = summary.read_text()
        return job

    def stop(self) -> None:
        for group in self.groups:
            try:
                os.killpg(group, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                continue
        deadline = time.monotonic() + 10
        for group in self.groups:
            while time.monotonic() < deadline:
                try:
                    os.killpg(group, 0)
                except (ProcessLookupError, PermissionError):
                    break
                time.sleep(0.1)


def read_github_env(path: Path) -> dict[str, str]:
    """$GITHUB_ENV as the runner reads it: NAME=value lines (the heredoc form is not used here)."""
    out = {}
    for line in path.read_text().splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            out[key] = value
    return out


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    made = Runner(tmp_path_factory.mktemp("examples"))
    try:
        yield made
    finally:
        made.stop()


@pytest.fixture(scope="module")
def mock_job(runner: Runner) -> tuple[Job, Path]:
    work = runner.workspace("mock")
    # Another port than the example's 8000, which something else on this machine may hold.
    job = runner.run(workflow("github-actions.yml"), "mock", work, {"MOCK_PORT": str(free_port())})
    return job, work


def test_the_examples_install_the_kit_from_its_checkout() -> None:
    """No `pip install apiconform` (no such distribution on PyPI): every job that installs the kit
    checks out its repository into ./apiconform first, pinned, and installs that."""
    for name in ("github-actions.yml", "github-actions-fleet.yml"):
        doc = workflow(name)
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        assert 'pip install "apiconform @ git+https://github.com/' in text  # the git-URL form, shown
        for job_name, job in doc["jobs"].items():
            steps = job["steps"]
            installs = [i for i, s in enumerate(steps) if "pip install" in str(s.get("run", ""))]
            assert [str(steps[i]["run"]).strip() for i in installs] == ["pip install ./apiconform"], job_name
            checkouts = [i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("actions/checkout@")
                         and (s.get("with") or {}).get("path") == "apiconform"]
            assert len(checkouts) == 1 and checkouts[0] < installs[0], job_name
            kit = steps[checkouts[0]]["with"]
            assert kit["repository"] == "${{ env.APICONFORM_REPOSITORY }}" and kit["ref"] == "${{ env.APICONFORM_REF }}"
        assert ref_exists(str(doc["env"]["APICONFORM_REF"])), (name, doc["env"]["APICONFORM_REF"])


def ref_exists(ref: str) -> bool:
    """The kit's ref names something this repository has: a branch (local, or of a remote in a
    clone), a tag or a commit. A ref that does not exist fails the checkout step as copied."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the ref cannot be looked up")
    for candidate in (ref, f"refs/tags/{ref}", f"refs/remotes/origin/{ref}"):
        found = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"],
                               capture_output=True, text=True, timeout=60, check=False)
        if found.returncode == 0:
            return True
    return False


def test_the_mock_job_passes_as_copied(mock_job: tuple[Job, Path]) -> None:
    job, work = mock_job
    assert job.passed, job.logs()
    install = job.step("Install apiconform").log
    assert "Successfully installed apiconform-0.1.0" in install and "Installing build dependencies" not in install
    served = job.step("Serve the reference mock").log
    assert "base URL: http://127.0.0.1:" in served
    report = json.loads((work / "reports" / "ci" / "report.json").read_text())
    # The keys serve printed reached the run: every rule ran (none skipped for want of a key), and passed.
    assert report["verdict"] == "pass" and report["target"]["mode"] == "live"
    assert report["counts"]["skip"] == 0 and report["counts"]["pass"] == len(report["rules"])
    assert "apiconform booga: PASS" in job.summary
    # The kit ran from the virtualenv's own install, not from this checkout.
    assert str(ROOT / "src") not in subprocess.run(
        [str(work.parent / "venv" / "bin" / "python"), "-c", "import apiconform; print(apiconform.__file__)"],
        capture_output=True, text=True, check=True, timeout=60).stdout


def test_the_live_job_is_optional_and_uses_secrets() -> None:
    live = workflow("github-actions.yml")["jobs"]["live"]
    assert live["if"] == "${{ vars.APICONFORM_BASE_URL != '' }}"  # skipped until configured, not red
    run = next(s for s in live["steps"] if "apiconform run" in str(s.get("run", "")))
    assert run["env"]["APICONFORM_TOKEN"] == "${{ secrets.APICONFORM_TOKEN }}"


def test_the_fleet_merge_job_marks_a_target_whose_job_wrote_no_report(runner: Runner,
                                                                      mock_job: tuple[Job, Path]) -> None:
    doc = workflow("github-actions-fleet.yml")
    names = [m["name"] for m in doc["jobs"]["target"]["strategy"]["matrix"]["include"]]
    merge_script = next(str(s["run"]) for s in doc["jobs"]["merge"]["steps"] if "apiconform merge" in str(s.get("run")))
    assert f"--expect {','.join(names)}" in merge_script  # every matrix target is expected
    work = runner.workspace("merge")
    # download-artifact: the first target's job uploaded reports/<name>/; the second's died first.
    first = work / "reports" / names[0]
    first.mkdir(parents=True)
    (first / "report.json").write_bytes((mock_job[1] / "reports" / "ci" / "report.json").read_bytes())
    job = runner.run(doc, "merge", work)
    merged = job.step("Merge into the fleet artifacts")
    assert merged.outcome == "failure" and merged.code == 3, job.logs()
    assert job.step("Fleet summary").outcome == "success"
    fleet = json.loads((work / "fleet" / "fleet.json").read_text())
    assert [(t["name"], t["verdict"]) for t in fleet["targets"]] == [(names[0], "pass"), (names[1], "incomplete")]
    assert fleet["targets"][1]["reason"] == "no report: the job for this target wrote none"
    assert "no report: the job for this target wrote none" in job.summary
    # Links on the job's summary page lead somewhere: no path relative to the fleet folder.
    assert relative_links(job.summary) == [], job.summary
    assert f"`{names[0]}/report.html`" in job.summary
    assert "[this run](https://github.com/octo/service/actions/runs/4242)" in job.summary


def relative_links(markdown: str) -> list[str]:
    """Markdown link targets that are neither a URL nor an anchor of the page itself."""
    return [target for target in re.findall(r"\]\(([^)]*)\)", markdown)
            if not re.match(r"[a-z][a-z0-9+.-]*:", target) and not target.startswith("#")]


def test_the_mock_job_summary_has_no_link_that_leads_nowhere(mock_job: tuple[Job, Path]) -> None:
    assert mock_job[0].summary and relative_links(mock_job[0].summary) == []


@pytest.fixture(scope="module")
def live_service() -> Iterator[tuple[str, str]]:
    """A service the job does not start: the Booga mock served by the test, (base URL, key)."""
    proc = subprocess.Popen([sys.executable, "-m", "apiconform.cli", "serve", "booga", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        url = key = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (url and key):
            line = proc.stdout.readline()
            if not line:
                break
            url = line.split("base URL: ", 1)[1].strip() if line.startswith("base URL: ") else url
            if line.startswith("export APICONFORM_TOKEN="):
                key = line.strip().split("=", 1)[1]
        assert url and key, "serve printed no base URL and key"
        yield url, key
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_mock_job_with_its_serve_step_replaced_by_a_live_url(runner: Runner,
                                                                  live_service: tuple[str, str]) -> None:
    """The workflow's comment: replace the serve step with one that starts your service and writes
    BASE_URL and the key to $GITHUB_ENV. The rest of the job, as copied, then checks that service
    read-only: no --target pointing at a file the removed step made (exit 2), no write switch."""
    doc = copy.deepcopy(workflow("github-actions.yml"))
    steps = doc["jobs"]["mock"]["steps"]
    index = next(i for i, s in enumerate(steps) if s.get("name") == "Serve the reference mock")
    url, key = live_service
    steps[index] = {"name": "Start the service", "env": {"API_KEY": key, "SERVICE_URL": url},
                    "run": 'echo "BASE_URL=$SERVICE_URL" >> "$GITHUB_ENV"\n'
                           'echo "APICONFORM_TOKEN=$API_KEY" >> "$GITHUB_ENV"\n'}
    work = runner.workspace("replaced")
    job = runner.run(doc, "mock", work)
    assert job.passed, job.logs()
    assert not (work / "mock-target.toml").exists()
    report = json.loads((work / "reports" / "ci" / "report.json").read_text())
    assert report["target"]["base_url"] == url and report["verdict"] == "pass"
    assert report["safety"]["read_only"] is True and report["safety"]["allow_writes"] is False
    writes = [r for r in report["rules"] if r["id"].startswith("BGA-WRITE-")]
    assert writes and all(r["verdict"] == "skip" and "--allow-writes" in r["reason"] for r in writes)
    assert "Read-only" in job.summary
