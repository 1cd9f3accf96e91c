"""Create the case-events topic when it is missing."""
from __future__ import annotations

from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from ingestion.kafka_client import grant_acls, make_admin, raw_topic_retention_ms, security_config
from motcua.settings import KafkaSettings


def ensure_topic(bootstrap: str, topic: str, partitions: int = 12, replication_factor: int = 1) -> bool:
    """Create `topic` with `partitions` partitions unless it exists; True when created.

    An existing topic is left as it is, even with another partition count: repartitioning
    would move keys (case_id) between partitions.
    """
    admin = make_admin(bootstrap, client_id="motcua-generator-admin")
    try:
        if topic in admin.list_topics():
            return False
        try:
            admin.create_topics([NewTopic(topic, partitions, replication_factor,
                                         topic_configs={"retention.ms": str(raw_topic_retention_ms())})])
        except TopicAlreadyExistsError:  # created concurrently
            return False
        if security_config("admin")["security_protocol"].startswith("SASL_"):
            grant_acls(admin, topic, KafkaSettings.from_env().consumer_group)
        return True
    finally:
        admin.close()
