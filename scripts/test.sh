#!/usr/bin/env bash
# The kit's own tests on a fresh machine: makes .venv, installs the kit with its dev extras (only
# when pyproject.toml changed since the last install: scripts/venv.sh), installs headless Chromium
# for the report test when it can, lints, then runs the tests (unit, fault injection, mutation
# matrix, reports; about 8-11 minutes on 2 cores). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
ensure_kit dev
if ! command -v chromium >/dev/null 2>&1; then
  # The HTML report is checked in a real browser; without root/apt that one test skips.
  scripts/install-browser.sh || echo "note: chromium could not be installed; the browser test will skip"
fi
.venv/bin/ruff check src tests suites bench
.venv/bin/python -m pytest tests "$@"
