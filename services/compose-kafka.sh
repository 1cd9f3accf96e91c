#!/usr/bin/env bash
# docker-compose command of the kafka service (apache/kafka image): single KRaft node whose clients
# authenticate with SASL/SCRAM-SHA-512 and are authorised by ACLs (StandardAuthorizer).
# The SCRAM users are created when the storage is formatted (first start); the migrate service's
# `motcua ingest topic`, as motcua-admin, creates both topics (case and staff events) with their
# retention and grants the ACLs on each (see kafka-sasl.sh).
set -euo pipefail
source "$(dirname "$0")/kafka-sasl.sh"
umask 077
: "${MOTCUA_KAFKA_ADMIN_PASSWORD:?MOTCUA_KAFKA_ADMIN_PASSWORD is required}"
: "${MOTCUA_KAFKA_LOADER_PASSWORD:?MOTCUA_KAFKA_LOADER_PASSWORD is required}"
: "${MOTCUA_KAFKA_PRODUCER_PASSWORD:?MOTCUA_KAFKA_PRODUCER_PASSWORD is required}"
: "${MOTCUA_KAFKA_CONTROLLER_PASSWORD:?MOTCUA_KAFKA_CONTROLLER_PASSWORD is required}"
DATA=/var/lib/kafka/data
CONF_DIR=$(mktemp -d)
CONF="$CONF_DIR/server.properties"
RETENTION_MS=$(( ${MOTCUA_RAW_TOPIC_RETENTION_DAYS:-30} * 24 * 3600 * 1000 ))

cat > "$CONF" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
controller.listener.names=CONTROLLER
listeners=CLIENT://:9092,CONTROLLER://localhost:9093
advertised.listeners=CLIENT://kafka:9092
log.dirs=$DATA
num.partitions=12
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
log.retention.ms=$RETENTION_MS
message.max.bytes=2097152
CONF
kafka_sasl_properties >> "$CONF"

if [ ! -f "$DATA/meta.properties" ]; then
  /opt/kafka/bin/kafka-storage.sh format -t "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" -c "$CONF" \
    --add-scram "SCRAM-SHA-512=[name=motcua-admin,password=$MOTCUA_KAFKA_ADMIN_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=motcua-loader,password=$MOTCUA_KAFKA_LOADER_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=motcua-producer,password=$MOTCUA_KAFKA_PRODUCER_PASSWORD]"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$CONF"
