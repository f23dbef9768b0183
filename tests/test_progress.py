"""A long run says now and then how much is left and how long it takes at the current rate
(issue 25: a run of hundreds of endpoints gave no idea of its end)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from apiconform.plugin import ETA_EVERY, remaining_line


def state(done: int, total: int, elapsed: float, since_last: float) -> SimpleNamespace:
    now = time.monotonic()
    return SimpleNamespace(done_items=done, total_items=total, started=now - elapsed, last_eta=now - since_last,
                           profiles={})


def test_a_long_run_says_what_is_left(capsys: pytest.CaptureFixture[str]) -> None:
    # 100 of 400 items in 200 s: 300 left at 2 s each is about 10 minutes.
    remaining_line(state(100, 400, 200.0, ETA_EVERY + 1))  # type: ignore[arg-type]
    err = capsys.readouterr().err
    assert "300 of 400 rule-and-endpoint tests left, about 10 min at the current rate" in err, err


@pytest.mark.parametrize(("done", "elapsed", "since_last"), [(10, 5.0, 99.0), (10, 99.0, 1.0), (400, 99.0, 99.0)])
def test_a_short_run_or_a_recent_line_says_nothing(capsys: pytest.CaptureFixture[str], done: int, elapsed: float,
                                                   since_last: float) -> None:
    remaining_line(state(done, 400, elapsed, since_last))  # type: ignore[arg-type]
    assert capsys.readouterr().err == ""
