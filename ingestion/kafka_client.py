"""Thin wrapper over kafka-python: the consumer, producer and admin settings this project uses.

Authentication (SASL/SCRAM-SHA-512, on by default in docker-compose.yml; MOTCUA_KAFKA_SASL=1 for
the local broker) comes from the environment:
  KAFKA_SECURITY_PROTOCOL   PLAINTEXT (default) | SASL_PLAINTEXT | SASL_SSL | SSL
  KAFKA_SASL_MECHANISM      SCRAM-SHA-512 (default) | SCRAM-SHA-256 | PLAIN
  KAFKA_SASL_USERNAME       default: the project's user for the client (motcua-loader, ...)
  KAFKA_SASL_PASSWORD       default: MOTCUA_KAFKA_<CLIENT>_PASSWORD (environment or local secrets)
Each client reads only its own user's password.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import (
    ACL, ACLOperation, ACLPermissionType, ACLResourcePatternType, AlterConfigOp, ConfigResource,
    ConfigResourceType, NewTopic, ResourcePattern, ResourceType,
)
from kafka.errors import KafkaConnectionError, KafkaTimeoutError, TopicAlreadyExistsError

from motcua.settings import KafkaSettings, local_secret
from motcua.errors import PermanentError, broker_unreachable

T = TypeVar("T")
DEFAULT_CONNECT_TIMEOUT_SECONDS = 5.0

PROTOCOLS = ("PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL")
MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")
# The project's Kafka users: the admin creates topics and ACLs (super user on the broker); the
# loader reads the raw topic; the producer (the generator, the case-management systems) writes it.
CLIENT_USERS = {"admin": "motcua-admin", "loader": "motcua-loader", "producer": "motcua-producer"}
DAY_MS = 24 * 3600 * 1000


class KafkaConfigError(PermanentError):
    """The Kafka security settings are incomplete or invalid."""


def security_config(client: str) -> dict:
    """kafka-python settings authenticating `client` (a key of CLIENT_USERS) as the environment says."""
    default = "SASL_PLAINTEXT" if os.environ.get("MOTCUA_KAFKA_SASL") == "1" else "PLAINTEXT"
    protocol = (os.environ.get("KAFKA_SECURITY_PROTOCOL") or default).strip().upper()
    if protocol not in PROTOCOLS:
        raise KafkaConfigError(f"KAFKA_SECURITY_PROTOCOL={protocol!r} is not one of {', '.join(PROTOCOLS)}")
    if not protocol.startswith("SASL_"):
        return {"security_protocol": protocol}
    mechanism = (os.environ.get("KAFKA_SASL_MECHANISM") or "SCRAM-SHA-512").strip().upper()
    if mechanism not in MECHANISMS:
        raise KafkaConfigError(f"KAFKA_SASL_MECHANISM={mechanism!r} is not one of {', '.join(MECHANISMS)}")
    username = os.environ.get("KAFKA_SASL_USERNAME") or CLIENT_USERS[client]
    password_var = f"MOTCUA_KAFKA_{client.upper()}_PASSWORD"
    password = os.environ.get("KAFKA_SASL_PASSWORD") or local_secret(password_var)
    if not password:
        raise KafkaConfigError(
            f"Kafka uses {protocol} but no password for {username}: set KAFKA_SASL_PASSWORD or {password_var}")
    return {"security_protocol": protocol, "sasl_mechanism": mechanism,
            "sasl_plain_username": username, "sasl_plain_password": password}


def raw_topic_retention_ms() -> int:
    """Retention of the raw topic: MOTCUA_RAW_TOPIC_RETENTION_DAYS (default 30), a positive integer."""
    raw = os.environ.get("MOTCUA_RAW_TOPIC_RETENTION_DAYS", "30").strip()
    if not raw.isdigit() or int(raw) < 1:
        raise KafkaConfigError(f"MOTCUA_RAW_TOPIC_RETENTION_DAYS={raw!r} must be a whole number of days >= 1")
    return int(raw) * DAY_MS


def make_admin(bootstrap_servers: str, client_id: str = "motcua-admin") -> KafkaAdminClient:
    return connect(bootstrap_servers, lambda: KafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id=client_id,
        bootstrap_timeout_ms=int(connect_timeout_seconds() * 1000), **security_config("admin")))


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
        **security_config("loader"),
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
        retries=10,
        **security_config("producer"),
    )
    config.update(overrides)
    return connect(bootstrap_servers, lambda: KafkaProducer(**config))


def ensure_topic(bootstrap_servers: str, topic: str, partitions: int = 12,
                 consumer_group: str | None = None) -> bool:
    """Create the topic if it is missing, with a finite retention; True when it was created.

    An existing topic gets the retention too. With SASL, the loader (read, and its consumer group)
    and the producer (write) are granted their ACLs on this topic.
    """
    retention = str(raw_topic_retention_ms())
    admin = make_admin(bootstrap_servers)
    try:
        created = False
        if topic not in admin.list_topics():
            try:
                admin.create_topics([NewTopic(topic, partitions, 1, topic_configs={"retention.ms": retention})])
                created = True
            except TopicAlreadyExistsError:
                pass
        if not created:
            admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic,
                                                configs={"retention.ms": (AlterConfigOp.SET, retention)})])
        if security_config("admin")["security_protocol"].startswith("SASL_"):
            grant_acls(admin, topic, consumer_group or KafkaSettings.from_env().consumer_group)
        return created
    finally:
        admin.close()


def topic_retention_ms(bootstrap_servers: str, topic: str) -> int | None:
    """The topic's retention.ms as the broker reports it (None when unlimited)."""
    admin = make_admin(bootstrap_servers)
    try:
        result = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs=["retention.ms"])])
    finally:
        admin.close()
    entry = result.get("topic", {}).get(topic, {}).get("retention.ms") or {}
    value = entry.get("value")
    return None if value is None or int(value) < 0 else int(value)


def grant_acls(admin: KafkaAdminClient, topic: str, consumer_group: str) -> None:
    """Least privilege on the broker: the loader reads `topic` in its group; the producer writes it.

    Called once per topic: the case topic with the case loader's group, the staff topic with the
    staff loader's (ingestion.topics).
    """
    loader, producer = (f"User:{CLIENT_USERS[c]}" for c in ("loader", "producer"))
    rules = [
        (loader, ACLOperation.READ, ResourcePattern(ResourceType.TOPIC, topic, ACLResourcePatternType.LITERAL)),
        (loader, ACLOperation.DESCRIBE, ResourcePattern(ResourceType.TOPIC, topic, ACLResourcePatternType.LITERAL)),
        (loader, ACLOperation.READ, ResourcePattern(ResourceType.GROUP, consumer_group, ACLResourcePatternType.LITERAL)),
        (producer, ACLOperation.WRITE, ResourcePattern(ResourceType.TOPIC, topic, ACLResourcePatternType.LITERAL)),
        (producer, ACLOperation.DESCRIBE, ResourcePattern(ResourceType.TOPIC, topic, ACLResourcePatternType.LITERAL)),
    ]
    result = admin.create_acls([ACL(principal, "*", op, ACLPermissionType.ALLOW, pattern)
                                for principal, op, pattern in rules])
    failed = result.get("failed") if isinstance(result, dict) else None
    if failed:
        raise KafkaConfigError(f"the broker refused to create ACLs on {topic}: {failed}")


def topic_partitions(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    parts = consumer.partitions_for_topic(topic)
    if not parts:
        raise TopicNotFoundError(f"topic {topic!r} does not exist on the broker (create it with 'motcua ingest topic')")
    return [TopicPartition(topic, p) for p in sorted(parts)]


class TopicNotFoundError(PermanentError):
    """The configured topic is missing on the broker."""
