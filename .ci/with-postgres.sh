#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster, then remove the cluster:
#   bash .ci/with-postgres.sh .venv/bin/python -m pytest tests/questions
# The command gets DATABASE_URL (superuser "prep", database "prep" on a free loopback port). The
# cluster lives in a temporary folder with fsync off: it is thrown away, so durability buys nothing.
# Debian's postgresql is installed when missing and we are root; PostgreSQL refuses to run as root,
# so then the server runs as the "postgres" user the package creates.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(pg_bin)" ]; then
  # initdb is not on PATH in Debian; install-missing then sees it missing and installs the server.
  if ! bash "$here/install-missing.sh" initdb=postgresql || [ -z "$(pg_bin)" ]; then
    echo "with-postgres: PostgreSQL is not installed; skipping: $*" >&2
    [ "${CI:-}" != "true" ]
    exit
  fi
fi
bin="$(pg_bin)"
as_server=()
if [ "$(id -u)" -eq 0 ]; then
  as_server=(runuser -u postgres --)
fi

cluster="$(mktemp -d -t prep-postgres.XXXXXX)"
cleanup() {
  "${as_server[@]}" "$bin/pg_ctl" -D "$cluster/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$cluster"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ ${#as_server[@]} -eq 0 ] || chown postgres: "$cluster"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${as_server[@]}" "$bin/initdb" -D "$cluster/data" -U prep -A trust --no-sync -E UTF8 --locale C.UTF-8 >/dev/null
"${as_server[@]}" "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -o \
  "-c listen_addresses=127.0.0.1 -p $port -k $cluster -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null || { cat "$cluster/server.log" >&2; exit 1; }
"$bin/createdb" -h 127.0.0.1 -p "$port" -U prep prep

echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
DATABASE_URL="postgres://prep@127.0.0.1:$port/prep" "$@"
