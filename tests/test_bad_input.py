"""Bad input from the user is refused before anything is sent: exit 2 and one line on stderr
naming the flag (issue 9). Target-file keys: test_bad_input_target.py."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apiconform.cli import main
from apiconform.locations import suites_dir
from apiconform.runner import run
from apiconform.session import Options

ROOT = Path(__file__).resolve().parent.parent


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the CLI; it must exit 2 with exactly one line on stderr, which is returned."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code  # type: ignore[assignment]
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Blocks and records every outgoing connection: a refused run must not send anything."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("network use blocked by the test")

    for name in ("create_connection", "getaddrinfo"):
        monkeypatch.setattr(socket, name, refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("APICONFORM_TOKEN", "bad-input-test-token")
    yield attempts
    assert attempts == [], "a refused run sent something"


LIVE = ["--base-url", "https://api.example.test", "--quiet"]


# -- --base-url (issue 23) --------------------------------------------------------------------

# Each malformed base URL of issue 23, and the problem its one line names. In a test of its own
# process, `{port}` is the `listener`'s: a run that sent anything would be seen there.
MALFORMED = [
    ("http://127.0.0.1:{port} ", "contains white space at the end"),
    ("http://127.0.0.1:99999", "the port 99999 is out of range (1-65535)"),
    ("http://127.0.0.1:abc", "the port 'abc' is not a number"),
    ("http://[::1", "unbalanced brackets: '[' without ']' around the IPv6 address"),
    ("http://127.0.0.1:{port}/ gateway", "contains white space in the path (write a space there as %20)"),
]


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening socket on a free loopback port: whatever connects to it is seen by `accepted`."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def accepted(sock: socket.socket) -> bool:
    try:
        sock.accept()[0].close()
    except BlockingIOError:
        return False
    return True


@pytest.mark.parametrize(("url", "problem"), MALFORMED)
def test_a_malformed_base_url_is_one_line_and_nothing_is_sent(
        url: str, problem: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, no_network: list[Any]) -> None:
    """Before: an INTERNALERROR traceback (port), an unhandled ValueError and exit 1 (bracket),
    requests to `/ gateway/api/...` (a space in the path)."""
    url = url.format(port=8000)
    line = refused(["run", "booga", "--base-url", url, "--report-dir", str(tmp_path / "r"), "--quiet"], capsys)
    assert line == f"apiconform: --base-url {url!r}: {problem}"
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(("url", "problem"), [
    ("http://::1:8000", "an IPv6 address must be in brackets, as in http://[::1]:8000"),
    ("http://[::1]]:8000", "unexpected ']:8000' after the IPv6 address [::1]"),
    ("http://[nothex]:8000", "[nothex] is not an IPv6 address"),
    ("http://127.0.0.1:0", "the port 0 is out of range (1-65535)"),
    ("http://127.0.0.1:\u0668\u0660", "the port '\u0668\u0660' is not a number"),
    ("http://:8000/", "names no host"),
    ("http://127.0.0.1\t/api", "contains white space"),
    ("http://127.0.0.1:8000/api\n", "contains white space at the end"),
    ("http://127.0.0.1/a\x07", "contains a control character (U+0007)"),
    ("http://127.0.0.1/\u200bapi", "contains an invisible character (U+200B)"),
    ("http://127.0.0.1/api?x=1", "must not carry a query (?...) or a fragment (#...)"),
    ("http://local<host>/", "the host 'local<host>' contains '<'"),
    ("127.0.0.1:8000", "is not an http:// or https:// URL"),
    ("ftp://127.0.0.1/", "is not an http:// or https:// URL"),
])
def test_every_other_malformed_base_url_is_named(url: str, problem: str, capsys: pytest.CaptureFixture[str],
                                                 no_network: list[Any]) -> None:
    line = refused(["run", "boomerang", "--base-url", url, "--no-reports", "--quiet"], capsys)
    assert line == f"apiconform: --base-url {url!r}: {problem}"


def test_a_password_in_the_base_url_is_refused_and_not_echoed(capsys: pytest.CaptureFixture[str],
                                                               no_network: list[Any]) -> None:
    line = refused(["run", "booga", "--base-url", "https://me:hunter2@api.example.test/", "--no-reports"], capsys)
    assert line == ("apiconform: --base-url 'https://***@api.example.test/': carries a user name or password "
                    "(user:password@): credentials come from the environment only")


def test_an_empty_base_url_is_not_read_as_the_embedded_mock(capsys: pytest.CaptureFixture[str]) -> None:
    """`--base-url "$BASE_URL"` with the variable unset in CI: not a quiet pass against the kit's own mock."""
    line = refused(["run", "boomerang", "--base-url", "", "--no-reports", "--quiet"], capsys)
    assert line == "apiconform: --base-url '': is empty (leave --base-url out to run against the embedded mock)"


@pytest.mark.parametrize(("given", "used"), [
    ("https://api.example.test/", "https://api.example.test"),
    ("HTTPS://api.example.test/gw/v1/", "https://api.example.test/gw/v1"),
    ("https://api.example.test:8443/a%20b", "https://api.example.test:8443/a%20b"),
    ("http://[::1]:8000/", "http://[::1]:8000"),
    ("http://localhost:/api", "http://localhost:/api"),
    ("https://b\u00fccher.example/", "https://b\u00fccher.example"),
])
def test_well_formed_base_urls_are_taken_as_given(given: str, used: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from apiconform.session import resolve_target

    monkeypatch.setenv("APICONFORM_TOKEN", "well-formed-test-token")
    target, _, embedded = resolve_target("boomerang", Options(base_url=given, write_reports=False))
    assert (target.base_url, embedded) == (used, False)


@pytest.mark.parametrize(("url", "problem"), MALFORMED)
def test_plain_pytest_refuses_a_malformed_base_url_in_one_line(url: str, problem: str, listener: socket.socket,
                                                               tmp_path: Path) -> None:
    """pytest-base-url's --base-url: a usage error (exit 4) in one line, no INTERNALERROR, nothing sent."""
    url = url.format(port=listener.getsockname()[1])
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(suites_dir("boomerang")), "-p", "no:cacheprovider", "-q",
         "--no-reports", "--base-url", url], cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "APICONFORM_TOKEN": "plain-pytest-token"})
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines() == [f"ERROR: --base-url {url!r}: {problem}"]
    assert "INTERNALERROR" not in proc.stdout + proc.stderr and " passed" not in proc.stdout
    # Nor a traceback per module, as a usage error raised while collecting would give.
    assert "ERROR collecting" not in proc.stdout and "Traceback" not in proc.stdout, proc.stdout[-3000:]
    assert not accepted(listener)


def test_the_command_sends_nothing_to_a_malformed_base_url(listener: socket.socket, tmp_path: Path) -> None:
    """The installed command in a process of its own, against a port that listens."""
    port = listener.getsockname()[1]
    for url in (f"http://127.0.0.1:{port} ", f"http://127.0.0.1:{port}/ gateway"):
        proc = subprocess.run([sys.executable, "-m", "apiconform.cli", "run", "booga", "--base-url", url,
                               "--no-reports"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "APICONFORM_TOKEN": "command-test-token"})
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "white space" in proc.stderr, proc.stderr
    assert not accepted(listener)


def test_a_target_files_malformed_base_url_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       no_network: list[Any]) -> None:
    file = tmp_path / "t.toml"
    file.write_text('[target]\nbase_url = "http://127.0.0.1:99999"\n')
    line = refused(["run", "booga", "--target", str(file), "--no-reports", "--quiet"], capsys)
    assert line == (f'apiconform: target file {file}: target.base_url: "http://127.0.0.1:99999": '
                    "the port 99999 is out of range (1-65535)")


@pytest.mark.parametrize(("url", "problem"), MALFORMED)
def test_a_fleet_files_malformed_base_url_is_one_line(url: str, problem: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str], no_network: list[Any],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    url = url.format(port=8000)
    monkeypatch.setenv("FLEET_A_KEY", "fleet-a-key-0123456789")
    file = tmp_path / "fleet.toml"
    file.write_text(f'[[target]]\nname = "a"\nprofile = "booga"\nbase_url = {json.dumps(url)}\n'
                    'token_env = "FLEET_A_KEY"\n')
    line = refused(["audit", str(file), "--report-dir", str(tmp_path / "out")], capsys)
    assert line == f"apiconform: fleet file {file}: target[1] (a).base_url: {json.dumps(url)}: {problem}"
    assert not (tmp_path / "out").exists()


# -- --report-dir ----------------------------------------------------------------------------

def test_report_dir_that_is_a_file_is_refused_first(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    no_network: list[Any]) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("in the way")
    line = refused(["run", "booga", *LIVE, "--report-dir", str(blocker)], capsys)
    assert "--report-dir" in line and "is a file" in line


def test_report_dir_below_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            no_network: list[Any]) -> None:
    (tmp_path / "f").write_text("")
    line = refused(["run", "boomerang", *LIVE, "--report-dir", str(tmp_path / "f" / "sub")], capsys)
    assert "--report-dir" in line and "is a file" in line


def test_default_report_folder_is_checked_too(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch, no_network: list[Any]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports").write_text("")
    line = refused(["run", "booga", *LIVE], capsys)
    assert "default report folder reports/" in line


def test_report_dir_is_created_before_the_run(tmp_path: Path) -> None:
    """The embedded run: the folder exists (and was writable) before pytest ever ran."""
    folder = tmp_path / "a" / "b"
    outcome = run("boomerang", Options(report_dir=str(folder), rules=["BMR-GZIP"]))
    assert outcome.exit_code == 0 and (folder / "report.json").is_file()
    assert not list(folder.glob(".apiconform-write-check-*"))  # the probe file is gone


@pytest.fixture
def read_only_dir() -> Iterator[Path]:
    # Outside pytest's tmp_path (mode 0700), so that an unprivileged user can reach it.
    parent = Path(tempfile.mkdtemp(prefix="apiconform-ro-"))
    parent.chmod(0o755)
    folder = parent / "ro"
    folder.mkdir(mode=0o555)
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)
    shutil.rmtree(parent)


def test_read_only_report_dir_is_refused(read_only_dir: Path) -> None:
    """A real read-only folder: as root (which may write anywhere) the CLI runs as nobody."""
    prefix: list[str] = []
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # setpriv, not subprocess's user=: the interpreter may live below root's own 0700 home.
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: a read-only folder is writable")
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        # The kit is installed editable from this checkout: a checkout below a 0700 folder (mktemp -d)
        # cannot be read by nobody, so the unprivileged run could not even start.
        probe = subprocess.run([*prefix, sys.executable, "-c", "import apiconform.cli"],
                               cwd=read_only_dir.parent, capture_output=True, timeout=60)
        if probe.returncode != 0:
            pytest.skip("running as root in a checkout an unprivileged user cannot read")
    proc = subprocess.run(
        [*prefix, sys.executable, "-m", "apiconform.cli", "run", "boomerang", "--quiet",
         "--report-dir", str(read_only_dir)],
        cwd=read_only_dir.parent, capture_output=True, text=True, timeout=120,
        env={**os.environ, "HOME": str(read_only_dir.parent)},
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"apiconform: --report-dir {read_only_dir}: cannot be written (Permission denied)"]
    assert list(read_only_dir.iterdir()) == []


def test_plain_pytest_refuses_an_unwritable_report_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(suites_dir("booga")), "-p", "no:cacheprovider", "-q",
         "--report-dir", str(blocker)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout + proc.stderr
    assert f"--report-dir {blocker}: is a file, not a folder" in proc.stderr
    assert " passed" not in proc.stdout and " failed" not in proc.stdout


# -- --rules ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("given", "suggested"), [("bga-list-limit", "BGA-LIST-LIMIT"),
                                                  ("BGA-LIST-LIMT", "BGA-LIST-LIMIT"),
                                                  ("bmr-gzip", "BMR-GZIP")])
def test_unknown_rule_id_is_refused_with_the_closest(given: str, suggested: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    profile = "booga" if suggested.startswith("BGA") else "boomerang"
    line = refused(["run", profile, "--no-reports", "--quiet", "--rules", f"{given}"], capsys)
    assert line == f"apiconform: --rules: unknown rule id {given!r} (did you mean {suggested}?)"


def test_nothing_like_a_rule_id_points_to_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    line = refused(["run", "booga", "--no-reports", "--rules", "zzzz"], capsys)
    assert "unknown rule id 'zzzz'" in line and "apiconform rules" in line


def test_rule_ids_of_another_profile_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    line = refused(["run", "booga", "--report-dir", str(tmp_path / "r"), "--rules", "BGA-LIST-LIMIT,BMR-GZIP"],
                   capsys)
    assert line == "apiconform: --rules: BMR-GZIP is not a rule of booga (see `apiconform rules booga`)"
    assert not (tmp_path / "r").exists()  # refused before the report folder was made


@pytest.mark.parametrize("given", ["", " , ", ","])
def test_an_empty_rules_list_is_refused_not_read_as_every_rule(given: str, capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    """An empty `$RULES` in CI (`--rules "$RULES"`) must not quietly run everything."""
    line = refused(["run", "booga", "--report-dir", str(tmp_path / "r"), "--rules", given], capsys)
    assert line == f"apiconform: --rules: no rule id in {given!r} (leave --rules out to run every rule)"
    assert not (tmp_path / "r").exists()


def test_an_empty_rule_id_is_refused_through_options() -> None:
    outcome = run("boomerang", Options(rules=[""], write_reports=False))
    assert outcome.exit_code == 2 and outcome.message.startswith("--rules: an empty rule id")


# -- --mutant --------------------------------------------------------------------------------

@pytest.mark.parametrize(("given", "hint"), [("NOPE", ""), ("bga-list-limit", "did you mean BGA-LIST-LIMIT? ")])
def test_an_unknown_mutant_is_one_line(given: str, hint: str, capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    """Refused before pytest starts: not pytest's ERROR line plus "the suite did not run"."""
    line = refused(["run", "booga", "--report-dir", str(tmp_path / "r"), "--mutant", given], capsys)
    assert line == f"apiconform: --mutant: unknown mutant {given!r} for booga ({hint}see `apiconform mutants booga`)"
    assert not (tmp_path / "r").exists()


# -- --target --------------------------------------------------------------------------------

def test_a_target_that_is_a_folder_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = refused(["run", "booga", "--no-reports", "--target", str(tmp_path)], capsys)
    assert line == f"apiconform: target file {tmp_path} is a folder, not a file"
    line = refused(["audit", str(tmp_path)], capsys)
    assert line == f"apiconform: fleet file {tmp_path} is a folder, not a file"


# -- ranges ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("argv", "flag"), [
    (["run", "boomerang", "--seed", "-1"], "--seed"),
    (["run", "boomerang", "--seed", str(2**32)], "--seed"),
    (["run", "boomerang", "--seed", "zero"], "--seed"),
    (["run", "boomerang", "--max-requests", "0"], "--max-requests"),
    (["serve", "booga", "--port", "99999"], "--port"),
    (["serve", "booga", "--port", "-1"], "--port"),
])
def test_out_of_range_numbers_are_refused(argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    line = refused(argv, capsys)
    assert f"argument {flag}:" in line


def test_seed_bounds_are_accepted(tmp_path: Path) -> None:
    for seed in (0, 2**32 - 1):
        assert main(["run", "boomerang", "--no-reports", "--quiet", "--rules", "BMR-GZIP",
                     "--seed", str(seed)]) == 0


def test_seed_out_of_range_is_refused_through_options() -> None:
    """The same bound for plain pytest and the Python API, which do not go through argparse."""
    outcome = run("boomerang", Options(seed=2**32, write_reports=False))
    assert outcome.exit_code == 2 and outcome.message.startswith("--seed must be in 0..4294967295")


# -- --openapi -------------------------------------------------------------------------------

def test_missing_openapi_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         no_network: list[Any]) -> None:
    line = refused(["run", "booga", *LIVE, "--no-reports", "--openapi", str(tmp_path / "none.yaml")], capsys)
    assert line == f"apiconform: --openapi {tmp_path / 'none.yaml'} does not exist"


def test_openapi_file_that_is_no_openapi_document_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             no_network: list[Any]) -> None:
    bad = tmp_path / "o.yaml"
    bad.write_text("- just\n- a list\n")
    line = refused(["run", "booga", *LIVE, "--no-reports", "--openapi", str(bad)], capsys)
    assert "--openapi" in line and "not an OpenAPI document" in line


def test_openapi_flag_wins_over_the_target_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from apiconform.session import resolve_target

    doc = tmp_path / "flag.yaml"
    doc.write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
                   "paths: {/api/files/: {get: {responses: {'200': {description: ok}}}}}\n")
    (tmp_path / "t.toml").write_text('[target]\nopenapi = "missing-but-overridden.yaml"\n')
    target, _, _ = resolve_target("booga", Options(target_file=str(tmp_path / "t.toml"), openapi_file=str(doc),
                                                   write_reports=False))
    assert target.openapi_file == str(doc)


def test_pytest_args_carry_openapi() -> None:
    from apiconform.runner import pytest_args

    args = pytest_args("booga", Options(openapi_file="o.yaml"))
    assert args[args.index("--openapi") + 1] == "o.yaml"


# -- a closed reader -------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [["rules", "booga"], ["mutants"], ["rules", "--format", "json"], ["run", "--help"]])
def test_output_into_a_closed_pipe_ends_quietly(argv: list[str]) -> None:
    """`apiconform rules booga | head -3`: the reader is gone before the kit writes."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has already gone: every write is EPIPE
    try:
        proc = subprocess.run([sys.executable, "-m", "apiconform.cli", *argv], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert proc.stderr == ""
    assert proc.returncode in (0, 141)


def test_head_of_rules_through_a_shell() -> None:
    if shutil.which("head") is None or shutil.which("sh") is None:
        pytest.skip("no POSIX shell")
    cli = f"'{sys.executable}' -m apiconform.cli"
    cmd = f"{cli} rules booga | head -3; {cli} mutants | head -1"
    proc = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert proc.stderr == "" and len(proc.stdout.splitlines()) == 4


@pytest.mark.parametrize(("value", "said"), [("", "no rule id in ''"), ("BGA-NOPE", "unknown rule id 'BGA-NOPE'")])
def test_plain_pytest_refuses_an_empty_or_unknown_rules_list(value: str, said: str) -> None:
    # The suites as plain pytest take --rules too: an unset $RULES must not run everything, a
    # typo must not run nothing.
    done = subprocess.run([sys.executable, "-m", "pytest", "suites/booga", "--rules", value, "-q",
                           "-p", "no:cacheprovider", "--no-reports"], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout[-2000:] + done.stderr[-2000:]
    assert said in done.stderr, done.stderr
