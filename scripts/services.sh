#!/usr/bin/env bash
# Starts, stops and reports the services the integration tests need, on 127.0.0.1 only, without Docker:
#   PostgreSQL (Debian package, private cluster)  127.0.0.1:55432  db/user/password loopgate
#   Mosquitto  (Debian package)                   127.0.0.1:11883  anonymous
#   Apache Kafka 3.9.1 KRaft (Maven Central jars) 127.0.0.1:19092  controller 19093, SASL_SSL 19094
# Usage: scripts/services.sh up|down|status|env [postgres|mosquitto|kafka|all]...
# Idempotent: `up` leaves running services alone and returns once each one is ready.
# State, config and logs live in ${LOOPGATE_SERVICES_DIR:-~/.cache/loopgate/services}; ports can be
# moved with LOOPGATE_PG_PORT, LOOPGATE_MQTT_PORT, LOOPGATE_KAFKA_PORT, LOOPGATE_KAFKA_CONTROLLER_PORT,
# LOOPGATE_KAFKA_SASL_PORT.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=services/common.sh
. "$here/services/common.sh"
# shellcheck source=services/postgres.sh
. "$here/services/postgres.sh"
# shellcheck source=services/mosquitto.sh
. "$here/services/mosquitto.sh"
# shellcheck source=services/kafka.sh
. "$here/services/kafka.sh"

usage() {
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

action="${1:-}"
[ -n "$action" ] || usage
shift
services=("$@")
[ "${#services[@]}" -gt 0 ] || services=(all)
expanded=()
for s in "${services[@]}"; do
  case "$s" in
    all) expanded+=(postgres mosquitto kafka) ;;
    postgres | mosquitto | kafka) expanded+=("$s") ;;
    *) die "unknown service '$s' (postgres, mosquitto, kafka, all)" ;;
  esac
done

fn_prefix() {
  case "$1" in
    postgres) echo pg ;;
    mosquitto) echo mqtt ;;
    kafka) echo kafka ;;
  esac
}

mkdir -p "$SERVICES_DIR/logs"

case "$action" in
  up | down)
    # One `up`/`down` at a time per services dir: parallel test runs share the same services.
    # Services are started with fd 9 closed so they do not inherit (and hold) this lock.
    exec 9>"$SERVICES_DIR/.lock"
    flock -w 600 9 || die "another services.sh holds $SERVICES_DIR/.lock"
    started=$SECONDS
    if [ "$action" = down ]; then
      for ((i = ${#expanded[@]} - 1; i >= 0; i--)); do "$(fn_prefix "${expanded[$i]}")_down"; done
    else
      for s in "${expanded[@]}"; do "$(fn_prefix "$s")_up"; done
    fi
    log "$action ${expanded[*]} done in $((SECONDS - started))s"
    ;;
  status)
    rc=0
    for s in "${expanded[@]}"; do "$(fn_prefix "$s")_status" || rc=1; done
    exit "$rc"
    ;;
  env)
    for s in "${expanded[@]}"; do
      case "$s" in
        postgres) echo "export LOOPGATE_DATABASE_URL=postgres://$PG_USER:$PG_PASSWORD@$SERVICES_HOST:$PG_PORT/$PG_DB" ;;
        mosquitto) echo "export LOOPGATE_MQTT_URL=mqtt://$SERVICES_HOST:$MQTT_PORT" ;;
        kafka)
          echo "export LOOPGATE_KAFKA_BROKERS=$SERVICES_HOST:$KAFKA_PORT"
          # The same broker's SASL_SSL listener: SCRAM-SHA-512, the CA file of its self-signed certificate.
          echo "export LOOPGATE_KAFKA_SASL_BROKERS=$SERVICES_HOST:$KAFKA_SASL_PORT"
          echo "export LOOPGATE_KAFKA_SASL_MECHANISM=scram-sha-512"
          echo "export LOOPGATE_KAFKA_SASL_USERNAME=$KAFKA_SASL_USER"
          if [ -s "$(kafka_tls_dir)/sasl.password" ]; then
            echo "export LOOPGATE_KAFKA_SASL_PASSWORD=$(cat "$(kafka_tls_dir)/sasl.password")"
          fi
          echo "export LOOPGATE_KAFKA_CA_FILE=$(kafka_tls_dir)/ca.pem"
          ;;
      esac
    done
    ;;
  *) usage ;;
esac
