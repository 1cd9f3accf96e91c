"""Thin wrapper over kafka-python: the consumer, producer and admin settings this project uses."""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaConnectionError, KafkaTimeoutError, TopicAlreadyExistsError

from ingestion.settings import KafkaSettings
from motcua.errors import PermanentError, broker_unreachable

T = TypeVar("T")
DEFAULT_CONNECT_TIMEOUT_SECONDS = 5.0

# Room for the largest message the broker accepts (message.max.bytes = 2 MiB) so an oversized
# payload reaches quarantine instead of stalling its partition.
MAX_PARTITION_FETCH_BYTES = 4 * 1024 * 1024


def connect_timeout_seconds() -> float:
    """How long a client waits for a first broker answer (KAFKA_CONNECT_TIMEOUT_SECONDS, default 5)."""
    raw = os.environ.get("KAFKA_CONNECT_TIMEOUT_SECONDS", "").strip()
    if not raw:
        return DEFAULT_CONNECT_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise PermanentError(f"KAFKA_CONNECT_TIMEOUT_SECONDS={raw!r} is not a positive number of seconds",
                             hint="unset it (default 5) or set e.g. 10")
    return value


class _OncePerMinute(logging.Filter):
    """kafka-python logs every reconnect attempt: pass each kind of message once a minute."""

    def __init__(self) -> None:
        super().__init__()
        self.last: dict[tuple, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("kafka"):
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = time.monotonic()
        if key in self.last and now - self.last[key] < 60.0:
            return False
        self.last[key] = now
        return True


def quiet_kafka_logs() -> None:
    """kafka-python's warnings and errors only, each kind at most once a minute (for the CLIs)."""
    logging.getLogger("kafka").setLevel(logging.WARNING)
    once = _OncePerMinute()
    for handler in logging.getLogger().handlers:
        handler.addFilter(once)


@contextmanager
def _quiet_bootstrap() -> Iterator[None]:
    # kafka-python logs every refused connection while it bootstraps (~1 line per 100 ms): the
    # caller reports the outcome in one line instead.
    logger = logging.getLogger("kafka")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def connect(servers: str, make: Callable[[], T]) -> T:
    """Build a client; a broker that does not answer in time is one TransientError."""
    with _quiet_bootstrap():
        try:
            return make()
        except (KafkaTimeoutError, KafkaConnectionError):
            raise broker_unreachable(servers, connect_timeout_seconds()) from None


def make_consumer(settings: KafkaSettings, *, max_poll_records: int = 5000, **overrides) -> KafkaConsumer:
    """A group member whose positions live in PostgreSQL, so Kafka's auto-commit is off."""
    config = dict(
        bootstrap_timeout_ms=int(connect_timeout_seconds() * 1000),
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
    return connect(settings.bootstrap_servers, lambda: KafkaConsumer(**config))


def make_producer(bootstrap_servers: str, **overrides) -> KafkaProducer:
    config = dict(
        bootstrap_servers=bootstrap_servers,
        bootstrap_timeout_ms=int(connect_timeout_seconds() * 1000),
        acks="all",
        linger_ms=20,
        batch_size=512 * 1024,
        max_request_size=3 * 1024 * 1024,
        buffer_memory=128 * 1024 * 1024,
        retries=10,
    )
    config.update(overrides)
    return connect(bootstrap_servers, lambda: KafkaProducer(**config))


def ensure_topic(bootstrap_servers: str, topic: str, partitions: int = 12) -> bool:
    """Create the topic if it is missing; True when it was created."""
    admin = connect(bootstrap_servers, lambda: KafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id="motcua-admin",
        bootstrap_timeout_ms=int(connect_timeout_seconds() * 1000)))
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


class TopicNotFoundError(PermanentError):
    """The configured topic is missing on the broker."""
