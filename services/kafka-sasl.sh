# The broker's SASL/SCRAM + ACL settings, shared by services/kafka.sh (local, MOTCUA_KAFKA_SASL=1)
# and services/compose-kafka.sh (docker-compose). Sourced; prints server.properties lines. The
# listeners differ per deployment and are written by the caller.
# The ACLs are per topic and are not broker settings: `motcua ingest topic` (as motcua-admin, see
# ingestion/kafka_client.grant_acls) grants, on each of the two topics, WRITE + DESCRIBE to
# User:motcua-producer and READ + DESCRIBE to User:motcua-loader, with READ on that topic's
# loader group: motcua.case-events -> group motcua-raw-loader, motcua.staff-events -> group
# motcua-staff-loader (KAFKA_TOPIC / KAFKA_CONSUMER_GROUP, KAFKA_STAFF_TOPIC /
# KAFKA_STAFF_CONSUMER_GROUP). Nothing else is allowed (allow.everyone.if.no.acl.found=false).
kafka_sasl_properties() {
  cat <<CONF
listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,CLIENT:SASL_PLAINTEXT
inter.broker.listener.name=CLIENT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.client.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="motcua-admin" password="$MOTCUA_KAFKA_ADMIN_PASSWORD";
# The controller listener authenticates too (PLAIN: SCRAM users live in the metadata it serves).
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="motcua-controller" password="$MOTCUA_KAFKA_CONTROLLER_PASSWORD" user_motcua-controller="$MOTCUA_KAFKA_CONTROLLER_PASSWORD";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:motcua-admin;User:motcua-controller
allow.everyone.if.no.acl.found=false
CONF
}
