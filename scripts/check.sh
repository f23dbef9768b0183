#!/usr/bin/env bash
# A conformance check on the embedded reference mocks, on a fresh machine: makes .venv,
# installs the kit, then runs `apiconform run` for each profile (default: both).
#   scripts/check.sh                   both profiles, reports under reports/
#   scripts/check.sh booga --seed 7    one profile; extra arguments go to `apiconform run`
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
if [ $# -gt 0 ]; then
  profile=$1
  shift
  exec .venv/bin/apiconform run "$profile" "$@"
fi
status=0
for profile in boomerang booga; do
  .venv/bin/apiconform run "$profile" || status=$?
done
exit "$status"
