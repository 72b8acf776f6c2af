#!/usr/bin/env bash
# System packages the test suite drives for real: Redis (broker for the integration tests), Chromium
# (browser tests, via Playwright's executable_path), bubblewrap (the code sandbox) and docker-compose
# (validates docker-compose.yml). Installed only when missing and only as root; PostgreSQL is installed
# by .ci/with-postgres.sh, which needs it.
set -euo pipefail
cd "$(dirname "$0")"
bash install-missing.sh redis-server=redis-server chromium=chromium,fonts-dejavu-core bwrap=bubblewrap \
  docker-compose=docker-compose
