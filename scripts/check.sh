#!/usr/bin/env bash
# A conformance run on the embedded reference mock, on a fresh machine: makes .venv,
# installs the kit, runs `apiconform run PROFILE` (default boomerang). Extra arguments go
# to `apiconform run`, e.g. `scripts/check.sh booga --report-dir reports/booga`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet -e .
profile=${1:-boomerang}
shift || true
exec .venv/bin/apiconform run "$profile" "$@"
