#!/usr/bin/env bash
# The kit's own tests on a fresh machine: makes .venv, installs the kit with its dev extras,
# installs headless Chromium for the report test when it can, lints, then runs the tests
# (unit, fault injection, mutation matrix, reports). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
if ! command -v chromium >/dev/null 2>&1; then
  # The HTML report is checked in a real browser; without root/apt that one test skips.
  scripts/install-browser.sh || echo "note: chromium could not be installed; the browser test will skip"
fi
.venv/bin/ruff check src tests suites bench
.venv/bin/python -m pytest tests "$@"
