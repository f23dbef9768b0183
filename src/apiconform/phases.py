"""Where a run's time goes: wall and CPU seconds per phase, recorded in report.json `phases`.

Sequential phases follow the run: `start-up` (imports and pytest set-up, from the command's
start), `collection`, `rules` (the tests, less what is counted apart), `judging` (the whole-run
judgement) and `reports`. `requests` (time inside the client's sends) and `generation` (the
sweep's plan) are measured where they happen and taken out of the phase they fall in, so the
phases add up to the run. bench/run.py prints them.
"""

from __future__ import annotations

import time

# Set by `apiconform run` as the command line of its process: its start-up counts from there.
CLI_STARTED: float | None = None


class Phases:
    def __init__(self, started: float | None = None, cpu_started: float | None = None) -> None:
        self.totals: dict[str, list[float]] = {}
        self._name: str | None = "start-up"
        self._wall = time.perf_counter() if started is None else started
        self._cpu = time.process_time() if cpu_started is None else cpu_started
        self._nested = [0.0, 0.0]  # nested time inside the open phase, taken out of it

    def _add(self, name: str, wall: float, cpu: float) -> None:
        total = self.totals.setdefault(name, [0.0, 0.0])
        total[0] += max(0.0, wall)
        total[1] += max(0.0, cpu)

    def mark(self, name: str | None) -> None:
        """Close the open phase and open `name` (None: just close)."""
        wall, cpu = time.perf_counter(), time.process_time()
        if self._name is not None:
            self._add(self._name, wall - self._wall - self._nested[0], cpu - self._cpu - self._nested[1])
        self._name, self._wall, self._cpu, self._nested = name, wall, cpu, [0.0, 0.0]

    def nested(self, name: str) -> _Nested:
        """Time a block as `name`, taken out of the open phase (a class, not a generator: it
        wraps every request)."""
        return _Nested(self, name)

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {name: {"wall_s": round(w, 4), "cpu_s": round(c, 4)} for name, (w, c) in self.totals.items()}


class _Nested:
    __slots__ = ("_cpu", "_name", "_phases", "_wall")

    def __init__(self, phases: Phases, name: str) -> None:
        self._phases, self._name = phases, name
        self._wall = self._cpu = 0.0

    def __enter__(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *exc: object) -> None:
        dw, dc = time.perf_counter() - self._wall, time.process_time() - self._cpu
        self._phases._add(self._name, dw, dc)
        self._phases._nested[0] += dw
        self._phases._nested[1] += dc


_CURRENT = Phases()


def begin_run() -> Phases:
    """A fresh record for the run about to start (a CLI run counts from the command's start)."""
    global _CURRENT, CLI_STARTED
    _CURRENT = Phases(started=CLI_STARTED, cpu_started=0.0 if CLI_STARTED is not None else None)
    CLI_STARTED = None  # only the first run of a command started with it
    return _CURRENT


def current() -> Phases:
    return _CURRENT
