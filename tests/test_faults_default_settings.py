"""Hostile targets with the kit's default settings, in real time: the bounds a CI gate relies on.

tests/test_faults.py runs every misbehaviour with short configured deadlines; here one case per
kind runs exactly as a user would start it (no target file, no virtual clock), so the defaults
themselves are what is proven: each run ends within 30 s (a 429 storm within 60 s), with exit 1
or 3, report.json and junit.xml, one-line reasons and no credential in any artifact.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.servers import behaviours as b
from tests.servers.raw import Behaviour, RawServer
from tests.servers.runs import artifact_texts, assert_readable_verdicts, read_report

from apiconform.runner import run
from apiconform.session import Options

TOKEN = "live-token-7c3e91a0d2"
STORM = b.status(429, b'{"detail": "slow down", "code": "throttled"}',
                 [("Retry-After", "1"), ("X-RateLimit-Remaining-Minute", "0")])

# name -> (profile, behaviour, wall-time bound, a phrase some reason must contain)
CASES: dict[str, tuple[str, Behaviour, float, str]] = {
    "hang": ("boomerang", b.hang, 30, "consecutive faults"),
    "reset": ("boomerang", b.reset, 30, "consecutive faults"),
    "drip-a-byte-a-second": ("boomerang", b.drip(1.0), 30, "total deadline"),
    "200-mib-body": ("boomerang", b.enormous_body, 30, "size cap"),
    "endless-body": ("booga", b.huge_unannounced, 30, "size cap"),
    "5xx-to-everything": ("booga", b.status(503), 30, "503"),
    "429-storm-boomerang": ("boomerang", STORM, 60, "throttling"),
    "429-storm-booga": ("booga", STORM, 60, "throttling"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_target_ends_in_bounded_time_with_defaults(case: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    profile, behaviour, bound, phrase = CASES[case]
    monkeypatch.setenv("APICONFORM_TOKEN", TOKEN)
    started = time.monotonic()
    with RawServer(behaviour) as server:
        outcome = run(profile, Options(base_url=server.url, report_dir=str(tmp_path)))
    elapsed = time.monotonic() - started
    assert outcome.exit_code in (1, 3), (outcome.exit_code, outcome.message)
    assert elapsed < bound, f"{case} took {elapsed:.1f}s"
    report = read_report(tmp_path)
    assert_readable_verdicts(report)
    assert (tmp_path / "junit.xml").is_file()
    reasons = [r["reason"] for r in report["rules"]]
    assert any(phrase in reason for reason in reasons), reasons
    texts = artifact_texts(tmp_path)
    assert not [name for name, text in texts.items() if TOKEN in text]
