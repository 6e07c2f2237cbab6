# shellcheck shell=bash
# Sourced by scripts/services.sh: a Mosquitto broker on 127.0.0.1:$MQTT_PORT, anonymous (tests only).

mqtt_dir() { echo "$SERVICES_DIR/mosquitto"; }
mqtt_pidfile() { echo "$SERVICES_DIR/mosquitto.pid"; }

mqtt_ready() { port_open "$MQTT_PORT"; }

mqtt_up() {
  command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || apt_install mosquitto
  local bin dir
  bin="$(command -v mosquitto 2>/dev/null || echo /usr/sbin/mosquitto)"
  dir="$(mqtt_dir)"
  mkdir -p "$dir"
  if pid_alive "$(mqtt_pidfile)" mosquitto; then
    wait_until 30 "mosquitto" mqtt_ready || die "mosquitto (pid $(cat "$(mqtt_pidfile)")) not accepting on $MQTT_PORT"
    return
  fi
  if port_open "$MQTT_PORT"; then die "port $MQTT_PORT is taken by another process"; fi
  # `user` keeps the current user: as root mosquitto would otherwise switch to `mosquitto` and lose the log file.
  cat >"$dir/mosquitto.conf" <<EOF
# loopgate services: test broker, loopback only
listener $MQTT_PORT $SERVICES_HOST
allow_anonymous true
persistence false
user $(id -un)
log_dest file $SERVICES_DIR/logs/mosquitto.log
log_type error
log_type warning
log_type notice
log_timestamp_format %Y-%m-%dT%H:%M:%S
EOF
  log "mosquitto: starting on $SERVICES_HOST:$MQTT_PORT"
  setsid "$bin" -c "$dir/mosquitto.conf" </dev/null >>"$SERVICES_DIR/logs/mosquitto.out" 2>&1 9>&- &
  echo $! >"$(mqtt_pidfile)"
  wait_until 30 "mosquitto $SERVICES_HOST:$MQTT_PORT" mqtt_ready_or_dead ||
    die "mosquitto did not start, see $SERVICES_DIR/logs/mosquitto.log"
}

mqtt_ready_or_dead() {
  pid_alive "$(mqtt_pidfile)" mosquitto || die "mosquitto exited: $(tail -5 "$SERVICES_DIR/logs/mosquitto.out" "$SERVICES_DIR/logs/mosquitto.log" 2>/dev/null)"
  mqtt_ready
}

mqtt_down() {
  if pid_alive "$(mqtt_pidfile)" mosquitto; then log "mosquitto: stopping"; fi
  stop_pidfile "$(mqtt_pidfile)" 10 mosquitto
}

mqtt_status() {
  if pid_alive "$(mqtt_pidfile)" mosquitto && mqtt_ready; then
    echo "mosquitto  running  pid=$(cat "$(mqtt_pidfile)") url=mqtt://$SERVICES_HOST:$MQTT_PORT"
  else
    echo "mosquitto  stopped"
    return 1
  fi
}
