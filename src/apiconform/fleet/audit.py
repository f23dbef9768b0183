"""`apiconform audit FLEET.toml`: every target of a fleet file checked side by side.

The engine is pytest-xdist: worker_suite.py holds one test item per target, and each xdist
worker runs its items one at a time. An item runs its target as `apiconform run ...` in a
process of its own, so each target has its own pacer, budget and redactor, and a target that
crashes, hangs or leaves no report becomes that target's `error` without holding the others
back.

Start-up. Those processes are not started from scratch: a fresh interpreter importing pytest,
execnet, httpx, hypothesis and the kit costs ~0.4 s of CPU, once per xdist worker and once per
target, and on a couple of cores that, not the targets, was most of a fast fleet's wall time.
The audit starts one template process (zygote.py) that imports the engine once; every xdist
worker (through launcher.py, the "python" of its execnet spec) and every target's run is a fork
of it. Where the platform cannot fork (or the template does not come up), the workers and runs
start the slow way: `python -m apiconform.cli run ...` per target, the same runs.

Credentials. No process of the audit but this one ever holds another target's credentials:
- the xdist workers and the template are started with every credential variable of the fleet
  (and the kit's own APICONFORM_TOKEN*) removed from their environment, so none inherits any;
- each target's credentials are written, before the workers start, to a file of their own (mode
  0600 in a 0700 temporary folder) that the plan names; the target's run, forked for it alone
  from the template (which holds none), reads it as it starts and deletes it at once, and puts
  them into its own environment under the names its run reads: the worker never reads them.
  (Started the slow way, the worker reads the file and hands them to the run's environment.)
The plan itself names variables and files, never holds a value.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from apiconform.errors import ConfigError
from apiconform.fleet.fleet_file import Fleet, FleetTarget

PLAN_ENV = "APICONFORM_FLEET_PLAN"  # the JSON plan file the xdist workers read
RESULT_PROPERTY = "apiconform_fleet_result"
# The kit's own credential variables: never inherited by a target's run, whatever the fleet names.
KIT_CREDENTIAL_PREFIX = "APICONFORM_TOKEN"
MAX_DEFAULT_WORKERS = 32  # runs are I/O-bound (paced by the targets' limits), not CPU-bound
EXIT_INCOMPLETE = 3


def default_workers(fleet: Fleet) -> int:
    return max(1, min(len(fleet.targets), MAX_DEFAULT_WORKERS))


def run_argv(target: FleetTarget, report_dir: Path) -> list[str]:
    """The `apiconform run` command line of one target (credentials come from the environment)."""
    argv = [sys.executable, "-m", "apiconform.cli", "run", target.profile, "--base-url", target.base_url,
            "--report-dir", str(report_dir / target.name), "--quiet"]
    if target.target_file:
        argv += ["--target", target.target_file]
    if target.max_requests is not None:
        argv += ["--max-requests", str(target.max_requests)]
    for flag, on in (("--allow-writes", target.allow_writes), ("--exhaust-rate-limit", target.exhaust_rate_limit),
                     ("--allow-insecure-http", target.allow_insecure_http)):
        if on:
            argv.append(flag)
    return argv


def target_credentials(credential_vars: Mapping[str, str], environ: Mapping[str, str]) -> dict[str, str]:
    """One target's credentials as its run reads them: run variable -> value (the set ones only)."""
    return {run_var: environ[source] for run_var, source in credential_vars.items() if environ.get(source)}


def scrubbed(environ: Mapping[str, str], scrub: Iterable[str]) -> dict[str, str]:
    """`environ` without any fleet credential variable, nor the kit's own APICONFORM_TOKEN*."""
    banned = set(scrub)
    return {k: v for k, v in environ.items() if k not in banned and not k.startswith(KIT_CREDENTIAL_PREFIX)}


def run_env(credentials: Mapping[str, str], scrub: Iterable[str], environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of one target's run: `environ` scrubbed, plus this target's credentials."""
    return {**scrubbed(environ, scrub), **credentials}


def write_credentials(folder: Path, fleet: Fleet, environ: Mapping[str, str]) -> list[Path]:
    """One 0600 file per target (in fleet order) holding its credentials, for its worker to take."""
    files = []
    for index, target in enumerate(fleet.targets):
        file = folder / f"credentials-{index}.json"
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(target_credentials(target.credential_vars, environ), out)
        files.append(file)
    return files


def take_credentials(file: str) -> dict[str, str]:
    """Read a target's credentials file and delete it: nobody reads it twice."""
    path = Path(file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    finally:
        path.unlink(missing_ok=True)
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def plan(fleet: Fleet, report_dir: Path, credential_files: list[Path], zygote: str | None = None
         ) -> dict[str, Any]:
    """What the workers run: JSON, names of variables and files only (no credential value).
    `zygote`: the template process's socket, where the targets' runs are forked (None: none)."""
    return {
        "scrub": sorted(fleet.credential_vars()),
        "zygote": zygote,
        "targets": [{"name": t.name, "profile": t.profile, "base_url": t.base_url, "argv": run_argv(t, report_dir),
                     "report_dir": str(report_dir / t.name), "timeout_seconds": t.timeout_seconds,
                     "credentials_file": str(f)} for t, f in zip(fleet.targets, credential_files, strict=True)],
    }


def _incomplete(name: str, reason: str, wall: float | None) -> dict[str, Any]:
    return {"name": name, "exit_code": EXIT_INCOMPLETE, "verdict": "incomplete", "has_report": False,
            "reason": reason, "wall_s": None if wall is None else round(wall, 2)}


def run_target(spec: Mapping[str, Any], scrub: list[str], environ: Mapping[str, str],
               zygote: str | None = None) -> dict[str, Any]:
    """Run one target of a plan (in an xdist worker); never raises for the target's sake.

    With `zygote` (the template's socket) the run is forked from the template and reads its
    own credentials; else (or when the template cannot be reached) it is started the slow way."""
    from apiconform.fleet import zygote as template

    started = time.monotonic()
    if zygote:
        try:
            connection = template.request_run(zygote, spec, scrub)
        except OSError:
            pass  # the template is gone: the slow way below, the same run
        else:
            try:
                outcome = template.wait_run(connection)
            except template.RunLost as exc:
                return _incomplete(spec["name"], f"apiconform run ended without an exit status ({exc})",
                                   time.monotonic() - started)
            if outcome.get("timeout"):
                return _incomplete(spec["name"], _timed_out(spec), time.monotonic() - started)
            return _finished(spec, int(outcome["exit_code"]), str(outcome.get("tail") or ""),
                             time.monotonic() - started)
    return _run_subprocess(spec, scrub, environ)


def _timed_out(spec: Mapping[str, Any]) -> str:
    return f"stopped after {spec['timeout_seconds']:g} s without finishing (timeout_seconds)"


def _finished(spec: Mapping[str, Any], code: int, tail: str, wall: float) -> dict[str, Any]:
    """The result of a run that exited `code` (`tail`: the last line of its output, redacted)."""
    if code not in (0, 1, 3):
        return _incomplete(spec["name"], f"apiconform run exited {code}" + (f": {tail}" if tail else ""), wall)
    report = Path(spec["report_dir"]) / "report.json"
    try:
        verdict = json.loads(report.read_text(encoding="utf-8")).get("verdict")
    except (OSError, ValueError, AttributeError) as exc:
        return _incomplete(spec["name"], f"apiconform run exited {code} and left no readable report.json "
                                         f"({type(exc).__name__})", wall)
    return {"name": spec["name"], "exit_code": code, "verdict": verdict, "has_report": True, "reason": None,
            "wall_s": round(wall, 2)}


def _run_subprocess(spec: Mapping[str, Any], scrub: list[str], environ: Mapping[str, str]) -> dict[str, Any]:
    """The slow way: `python -m apiconform.cli run ...`, the credentials handed in its environment."""
    from apiconform.redact import Redactor

    try:
        credentials = take_credentials(spec["credentials_file"])
    except (OSError, ValueError) as exc:
        return _incomplete(spec["name"], "could not read this target's credentials from the audit "
                                         f"({type(exc).__name__})", None)
    # A redactor of this target's own: a worker that runs several targets keeps none of the last one's.
    redactor = Redactor(credentials.values())
    env = run_env(credentials, scrub, environ)
    started = time.monotonic()
    try:
        proc = subprocess.run(spec["argv"], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              errors="replace", timeout=spec["timeout_seconds"], check=False)
    except subprocess.TimeoutExpired:
        return _incomplete(spec["name"], _timed_out(spec), time.monotonic() - started)
    except OSError as exc:
        return _incomplete(spec["name"], redactor.text(f"could not start apiconform run: {exc}"),
                           time.monotonic() - started)
    tail = [line for line in (proc.stderr or proc.stdout or "").splitlines() if line.strip()]
    return _finished(spec, proc.returncode, redactor.text(tail[-1].strip()) if tail else "",
                     time.monotonic() - started)


class _Progress:
    """Controller-side pytest plugin: a line per target as it starts and finishes; the results."""

    def __init__(self, fleet: Fleet, stream: IO[str],
                 on_result: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        self.stream = stream
        self.targets = {t.name: t for t in fleet.targets}
        self.results: dict[str, dict[str, Any]] = {}
        self.total = len(fleet.targets)
        self.on_result = on_result  # called as each target finishes, while the others run on

    @staticmethod
    def _name(nodeid: str) -> str:
        return nodeid.rsplit("[", 1)[-1].rstrip("]") if nodeid.endswith("]") else nodeid

    def _print(self, text: str) -> None:
        print(f"apiconform audit: {text}", file=self.stream, flush=True)

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        name = self._name(nodeid)
        target = self.targets.get(name)
        if target:
            self._print(f"start  {name} ({target.profile}, {target.base_url})")

    def pytest_runtest_logreport(self, report: Any) -> None:
        name = self._name(report.nodeid)
        if name not in self.targets or name in self.results:
            return
        props = dict(report.user_properties)
        if RESULT_PROPERTY in props:
            result = json.loads(props[RESULT_PROPERTY])
        elif report.failed:
            text = str(getattr(report, "longreprtext", "") or report.longrepr or "the worker failed")
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            result = {"name": name, "exit_code": EXIT_INCOMPLETE, "verdict": "incomplete", "has_report": False,
                      "reason": f"worker error: {lines[-1] if lines else 'no detail'}", "wall_s": None}
        else:
            return
        self.results[name] = result
        wall = f" in {result['wall_s']:.1f} s" if result.get("wall_s") is not None else ""
        extra = f": {result['reason']}" if result.get("reason") else ""
        self._print(f"finish {name}: {result['verdict']} (exit {result['exit_code']}){wall}"
                    f" [{len(self.results)}/{self.total}]{extra}")
        if self.on_result is not None:
            self.on_result(name, result)


@contextlib.contextmanager
def _environ(**changes: str | None) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in changes}
    for key, value in changes.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# pytest's own plugins the workers have no use for (each is hooks to call around every item);
# junitxml stays: record_property, which hands each result to the controller, is its fixture.
WORKER_UNUSED_PLUGINS = ("cacheprovider", "terminal", "doctest", "pastebin", "legacypath", "unittest", "debugging",
                         "setuponly", "setupplan", "stepwise", "recwarn", "tmpdir", "monkeypatch", "subtests",
                         "unraisableexception", "threadexception", "faulthandler")
ZYGOTE_BIND_SECONDS = 5.0  # how long the template may take to listen before the slow way is taken


@contextlib.contextmanager
def _template(folder: Path, env: Mapping[str, str]) -> Iterator[tuple[str, str] | None]:
    """The template processes (zygote.py) with environment `env` (no credential in it); yields
    their sockets (workers, runs), or None where they cannot be used. They end with the block."""
    from apiconform.fleet import zygote

    if not zygote.supported():
        yield None
        return
    paths = (str(folder / "workers.sock"), str(folder / "runs.sock"))
    proc = subprocess.Popen([sys.executable, "-m", "apiconform.fleet.zygote", *paths], env=dict(env),
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + ZYGOTE_BIND_SECONDS
        while not all(map(os.path.exists, paths)) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)  # it listens before it imports the engine: moments
        yield paths if all(map(os.path.exists, paths)) and proc.poll() is None else None
    finally:
        with contextlib.suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.close()  # the signal to end, to both templates (they share the pipe)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def worker_args(workers: int, zygote: str | None) -> list[str]:
    """xdist's options: `workers` workers, forked from the template when there is one."""
    if zygote:
        from apiconform.fleet import launcher

        python = shlex.join([sys.executable, "-S", "-I", str(Path(launcher.__file__)), zygote])
        if "//" not in python:  # execnet's separator of spec parts
            return ["--tx", f"{workers}*popen//python={python}"]
    return ["-n", str(workers)]


def _xdist(fleet: Fleet, report_dir: Path, workers: int, folder: Path, files: list[Path],
           sockets: tuple[str, str] | None, progress: _Progress) -> int:
    """The pytest-xdist session over the plan (in this process's scrubbed environment)."""
    import pytest

    plan_file = Path(os.environ[PLAN_ENV])
    worker_socket, run_socket = sockets or (None, None)
    plan_file.write_text(json.dumps(plan(fleet, report_dir, files, run_socket)), encoding="utf-8")
    ini = folder / "pytest.ini"
    ini.write_text("[pytest]\n", encoding="utf-8")
    # No conftest.py: the workers run one file of the kit, not whatever checkout it lies in (the
    # kit's own tests' conftest gave each of them, so each run, an empty plan cache).
    args = [str(Path(__file__).with_name("worker_suite.py")), "-c", str(ini), "--rootdir", str(folder),
            "--confcutdir", str(folder), "--noconftest", *worker_args(workers, worker_socket), "--dist", "worksteal",
            "-p", "xdist.plugin", *(arg for name in WORKER_UNUSED_PLUGINS for arg in ("-p", f"no:{name}"))]
    return int(pytest.main(args, plugins=[progress]))


def run_fleet(fleet: Fleet, report_dir: Path, workers: int, stream: IO[str] | None = None,
              on_result: Callable[[str, dict[str, Any]], None] | None = None) -> dict[str, dict[str, Any]]:
    """Run every target on `workers` xdist workers; returns name -> result (see run_target).
    `on_result(name, result)` is called as each target finishes."""
    out = stream or sys.stderr
    progress = _Progress(fleet, out, on_result)
    with tempfile.TemporaryDirectory(prefix="apiconform-fleet-") as tmp:  # created 0700
        plan_file = Path(tmp) / "plan.json"
        # The workers, and the template they and the runs are forked from, get this environment:
        # no credential of any target is in it. No plugin autoload, here or in the workers (they
        # inherit it): schemathesis's pytest plugin alone costs each worker ~2 s of CPU, and xdist
        # schedules nothing before every worker is up.
        settings: dict[str, str | None] = {PLAN_ENV: str(plan_file), "PYTEST_ADDOPTS": None, "PYTEST_PLUGINS": None,
                                           "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        clean = scrubbed(os.environ, fleet.credential_vars())
        hidden = dict.fromkeys(os.environ.keys() - clean.keys())
        template_env = {k: v for k, v in {**clean, **settings}.items() if v is not None}
        # The template first: it imports the engine while this process sets up the rest.
        with _template(Path(tmp), template_env) as sockets:
            files = write_credentials(Path(tmp), fleet, os.environ)
            with _environ(**hidden, **settings):
                code = _xdist(fleet, report_dir, workers, Path(tmp), files, sockets, progress)
    for target in fleet.targets:
        progress.results.setdefault(target.name, {
            "name": target.name, "exit_code": EXIT_INCOMPLETE, "verdict": "incomplete", "has_report": False,
            "reason": f"no result for this target (the pytest-xdist session ended with status {int(code)})",
            "wall_s": None})
    return progress.results


def check_report_dir(report_dir: Path) -> None:
    if report_dir.exists() and not report_dir.is_dir():
        raise ConfigError(f"--report-dir {report_dir}: is a file, not a folder")
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        probe = report_dir / ".apiconform-write-check"
        probe.write_text("", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"--report-dir {report_dir}: cannot write there ({exc.strerror or exc})") from exc


def audit(fleet: Fleet, report_dir: Path, workers: int, stream: IO[str] | None = None) -> int:
    """The whole audit: runs, fleet artifacts, summary; returns the fleet's exit status."""
    from apiconform.redact import REDACTOR
    from apiconform.report.fleet import FleetEntry, entry_from_report, fleet_exit_code, write_fleet_artifacts

    out = stream or sys.stderr
    report_dir = report_dir.resolve()
    check_report_dir(report_dir)
    for var in sorted(fleet.credential_vars()):
        if os.environ.get(var):
            REDACTOR.add(os.environ[var])
    print(f"apiconform audit: {len(fleet.targets)} targets on {workers} workers; artifacts in {report_dir}",
          file=out, flush=True)
    started = time.monotonic()
    read: dict[str, FleetEntry] = {}

    def read_report(name: str, result: dict[str, Any]) -> None:
        """A finished target's report, read while the others still run."""
        if result["has_report"]:
            with contextlib.suppress(Exception):  # read again below, where its error is the audit's
                read[name] = entry_from_report(report_dir / name / "report.json", report_dir, name)

    results = run_fleet(fleet, report_dir, workers, out, on_result=read_report)
    entries = []
    for target in fleet.targets:
        result = results[target.name]
        if result["has_report"]:
            entry = read.get(target.name) or entry_from_report(report_dir / target.name / "report.json", report_dir,
                                                               target.name)
            entry.exit_code = int(result["exit_code"])
        else:
            entry = FleetEntry(name=target.name, profile=target.profile, base_url=target.base_url,
                               exit_code=EXIT_INCOMPLETE, report=None, report_path=None,
                               reason=REDACTOR.text(result["reason"]))
        entries.append(entry)
    fleet_doc = write_fleet_artifacts(entries, report_dir)
    code = fleet_exit_code(fleet_doc)
    wall = time.monotonic() - started
    width = max(len(t.name) for t in fleet.targets)
    for target in fleet.targets:
        result = results[target.name]
        print(f"{target.name:<{width}}  {target.profile:<9}  {result['verdict'] or '?':<10}  exit {result['exit_code']}"
              + (f"  ({result['reason']})" if result.get("reason") else ""))
    print(f"fleet: {fleet_doc.get('verdict')} (exit {code}), {len(fleet.targets)} targets in {wall:.1f} s; "
          f"{report_dir / 'fleet.html'}")
    return code

