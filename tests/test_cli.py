"""The command line: the report-related options and subcommands, and that existing ones remain."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from apiconform import cli
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


# -- no abbreviations, and a suggestion for an unknown option (issues 23 and 26) ---------------

def refused_with(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """argparse's refusal: exit 2, exactly one line on stderr, which is returned."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


@pytest.mark.parametrize(("argv", "typed", "meant"), [
    (["run", "booga", "--allow-write"], "--allow-write", "--allow-writes"),
    (["run", "booga", "--base-ur", "https://api.example.test"], "--base-ur", "--base-url"),
    (["run", "booga", "--base-ur=https://api.example.test"], "--base-ur", "--base-url"),
    (["run", "booga", "--exhaust-rate"], "--exhaust-rate", "--exhaust-rate-limit"),
    (["run", "booga", "--allow-insecure"], "--allow-insecure", "--allow-insecure-http"),
    (["run", "--max-request", "5", "booga"], "--max-request", "--max-requests"),
    (["audit", "fleet.toml", "--worker", "2"], "--worker", "--workers"),
    (["merge", "r.json", "--report-d", "out"], "--report-d", "--report-dir"),
    (["merge", "r.json", "--report-dir", "out", "--expec", "a"], "--expec", "--expect"),
    (["serve", "booga", "--prt", "9"], "--prt", "--port"),
    (["diff", "a.json", "b.json", "--allow-miss"], "--allow-miss", "--allow-missing"),
])
def test_an_abbreviated_or_misspelt_option_is_refused_with_the_closest(
        argv: list[str], typed: str, meant: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A typo in a CI file must not flip a safety switch: argparse read `--allow-write` as --allow-writes."""
    command = argv[0]
    line = refused_with(argv, capsys)
    assert line == (f"apiconform {command}: error: unrecognized option {typed} (did you mean {meant}?); "
                    f"see apiconform {command} --help")


def test_every_parser_refuses_abbreviations() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert parser.allow_abbrev is False
    assert all(sub.allow_abbrev is False for sub in subparsers.choices.values())


def test_an_unknown_option_without_a_close_one_points_at_the_commands_help(
        capsys: pytest.CaptureFixture[str]) -> None:
    line = refused_with(["run", "booga", "--zzzzzz"], capsys)
    assert line == "apiconform run: error: unrecognized option --zzzzzz; see apiconform run --help"
    line = refused_with(["--vers"], capsys)
    assert line == "apiconform: error: unrecognized option --vers (did you mean --version?); see apiconform --help"


def test_a_stray_argument_points_at_the_commands_help(capsys: pytest.CaptureFixture[str]) -> None:
    line = refused_with(["run", "booga", "extra"], capsys)
    assert line == "apiconform run: error: unexpected argument 'extra'; see apiconform run --help"


def test_negative_numbers_are_values_not_options(capsys: pytest.CaptureFixture[str]) -> None:
    line = refused_with(["run", "booga", "--seed", "-1"], capsys)
    assert line.startswith("apiconform run: error: argument --seed: -1 is out of range")


def test_plain_pytest_refuses_abbreviations_too(tmp_path: Path) -> None:
    """pytest's own parser (allow_abbrev=False since pytest 8): checked, as the kit depends on it."""
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-m", "pytest", str(root / "suites" / "booga"), "-p", "no:cacheprovider",
                           "-q", "--no-reports", "--collect-only", "--allow-write"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "unrecognized arguments: --allow-write" in proc.stderr


# -- --help says what a CI author needs (issue 26) ---------------------------------------------

def help_of(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


def test_run_help_names_the_environment_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    out = help_of("run", capsys)
    assert "APICONFORM_TOKEN " in out and "APICONFORM_TOKEN_B " in out and "APICONFORM_CACHE_DIR" in out
    for code, meaning in (("0", "every applicable rule passed"), ("1", "at least one rule failed"),
                          ("2", "usage or configuration error"), ("3", "incomplete")):
        assert re.search(rf"^  {code} +{re.escape(meaning)}", out, re.MULTILINE), (code, out)


def test_run_help_states_the_default_budget(capsys: pytest.CaptureFixture[str]) -> None:
    from apiconform.target import DEFAULT_MAX_REQUESTS, MAX_SIZED_REQUESTS

    assert DEFAULT_MAX_REQUESTS == cli.DEFAULT_MAX_REQUESTS  # the CLI's copy (not imported: a quick --help)
    out = " ".join(help_of("run", capsys).split())  # argparse wraps the help texts
    assert (f"--max-requests N request budget for the whole run (default: the target file's max_requests, else "
            f"sized for the endpoints found: {DEFAULT_MAX_REQUESTS} at least, {MAX_SIZED_REQUESTS} at most)") in out


@pytest.mark.parametrize("command", ["run", "audit", "merge", "serve", "rules", "mutants", "diff"])
def test_every_option_states_its_default(command: str) -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub = subparsers.choices[command]
    for action in sub._actions:
        if isinstance(action, argparse._HelpAction) or (not action.option_strings and action.nargs != "?"):
            continue  # -h, and a positional that must be given
        if action.required:
            assert "(required)" in (action.help or ""), action.dest
            continue
        assert "default:" in (action.help or ""), f"{command} {'/'.join(action.option_strings) or action.dest}"
        if action.default not in (None, False):
            assert f"default: {action.default}" in (action.help or ""), action.dest


@pytest.mark.parametrize(("command", "codes"), [("audit", "0123"), ("merge", "0123"), ("serve", "02"),
                                                ("diff", "012")])
def test_the_other_commands_help_names_their_exit_codes(command: str, codes: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = help_of(command, capsys)
    assert "exit status:" in out
    for code in codes:
        assert re.search(rf"^  {code}  ", out, re.MULTILINE), (command, code, out)
