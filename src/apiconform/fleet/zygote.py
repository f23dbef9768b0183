"""The audit's template processes: the engine imported once, a fork of it for every process after.

Starting a Python process that imports pytest, execnet, httpx, hypothesis and the kit costs
~0.4 s of CPU; an audit started one per xdist worker and another per target, and on a couple
of cores that, not the targets, was most of a fast fleet's wall time. So `apiconform audit`
starts one process (`python -m apiconform.fleet.zygote WORKERS.sock RUNS.sock`) with the
workers' environment: every credential variable of the fleet, and the kit's own
APICONFORM_TOKEN*, already removed. It imports what an xdist worker needs, then forks in two:

- the worker template (this process) forks, for each request on WORKERS.sock, an xdist worker:
  the request comes from launcher.py, the "python" execnet starts for a worker; the fork takes
  over the launcher's stdin/stdout/stderr (execnet's channel, passed as file descriptors), its
  argv, environment and folder, and runs execnet's bootstrap as `python -u -c LINE` would;
- the run template imports the rest of the engine (one module at a time, between requests)
  and forks, for each request on RUNS.sock (from a worker), one target's run. That fork is a
  keeper: it forks the run itself and reports its exit status, as `subprocess.run` would, and
  kills it past its timeout. The run is `apiconform run` (cli.main with the target's argv) in
  that fresh process; it reads its target's credentials file itself, deletes it, and puts the
  credentials into its own environment only. Its output goes to a file of its own; its last
  line comes back with the exit status, redacted with that target's credentials.

So no process here ever holds another target's credential: the templates and the workers never
read one, and each run process holds its own target's only (it was forked from a process that
held none). Each run has its own pacer, budget, redactor, crash and timeout, as when it was a
process started from scratch. The sockets are in the audit's 0700 temporary folder.

The templates are single-threaded (a fork copies only the calling thread: they refuse to fork
otherwise, and the audit then starts that process the slow way), freeze what they imported
(gc.freeze: never walked again, its pages stay shared with the forks), end when the audit
closes their stdin, and their forks never return into their loops.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import json
import os
import select
import selectors
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

MAX_FDS = 3  # a worker's stdin, stdout and stderr
KEEPER_POLL_SECONDS = 0.01  # how often a keeper looks whether its run ended (or the worker left)
REAP_SECONDS = 0.5  # how often a template collects its ended forks when nothing else wakes it


def supported() -> bool:
    """Whether this platform can fork a pre-imported process and pass descriptors to it."""
    return hasattr(os, "fork") and hasattr(socket, "AF_UNIX") and hasattr(socket, "send_fds")


# -- framing: a 4-byte length, then JSON; file descriptors ride on the first chunk ------------
def send(sock: socket.socket, obj: Any, fds: list[int] | None = None) -> None:
    data = json.dumps(obj).encode("utf-8")
    frame = struct.pack("!I", len(data)) + data
    sent = socket.send_fds(sock, [frame], fds) if fds else sock.send(frame)
    if sent < len(frame):
        sock.sendall(frame[sent:])


def receive(sock: socket.socket) -> tuple[Any, list[int]]:
    """One frame and the descriptors that came with it; (None, []) at EOF."""
    buffer, fds = b"", []
    while len(buffer) < 4 or len(buffer) < 4 + struct.unpack("!I", buffer[:4])[0]:
        chunk, got, _, _ = socket.recv_fds(sock, 65536, MAX_FDS)
        fds += got
        if not chunk:
            for fd in fds:
                os.close(fd)
            return None, []
        buffer += chunk
    return json.loads(buffer[4:4 + struct.unpack("!I", buffer[:4])[0]]), fds


# -- the client side: a worker asks for one target's run ----------------------------------------
class RunLost(Exception):
    """The run's keeper went away without an exit status."""


def request_run(path: str, spec: Mapping[str, Any], scrub: list[str]) -> socket.socket:
    """Ask the template at `path` to fork `spec`'s run; the connection its result comes on.
    Raises OSError when the template cannot be reached (the caller runs it the old way)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(30)
        sock.connect(path)
        send(sock, {"kind": "run", "spec": dict(spec), "scrub": list(scrub)})
        reply, _ = receive(sock)
        if not reply or "keeper" not in reply:
            raise ConnectionError("the template process did not fork the run")
    except BaseException:
        sock.close()
        raise
    sock.settimeout(None)
    return sock


def wait_run(sock: socket.socket) -> dict[str, Any]:
    """The keeper's report: {"exit_code", "tail"} or {"timeout": true}; RunLost without one."""
    with sock:
        try:
            result, _ = receive(sock)
        except (OSError, ValueError) as exc:
            raise RunLost(str(exc)) from exc
    if not isinstance(result, dict):
        raise RunLost("the run's keeper ended without reporting")
    return result


# -- the template process ---------------------------------------------------------------------
# What an xdist worker imports (pytest and its own plugins, execnet, xdist): all of it before
# the first worker is forked.
WORKER_MODULES = ("execnet", "execnet.gateway_base", "pytest", "xdist.plugin", "xdist.remote", "xdist.newhooks",
                  "encodings.unicode_escape", "apiconform.fleet.audit")
# What every run imports after its start (the engine, its checks, probes and reports, what pytest
# and httpx load lazily), so that no run imports it again: one at a time, while no request
# waits. Imports only: none of them holds run state. A run forked before one of them is in
# imports it itself, the same run, only slower.
RUN_MODULES = ("apiconform.plugin", "apiconform.runner", "apiconform.cli", "apiconform.judge",
               "apiconform.breadth", "apiconform.profiles.booga.endpoint_probes",
               "apiconform.profiles.boomerang.endpoint_probes",
               "apiconform.profiles.booga.probes", "apiconform.sorting", "apiconform.profiles.booga.checks",
               "apiconform.profiles.boomerang.checks", "apiconform.checks.plain_schema", "apiconform.report",
               "apiconform.report.console", "apiconform.report.html", "apiconform.report.json_report",
               "apiconform.report.junit", "apiconform.report.markdown", "_pytest._argcomplete", "readline",
               "encodings.idna", "stringprep")
# execnet's bootstrap of a popen worker (`python -c LINE`, then the source on stdin): compiled
# here once rather than in every worker.
_BOOTSTRAP = "import sys;exec(eval(sys.stdin.readline()))"
_gateway_base: tuple[str, types.CodeType] | None = None


def _import(name: str) -> None:
    import importlib

    with contextlib.suppress(ImportError):  # a module renamed since: its users import their own
        importlib.import_module(name)


def _worker_modules() -> None:
    global _gateway_base
    from _pytest.config import default_plugins

    for name in (*WORKER_MODULES, *(f"_pytest.{plugin}" for plugin in default_plugins)):
        _import(name)
    with contextlib.suppress(Exception):
        import inspect

        import execnet.gateway_base

        source = inspect.getsource(execnet.gateway_base)
        _gateway_base = (source, compile(source, "<string>", "exec"))


def _catalogs() -> None:
    from apiconform.catalog import load_catalog

    for profile in ("booga", "boomerang"):  # parsed once, here, for every run
        load_catalog(profile)


def _listen(path: str) -> socket.socket:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(256)  # connections queue while the engine is imported
    return listener


def serve(worker_path: str, run_path: str) -> int:
    """Both templates: this process forks the workers; a fork of it, once the worker modules are
    in, imports the rest of the engine and forks the runs, so neither waits for the other."""
    gc.disable()  # nothing here is garbage: no collection over the imports (see startup.py)
    workers, runs = _listen(worker_path), _listen(run_path)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the runs; this ends with the audit
    _worker_modules()
    gc.freeze()  # the start-up heap: never walked again, its pages stay shared with the forks
    if os.fork() == 0:
        workers.close()
        _set_name("apiconform-rtpl")
        _loop(runs, "run", [*(functools.partial(_import, name) for name in RUN_MODULES), _catalogs])
    runs.close()
    _set_name("apiconform-wtpl")
    _loop(workers, "worker", [])
    return 0


def _loop(listener: socket.socket, kind: str, stages: list[Any]) -> NoReturn:
    """Fork a `kind` process per request on `listener`; import `stages` while none waits."""
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(0, selectors.EVENT_READ)  # the audit's end of our stdin: EOF when it is done
    while True:
        events = selector.select(0 if stages else REAP_SECONDS)
        _reap()
        if not events and stages:
            stages.pop(0)()
            gc.freeze()
            continue
        for key, _ in events:
            if key.fileobj == 0:
                if not os.read(0, 4096):
                    _reap()
                    os._exit(0)  # the audit is done; forks still running carry on without us
                continue
            with contextlib.suppress(OSError):
                _fork_for(listener, selector, kind)


def _reap() -> None:
    """Collect the forks that ended (their CPU time counts as this process's children's)."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _exit_with(body: Callable[[], int]) -> NoReturn:
    """A fork's whole life: `body`'s exit status (70, EX_SOFTWARE, if it raised, with the
    traceback on stderr), output flushed, and never a return into the parent's code."""
    code = 70
    try:
        code = body()
    except BaseException:
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _fork_for(listener: socket.socket, selector: selectors.BaseSelector, kind: str) -> None:
    """Accept one request and fork the process it asks for (or refuse it: the slow way)."""
    conn, _ = listener.accept()
    fds: list[int] = []
    try:
        conn.settimeout(10)  # only the audit's own processes can connect (a 0700 folder)
        message, fds = receive(conn)
        conn.settimeout(None)
        if not isinstance(message, dict) or message.get("kind") != kind:
            return
        if threading.active_count() != 1:  # a fork copies this thread only: refuse
            return
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:  # the child never returns into the loop

            def child() -> int:
                selector.close()
                listener.close()
                _child_signals()
                gc.enable()
                return _worker(conn, message, fds) if message["kind"] == "worker" else _keeper(conn, message)

            _exit_with(child)
    finally:
        conn.close()
        for fd in fds:
            os.close(fd)


def _child_signals() -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _set_name(name: str) -> None:
    """The process's name in ps and /proc/PID/comm (its cmdline stays the template's)."""
    with contextlib.suppress(OSError), open("/proc/self/comm", "w", encoding="ascii") as comm:
        comm.write(name[:15])


def _worker(conn: socket.socket, message: Mapping[str, Any], fds: list[int]) -> int:
    """Become an xdist worker as `python -u -c BOOTSTRAP` started by execnet would be."""
    _set_name("apiconform-wkr")
    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    send(conn, {"pid": os.getpid()})
    # `conn` stays open until this process ends: the launcher waits for exactly that EOF.
    os.chdir(message["cwd"])
    os.environ.clear()
    os.environ.update(message["env"])
    argv = list(message["argv"])
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 (for the process's life)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True,
                                  errors="backslashreplace")
    code = argv[argv.index("-c") + 1]
    sys.argv = ["-c", *argv[argv.index("-c") + 2:]]
    main = types.ModuleType("__main__")
    sys.modules["__main__"] = main
    if code == _BOOTSTRAP and _gateway_base is not None:
        # What the bootstrap line does (the line on stdin is the repr of execnet's source), with
        # execnet's own module source already compiled.
        sent = eval(sys.stdin.readline())
        known, compiled = _gateway_base
        if isinstance(sent, str) and sent.startswith(known):
            exec(compiled, main.__dict__)
            exec(compile(sent[len(known):], "<string>", "exec"), main.__dict__)
        else:
            exec(compile(sent, "<string>", "exec"), main.__dict__)
    else:
        exec(compile(code, "<string>", "exec"), main.__dict__)
    return 0


def _keeper(conn: socket.socket, message: Mapping[str, Any]) -> int:
    """Fork the target's run, wait for it like subprocess.run(timeout=...), report back."""
    _set_name("apiconform-keep")
    # Ctrl-C reaches the run too (one process group): it stops sending, writes its reports and
    # exits, and this reports that as usual.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    spec = message["spec"]
    tail_in, tail_out = os.pipe()  # the run's last line of output, redacted by the run
    send(conn, {"keeper": os.getpid()})
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:

        def run() -> int:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            conn.close()
            os.close(tail_in)
            return _run(spec, message["scrub"], tail_out)

        _exit_with(run)
    os.close(tail_out)
    timeout = float(spec["timeout_seconds"])
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - started > timeout:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            send(conn, {"timeout": True})
            return 0
        readable, _, _ = select.select([conn], [], [], KEEPER_POLL_SECONDS)
        if readable and not conn.recv(1):  # the worker went away: stop the run, as Ctrl-C would
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
            return 0
    tail = b""
    while chunk := os.read(tail_in, 1 << 16):  # the run has ended: its end of the pipe is closed
        tail += chunk
    send(conn, {"exit_code": os.waitstatus_to_exitcode(status), "tail": tail.decode("utf-8", "replace")})
    return 0


def _run(spec: Mapping[str, Any], scrub: list[str], tail_fd: int) -> int:
    """The target's `apiconform run`, in this fresh fork: its credentials, its environment."""
    import tempfile

    from apiconform.cli import main
    from apiconform.fleet.audit import run_env, take_credentials
    from apiconform.redact import Redactor
    from apiconform.startup import pause_collector

    _set_name("apiconform-run")
    log = tempfile.TemporaryFile()  # noqa: SIM115 (the run's stdout and stderr, for this process's life)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    credentials: dict[str, str] = {}
    try:
        credentials = take_credentials(spec["credentials_file"])
    except (OSError, ValueError) as exc:
        print(f"apiconform: could not read this target's credentials from the audit ({type(exc).__name__})",
              file=sys.stderr)
        code = 2
    else:
        env = run_env(credentials, scrub, os.environ)
        os.environ.clear()
        os.environ.update(env)
        argv = list(spec["argv"])
        # As `apiconform run` does for its own process (startup.py): no collection over the
        # suite's import and collection, then what is alive frozen.
        pause_collector()
        try:
            code = main(argv[argv.index("apiconform.cli") + 1:])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()  # as the interpreter would, and exit 1
            code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    log.seek(0)
    lines = [line for line in log.read().decode("utf-8", "replace").splitlines() if line.strip()]
    tail = Redactor(credentials.values()).text(lines[-1].strip())[:2000] if lines else ""
    os.write(tail_fd, tail.encode("utf-8"))
    os.close(tail_fd)
    return int(code)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    return serve(args[0], args[1])


if __name__ == "__main__":
    raise SystemExit(main())
