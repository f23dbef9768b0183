"""The command line: the report-related options and subcommands, and that existing ones remain."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiconform.cli import build_parser, main


def test_run_help_lists_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for option in ("--base-url", "--target", "--report-dir", "--seed", "--max-requests", "--allow-writes",
                   "--exhaust-rate-limit", "--waivers"):
        assert option in out


def test_subcommands() -> None:
    parser = build_parser()
    for argv in (["run", "boomerang"], ["serve", "booga"], ["rules"], ["mutants"],
                 ["diff", "a.json", "b.json"]):
        assert parser.parse_args(argv).command == argv[0]


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["diff", "only-one.json"], ["diff", "a", "b", "--format", "xml"], ["run", "nosuchprofile"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
    capsys.readouterr()


def test_run_writes_four_artifacts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "boomerang", "--report-dir", str(tmp_path), "--quiet", "--rules", "BMR-GZIP"])
    assert code == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["junit.xml", "report.html", "report.json", "summary.md"]
    assert "summary.md" in capsys.readouterr().out


def test_missing_waivers_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "none.toml")
    assert main(["run", "boomerang", "--waivers", missing, "--no-reports", "--quiet"]) == 2
    assert "does not exist" in capsys.readouterr().err
