"""Turning a polled batch of Kafka records into COPY rows and quarantine rows.

This is the per-message hot path: it validates each value once, hashes it, and formats one CSV
line per valid event. Everything else (extracting columns from the payload, deduplication,
conflict detection) is done by PostgreSQL on the whole batch.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from ingestion.contract import Rejection, ValidEvent, validate


class KafkaRecord(Protocol):  # kafka-python's ConsumerRecord, or anything shaped like it
    topic: str
    partition: int
    offset: int
    timestamp: int | None
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True)
class QuarantineRow:
    partition: int
    offset: int
    timestamp_ms: int | None
    key: bytes | None
    reason: str
    error: str
    raw_value: bytes | None
    event_id: str | None


@dataclass
class EncodedBatch:
    """One poll's worth of records for one topic, ready for the sink."""

    topic: str
    first_offsets: dict[int, int] = field(default_factory=dict)
    next_offsets: dict[int, int] = field(default_factory=dict)
    copy_lines: list[bytes] = field(default_factory=list)
    line_partitions: list[int] = field(default_factory=list)
    rejected: list[QuarantineRow] = field(default_factory=list)
    originals: dict[tuple[int, int], KafkaRecord] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(self.next_offsets[p] - self.first_offsets[p] for p in self.next_offsets)

    def rejected_per_partition(self) -> Counter:
        return Counter(row.partition for row in self.rejected)


def csv_line(event: ValidEvent, record: KafkaRecord) -> bytes:
    """One row of the COPY (csv) into the batch table: event_id, hash, partition, offset, ts, payload."""
    value = record.value
    digest = hashlib.sha256(value).hexdigest()
    timestamp = b"" if record.timestamp is None or record.timestamp < 0 else b"%d" % record.timestamp
    return b'%s,\\x%s,%d,%d,%s,"%s"\n' % (
        event.event_id.encode(),
        digest.encode(),
        record.partition,
        record.offset,
        timestamp,
        value.replace(b'"', b'""'),
    )


def encode_batch(
    topic: str,
    records: list[KafkaRecord],
    *,
    now: datetime,
    future_tolerance: timedelta = timedelta(hours=1),
) -> EncodedBatch:
    """Validate and encode records (all of one topic, in offset order per partition)."""
    batch = EncodedBatch(topic=topic)
    first, nxt = batch.first_offsets, batch.next_offsets
    lines, line_partitions, rejected = batch.copy_lines, batch.line_partitions, batch.rejected
    for record in records:
        partition = record.partition
        if partition not in first:
            first[partition] = record.offset
        nxt[partition] = record.offset + 1
        batch.originals[(partition, record.offset)] = record
        result = validate(record.value, now=now, future_tolerance=future_tolerance)
        if type(result) is ValidEvent:
            lines.append(csv_line(result, record))
            line_partitions.append(partition)
        else:
            assert isinstance(result, Rejection)
            rejected.append(
                QuarantineRow(
                    partition=partition,
                    offset=record.offset,
                    timestamp_ms=record.timestamp,
                    key=record.key,
                    reason=result.reason,
                    error=result.detail,
                    raw_value=record.value,
                    event_id=result.event_id,
                )
            )
    return batch


def trim_batch(batch: EncodedBatch, stored: dict[int, int]) -> EncodedBatch:
    """Drop records below the stored position (already committed by an earlier transaction).

    Happens when a consumer re-reads after a rebalance raced with another member's commit.
    Returns a new batch; partitions fully covered disappear.
    """
    keep = {}
    for partition, first in batch.first_offsets.items():
        start = max(first, stored.get(partition, first))
        if start < batch.next_offsets[partition]:
            keep[partition] = start
    trimmed = EncodedBatch(topic=batch.topic)
    trimmed.first_offsets = keep
    trimmed.next_offsets = {p: batch.next_offsets[p] for p in keep}
    for line, partition in zip(batch.copy_lines, batch.line_partitions):
        if partition in keep and line_offset(line) >= keep[partition]:
            trimmed.copy_lines.append(line)
            trimmed.line_partitions.append(partition)
    trimmed.rejected = [r for r in batch.rejected if r.partition in keep and r.offset >= keep[r.partition]]
    trimmed.originals = {k: v for k, v in batch.originals.items() if k[0] in keep and k[1] >= keep[k[0]]}
    return trimmed


def line_offset(line: bytes) -> int:
    # event_id,hash,partition,offset,... : the 4th field
    return int(line.split(b",", 4)[3])
