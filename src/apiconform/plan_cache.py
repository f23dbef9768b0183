"""A disk cache of generated sweep plans: the same inputs always give the same plan.

A plan is a pure function of the OpenAPI document, the number of cases, the seed, the
generating code and the versions of schemathesis and hypothesis. A CI gate runs the same
target with the same seed on every push, so the plan is drawn once and read back after that,
and schemathesis (about a second to import) is not loaded at all. Every input is part of the
key, so a cached plan is exactly the plan a fresh draw would give: verdicts cannot change.

The working folder is not an input: schemathesis, left to itself, loads the first
`schemathesis.toml` in the folder a run starts in or above it, and such a file (someone's own
schemathesis setup, a stray one in a CI checkout) can switch operations off, fix parameter
values, change the codec: another plan from the same target, seed and kit. Plans are drawn
under schemathesis's defaults instead (schemathesis_config()), wherever the run starts.

Where: `$APICONFORM_CACHE_DIR`, else `$XDG_CACHE_HOME/apiconform`, else `~/.cache/apiconform`.
`APICONFORM_CACHE_DIR=off` disables it. A cache that cannot be read or written is ignored.

Hypothesis keeps its Unicode tables there too (`hypothesis/`): by default it writes them to
`.hypothesis/` in the current folder, so a run from a fresh folder (a CI checkout, a temporary
one) spent ~1.5 s rebuilding the table of UTF-8 characters, and left the folder behind. And the
YAML files a run reads are kept there parsed (`yaml/`, see yamlfile.py).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

# Process-wide too: the kit's own tests and a fleet run many runs in one process.
_MEMORY: dict[str, Any] = {}


def cache_dir() -> Path | None:
    named = os.environ.get("APICONFORM_CACHE_DIR")
    if named is not None:
        return None if named.strip().lower() in ("", "off", "0", "no") else Path(named)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "apiconform"


def package_versions(*packages: str) -> str:
    """`name=version;...` of installed distributions (`none` for one that is not installed):
    what a cache entry derived with them depends on."""
    parts = []
    for package in packages:
        try:
            parts.append(f"{package}={version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package}=none")
    return ";".join(parts)


def read_entry(folder: str, name: str) -> bytes | None:
    """The cache entry `<cache>/<folder>/<name>`; None when the cache is off or it cannot be read."""
    root = cache_dir()
    if root is None:
        return None
    try:
        return (root / folder / name).read_bytes()
    except OSError:
        return None


def write_entry(folder: str, name: str, data: bytes) -> None:
    """Write a cache entry atomically: runs side by side (a fleet) never read a half-written one.
    A cache that is off or cannot be written is ignored: the entry is derived again next time."""
    root = cache_dir()
    if root is None:
        return
    try:
        (root / folder).mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=root / folder, delete=False, suffix=".tmp") as handle:
            handle.write(data)
        os.replace(handle.name, root / folder / name)
    except OSError:
        pass


def schemathesis_config() -> Any:
    """The schemathesis configuration every plan is drawn under, and every document found
    usable or not: schemathesis's defaults, never a `schemathesis.toml` it would discover from
    the working folder (see above). Fixed, so it is in the key through this file's source and
    schemathesis's version."""
    from schemathesis.config import SchemathesisConfig

    return SchemathesisConfig()


@cache
def _code_and_versions() -> str:
    """What else a plan depends on: the generating code (the sweep, and the configuration it is
    drawn under, here) and the libraries that draw it."""
    here = Path(__file__).parent
    code = hashlib.sha256(b"".join((here / name).read_bytes() for name in ("sweep.py", "plan_cache.py")))
    return f"{code.hexdigest()};" + package_versions("schemathesis", "hypothesis", "hypothesis-jsonschema")


def _key(kind: str, document: Any, *args: Any) -> str:
    text = json.dumps([kind, _code_and_versions(), document, *args], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def get(kind: str, document: Any, *args: Any) -> Any | None:
    key = _key(kind, document, *args)
    if key in _MEMORY:
        return _MEMORY[key]
    stored = read_entry("plans", f"{key}.json")
    if stored is None:
        return None
    try:
        value = json.loads(stored)
    except ValueError:
        return None
    _MEMORY[key] = value
    return value


def put(kind: str, document: Any, *args: Any, value: Any) -> None:
    key = _key(kind, document, *args)
    _MEMORY[key] = value
    write_entry("plans", f"{key}.json", json.dumps(value).encode("utf-8"))


def load(document: Any, limit: int, seed: int) -> list[dict[str, Any]] | None:
    value = get("plan", document, limit, seed)
    return value if isinstance(value, list) else None


def store(document: Any, limit: int, seed: int, rows: list[dict[str, Any]]) -> None:
    put("plan", document, limit, seed, value=rows)


def hypothesis_home() -> Path:
    """Where hypothesis keeps its data during a run: beside the plans, never the user's folder.
    With the cache off, a temporary folder removed when the process ends."""
    folder = cache_dir()
    if folder is not None:
        try:
            (folder / "hypothesis").mkdir(parents=True, exist_ok=True)
            return folder / "hypothesis"
        except OSError:
            pass  # unwritable: as if the cache were off
    temporary = Path(tempfile.mkdtemp(prefix="apiconform-hypothesis-"))
    atexit.register(shutil.rmtree, temporary, ignore_errors=True)
    return temporary


def use_for_hypothesis() -> None:
    """Point hypothesis's storage at hypothesis_home(), unless the user chose a place for it
    (HYPOTHESIS_STORAGE_DIRECTORY). Nothing else lives there: the runs use no example database."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(hypothesis_home())


# -- hypothesis's Unicode tables ----------------------------------------------------------------
# A first run (an empty cache folder, as in CI) has hypothesis compute its Unicode tables before
# the sweep can draw a string: every code point's category and whether UTF-8 encodes it (~2 s of
# CPU, then kept on disk beside the plans, written atomically). They depend on the Python build
# only, so a process of their own computes them from the first rule on, on the core the rules
# leave idle while they wait for the target's answers (a thread would take its turns from the
# rules: one interpreter lock); the sweep waits for it, then reads them from disk. Nothing drawn
# changes: the tables are the same whoever computes them. Should that process fail, hypothesis
# computes them itself, as before.
_UNICODE_TABLES = ("from hypothesis.internal import charmap\n"
                   "charmap.charmap()\n"
                   "charmap.intervals_from_codec('utf-8')\n")
_unicode_tables: subprocess.Popen[bytes] | None = None


def _unicode_tables_known() -> bool:
    from hypothesis.internal.charmap import charmap_file

    return charmap_file().exists() and charmap_file("codec-v2-utf-8").exists()


# What the tables' process may see of the run's environment: where Python and its packages are,
# the locale, temporary files. Never the rest: a run's environment holds its credentials
# (APICONFORM_TOKEN and the variables a target file names), and no process of the kit but the
# run itself may hold one (tests/test_fleet_audit.py reads every process's starting environment).
TABLES_ENVIRONMENT = ("PATH", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "LANG", "LC_ALL", "LC_CTYPE",
                      "TMPDIR", "TEMP", "TMP", "SYSTEMROOT", "HOME", "USERPROFILE")


def tables_environment(environ: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k in TABLES_ENVIRONMENT}


def warm_unicode_tables() -> None:
    global _unicode_tables
    if _unicode_tables is not None or _unicode_tables_known():
        return
    from hypothesis.configuration import storage_directory

    env = {**tables_environment(os.environ), "HYPOTHESIS_STORAGE_DIRECTORY": str(storage_directory().path)}
    try:
        _unicode_tables = subprocess.Popen([sys.executable, "-c", _UNICODE_TABLES], env=env,
                                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL)
    except OSError:
        return
    atexit.register(_stop_unicode_tables)


def wait_for_unicode_tables() -> None:
    if _unicode_tables is not None:
        try:
            _unicode_tables.wait(timeout=120)
        except subprocess.TimeoutExpired:
            _stop_unicode_tables()


def _stop_unicode_tables() -> None:
    if _unicode_tables is not None and _unicode_tables.poll() is None:
        _unicode_tables.kill()
        _unicode_tables.wait()
