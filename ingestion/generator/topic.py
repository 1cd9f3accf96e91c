"""Create the case-events topic when it is missing."""
from __future__ import annotations

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError


def ensure_topic(bootstrap: str, topic: str, partitions: int = 12, replication_factor: int = 1) -> bool:
    """Create `topic` with `partitions` partitions unless it exists; True when created.

    An existing topic is left as it is, even with another partition count: repartitioning
    would move keys (case_id) between partitions.
    """
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="motcua-generator-admin")
    try:
        if topic in admin.list_topics():
            return False
        try:
            admin.create_topics([NewTopic(topic, partitions, replication_factor)])
        except TopicAlreadyExistsError:  # created concurrently
            return False
        return True
    finally:
        admin.close()
