"""What a command-line run does to start fast, for its own process only.

The garbage collector: paused over the imports, then the start-up heap frozen.

Importing pytest, hypothesis and httpx allocates a few hundred thousand objects, nearly none of
them garbage. CPython's collector walks them all again and again while they load (about 200
young and 2 full collections, ~30 ms), then hypothesis's `register_random` forces a full
collection over the whole heap (~20 ms), and so does the interpreter at exit. So a command-line
run pauses the collector while it imports and collects the suite, then moves everything alive
into the permanent generation (`gc.freeze()`, the standard library's tool for exactly this):
every later collection, forced or not, walks only what the rules allocate.

The rules then allocate much that stays alive (every exchange is kept for the judgement and the
reports), and CPython's default of a young collection every 700 allocations promotes it fast:
over the large test deployment's 8,300 exchanges that made ~1,300 young and ten full
collections, ~1 s of walking live objects to free next to nothing. The run's own process
collects young objects every RULES_YOUNG_THRESHOLD allocations instead: ~200 young and two full
collections, ~0.45 s. Nothing is left uncollected, cyclic garbage only waits a little longer.

httpx's command-line client: httpx imports it at import time when its optional `cli` extra
(click, rich, pygments) is installed, as it is here through schemathesis, and falls back to a
stub `httpx.main` when that import fails. That is ~40 ms of rich and click for a client that no
run uses, so a run makes the import fail (`sys.modules[name] = None` is the import system's own
"not importable" marker) before the kit first imports httpx.

Only the `run` command does this, and only as the command line of its own process (`cli.main()`
reading sys.argv): a host that calls `cli.main(argv)` or `apiconform.runner.run` in-process (the
kit's tests, the bench, an IDE) keeps its collector and its httpx as they were, so repeated runs
in one process never pile up frozen objects.
"""

from __future__ import annotations

import gc
import sys

_paused = False
# Allocations between young collections while the rules run (CPython's default: 700).
RULES_YOUNG_THRESHOLD = 10_000


def begin_cli_run() -> None:
    """The `run` command's first act, before it imports the engine."""
    if "httpx" not in sys.modules:
        sys.modules["httpx._main"] = None  # type: ignore[assignment]
    pause_collector()


def pause_collector() -> None:
    """Stop automatic collections until `resume_collector`."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_collector() -> None:
    """Freeze what start-up left alive and collect again (a no-op unless `pause_collector` ran)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.set_threshold(RULES_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        gc.enable()
