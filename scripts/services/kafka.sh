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

kafka_write_config() {
  local dir
  dir="$(kafka_dir)"
  mkdir -p "$dir/data" "$dir/logs"
  cat >"$dir/server.properties" <<EOF
# loopgate services: single combined broker/controller, loopback only (tests and local runs)
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$SERVICES_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$SERVICES_HOST:$KAFKA_PORT,CONTROLLER://$SERVICES_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$SERVICES_HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
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
  local dir
  dir="$(kafka_dir)"
  if pid_alive "$(kafka_pidfile)" kafka.Kafka; then
    wait_until 120 "kafka" kafka_ready_or_dead || die "kafka (pid $(cat "$(kafka_pidfile)")) not ready, see $dir/logs/server.log"
    return
  fi
  if port_open "$KAFKA_PORT" || port_open "$KAFKA_CONTROLLER_PORT"; then
    die "port $KAFKA_PORT or $KAFKA_CONTROLLER_PORT is taken by another process"
  fi
  kafka_write_config
  kafka_java_cmd
  if [ ! -s "$dir/data/meta.properties" ]; then
    [ -s "$dir/cluster.id" ] || head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$dir/cluster.id"
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
}

kafka_down() {
  if pid_alive "$(kafka_pidfile)" kafka.Kafka; then log "kafka: stopping"; fi
  stop_pidfile "$(kafka_pidfile)" 60 kafka.Kafka
}

kafka_status() {
  if pid_alive "$(kafka_pidfile)" kafka.Kafka && kafka_ready 3; then
    echo "kafka      running  pid=$(cat "$(kafka_pidfile)") brokers=$SERVICES_HOST:$KAFKA_PORT"
  else
    echo "kafka      stopped"
    return 1
  fi
}
