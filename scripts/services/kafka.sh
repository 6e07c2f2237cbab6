# shellcheck shell=bash
# Sourced by scripts/services.sh: Apache Kafka in KRaft mode, one combined broker/controller,
# run from its Maven Central jars (no distribution tarball, no Docker).

kafka_dir() { echo "$SERVICES_DIR/kafka"; }
kafka_pidfile() { echo "$SERVICES_DIR/kafka.pid"; }

kafka_ensure_java() {
  command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
}

# Resolves kafka_2.13 and its runtime dependencies once; later runs find the complete marker.
kafka_resolve_jars() {
  [ -f "$KAFKA_LIBS/.complete" ] && return 0
  command -v mvn >/dev/null 2>&1 || apt_install maven
  local work
  work="$(dirname "$KAFKA_LIBS")/resolve.$$"
  rm -rf "$work" && mkdir -p "$work"
  cp "$SERVICES_SCRIPTS/kafka-runtime.pom.xml" "$work/pom.xml"
  log "kafka: resolving kafka_2.13:$KAFKA_VERSION jars from Maven Central (first run only)"
  (cd "$work" && mvn -q -B -ntp dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$work/libs") \
    >"$work/mvn.log" 2>&1 || die "maven could not resolve the Kafka jars, see $work/mvn.log"
  ls "$work/libs"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null 2>&1 || die "kafka_2.13-$KAFKA_VERSION.jar missing after resolve"
  touch "$work/libs/.complete"
  rm -rf "$KAFKA_LIBS"
  mv "$work/libs" "$KAFKA_LIBS"
  rm -rf "$work"
}

# The java command line, as an array so `setsid` can exec it (the pid file then holds java's pid).
kafka_java_cmd() {
  # shellcheck disable=SC2206 # KAFKA_HEAP holds several JVM flags
  KAFKA_JAVA=(java $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    "-Dlog4j.configuration=file:$(kafka_dir)/log4j.properties" "-Dkafka.logs.dir=$(kafka_dir)/logs"
    -cp "$KAFKA_LIBS/*")
}

kafka_tls_dir() { echo "$(kafka_dir)/tls"; }

# The SASL_SSL listener's secrets, made once: a keystore with a self-signed certificate for
# 127.0.0.1/localhost (its PEM is the clients' CA file) and the SCRAM user's password.
kafka_ensure_secrets() {
  local tls
  tls="$(kafka_tls_dir)"
  mkdir -p "$tls" && chmod 700 "$tls"
  [ -s "$tls/store.password" ] || head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$tls/store.password"
  [ -s "$tls/sasl.password" ] || head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$tls/sasl.password"
  chmod 600 "$tls/store.password" "$tls/sasl.password"
  if [ ! -s "$tls/broker.p12" ] || [ ! -s "$tls/ca.pem" ]; then
    rm -f "$tls/broker.p12" "$tls/ca.pem"
    log "kafka: generating the SASL_SSL listener's self-signed certificate"
    keytool -genkeypair -noprompt -alias broker -keyalg RSA -keysize 2048 -validity 3650 \
      -dname "CN=localhost, O=Loopgate services" -ext "SAN=ip:$SERVICES_HOST,dns:localhost" \
      -storetype PKCS12 -keystore "$tls/broker.p12" -storepass "$(cat "$tls/store.password")" >/dev/null 2>&1 ||
      die "keytool could not create $tls/broker.p12"
    keytool -exportcert -rfc -alias broker -keystore "$tls/broker.p12" -storepass "$(cat "$tls/store.password")" \
      -file "$tls/ca.pem" >/dev/null 2>&1 || die "keytool could not export $tls/ca.pem"
  fi
}

# Creates the SCRAM user through the plaintext listener, once per data directory.
kafka_ensure_scram_user() {
  local dir marker
  dir="$(kafka_dir)"
  marker="$dir/data/.loopgate-scram-$KAFKA_SASL_USER"
  [ -f "$marker" ] && return 0
  kafka_java_cmd
  "${KAFKA_JAVA[@]}" kafka.admin.ConfigCommand --bootstrap-server "$SERVICES_HOST:$KAFKA_PORT" --alter \
    --entity-type users --entity-name "$KAFKA_SASL_USER" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$(cat "$(kafka_tls_dir)/sasl.password")]" \
    >"$dir/logs/scram.log" 2>&1 || die "kafka: could not create the SCRAM user, see $dir/logs/scram.log"
  touch "$marker"
  log "kafka: SCRAM-SHA-512 user $KAFKA_SASL_USER ready on $SERVICES_HOST:$KAFKA_SASL_PORT (SASL_SSL)"
}

kafka_render_config() {
  local dir tls
  dir="$(kafka_dir)"
  tls="$(kafka_tls_dir)"
  cat <<EOF
# loopgate services: single combined broker/controller, loopback only (tests and local runs)
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$SERVICES_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$SERVICES_HOST:$KAFKA_PORT,CONTROLLER://$SERVICES_HOST:$KAFKA_CONTROLLER_PORT,SASL_SSL://$SERVICES_HOST:$KAFKA_SASL_PORT
advertised.listeners=PLAINTEXT://$SERVICES_HOST:$KAFKA_PORT,SASL_SSL://$SERVICES_HOST:$KAFKA_SASL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PKCS12
listener.name.sasl_ssl.ssl.keystore.location=$tls/broker.p12
listener.name.sasl_ssl.ssl.keystore.password=$(cat "$tls/store.password")
log.dirs=$dir/data
num.partitions=12
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=24
log.segment.bytes=67108864
EOF
}

kafka_write_config() {
  local dir
  dir="$(kafka_dir)"
  mkdir -p "$dir/data" "$dir/logs"
  kafka_render_config >"$dir/server.properties"
  chmod 600 "$dir/server.properties"
  cat >"$dir/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$dir/logs/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
EOF
}

# Answers a metadata request and creates a topic with a leader; without node+kafkajs, the log line.
kafka_ready() {
  if command -v node >/dev/null 2>&1 && (cd "$REPO_ROOT" && node -e "require.resolve('kafkajs')" >/dev/null 2>&1); then
    node "$SERVICES_SCRIPTS/kafka-ready.cjs" "$SERVICES_HOST:$KAFKA_PORT" "${1:-2}" 2>/dev/null
  else
    port_open "$KAFKA_PORT" && grep -q 'Kafka Server started' "$(kafka_dir)/logs/server.log" 2>/dev/null
  fi
}

kafka_ready_or_dead() {
  pid_alive "$(kafka_pidfile)" kafka.Kafka || die "kafka exited: $(tail -20 "$(kafka_dir)/logs/stdout.log" "$(kafka_dir)/logs/server.log" 2>/dev/null)"
  kafka_ready 5
}

kafka_up() {
  kafka_ensure_java
  kafka_resolve_jars
  kafka_ensure_secrets
  local dir
  dir="$(kafka_dir)"
  if pid_alive "$(kafka_pidfile)" kafka.Kafka; then
    if [ "$(kafka_render_config)" = "$(cat "$dir/server.properties" 2>/dev/null)" ]; then
      wait_until 120 "kafka" kafka_ready_or_dead || die "kafka (pid $(cat "$(kafka_pidfile)")) not ready, see $dir/logs/server.log"
      kafka_ensure_scram_user
      return
    fi
    # A broker started from an older configuration (e.g. before the SASL_SSL listener): restart it once.
    log "kafka: the running broker's configuration is out of date; restarting it (data kept)"
    kafka_down
  fi
  if port_open "$KAFKA_PORT" || port_open "$KAFKA_CONTROLLER_PORT" || port_open "$KAFKA_SASL_PORT"; then
    die "port $KAFKA_PORT, $KAFKA_CONTROLLER_PORT or $KAFKA_SASL_PORT is taken by another process"
  fi
  kafka_write_config
  kafka_java_cmd
  if [ ! -s "$dir/data/meta.properties" ]; then
    # A cluster id is 16 random bytes in URL-safe base64; one that begins with '-' is read by the
    # storage tool as an option (one start in 64 failed that way), so its first character is a letter.
    if [ ! -s "$dir/cluster.id" ] || [ "$(head -c 1 "$dir/cluster.id")" = "-" ]; then
      head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' | sed 's/^-/A/' >"$dir/cluster.id"
    fi
    log "kafka: formatting $dir/data (cluster $(cat "$dir/cluster.id"))"
    "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format -t "$(cat "$dir/cluster.id")" -c "$dir/server.properties" \
      --ignore-formatted >"$dir/logs/format.log" 2>&1 || die "kafka storage format failed, see $dir/logs/format.log"
  fi
  log "kafka: starting on $SERVICES_HOST:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)"
  # Its own session: the broker outlives the test run that started it, until `down`.
  setsid "${KAFKA_JAVA[@]}" kafka.Kafka "$dir/server.properties" </dev/null >"$dir/logs/stdout.log" 2>&1 9>&- &
  echo $! >"$(kafka_pidfile)"
  ln -sfn "$dir/logs/server.log" "$SERVICES_DIR/logs/kafka.log"
  wait_until 120 "kafka $SERVICES_HOST:$KAFKA_PORT" kafka_ready_or_dead || die "kafka not ready after 120s, see $dir/logs/server.log"
  kafka_ensure_scram_user
}

kafka_down() {
  if pid_alive "$(kafka_pidfile)" kafka.Kafka; then log "kafka: stopping"; fi
  stop_pidfile "$(kafka_pidfile)" 60 kafka.Kafka
}

kafka_status() {
  if pid_alive "$(kafka_pidfile)" kafka.Kafka && kafka_ready 3; then
    echo "kafka      running  pid=$(cat "$(kafka_pidfile)") brokers=$SERVICES_HOST:$KAFKA_PORT sasl_ssl=$SERVICES_HOST:$KAFKA_SASL_PORT"
  else
    echo "kafka      stopped"
    return 1
  fi
}
