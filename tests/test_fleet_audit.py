"""`apiconform audit` and `apiconform merge`: a fleet of mocks and mutants served over HTTP.

One audit (module fixture) of 22 targets: both reference mocks and nine mutants of each profile
(20 served over HTTP from threads of this process), a closed port and a target stopped by its
timeout. Its verdicts are compared with single `apiconform run`s of the same targets, whose
reports `merge` turns into the same fleet.json. Bad fleet files are refused with exit 2 before
anything is sent, and no process of an audit holds another target's credentials.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.servers.raw import closed_port
from tests.servers.threaded import serve_in_thread

from apiconform import mocks
from apiconform.cli import main
from apiconform.fleet.audit import (
    plan,
    run_argv,
    run_env,
    run_target,
    take_credentials,
    target_credentials,
    write_credentials,
)
from apiconform.fleet.fleet_file import load_fleet

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = {"booga": "BGA-LIST-LIMIT", "boomerang": "BMR-PAGINATION-LIMIT"}
MUTANTS_EACH = 9  # with both mocks: 20 served targets; with the closed port and the hung one, 22


def _served_targets() -> list[tuple[str, str, str | None]]:
    """(name, profile, mutant): both reference mocks and MUTANTS_EACH mutants of each profile."""
    out: list[tuple[str, str, str | None]] = [("booga-ok", "booga", None), ("boomerang-ok", "boomerang", None)]
    for profile, first in MUTANTS.items():
        others = [m for m in mocks.mutants(profile) if m != first]
        out += [(m.lower(), profile, m) for m in [first, *others][:MUTANTS_EACH]]
    return out


SERVED = _served_targets()


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, tuple[str, dict[str, str]]]]:
    """Every SERVED target over real HTTP, each on its own port, from threads of this process."""
    with contextlib.ExitStack() as stack:
        yield {name: (stack.enter_context(serve_in_thread(mocks.create_app(profile, mutant, enforce_https=False))),
                      mocks.credentials(profile)) for name, profile, mutant in SERVED}


def _var(name: str, label: str = "") -> str:
    return "FLEETTEST_" + re.sub(r"\W", "_", name).upper() + (f"_{label.upper()}" if label else "")


@pytest.fixture(scope="module")
def fleet(served: dict[str, tuple[str, dict[str, str]]], tmp_path_factory: pytest.TempPathFactory
          ) -> dict[str, Any]:
    """The fleet file, its environment, and the targets as single runs would see them."""
    folder = tmp_path_factory.mktemp("fleet")
    env: dict[str, str] = {}
    entries = []
    for name, profile, _ in SERVED:
        base_url, keys = served[name]
        env[_var(name)] = keys["primary"]
        entry = {"name": name, "profile": profile, "base_url": base_url, "token_env": _var(name)}
        if "b" in keys:
            env[_var(name, "b")] = keys["b"]
            entry["token_b_env"] = _var(name, "b")
        entries.append(entry)
    env[_var("down")] = "down-secret-0123456789"
    entries.append({"name": "down", "profile": "boomerang", "base_url": f"http://127.0.0.1:{closed_port()}",
                    "token_env": _var("down")})
    env[_var("hung")] = served["boomerang-ok"][1]["primary"]
    entries.append({"name": "hung", "profile": "boomerang", "base_url": served["boomerang-ok"][0],
                    "token_env": _var("hung"), "timeout_seconds": 0.05})
    file = folder / "fleet.toml"
    file.write_text(_toml(entries), encoding="utf-8")
    return {"file": file, "env": env, "entries": entries, "folder": folder}


def _toml(entries: list[dict[str, Any]]) -> str:
    out = []
    for entry in entries:
        out.append("[[target]]")
        out += [f"{k} = {json.dumps(v)}" for k, v in entry.items()]
        out.append("")
    return "\n".join(out)


def _cli(*args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 120
         ) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("APICONFORM_TOKEN")}
    return subprocess.run([sys.executable, "-m", "apiconform.cli", *args], cwd=cwd or ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def audited(fleet: dict[str, Any]) -> dict[str, Any]:
    out = fleet["folder"] / "out"
    started = time.monotonic()
    proc = _cli("audit", str(fleet["file"]), "--report-dir", str(out), env=fleet["env"])
    wall = time.monotonic() - started
    return {"proc": proc, "dir": out, "wall": wall, "doc": json.loads((out / "fleet.json").read_text())}


@pytest.fixture(scope="module")
def singles(fleet: dict[str, Any]) -> dict[str, Any]:
    """Each served target (and the closed port) as one `apiconform run` of its own, side by side."""
    out = fleet["folder"] / "single"
    procs = {}
    for entry in fleet["entries"]:
        if entry["name"] == "hung":
            continue
        env = {"APICONFORM_TOKEN": fleet["env"][entry["token_env"]]}
        if "token_b_env" in entry:
            env["APICONFORM_TOKEN_B"] = fleet["env"][entry["token_b_env"]]
        clean = {k: v for k, v in os.environ.items() if not k.startswith("APICONFORM_TOKEN")}
        procs[entry["name"]] = subprocess.Popen(
            [sys.executable, "-m", "apiconform.cli", "run", entry["profile"], "--base-url", entry["base_url"],
             "--report-dir", str(out / entry["name"]), "--quiet"],
            cwd=ROOT, env={**clean, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    codes = {name: proc.wait(timeout=120) for name, proc in procs.items()}
    return {"dir": out, "codes": codes}


def test_audit_exits_1_with_a_mutant_and_lists_every_target(audited: dict[str, Any],
                                                           fleet: dict[str, Any]) -> None:
    proc, doc = audited["proc"], audited["doc"]
    assert proc.returncode == 1, proc.stderr
    assert doc["verdict"] == "fail"
    assert [t["name"] for t in doc["targets"]] == [e["name"] for e in fleet["entries"]]
    by_name = {t["name"]: t for t in doc["targets"]}
    assert by_name["booga-ok"]["verdict"] == by_name["boomerang-ok"]["verdict"] == "pass"
    for profile, mutant in MUTANTS.items():
        assert by_name[mutant.lower()]["rules"][mutant] == "fail", profile
    assert len(SERVED) >= 20
    for name in [*(n for n, _, _ in SERVED), "down"]:
        assert (audited["dir"] / name / "report.json").is_file()
        assert by_name[name]["report"] == f"{name}/report.json"
    for artifact in ("fleet.json", "fleet.html", "junit.xml", "summary.md"):
        assert (audited["dir"] / artifact).is_file()
    # one progress line per target as it starts and as it finishes, on stderr
    for entry in fleet["entries"]:
        assert re.search(rf"start +{entry['name']} ", proc.stderr)
        assert re.search(rf"finish {entry['name']}: ", proc.stderr)


def test_an_unreachable_or_hung_target_is_incomplete_and_holds_nobody_back(audited: dict[str, Any]) -> None:
    by_name = {t["name"]: t for t in audited["doc"]["targets"]}
    down = by_name["down"]
    assert down["verdict"] == "incomplete" and down["exit_code"] == 3
    assert "error" in down["rules"].values()
    hung = by_name["hung"]
    assert hung["verdict"] == "incomplete" and hung["exit_code"] == 3 and hung["report"] is None
    assert "timeout_seconds" in hung["reason"]
    # the others finished with their reports all the same
    assert all(by_name[n]["report"] for n, _, _ in SERVED)


def test_each_target_gets_the_verdicts_of_a_single_run(audited: dict[str, Any], singles: dict[str, Any]) -> None:
    by_name = {t["name"]: t for t in audited["doc"]["targets"]}
    for name, code in singles["codes"].items():
        single = json.loads((singles["dir"] / name / "report.json").read_text())
        assert by_name[name]["exit_code"] == code, name
        assert by_name[name]["verdict"] == single["verdict"], name
        assert by_name[name]["rules"] == {r["id"]: r["verdict"] for r in single["rules"]}, name


def test_fleet_html_and_summary_name_each_failing_rule_of_each_target(audited: dict[str, Any]) -> None:
    doc = audited["doc"]
    html = (audited["dir"] / "fleet.html").read_text(encoding="utf-8")
    summary = (audited["dir"] / "summary.md").read_text(encoding="utf-8")
    order = re.findall(r'<span class="tname">([^<]+)</span>', html)  # the matrix's columns
    assert sorted(order) == sorted(t["name"] for t in doc["targets"])
    rows = dict(re.findall(r'<tr data-rule="([^"]+)">(.*?)</tr>', html, re.S))
    failing = 0
    for target in doc["targets"]:
        column = order.index(target["name"])
        row_md = next(line for line in summary.splitlines() if line.startswith(f"| {target['name']} |"))
        for rule, verdict in target["rules"].items():
            cell = re.findall(r'<td class="cell [^"]*"[^>]*>.*?</td>', rows[rule], re.S)[column]
            assert f"v-{verdict}" in cell, (target["name"], rule)
            if verdict == "fail":
                failing += 1
                assert f'href="{target["name"]}/report.html#rule-{rule}"' in cell, (target["name"], rule)
                assert f"`{rule}`" in row_md, (target["name"], rule)
    assert failing >= len(MUTANTS)


def test_merge_of_single_runs_gives_the_audits_fleet_json(audited: dict[str, Any], singles: dict[str, Any],
                                                          fleet: dict[str, Any]) -> None:
    out = fleet["folder"] / "merged"
    reports = [str(singles["dir"] / name / "report.json") for name in singles["codes"]]
    proc = _cli("merge", *reports, "--report-dir", str(out), env={})
    assert proc.returncode == 1, proc.stderr
    merged = json.loads((out / "fleet.json").read_text())
    audit_doc = dict(audited["doc"])
    audit_doc["targets"] = [t for t in audit_doc["targets"] if t["name"] != "hung"]
    audit_doc["counts"] = merged["counts"]  # the hung target is only in the audit

    def comparable(doc: dict[str, Any]) -> dict[str, Any]:
        # requests_sent is compared apart: the rate-limit rules send their requests once more
        # when a minute window rolls over between them, so two runs of one target may differ by that.
        drop = {"started_at", "duration_s", "requests_sent"}
        return {**{k: v for k, v in doc.items() if k != "generated_at"},
                "targets": [{k: v for k, v in t.items() if k not in drop} for t in doc["targets"]]}

    assert comparable(merged) == comparable(audit_doc)
    # The second try of BGA-RATE-REMAINING-DECREASES (3 requests) and of BGA-RATE-PER-KEY (5 + 2).
    window_retries = 3 + 5 + 2
    for single, audited_target in zip(merged["targets"], audit_doc["targets"], strict=True):
        assert abs(single["requests_sent"] - audited_target["requests_sent"]) <= window_retries, single["name"]
    for name in singles["codes"]:
        for artifact in ("report.json", "report.html", "junit.xml", "summary.md"):
            assert (out / name / artifact).is_file()


def test_no_fleet_credential_lands_in_any_artifact(audited: dict[str, Any], fleet: dict[str, Any]) -> None:
    secrets = set(fleet["env"].values())
    leaks = []
    for path in audited["dir"].rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            leaks += [f"{path}: {s[:6]}…" for s in secrets if s in text]
    assert leaks == []
    assert not any(s in audited["proc"].stdout + audited["proc"].stderr for s in secrets)


# -- isolation: each run gets only its own target's credentials -----------------------------------

def _write_fleet(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "fleet.toml"
    file.write_text(text, encoding="utf-8")
    return file


TWO = """
[[target]]
name = "vendor-a"
profile = "booga"
base_url = "https://a.example"
token_env = "VENDOR_A_KEY"
token_b_env = "VENDOR_A_KEY_B"

[[target]]
name = "vendor-b"
profile = "boomerang"
base_url = "https://b.example"
token_env = "VENDOR_B_KEY"
max_requests = 50
"""
ENV = {"VENDOR_A_KEY": "secret-a-111111111", "VENDOR_A_KEY_B": "secret-a-b-22222222",
       "VENDOR_B_KEY": "secret-b-333333333", "APICONFORM_TOKEN": "stray-kit-token-44444", "PATH": "/usr/bin"}


def test_a_run_env_holds_only_its_own_targets_credentials(tmp_path: Path) -> None:
    fleet = load_fleet(_write_fleet(tmp_path, TWO), ENV)
    a, b = fleet.targets
    scrub = fleet.credential_vars()
    env_a = run_env(target_credentials(a.credential_vars, ENV), scrub, ENV)
    env_b = run_env(target_credentials(b.credential_vars, ENV), scrub, ENV)
    assert env_a == {"PATH": "/usr/bin", "APICONFORM_TOKEN": ENV["VENDOR_A_KEY"],
                     "APICONFORM_TOKEN_B": ENV["VENDOR_A_KEY_B"]}
    assert env_b == {"PATH": "/usr/bin", "APICONFORM_TOKEN": ENV["VENDOR_B_KEY"]}
    assert not {ENV["VENDOR_B_KEY"]} & set(env_a.values())
    assert not {ENV["VENDOR_A_KEY"], ENV["VENDOR_A_KEY_B"]} & set(env_b.values())
    # the plan the workers read names variables and files, never a value
    files = write_credentials(tmp_path, fleet, ENV)
    text = json.dumps(plan(fleet, tmp_path / "out", files))
    assert not any(value in text for key, value in ENV.items() if key != "PATH")
    # each target's file holds its own credentials only, is private, and is gone once taken
    assert all(f.stat().st_mode & 0o077 == 0 for f in files)
    assert take_credentials(str(files[1])) == {"APICONFORM_TOKEN": ENV["VENDOR_B_KEY"]}
    assert not files[1].exists() and files[0].exists()
    argv = run_argv(b, tmp_path / "out")
    assert argv[argv.index("--max-requests") + 1] == "50" and "--base-url" in argv
    assert argv[argv.index("--report-dir") + 1] == str(tmp_path / "out" / "vendor-b")


def test_the_default_timeout_leaves_a_sized_budget_its_time(tmp_path: Path) -> None:
    # Without max_requests the run sizes its budget for the endpoints it finds (up to
    # MAX_SIZED_REQUESTS): a large deployment behind a 60-a-minute key needs that long.
    from apiconform.fleet.fleet_file import TIMEOUT_BASE_SECONDS, TIMEOUT_PER_REQUEST_SECONDS
    from apiconform.target import MAX_SIZED_REQUESTS

    (tmp_path / "limited.toml").write_text("[target]\nmax_requests = 400\n", encoding="utf-8")
    text = TWO + '[[target]]\nname = "vendor-c"\nprofile = "booga"\nbase_url = "https://c.example"\n' \
        'token_env = "VENDOR_A_KEY"\ntarget_file = "limited.toml"\n'
    a, b, c = load_fleet(_write_fleet(tmp_path, text), ENV).targets
    assert a.timeout_seconds == TIMEOUT_BASE_SECONDS + TIMEOUT_PER_REQUEST_SECONDS * MAX_SIZED_REQUESTS
    assert b.timeout_seconds == TIMEOUT_BASE_SECONDS + TIMEOUT_PER_REQUEST_SECONDS * 50  # its max_requests
    assert c.timeout_seconds == TIMEOUT_BASE_SECONDS + TIMEOUT_PER_REQUEST_SECONDS * 400  # its target file's


def test_a_target_file_is_read_relative_to_the_fleet_file_and_its_variable_names_are_served(tmp_path: Path) -> None:
    (tmp_path / "targets").mkdir()
    (tmp_path / "targets" / "a.toml").write_text('[credentials]\ntoken_env = "A_RUN_VAR"\n', encoding="utf-8")
    text = TWO.replace('token_b_env = "VENDOR_A_KEY_B"', 'target_file = "targets/a.toml"')
    fleet = load_fleet(_write_fleet(tmp_path, text), ENV)
    a = fleet.targets[0]
    assert a.target_file == str((tmp_path / "targets" / "a.toml").resolve())
    environ = {**ENV, "A_RUN_VAR": "leftover"}
    env_a = run_env(target_credentials(a.credential_vars, environ), fleet.credential_vars(), environ)
    assert env_a["A_RUN_VAR"] == ENV["VENDOR_A_KEY"] and "APICONFORM_TOKEN" not in env_a


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _process(pid: int) -> tuple[str, dict[str, str]] | None:
    """A process's name and the environment it started with (/proc/PID/environ)."""
    try:
        name = (Path(f"/proc/{pid}") / "comm").read_text().strip()
        raw = (Path(f"/proc/{pid}") / "environ").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return None  # it ended meanwhile
    return name, dict(item.partition("=")[::2] for item in raw if item)


def _in_memory(pid: int, needles: list[bytes]) -> set[bytes] | None:
    """Which of `needles` occur anywhere in the writable memory of process `pid` (heap, stacks,
    the C environment, every Python object); None if it ended meanwhile."""
    found: set[bytes] = set()
    try:
        maps = (Path(f"/proc/{pid}") / "maps").read_text().splitlines()
        with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
            for line in maps:
                fields = line.split()
                if "rw" not in fields[1]:  # what a process writes at run time lives in writable mappings
                    continue
                low, high = (int(x, 16) for x in fields[0].split("-"))
                try:
                    mem.seek(low)
                    chunk = mem.read(high - low)
                except OSError:
                    continue  # a guard page, or unmapped meanwhile
                found |= {needle for needle in needles if needle in chunk}
    except (FileNotFoundError, ProcessLookupError):
        return None
    return found


def _can_read_memory() -> bool:
    with subprocess.Popen([sys.executable, "-c", "import time; x = 'probe-' + 'marker-4242'; time.sleep(30)"]) as child:
        try:
            time.sleep(0.3)
            return bool(_in_memory(child.pid, [b"probe-marker-4242"]))
        except OSError:  # ptrace is restricted here
            return False
        finally:
            child.kill()


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc to read other processes")
def test_no_worker_process_sees_another_targets_credentials(tmp_path: Path) -> None:
    """Black box, while two targets are being run: every process under the audit, read in /proc,
    its starting environment and its whole writable memory (Python objects, the C environment)."""
    from tests.servers.raw import RawServer

    if not _can_read_memory():
        pytest.skip("this system does not let a process read its children's memory (ptrace restricted)")
    secrets = {"a": "vendor-a-secret-1234567", "b": "vendor-b-secret-7654321"}
    stray = "stray-kit-token-0987654321"
    servers = {k: RawServer(lambda conn, request: conn.hold()) for k in secrets}
    urls = {k: server.url for k, server in servers.items()}
    needles = [s.encode() for s in (*secrets.values(), stray)]
    in_env = [f"APICONFORM_TOKEN={s}".encode() for s in secrets.values()]  # as setenv() stores it
    with servers["a"], servers["b"]:
        file = _write_fleet(tmp_path, _toml([
            {"name": f"vendor-{k}", "profile": "boomerang", "base_url": urls[k], "token_env": f"FLEET_KEY_{k}",
             "timeout_seconds": 90} for k in secrets]))
        env = {**os.environ, "FLEET_KEY_a": secrets["a"], "FLEET_KEY_b": secrets["b"], "APICONFORM_TOKEN": stray}
        audit = subprocess.Popen([sys.executable, "-m", "apiconform.cli", "audit", str(file), "--report-dir",
                                  str(tmp_path / "out")], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not all(s.received for s in servers.values()) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert all(s.received for s in servers.values()), "the two runs did not both reach their targets"
            seen = {}  # pid -> (name, starting environment, the needles in its memory)
            for pid in _descendants(audit.pid):
                process, memory = _process(pid), _in_memory(pid, [*needles, *in_env])
                if process and memory is not None:
                    seen[pid] = (*process, memory)
        except BaseException:
            audit.kill()
            raise
    assert audit.wait(timeout=120) == 3  # both targets went away mid-run: incomplete
    # No process under the audit started with any credential in its environment: the workers,
    # the templates they and the runs are forked from, the launchers, the runs themselves.
    leaked = [(name, k) for name, environ, _ in seen.values() for k, v in environ.items()
              if v in {*secrets.values(), stray}]
    assert leaked == [], f"processes of the audit inherited credential variables {leaked}"
    # Each target's run holds its own key, in its own environment, and no other; no other process
    # holds any (the audit itself, which reads them all, is not under itself).
    runs = [memory for name, _, memory in seen.values() if name == "apiconform-run"]
    assert len(runs) == 2 and len(seen) > 2, sorted(name for name, _, _ in seen.values())
    for key, secret in secrets.items():
        holders = [memory for memory in runs if secret.encode() in memory]
        assert len(holders) == 1, f"vendor-{key}'s key is in {len(holders)} runs"
        assert f"APICONFORM_TOKEN={secret}".encode() in holders[0], f"vendor-{key}'s key is not in its run's environ"
        assert not (set(needles) - {secret.encode()}) & holders[0], f"vendor-{key}'s run holds another key"
    others = {name: sorted(n.decode() for n in memory) for name, _, memory in seen.values() if name != "apiconform-run"}
    assert all(not found for found in others.values()), f"processes holding a credential: {others}"
    assert list((tmp_path / "out").rglob("credentials-*")) == []


@pytest.mark.parametrize("template", [True, False], ids=["forked-from-the-template", "the-slow-way"])
def test_a_target_runs_forked_from_the_template_or_the_slow_way_alike(tmp_path: Path, template: bool) -> None:
    """run_target: forked from the template process, or (no template, or it is gone) as a plain
    `apiconform run` subprocess; the same result either way, the credentials file taken."""
    from apiconform.fleet.audit import _template, scrubbed

    env = {**os.environ, "FLEET_DOWN_KEY": "down-secret-0123456789"}
    fleet = load_fleet(_write_fleet(tmp_path, _toml([{
        "name": "down", "profile": "boomerang", "base_url": f"http://127.0.0.1:{closed_port()}",
        "token_env": "FLEET_DOWN_KEY"}])), env)
    files = write_credentials(tmp_path, fleet, env)
    clean = scrubbed(env, fleet.credential_vars())
    with _template(tmp_path, clean) as sockets:
        assert sockets is not None
        where = sockets[1] if template else str(tmp_path / "gone.sock")
        spec = plan(fleet, tmp_path / "out", files, where)["targets"][0]
        result = run_target(spec, sorted(fleet.credential_vars()), clean, where)
    assert (result["verdict"], result["exit_code"], result["has_report"]) == ("incomplete", 3, True), result
    assert json.loads((tmp_path / "out" / "down" / "report.json").read_text())["verdict"] == "incomplete"
    assert not files[0].exists()


# -- bad fleet files: exit 2, one line, nothing sent ---------------------------------------------

@pytest.mark.parametrize(("change", "env_drop", "message"), [
    (("profile = \"boomerang\"", "profile = \"bogus\""), None,
     r'target\[2\] \(vendor-b\)\.profile: "bogus" is not one of "booga", "boomerang"'),
    (("name = \"vendor-b\"", "name = \"Vendor-A\""), None, r"target\[2\] \(Vendor-A\)\.name: .*already the name"),
    (("name = \"vendor-b\"", "name = \"../up\""), None, r"target\[2\] \(\.\./up\)\.name: .*folder name"),
    (("name = \"vendor-b\"", "name = \"fleet.json\""), None, r"name of a fleet artifact"),
    (None, "VENDOR_B_KEY", r"target\[2\] \(vendor-b\)\.token_env: the variable VENDOR_B_KEY is not set"),
    (None, "VENDOR_A_KEY_B", r"target\[1\] \(vendor-a\)\.token_b_env: the variable VENDOR_A_KEY_B is not set"),
    (("https://b.example", "http://b.example"), None, r"target\[2\] \(vendor-b\)\.base_url: .*plain http://"),
    (("max_requests = 50", "max_request = 50"), None,
     r"target\[2\] \(vendor-b\)\.max_request: unknown key \(did you mean max_requests\?\)"),
    (("max_requests = 50", 'target_file = "nowhere.toml"'), None, r"target_file: .*nowhere\.toml does not exist"),
    (("max_requests = 50", 'target_file = "bad.toml"'), None,
     r"target\[2\] \(vendor-b\)\.target_file: target file .*bad\.toml: target\.max_requests: -3 is less than"),
    (("token_env = \"VENDOR_B_KEY\"", 'token_env = "secret-b-333"'), None, r"token_env: .*name of an environment"),
    ((TWO, 'target = "vendor-a"\n'), None, r': target: "vendor-a" is a string, expected an array of objects$'),
])
def test_a_bad_fleet_file_is_refused_before_anything_is_sent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        change: tuple[str, str] | None, env_drop: str | None, message: str) -> None:
    (tmp_path / "bad.toml").write_text("[target]\nmax_requests = -3\n", encoding="utf-8")
    text = TWO.replace(*change) if change else TWO
    file = _write_fleet(tmp_path, text)
    for key, value in ENV.items():
        if key != "PATH":
            monkeypatch.setenv(key, value)
    if env_drop:
        monkeypatch.delenv(env_drop)
    out = tmp_path / "out"
    assert main(["audit", str(file), "--report-dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"apiconform: fleet file {file}: ")
    assert re.search(message, err), err
    assert not out.exists()  # refused before the report dir, let alone a request


def test_insecure_http_can_be_allowed_per_target(tmp_path: Path) -> None:
    text = TWO.replace("https://b.example", "http://b.example").replace(
        "max_requests = 50", "max_requests = 50\nallow_insecure_http = true")
    fleet = load_fleet(_write_fleet(tmp_path, text), ENV)
    assert "--allow-insecure-http" in run_argv(fleet.targets[1], tmp_path)


def test_workers_and_fleet_file_arguments_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["audit", "f.toml", "--workers", "0"])
    assert exc.value.code == 2 and "--workers: 0 is out of range (>= 1)" in capsys.readouterr().err
    assert main(["audit", str(tmp_path / "missing.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["audit", str(_write_fleet(tmp_path, "[[target]]\nname = 3\n"))]) == 2
    err = capsys.readouterr().err
    assert 'target[1].name: 3 is an integer, expected a string' in err and "is a required property" in err


def test_merge_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["merge", str(tmp_path / "none.json"), "--report-dir", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "report.json").write_text('{"verdict": "pass"}', encoding="utf-8")
    assert main(["merge", str(tmp_path / "x" / "report.json"), "--report-dir", str(out)]) == 2
    assert "not an apiconform report.json" in capsys.readouterr().err
    assert not out.exists()


def test_merge_refuses_two_reports_of_one_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from apiconform.runner import run
    from apiconform.session import Options

    outcome = run("boomerang", Options(report_dir=str(tmp_path / "a" / "same"), rules=["BMR-AUTH-MISSING"],
                                       progress=False))
    assert outcome.runs
    (tmp_path / "b" / "same").mkdir(parents=True)
    (tmp_path / "b" / "same" / "report.json").write_bytes((tmp_path / "a" / "same" / "report.json").read_bytes())
    assert main(["merge", str(tmp_path / "a" / "same" / "report.json"), str(tmp_path / "b" / "same" / "report.json"),
                 "--report-dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "target name 'same' is also that of" in err and len(err.strip().splitlines()) == 1


def test_mutant_names_used_here_exist() -> None:
    for profile, name in MUTANTS.items():
        assert name in mocks.mutants(profile)
