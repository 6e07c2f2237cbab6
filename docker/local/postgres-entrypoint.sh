#!/usr/bin/env bash
# First start: initdb with POSTGRES_USER/POSTGRES_PASSWORD, create POSTGRES_DB, accept password
# logins from the container network. Later starts: run the server on the existing data.
set -euo pipefail
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  if [ "$db" != "postgres" ]; then
    postgres -D "$PGDATA" -c listen_addresses='' &
    pid=$!
    until pg_isready -q -h /var/run/postgresql -U "$user" -d postgres; do sleep 0.2; done
    createdb -h /var/run/postgresql -U "$user" "$db"
    kill -INT "$pid" && wait "$pid" || true
  fi
fi
if [ "${1:-}" = "postgres" ]; then shift; exec postgres -D "$PGDATA" "$@"; fi
exec "$@"
