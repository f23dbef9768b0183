"""Read-only by default means read-only: a Boomerang run sends nothing that could change state.

The page says "Only HTTP GET is supported" and "Requests that use unsupported methods (such as
POST, PUT, DELETE) are rejected". A target that breaks that rule would act on a DELETE, so a
default run (a vendor audit against production) shows rejection with methods no server acts on
(OPTIONS, PROPFIND) and sends POST, PUT and DELETE only with --allow-writes (DESIGN.md), saying so
in a note. A server-side recorder, not the kit's own account, says what arrived.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from tests.servers.threaded import serve_in_thread

from apiconform import mocks
from apiconform.profiles.boomerang.probes import METHODS_READ_ONLY
from apiconform.runner import run
from apiconform.session import Options

WRITING = {"POST", "PUT", "PATCH", "DELETE"}


class Recorder:
    """ASGI middleware: every method that reached the server, by path."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: Counter[tuple[str, str]] = Counter()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.seen[(scope["method"], scope["path"])] += 1
        await self.app(scope, receive, send)

    @property
    def methods(self) -> set[str]:
        return {method for method, _ in self.seen}


def kit(url: str, monkeypatch: pytest.MonkeyPatch, **options: Any) -> Any:
    monkeypatch.setenv("APICONFORM_TOKEN", mocks.credentials("boomerang")["primary"])
    monkeypatch.delenv("APICONFORM_TOKEN_B", raising=False)
    return run("boomerang", Options(base_url=url, write_reports=False, **options))


class AcceptsWrites:
    """A target that breaks the rule only for the writing methods: it answers them like a GET
    (and would act on them), while it rejects OPTIONS and the other safe ones."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] in WRITING:
            scope = {**scope, "method": "GET"}
        await self.app(scope, receive, send)


def method_rule(outcome: Any) -> Any:
    return next(r for r in outcome.run.results if r.rule.id == "BMR-METHOD-GET-ONLY")


@pytest.mark.parametrize("mutant", [None, "BMR-METHOD-GET-ONLY"], ids=["conformant", "accepts-every-method"])
def test_a_default_run_sends_no_writing_method(mutant: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder(mocks.create_app("boomerang", mutant, enforce_https=False))
    with serve_in_thread(recorder) as url:
        outcome = kit(url, monkeypatch)
    assert recorder.seen, "the server saw nothing"
    assert not recorder.methods & WRITING, sorted(recorder.seen)
    assert "OPTIONS" in recorder.methods
    # A target that serves every method still fails the rule, shown with the safe methods alone.
    assert method_rule(outcome).verdict == ("fail" if mutant else "pass"), method_rule(outcome).reason
    if mutant is None:
        # Per endpoint the rule sends the first two of the safe methods (probes.METHODS_READ_ONLY).
        assert set(METHODS_READ_ONLY[:2]) <= recorder.methods
        # A pass read-only is a pass on the safe methods only: the report says which were sent and
        # that the writing ones the clause names were not (issue 23).
        notes = method_rule(outcome).notes
        said = [note for note in notes if note.startswith("sent ")]
        assert said, notes
        assert "OPTIONS, PROPFIND" in said[0] and "(POST, PUT, DELETE) were not sent" in said[0], said
        assert "--allow-writes" in said[0], said


def test_with_writes_allowed_the_method_rule_has_no_read_only_note(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder(mocks.create_app("boomerang", enforce_https=False))
    with serve_in_thread(recorder) as url:
        outcome = kit(url, monkeypatch, allow_writes=True, rules=["BMR-METHOD-GET-ONLY"])
    assert method_rule(outcome).verdict == "pass"
    assert not [note for note in method_rule(outcome).notes if "were not sent" in note], method_rule(outcome).notes


def test_writes_allowed_sends_them(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder(mocks.create_app("boomerang", enforce_https=False))
    with serve_in_thread(recorder) as url:
        outcome = kit(url, monkeypatch, allow_writes=True)
    # The writing methods the clause names ("such as POST, PUT, DELETE").
    assert recorder.methods >= {"POST", "PUT", "DELETE"}, sorted(recorder.seen)
    assert method_rule(outcome).verdict == "pass"


def test_the_method_rule_fails_a_target_that_accepts_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    app = AcceptsWrites(mocks.create_app("boomerang", enforce_https=False))
    with serve_in_thread(app) as url:
        allowed = kit(url, monkeypatch, allow_writes=True)
        default = kit(url, monkeypatch)
    assert method_rule(allowed).verdict == "fail"
    assert any(m in method_rule(allowed).reason for m in WRITING), method_rule(allowed).reason
    # Read-only, the kit never sends what this target would act on: the rule cannot see it.
    assert method_rule(default).verdict == "pass"
    assert not {m for m, _ in default.run.methods} & WRITING
