"""SIGINT and SIGTERM during `apiconform run`: stop sending, decide the rest, write every report.

A CI job's timeout sends SIGTERM, a user Ctrl-C (SIGINT). For the duration of a run (and only
from the main thread: signal handlers cannot be installed from another) both are handled alike:

- the first one is noted (`received()`); from then on the Client sends nothing (every request
  is refused before it leaves, see Client._send_once), pacing waits end at once (`sleep`), so
  every rule not yet decided becomes `error` "interrupted by SIGTERM" within moments; the run
  then judges what it recorded and writes every artifact as usual (report.json says
  `interrupted`), and exits 3 (incomplete) unless a rule already failed (1). A request already
  in flight may finish (its total deadline bounds it);
- a second one ends the process at once, without the reports: exit 128 + the signal's number
  (130 for SIGINT, 143 for SIGTERM), the shell's convention.

The previous handlers are restored when the run ends: the kit's own tests call `run()` in-process
many times, and a host process keeps its own handling.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)
# How often an interruptible wait looks whether a signal came (a wait is seconds long; a signal
# handler cannot wake a sleeping main thread without raising into arbitrary code).
SLICE = 0.05

_received: str | None = None  # the name of the first signal of the current run


def received() -> str | None:
    """The name of the signal that interrupted the current run ("SIGTERM"), or None."""
    return _received


def reason() -> str | None:
    """Why nothing more is sent ("interrupted by SIGTERM"), or None while the run goes on."""
    return f"interrupted by {_received}" if _received else None


def sleep(seconds: float) -> None:
    """time.sleep, cut short when the run is interrupted (the caller then sends nothing)."""
    end = time.monotonic() + seconds
    while _received is None:
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, SLICE))


def _handle(signum: int, frame: FrameType | None) -> None:
    global _received
    name = signal.Signals(signum).name
    if _received is not None:
        # A second signal: the user does not want to wait for the reports. Nothing buffered is
        # written (os.write, not print: the main thread may be inside a write to stderr).
        os.write(2, f"apiconform: {name} again: stopped at once, without the reports\n".encode())
        os._exit(128 + signum)
    _received = name  # only a flag: the main thread may be anywhere, even inside the Client


@contextmanager
def handled() -> Iterator[None]:
    """SIGINT and SIGTERM handled as above while the block runs; the previous handlers after.

    From a thread other than the main one nothing is installed (Python allows handlers only
    there): such a run ends the usual way of its host.
    """
    global _received
    _received = None
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[signal.Signals, Any] = {}
    try:
        for signum in SIGNALS:
            previous[signum] = signal.signal(signum, _handle)
        yield
    finally:
        for signum, handler in previous.items():
            # None: a handler not installed from Python; the default is the nearest to it.
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        _received = None
