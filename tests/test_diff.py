"""`apiconform diff`: classification of verdict changes, the three output formats, exit codes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from apiconform.cli import main
from apiconform.report.diff import diff_reports, is_regression, render_markdown, render_text


def report(**verdicts: str) -> dict[str, Any]:
    return {"profile": "boomerang",
            "target": {"base_url": "https://a.example", "mode": "live", "mutant": None},
            "tool": {"name": "apiconform", "version": "0.1.0"}, "seed": 0, "verdict": "pass",
            "started_at": "2030-01-01T00:00:00Z",
            "rules": [{"id": rule_id, "title": f"title of {rule_id}", "verdict": v, "reason": f"reason {v}"}
                      for rule_id, v in verdicts.items()]}


@pytest.mark.parametrize(("old", "new", "regressed"), [
    ("pass", "fail", True), ("pass", "error", True), ("pass", "skip", True), ("pass", "waived", True),
    ("skip", "fail", True), ("waived", "fail", True), ("skip", "error", True), ("waived", "error", True),
    ("fail", "pass", False), ("error", "pass", False), ("skip", "pass", False), ("fail", "error", False),
    ("error", "fail", False), ("fail", "waived", False), ("pass", "pass", False), ("fail", "fail", False),
])
def test_regression_rule(old: str, new: str, regressed: bool) -> None:
    assert is_regression(old, new) is regressed


def test_classification() -> None:
    old = report(A="pass", B="fail", C="fail", D="skip", GONE="pass", SAME="pass")
    new = report(A="fail", B="pass", C="error", D="pass", NEW="fail", SAME="pass")
    new["target"]["base_url"] = "https://b.example"
    d = diff_reports(old, new)
    assert [c.id for c in d.regressed] == ["A"]
    assert [c.id for c in d.fixed] == ["B"]
    assert [c.id for c in d.changed] == ["C", "D"]
    assert [c.id for c in d.appeared] == ["NEW"]
    assert [c.id for c in d.disappeared] == ["GONE"]
    assert d.unchanged == 1 and d.exit_code == 1
    assert d.header == ["target differs: https://a.example -> https://b.example"]
    text = render_text(d)
    assert "target differs" in text.splitlines()[1] and "REGRESSED (1)" in text and "reason fail" in text
    assert "| `A` | pass | fail |" in render_markdown(d)


def write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_cli_exit_codes_and_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = report(A="pass", B="fail")
    worse = copy.deepcopy(base)
    worse["rules"][0]["verdict"] = "fail"
    old, same, bad = write(tmp_path, "old.json", base), write(tmp_path, "same.json", base), \
        write(tmp_path, "new.json", worse)
    assert main(["diff", old, same]) == 0
    assert "no regression" in capsys.readouterr().out
    assert main(["diff", old, bad]) == 1
    assert "REGRESSION" in capsys.readouterr().out
    assert main(["diff", bad, old]) == 0  # a fix is not a regression
    capsys.readouterr()
    assert main(["diff", old, bad, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["regression"] is True and [c["id"] for c in data["regressed"]] == ["A"]
    assert main(["diff", old, bad, "--format", "markdown"]) == 1
    assert capsys.readouterr().out.startswith("## apiconform diff: ❌ regression")


@pytest.mark.parametrize("content", ["{not json", json.dumps({"rules": "nope"}), json.dumps([1, 2]),
                                     json.dumps({"rules": [{"title": "no id"}]})])
def test_unreadable_input_exits_2(tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, "good.json", report(A="pass"))
    broken = write(tmp_path, "broken.json", content)
    assert main(["diff", good, broken]) == 2
    assert main(["diff", str(tmp_path / "missing.json"), good]) == 2
    assert "apiconform: diff:" in capsys.readouterr().err


def test_real_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two real embedded runs: the conformant one against a mutant's."""
    for name, extra in (("ok", []), ("mutant", ["--mutant", "BMR-ERROR-FIELDS"])):
        main(["run", "boomerang", "--report-dir", str(tmp_path / name), "--quiet", *extra])
    capsys.readouterr()
    ok, mutant = str(tmp_path / "ok" / "report.json"), str(tmp_path / "mutant" / "report.json")
    assert main(["diff", ok, ok]) == 0
    assert main(["diff", ok, mutant]) == 1
    out = capsys.readouterr().out
    assert "BMR-ERROR-FIELDS" in out and "mutant differs: None -> BMR-ERROR-FIELDS" in out


def test_a_rule_that_disappeared_is_a_regression_unless_allowed() -> None:
    """A diff against a run narrowed with --rules (or of another profile) lost rules: it no longer
    shows they hold, so it is no "no regression"."""
    old = report(A="pass", B="pass", C="fail")
    narrowed = report(A="pass")
    d = diff_reports(old, narrowed)
    assert [c.id for c in d.disappeared] == ["B", "C"] and d.regressed == []
    assert d.regression and d.exit_code == 1
    text = render_text(d)
    assert "DISAPPEARED (2): a regression (--allow-missing if expected)" in text
    assert text.splitlines()[-1] == "REGRESSION"
    assert render_markdown(d).startswith("## apiconform diff: ❌ regression")
    allowed = diff_reports(old, narrowed, allow_missing=True)
    assert not allowed.regression and allowed.exit_code == 0
    assert "DISAPPEARED (2): allowed by --allow-missing" in render_text(allowed)
    assert render_text(allowed).splitlines()[-1] == "no regression"
    # A rule that appeared is listed, and is no regression.
    grown = diff_reports(narrowed, old)
    assert [c.id for c in grown.appeared] == ["B", "C"] and grown.exit_code == 0


def test_cli_allow_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = write(tmp_path, "old.json", report(A="pass", B="pass"))
    booga = report(**{"BGA-X": "pass"})
    booga["profile"] = "booga"
    other = write(tmp_path, "other.json", booga)
    assert main(["diff", old, other]) == 1  # two profiles' reports: every rule of OLD disappeared
    out = capsys.readouterr().out
    assert "profile differs: boomerang -> booga" in out and "REGRESSION" in out
    assert main(["diff", old, other, "--allow-missing", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["regression"] is False and data["allow_missing"] is True
    assert [c["id"] for c in data["disappeared"]] == ["A", "B"] and [c["id"] for c in data["appeared"]] == ["BGA-X"]
    assert main(["diff", old, other, "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["regression"] is True
