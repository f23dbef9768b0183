#!/usr/bin/env bash
# The kit's own tests on a fresh machine: makes .venv, installs the kit with its dev extras,
# lints, then runs the test suite (unit, fault injection, mutation matrix, reports).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
.venv/bin/ruff check src tests suites bench
.venv/bin/python -m pytest tests "$@"
