"""What a write-enabled run does to a target, and that it leaves nothing behind (issue 24).

Every write is in report.json's `writes` (its rule, endpoint, method, path, whose key, answer)
with the clean-up's outcome; what the kit created is deleted with tenant A's key when each rule
ends, and, when a signal stops the run in the middle of a rule, when the run ends: the one
request that still leaves after a signal is that deletion.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from tests.servers.gateway import Gateway
from tests.servers.threaded import serve_in_thread
from tests.test_interrupt import HANG_GUARD, start, wait_for

from apiconform import mocks
from apiconform.profiles.booga.mock import BoogaMock, seed_data
from apiconform.runner import run
from apiconform.session import Options

SEEDED = {f["id"] for f in seed_data()}


def created_left(app: BoogaMock) -> list[str]:
    return [f["id"] for f in app.files if f["id"] not in SEEDED]


def test_every_write_is_reported_and_nothing_is_left_behind() -> None:
    outcome = run("booga", Options(write_reports=False))  # the embedded mock: writes and tenant B on
    writes = outcome.run.extra["writes"]
    methods = {w["method"] for w in writes["sent"]}
    assert methods == {"POST", "PUT", "PATCH", "DELETE"}
    rules = {w["rule"] for w in writes["sent"]}
    assert {"BGA-WRITE-CREATE", "BGA-TENANCY-WRITE", "BGA-AUTH-WRITE", "BGA-TENANCY-CREATE"} <= rules
    assert all(w["endpoint"] == "/api/files/" and w["status"] is not None for w in writes["sent"] if w["rule"])
    keys = {w["key"] for w in writes["sent"]}
    assert {"tenant A", "tenant B", "without credentials", "tenant A (clean-up)"} <= keys
    assert writes["created"] > 0 and writes["left_behind"] == []
    assert writes["cleanup"].startswith("complete")
    # The console and summary.md say it in one line.
    from apiconform.report.console import render_summary

    assert "clean-up complete" in render_summary(outcome.run) and f"writes: {len(writes['sent'])} sent" in \
        render_summary(outcome.run)
    # A write rule is run per writable resource, named by its list; what it judges on the items
    # (PUT, PATCH, DELETE) counts for the resource: its row passes and says where it was judged.
    rows = {r.rule.id: {row["endpoint"]: row for row in r.endpoints} for r in outcome.run.results}
    for rule_id in ("BGA-TENANCY-WRITE", "BGA-WRITE-PUT-IDEMPOTENT", "BGA-WRITE-DELETE"):
        collection, item = rows[rule_id]["/api/files/"], rows[rule_id]["/api/files/{id}/"]
        assert collection["verdict"] == item["verdict"] == "pass", (rule_id, collection)
        assert collection["reason"].startswith("judged on its items (/api/files/{id}/)")
    # Each POST that created something is followed, in the same rule, by its clean-up DELETE.
    made = [w["created"] for w in writes["sent"] if w.get("created")]
    deleted = {w["path"] for w in writes["sent"] if w["method"] == "DELETE" and 200 <= (w["status"] or 0) < 300}
    assert all(any(ident in path for path in deleted) for ident in made), (made, deleted)


def test_a_read_only_run_sends_no_write_and_says_so() -> None:
    app = mocks.create_app("booga")
    with serve_in_thread(Gateway(app, "booga")) as url:
        keys = mocks.credentials("booga")
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("APICONFORM_TOKEN", keys["primary"])
            mp.setenv("APICONFORM_TOKEN_B", keys["b"])
            outcome = run("booga", Options(base_url=url, write_reports=False))
    assert {m for m, _ in outcome.run.methods} <= {"GET", "HEAD", "OPTIONS"}
    assert outcome.run.extra.get("writes", {"sent": []})["sent"] == []
    assert created_left(app) == []


def test_a_signal_in_the_middle_of_a_write_rule_still_deletes_what_it_created(cache: Path, tmp_path: Path) -> None:
    rules = ("--rules", "BGA-WRITE-PUT-IDEMPOTENT", "--allow-writes")
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    # Where the rule's first PUT arrives, from a run that is not interrupted (the run is deterministic).
    probe = Gateway(mocks.create_app("booga"), "booga")
    with serve_in_thread(probe) as url:
        proc, _ = start(url, tmp_path / "first", cache, *rules)
        proc.communicate(timeout=HANG_GUARD)
    assert proc.returncode == 0
    first_put = next(i for i, a in enumerate(probe.arrivals) if a.method == "PUT")

    app = mocks.create_app("booga")
    gateway = Gateway(app, "booga", hold_from=first_put)
    try:
        with serve_in_thread(gateway) as url:
            proc, _ = start(url, tmp_path / "second", cache, *rules)
            wait_for(gateway, first_put + 1, proc)  # the kit waits for its PUT's answer; a file of its own exists
            assert len(created_left(app)) == 1
            proc.send_signal(signal.SIGTERM)
            gateway.release()
            _, err = proc.communicate(timeout=HANG_GUARD)
    finally:
        gateway.release()
    assert proc.returncode == 3, err[-2000:]
    after = [(a.method, a.path) for a in gateway.arrivals[first_put + 1:]]
    assert after and {m for m, _ in after} == {"DELETE"}, after  # nothing but the clean-up left after the signal
    assert created_left(app) == []
    report = json.loads((tmp_path / "second" / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["writes"]["left_behind"] == [] and report["writes"]["cleanup"].startswith("complete")
    assert "clean-up" in {w["key"].split(" (")[-1].rstrip(")") for w in report["writes"]["sent"]}


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


def test_a_write_without_an_answer_is_in_the_ledger_and_the_cleanup_says_where_to_look() -> None:
    # A POST that timed out may still have created something on the target: the kit cannot know
    # its id, so the ledger names the POST and the clean-up line says where to look.
    import httpx

    from apiconform.catalog import find_rule, load_catalog
    from apiconform.client import Client, Credential
    from apiconform.context import Context
    from apiconform.errors import Incomplete, TransportFault
    from apiconform.profiles.booga.writes import ledger, write
    from apiconform.target import load_target

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            raise httpx.ReadTimeout("nothing for 5s", request=request)
        return httpx.Response(204, stream=httpx.ByteStream(b""))

    client = Client("http://127.0.0.1:9", transport=httpx.MockTransport(handler))
    ctx = Context(profile="booga", target=load_target("booga"), client=client, catalog=load_catalog("booga"),
                  seed=0, credentials={"primary": Credential("primary", "bge_" + "a" * 40)})
    ctx.rule = find_rule("BGA-WRITE-CREATE")
    with pytest.raises(TransportFault, match=r"POST .*/api/files/"):
        write(ctx, "POST", "/api/files/", body={"name": "x"}, note="create")
    write(ctx, "DELETE", "/api/files/1", note="delete")
    summary = ledger(ctx).summary()
    posted, deleted = summary["sent"]
    assert posted["status"] is None and "ReadTimeout" in posted["error"] and "created" not in posted
    assert deleted["status"] == 204 and "error" not in deleted
    assert summary["unanswered_posts"] == 1
    assert "1 POST(s) got no answer" in summary["cleanup"] and "/api/files/" in summary["cleanup"]
    # A write refused before it left is not in the ledger: it was never sent.
    client.budget.limit = client.budget.sent
    with pytest.raises(Incomplete):
        write(ctx, "PUT", "/api/files/1", body={"name": "y"}, note="update")
    assert len(ledger(ctx).summary()["sent"]) == 2
