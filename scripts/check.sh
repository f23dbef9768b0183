#!/usr/bin/env bash
# A conformance check on the embedded reference mocks, on a fresh machine: makes .venv, installs
# the kit (only when pyproject.toml changed since the last install: scripts/venv.sh), then runs
# `apiconform run` for each profile (default: both).
#   scripts/check.sh                   both profiles, reports under reports/
#   scripts/check.sh booga --seed 7    one profile; extra arguments go to `apiconform run`
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
ensure_kit
status=0
if [ $# -gt 0 ]; then
  profile=$1
  shift
  .venv/bin/apiconform run "$profile" "$@" || status=$?
else
  for profile in boomerang booga; do
    .venv/bin/apiconform run "$profile" || status=$?
  done
fi
# The command lives in .venv, which a new shell does not have on its PATH: say how to reach it,
# with absolute paths, so the lines work as printed from any folder.
kit=$(pwd)/.venv/bin
shown=$(printf "%q" "$kit")  # quoted for a shell, should the path hold a space
if [ "$(command -v apiconform || true)" != "$kit/apiconform" ]; then
  cat >&2 <<MSG

apiconform is installed in $kit (not on your PATH). In a new shell, run it as
  $shown/apiconform --help
or put it on the PATH for that shell first:  . $shown/activate
MSG
fi
exit "$status"
