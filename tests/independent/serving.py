"""Start an independent server in a subprocess on a free loopback port, and stop it again.

A server module is run as `python -m MODULE --port 0 [ARGS...]` and must print one line
`listening on http://127.0.0.1:PORT` on stdout once it accepts connections. A subprocess
keeps each framework's process-wide state (Django settings, say) out of the test process
and makes the server as separate from the kit as a real deployment.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READY = "listening on "
START_TIMEOUT = 30.0


@contextmanager
def served(module: str, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `python -m module --port 0 *args`; yields the base URL, stops the server on exit."""
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--port", "0", *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        line = ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith(READY):
                yield line[len(READY):].strip()
                return
        err = proc.stderr.read() if proc.stderr and proc.poll() is not None else ""
        raise RuntimeError(f"{module} did not start: {line!r} {err[-2000:]}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
