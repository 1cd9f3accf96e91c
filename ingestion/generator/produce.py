"""Produce generated messages to Kafka (kafka-python), keyed by case_id (staff: officer_id).

Messages of the staff stream (Message.stream == "staff") go to `staff_topic`.

Throughput notes (kafka-python is pure Python; its send() is the bottleneck, not JSON):
- values are already bytes (pre-serialised by the generator with msgspec), no serializers;
- the partition is computed once per case key with kafka-python's own murmur2 (the Java
  client's default partitioner, so the mapping is the same as any other producer's) and
  passed explicitly, which skips the partitioner on every send;
- large batches (1 MiB) with linger 50 ms, client metrics off, no compression (lz4 is not
  installed; gzip would cost more CPU than it saves on localhost);
- kafka-python 3 has no buffer_memory bound, so we flush every `flush_every` messages to keep
  memory bounded on million-message runs.
acks='all' with the client's default idempotence: no duplicates or reordering from retries.
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kafka import KafkaProducer
from kafka.partitioner.default import murmur2

from ingestion.generator.message import Message
from ingestion.kafka_client import security_config
from motcua.errors import TransientError

# The broker accepts message.max.bytes=2097152; too_large messages are at most ~1.5 MB.
MAX_REQUEST_SIZE = 2_000_000


class ProduceError(TransientError, RuntimeError):
    """Kafka reported failed deliveries."""


@dataclass
class ProduceResult:
    counts: Counter = field(default_factory=Counter)
    messages: int = 0
    value_bytes: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def make_producer(bootstrap_servers: str, **overrides) -> KafkaProducer:
    config = dict(
        bootstrap_servers=bootstrap_servers, client_id="motcua-generator", acks="all",
        linger_ms=50, batch_size=1_048_576, max_request_size=MAX_REQUEST_SIZE,
        compression_type=None, metrics_enabled=False,
        **security_config("producer"),   # SASL/SCRAM as motcua-producer when the broker requires it
    )
    config.update(overrides)
    return KafkaProducer(**config)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def produce(
    messages: Iterable[Message],
    producer: KafkaProducer,
    topic: str,
    *,
    limit: int | None = None,
    progress_every: int = 100_000,
    flush_every: int = 200_000,
    log: Callable[[str], None] = _stderr,
    staff_topic: str | None = None,
) -> ProduceResult:
    """Send up to `limit` messages; returns counts by label. Raises ProduceError on failures.

    Staff messages go to `staff_topic`; without one, a staff message is an error (ProduceError).
    """
    partitions = sorted(producer.partitions_for(topic))
    count = len(partitions)
    cache: dict[bytes, int] = {}
    staff_partitions = sorted(producer.partitions_for(staff_topic)) if staff_topic else []
    staff_cache: dict[bytes, int] = {}
    errors: list[BaseException] = []
    result = ProduceResult()
    send, on_error = producer.send, errors.append
    started = time.perf_counter()
    n = 0
    for message in messages:
        if limit is not None and n >= limit:
            break
        key = message.key
        if message.stream == "case":
            partition = cache.get(key)
            if partition is None:
                if len(cache) > 200_000:
                    cache.clear()
                partition = cache[key] = partitions[(murmur2(key) & 0x7FFFFFFF) % count]
            send(topic, key=key, value=message.value, partition=partition).add_errback(on_error)
            result.counts[message.label] += 1
        else:
            if not staff_topic:
                raise ProduceError("a staff message came with no staff topic to send it to")
            partition = staff_cache.get(key)
            if partition is None:
                partition = staff_cache[key] = staff_partitions[(murmur2(key) & 0x7FFFFFFF) % len(staff_partitions)]
            send(staff_topic, key=key, value=message.value, partition=partition).add_errback(on_error)
            result.counts[f"staff:{message.label}"] += 1
        n += 1
        result.value_bytes += len(message.value)
        if n % flush_every == 0:
            producer.flush()
        if progress_every and n % progress_every == 0:
            elapsed = time.perf_counter() - started
            log(f"produced {n:,} messages in {elapsed:.1f}s ({n / elapsed:,.0f}/s)")
    producer.flush()
    result.messages = n
    result.seconds = time.perf_counter() - started
    if errors:
        raise ProduceError(f"{len(errors)} of {n} messages failed; first error: {errors[0]!r}")
    return result
