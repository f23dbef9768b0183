"""YAML reading through libyaml when PyYAML was built with it.

The rule catalogs and the OpenAPI fixtures are read at the start of every run; libyaml's
loader reads them about eight times faster than the pure-Python one (~40 ms a run), and gives
the same data (checked for every fixture by tests/test_catalog.py). Errors are the same
`yaml.YAMLError` either way.
"""

from __future__ import annotations

from typing import Any

import yaml

LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=LOADER)
