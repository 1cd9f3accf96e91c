#!/usr/bin/env bash
# Single-node Apache Kafka broker in KRaft mode on 127.0.0.1, from the jars Maven fetched.
# Usage: services/kafka.sh fetch|up|down|status|logs
# MOTCUA_KAFKA_SASL=1: clients must authenticate with SASL/SCRAM-SHA-512 and are authorised by
# ACLs (StandardAuthorizer). The users motcua-admin (super user), motcua-loader and motcua-producer
# are created when the storage is formatted, with passwords generated into $STATE_DIR/secrets.env;
# `motcua ingest topic` (as motcua-admin) creates both topics (case and staff events) and grants
# the loader and the producer their ACLs on each (see kafka-sasl.sh).
# Switching an existing broker to SASL needs a new storage: `down`, remove $STATE_DIR/kafka/data, `up`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$(dirname "${BASH_SOURCE[0]}")/kafka-sasl.sh"

KAFKA_DIR="$STATE_DIR/kafka"
LIBS="${KAFKA_LIBS:-$KAFKA_DIR/libs}"  # shareable between state folders
DATA="$KAFKA_DIR/data"
CONF="$KAFKA_DIR/server.properties"
PIDFILE="$KAFKA_DIR/broker.pid"
LOG="$KAFKA_DIR/broker.log"
SECRETS="$STATE_DIR/secrets.env"
SASL="${MOTCUA_KAFKA_SASL:-0}"
[[ "$MOTCUA_RAW_TOPIC_RETENTION_DAYS" =~ ^[1-9][0-9]{0,4}$ ]] \
  || die "MOTCUA_RAW_TOPIC_RETENTION_DAYS must be a whole number of days >= 1, not '$MOTCUA_RAW_TOPIC_RETENTION_DAYS'"
RETENTION_MS=$((MOTCUA_RAW_TOPIC_RETENTION_DAYS * 24 * 3600 * 1000))

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

# Generated Kafka passwords (kept beside the PostgreSQL ones, same 600 file); values already in
# the environment win, as for the database roles.
kafka_secrets() {
  mkdir -p "$STATE_DIR"; touch "$SECRETS"; chmod 600 "$SECRETS"
  local user var
  for user in ADMIN LOADER PRODUCER CONTROLLER; do
    var="MOTCUA_KAFKA_${user}_PASSWORD"
    if [ -z "${!var:-}" ] && ! grep -q "^$var=" "$SECRETS"; then
      echo "$var=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" >> "$SECRETS"
    fi
    [ -n "${!var:-}" ] || export "$var=$(grep "^$var=" "$SECRETS" | tail -1 | cut -d= -f2-)"
  done
}

write_config() {
  mkdir -p "$DATA"
  chmod 700 "$KAFKA_DIR" "$DATA"
  # data written before the umask: applicants' personal data must not stay world-readable
  chmod -R go-rwx "$KAFKA_DIR" 2>/dev/null || true
  cat > "$CONF" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
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
# Finite by default (MOTCUA_RAW_TOPIC_RETENTION_DAYS); 'motcua ingest topic' also sets it on the topic.
log.retention.ms=$RETENTION_MS
message.max.bytes=2097152
CONF
  if [ "$SASL" = 1 ]; then
    cat >> "$CONF" <<CONF
listeners=CLIENT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=CLIENT://127.0.0.1:$KAFKA_PORT
CONF
    kafka_sasl_properties >> "$CONF"
  else
    cat >> "$CONF" <<CONF
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
CONF
  fi
}

classpath() { echo "$LIBS/*"; }

up() {
  java_ok; fetch; check_disk
  if running; then info "Kafka already running (pid $(cat "$PIDFILE")) on $KAFKA_BOOTSTRAP_SERVERS"; return 0; fi
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    port_in_use "$p" && die "port $p is taken by another process: stop it, or set KAFKA_PORT / KAFKA_CONTROLLER_PORT."
  done
  local scram=()
  if [ "$SASL" = 1 ]; then
    kafka_secrets
    local u
    for u in admin loader producer; do
      local var="MOTCUA_KAFKA_${u^^}_PASSWORD"
      scram+=(--add-scram "SCRAM-SHA-512=[name=motcua-$u,password=${!var}]")
    done
  elif [ "$SASL" != 0 ]; then
    die "MOTCUA_KAFKA_SASL must be 0 or 1, not '$SASL'"
  fi
  write_config
  if [ ! -f "$DATA/meta.properties" ]; then
    info "formatting KRaft storage in $DATA${scram:+ (SASL/SCRAM users motcua-admin, motcua-loader, motcua-producer)}"
    java -cp "$(classpath)" -Dlog4j2.configurationFile="$PROJECT_ROOT/services/log4j2.properties" \
      kafka.tools.StorageTool format -t "$(java -cp "$(classpath)" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)" \
      -c "$CONF" --ignore-formatted "${scram[@]}" >>"$LOG" 2>&1 || die "formatting Kafka storage failed: see $LOG"
    echo "$SASL" > "$KAFKA_DIR/formatted-sasl"
  fi
  # SCRAM users exist only if the storage was formatted with them
  [ "$(cat "$KAFKA_DIR/formatted-sasl" 2>/dev/null || echo 0)" = "$SASL" ] \
    || die "the Kafka storage in $DATA was formatted with MOTCUA_KAFKA_SASL=$(cat "$KAFKA_DIR/formatted-sasl" 2>/dev/null || echo 0): set it back, or stop Kafka and remove $DATA to re-create the broker (its events are lost)."
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
