"""The pytest module the fleet's xdist workers run: one test item per target of the plan.

Collected only by `apiconform audit` (fleet/audit.py), which names this file on its pytest
command line and the plan file in APICONFORM_FLEET_PLAN. Each item runs its target in a
process of its own (audit.run_target: forked from the audit's template process, zygote.py, or
else started as `apiconform run`) and hands the result to the controller as a user property.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from apiconform.fleet.audit import PLAN_ENV, RESULT_PROPERTY, run_target

_PLAN: dict[str, Any] = (json.loads(Path(os.environ[PLAN_ENV]).read_text(encoding="utf-8"))
                         if os.environ.get(PLAN_ENV) else {"scrub": [], "zygote": None, "targets": []})


@pytest.mark.parametrize("spec", _PLAN["targets"], ids=[t["name"] for t in _PLAN["targets"]])
def test_target(spec: dict[str, Any], record_property: Any) -> None:
    result = run_target(spec, _PLAN["scrub"], os.environ, _PLAN.get("zygote"))
    record_property(RESULT_PROPERTY, json.dumps(result))
