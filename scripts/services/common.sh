# shellcheck shell=bash
# Sourced by scripts/services.sh: paths, ports and small helpers shared by every service.
# Every value can be overridden from the environment so a test can run a private instance.

LOOPGATE_CACHE="${LOOPGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/loopgate}"
SERVICES_DIR="${LOOPGATE_SERVICES_DIR:-$LOOPGATE_CACHE/services}"
SERVICES_HOST=127.0.0.1

PG_PORT="${LOOPGATE_PG_PORT:-55432}"
PG_DB=loopgate
PG_USER=loopgate
PG_PASSWORD=loopgate

MQTT_PORT="${LOOPGATE_MQTT_PORT:-11883}"

KAFKA_VERSION=3.9.1
KAFKA_PORT="${LOOPGATE_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${LOOPGATE_KAFKA_CONTROLLER_PORT:-19093}"
# SASL_SSL listener beside the plaintext one: SCRAM-SHA-512 user, self-signed certificate for 127.0.0.1.
KAFKA_SASL_PORT="${LOOPGATE_KAFKA_SASL_PORT:-$((KAFKA_PORT + 2))}"
KAFKA_SASL_USER=loopgate
# The jars are shared by every services dir: resolving them is the slow part of a cold start.
KAFKA_LIBS="${LOOPGATE_KAFKA_LIBS:-$LOOPGATE_CACHE/kafka-$KAFKA_VERSION/libs}"
KAFKA_HEAP="${LOOPGATE_KAFKA_HEAP:--Xms256m -Xmx768m}"

SERVICES_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SERVICES_SCRIPTS/../.." && pwd)"

log() { printf 'services: %s\n' "$*" >&2; }
die() {
  printf 'services: error: %s\n' "$*" >&2
  exit 1
}

is_root() { [ "$(id -u)" = 0 ]; }

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if is_root; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else die "need root (or sudo) to run: $*"; fi
}

APT_UPDATED=0
# Installs Debian packages that are missing; `apt-get update` runs at most once per invocation.
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* yourself"
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 || die "apt-get install $* failed"
}

# True when the process in the pid file is alive (and, given a pattern, still that program:
# after a reboot a stale pid file may name an unrelated process).
pid_alive() {
  local pidfile="$1" pattern="${2:-}" pid
  [ -s "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [ -z "$pattern" ] || tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  (exec 3<>"/dev/tcp/$SERVICES_HOST/$1") 2>/dev/null
}

# Waits until "$@" succeeds, polling every 0.2 s, at most $timeout seconds.
wait_until() {
  local timeout="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
  log "$what ready"
}

# Sends TERM to the process in the pid file (if it is still the program matching $3), waits for
# it to exit, KILL after $2 seconds.
stop_pidfile() {
  local pidfile="$1" grace="${2:-30}" pattern="${3:-}" pid
  pid_alive "$pidfile" "$pattern" || {
    rm -f "$pidfile"
    return 0
  }
  pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "pid $pid did not stop within ${grace}s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.2
  done
  rm -f "$pidfile"
}
