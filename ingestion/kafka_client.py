"""Thin wrapper over kafka-python: the consumer, producer and admin settings this project uses."""
from __future__ import annotations

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from ingestion.settings import KafkaSettings

# Room for the largest message the broker accepts (message.max.bytes = 2 MiB) so an oversized
# payload reaches quarantine instead of stalling its partition.
MAX_PARTITION_FETCH_BYTES = 4 * 1024 * 1024


def make_consumer(settings: KafkaSettings, *, max_poll_records: int = 5000, **overrides) -> KafkaConsumer:
    """A group member whose positions live in PostgreSQL, so Kafka's auto-commit is off."""
    config = dict(
        bootstrap_servers=settings.bootstrap_servers,
        group_id=settings.consumer_group,
        client_id=f"{settings.consumer_group}-loader",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_poll_records,
        max_partition_fetch_bytes=MAX_PARTITION_FETCH_BYTES,
        fetch_max_bytes=64 * 1024 * 1024,
        session_timeout_ms=10_000,
        heartbeat_interval_ms=3_000,
        max_poll_interval_ms=300_000,
        request_timeout_ms=30_000,
        reconnect_backoff_max_ms=5_000,
        isolation_level="read_committed",
    )
    config.update(overrides)
    return KafkaConsumer(**config)


def make_producer(bootstrap_servers: str, **overrides) -> KafkaProducer:
    config = dict(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        linger_ms=20,
        batch_size=512 * 1024,
        max_request_size=3 * 1024 * 1024,
        buffer_memory=128 * 1024 * 1024,
        retries=10,
    )
    config.update(overrides)
    return KafkaProducer(**config)


def ensure_topic(bootstrap_servers: str, topic: str, partitions: int = 12) -> bool:
    """Create the topic if it is missing; True when it was created."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="motcua-admin")
    try:
        if topic in admin.list_topics():
            return False
        try:
            admin.create_topics([NewTopic(topic, partitions, 1)])
        except TopicAlreadyExistsError:
            return False
        return True
    finally:
        admin.close()


def topic_partitions(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    parts = consumer.partitions_for_topic(topic)
    if not parts:
        raise TopicNotFoundError(f"topic {topic!r} does not exist on the broker (create it with 'motcua-ingest topic')")
    return [TopicPartition(topic, p) for p in sorted(parts)]


class TopicNotFoundError(RuntimeError):
    """The configured topic is missing on the broker."""
