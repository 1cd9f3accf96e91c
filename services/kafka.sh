#!/usr/bin/env bash
# Single-node Apache Kafka broker in KRaft mode on 127.0.0.1, from the jars Maven fetched.
# Usage: services/kafka.sh fetch|up|down|status|logs
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

KAFKA_DIR="$STATE_DIR/kafka"
LIBS="${KAFKA_LIBS:-$KAFKA_DIR/libs}"  # shareable between state folders
DATA="$KAFKA_DIR/data"
CONF="$KAFKA_DIR/server.properties"
PIDFILE="$KAFKA_DIR/broker.pid"
LOG="$KAFKA_DIR/broker.log"

fetch() {
  if ls "$LIBS"/kafka_2.13-*.jar >/dev/null 2>&1 && ls "$LIBS"/slf4j-api-2*.jar >/dev/null 2>&1; then return 0; fi
  command -v mvn >/dev/null || die "Maven (mvn) is missing: run 'make setup' (apt-get install -y maven)."
  info "fetching the Kafka broker jars from Maven Central into $LIBS"
  mvn -q -B -f "$PROJECT_ROOT/services/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$LIBS" -DincludeScope=runtime \
    || die "Maven could not fetch the Kafka jars: check access to Maven Central, then rerun."
}

java_ok() {
  command -v java >/dev/null || die "Java is missing: run 'make setup' (apt-get install -y openjdk-17-jre-headless)."
  local v
  v=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/{print $2}')
  [ "${v%%.*}" -ge 17 ] || die "Kafka 4 needs Java 17 or newer; found $v. Install openjdk-17 or set JAVA_HOME."
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

write_config() {
  mkdir -p "$DATA"
  cat > "$CONF" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA
num.partitions=12
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.ms=-1
message.max.bytes=2097152
CONF
}

classpath() { echo "$LIBS/*"; }

up() {
  java_ok; fetch; check_disk
  if running; then info "Kafka already running (pid $(cat "$PIDFILE")) on $KAFKA_BOOTSTRAP_SERVERS"; return 0; fi
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    port_in_use "$p" && die "port $p is taken by another process: stop it, or set KAFKA_PORT / KAFKA_CONTROLLER_PORT."
  done
  write_config
  if [ ! -f "$DATA/meta.properties" ]; then
    info "formatting KRaft storage in $DATA"
    java -cp "$(classpath)" -Dlog4j2.configurationFile="$PROJECT_ROOT/services/log4j2.properties" \
      kafka.tools.StorageTool format -t "$(java -cp "$(classpath)" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)" \
      -c "$CONF" --ignore-formatted >>"$LOG" 2>&1 || die "formatting Kafka storage failed: see $LOG"
  fi
  info "starting Kafka on $KAFKA_BOOTSTRAP_SERVERS (log: $LOG)"
  KAFKA_LOG_DIR="$KAFKA_DIR" nohup java -Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$PROJECT_ROOT/services/log4j2.properties" -Dkafka.logs.dir="$KAFKA_DIR" \
    -cp "$(classpath)" kafka.Kafka "$CONF" >>"$LOG" 2>&1 &
  echo $! > "$PIDFILE"
  local waited=0
  until port_in_use "$KAFKA_PORT"; do
    running || die "Kafka exited during start-up: see the end of $LOG"
    [ "$waited" -ge "$SERVICE_WAIT_SECONDS" ] && die "Kafka did not listen on $KAFKA_PORT within ${SERVICE_WAIT_SECONDS}s: see $LOG"
    sleep 1; waited=$((waited + 1))
  done
  info "Kafka is up (pid $(cat "$PIDFILE"))"
}

down() {
  if ! running; then info "Kafka is not running"; rm -f "$PIDFILE"; return 0; fi
  local pid; pid=$(cat "$PIDFILE"); kill "$pid"
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  rm -f "$PIDFILE"; info "Kafka stopped"
}

case "${1:-}" in
  fetch) java_ok; fetch ;;
  up) up ;;
  down) down ;;
  status) if running; then echo "kafka: running (pid $(cat "$PIDFILE")) on $KAFKA_BOOTSTRAP_SERVERS"; else echo "kafka: stopped"; exit 1; fi ;;
  logs) tail -n 100 "$LOG" ;;
  *) echo "usage: $0 fetch|up|down|status|logs" >&2; exit 2 ;;
esac
