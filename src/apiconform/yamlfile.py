"""YAML reading: through libyaml when PyYAML was built with it, and not at all when the same text
was read before.

The rule catalogs and the OpenAPI fixtures are read at the start of every run. libyaml's loader
reads them about eight times faster than the pure-Python one (~40 ms a run), and gives the same
data (checked for every fixture by tests/test_catalog.py). Better still, a run reads the same
few files every time: what a text parsed to is kept in the kit's cache folder (plan_cache's,
`yaml/`), keyed by a hash of the text and of PyYAML's and Python's versions (marshal's format
may change between Python versions), in `marshal` form, so that a run which finds it there does
not import PyYAML (~10 ms) nor parse (~4 ms). Only data marshal stores exactly is kept (YAML's
dates are not, and are parsed each time). A cache entry that cannot be read is ignored.

Errors are `YAMLError`, whose text is PyYAML's own message.
"""

from __future__ import annotations

import hashlib
import marshal
import sys
from functools import cache
from typing import Any

from apiconform.plan_cache import package_versions, read_entry, write_entry


@cache
def _format() -> str:
    """What else a parse depends on: PyYAML's version, and Python's (for marshal's format)."""
    return f"apiconform-yaml-1;{package_versions('PyYAML')};python{sys.version_info[0]}.{sys.version_info[1]}"


# Process-wide: the kit's tests and a fleet read the same files in one process many times.
_MEMORY: dict[str, bytes] = {}


class YAMLError(ValueError):
    """The text is not valid YAML (the message is PyYAML's)."""


def safe_load(text: str) -> Any:
    key = hashlib.sha256(f"{_format()}\n{text}".encode("utf-8", "surrogatepass")).hexdigest()
    stored = _MEMORY.get(key) or read_entry("yaml", key)
    if stored is not None:
        try:
            return marshal.loads(stored)
        except (EOFError, ValueError, TypeError):
            pass  # a damaged entry: parse again, and overwrite it
    data = parse(text)
    try:
        stored = marshal.dumps(data)
    except ValueError:
        return data  # a date, a set...: marshal cannot keep it exactly, so it is not kept
    _MEMORY[key] = stored
    write_entry("yaml", key, stored)
    return data


def parse(text: str) -> Any:
    """YAML `text` parsed with PyYAML's safe loader (libyaml's when available)."""
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise YAMLError(str(exc)) from exc
