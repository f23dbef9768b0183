#!/usr/bin/env bash
# Headless Chromium (and its WebDriver) for the kit's browser test of report.html
# (tests/test_report_browser.py). Debian/Ubuntu (apt-get); root, or passwordless sudo as on
# GitHub-hosted runners. Idempotent: does nothing when both are installed. Quiet unless it fails.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && \
       $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-browser.sh: could not install chromium" >&2
  exit 1
fi
command -v chromium >/dev/null
