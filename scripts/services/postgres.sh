# shellcheck shell=bash
# Sourced by scripts/services.sh: a private PostgreSQL cluster on 127.0.0.1:$PG_PORT.
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` system user.

pg_bindir() {
  local initdb
  initdb="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)"
  [ -n "$initdb" ] || initdb="$(command -v initdb 2>/dev/null || true)"
  [ -n "$initdb" ] && dirname "$(readlink -f "$initdb")"
}

pg_ensure_installed() {
  if [ -z "$(pg_bindir)" ]; then apt_install postgresql; fi
  [ -n "$(pg_bindir)" ] || die "PostgreSQL server binaries not found after install"
}

pg_run_user() { if is_root; then echo postgres; else id -un; fi; }

# Runs a command as the user that owns the cluster.
pg_as_owner() {
  if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The cluster lives under the services dir when its owner can reach it; root's home is
# usually closed to `postgres`, so then it lives in /var/tmp under a name derived from that dir.
pg_home() {
  local pointer="$SERVICES_DIR/postgres.home" home
  if [ -s "$pointer" ]; then
    # The pointer outlives /var/tmp cleaners: recreate the directory it names.
    home="$(cat "$pointer")"
    mkdir -p "$home"
    is_root && chown postgres: "$home"
    printf '%s\n' "$home"
    return
  fi
  home="$SERVICES_DIR/postgres"
  if is_root; then
    mkdir -p "$home"
    chown postgres: "$home"
    if ! runuser -u postgres -- test -w "$home" 2>/dev/null; then
      rmdir "$home" 2>/dev/null || true
      home="/var/tmp/loopgate-postgres-$(printf '%s' "$SERVICES_DIR" | cksum | cut -d' ' -f1)"
    fi
  fi
  mkdir -p "$home"
  is_root && chown postgres: "$home"
  printf '%s\n' "$home" >"$pointer"
  printf '%s\n' "$home"
}

pg_pidfile() { echo "$SERVICES_DIR/postgres.pid"; }

pg_ready() {
  "$(pg_bindir)/pg_isready" -q -h "$SERVICES_HOST" -p "$PG_PORT" -d "$PG_DB" -U "$PG_USER" -t 2
}

pg_up() {
  pg_ensure_installed
  local bin home data
  bin="$(pg_bindir)"
  home="$(pg_home)"
  data="$home/data"
  if [ ! -s "$data/PG_VERSION" ]; then
    log "postgres: initdb $data (owner $(pg_run_user))"
    rm -rf "$data"
    pg_as_owner "$bin/initdb" -D "$data" -U postgres -E UTF8 --no-locale \
      --auth-local=trust --auth-host=scram-sha-256 >"$home/initdb.log" 2>&1 ||
      die "initdb failed, see $home/initdb.log"
    # Test cluster: loopback only, the socket inside the data dir, enough connections for parallel pools.
    pg_as_owner tee -a "$data/postgresql.conf" >/dev/null <<EOF
# loopgate services
listen_addresses = '$SERVICES_HOST'
port = $PG_PORT
unix_socket_directories = '$data'
max_connections = 200
EOF
  fi
  if ! pg_as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "postgres: starting on $SERVICES_HOST:$PG_PORT"
    pg_as_owner "$bin/pg_ctl" -D "$data" -l "$home/postgres.log" -w -t 60 start >/dev/null 9>&- ||
      die "postgres did not start, see $home/postgres.log"
  fi
  head -1 "$data/postmaster.pid" >"$(pg_pidfile)"
  ln -sfn "$home/postgres.log" "$SERVICES_DIR/logs/postgres.log"
  wait_until 60 "postgres" pg_ready_socket "$data" || die "postgres not accepting connections, see $home/postgres.log"
  pg_as_owner "$bin/psql" -q -v ON_ERROR_STOP=1 -h "$data" -p "$PG_PORT" -U postgres -d postgres >/dev/null <<EOF ||
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE $PG_DB OWNER $PG_USER' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_DB')\gexec
EOF
    die "could not create role/database $PG_USER/$PG_DB"
  wait_until 30 "postgres $PG_USER@$SERVICES_HOST:$PG_PORT/$PG_DB" pg_ready || die "postgres not ready on $SERVICES_HOST:$PG_PORT"
}

pg_ready_socket() { "$(pg_bindir)/pg_isready" -q -h "$1" -p "$PG_PORT" -t 2; }

pg_down() {
  local bin home
  bin="$(pg_bindir)"
  [ -n "$bin" ] && [ -s "$SERVICES_DIR/postgres.home" ] || return 0
  home="$(cat "$SERVICES_DIR/postgres.home")"
  if [ -s "$home/data/PG_VERSION" ] && pg_as_owner "$bin/pg_ctl" -D "$home/data" status >/dev/null 2>&1; then
    log "postgres: stopping"
    pg_as_owner "$bin/pg_ctl" -D "$home/data" -m fast -w -t 60 stop >/dev/null
  fi
  rm -f "$(pg_pidfile)"
}

pg_status() {
  if pid_alive "$(pg_pidfile)" && [ -n "$(pg_bindir)" ] && pg_ready; then
    echo "postgres   running  pid=$(cat "$(pg_pidfile)") url=postgres://$PG_USER:$PG_PASSWORD@$SERVICES_HOST:$PG_PORT/$PG_DB"
  else
    echo "postgres   stopped"
    return 1
  fi
}
