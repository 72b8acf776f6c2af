#!/usr/bin/env bash
# System packages the test suite drives for real: Redis (broker for the integration tests),
# Chromium (browser tests, via Playwright's executable_path) and bubblewrap (the code sandbox).
# Installed only when missing, and only when we are root (as on CI); otherwise the tests that
# need them skip with a reason, except under CI=true where they must run.
set -euo pipefail
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v chromium >/dev/null || missing+=(chromium)
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v psql >/dev/null || true
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "test-deps: not root; missing ${missing[*]} (tests that need them will skip)" >&2
  exit 0
fi
echo "test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" fonts-dejavu-core >/dev/null
