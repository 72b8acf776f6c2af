#!/usr/bin/env bash
# Install the Debian package behind each missing command, when we are root (as on CI or a fresh VM).
#   bash .ci/install-missing.sh COMMAND=PACKAGE[,PACKAGE]...    e.g. bwrap=bubblewrap chromium=chromium,fonts-dejavu-core
# Not root: say what is missing and carry on (what needs it then skips or says why it is off), except
# under CI=true, where a missing tool would silently turn tests into skips, so it fails.
set -euo pipefail
missing=()
for pair in "$@"; do
  packages="${pair#*=}"
  command -v "${pair%%=*}" >/dev/null || missing+=(${packages//,/ })
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-missing: not root, so not installing: ${missing[*]} (as root: apt-get install ${missing[*]})" >&2
  [ "${CI:-}" != "true" ]
  exit
fi
echo "install-missing: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
