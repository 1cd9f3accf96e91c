"""Turning a polled batch of Kafka records into COPY rows and quarantine rows.

This is the per-message hot path: validate each value once, hash it, and format one binary COPY
row: the payload (parsed into jsonb by PostgreSQL, for dbt), the same bytes verbatim (raw_value),
their SHA-256, the typed columns the validator decoded from those bytes, and the Kafka
coordinates. Filling the typed columns here rather than having PostgreSQL extract them from the
jsonb spares the database about a third of its work per row (docs/raw-layer.md);
deduplication against stored events is one probe per batch.
"""
from __future__ import annotations

import hashlib
import struct
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, NamedTuple, Protocol

from ingestion.contract import ValidEvent, validate
from motcua.settings import system_start


class KafkaRecord(Protocol):  # kafka-python's ConsumerRecord, or anything shaped like it
    topic: str
    partition: int
    offset: int
    timestamp: int | None
    key: bytes | None
    value: bytes | None


class ValidRow(NamedTuple):
    event_id: str
    digest: bytes
    partition: int
    offset: int
    line: bytes  # one binary COPY row for the raw table (COPY_COLUMNS)


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
    rows: list[ValidRow] = field(default_factory=list)
    rejected: list[QuarantineRow] = field(default_factory=list)
    records: dict[tuple[int, int], KafkaRecord] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(self.next_offsets[p] - self.first_offsets[p] for p in self.next_offsets)

    def rejected_per_partition(self) -> Counter:
        return Counter(row.partition for row in self.rejected)

    def quarantine(self, record: KafkaRecord, reason: str, error: str, event_id: str | None) -> None:
        self.rejected.append(
            QuarantineRow(record.partition, record.offset, record.timestamp, record.key, reason, error,
                          record.value, event_id)
        )


COPY_COLUMNS = ("(payload, raw_value, content_hash, event_id, event_type, schema_version, case_id, agency_code,"
                " officer_id, occurred_at, kafka_topic, kafka_partition, kafka_offset, kafka_timestamp_ms)")

# PostgreSQL's binary COPY format: a signature, no flags, no header extension; rows; a trailer.
# Binary rather than CSV: no quoting, no hex for the bytes, no text parsing of numbers, uuids and
# instants on the server: the same table takes rows about 1.2 times as fast (docs/raw-layer.md).
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" * 2
COPY_TRAILER = b"\xff\xff"
_NULL = b"\xff\xff\xff\xff"
_FIELD_COUNT = b"\x00\x0e"  # 14 columns, as COPY_COLUMNS
_HASH_LENGTH = b"\x00\x00\x00\x20"
_UUID_LENGTH = b"\x00\x00\x00\x10"
_length = struct.Struct(">i").pack
_jsonb_start = struct.Struct(">iB").pack  # the field's length, then jsonb's format version (1)
_smallint = struct.Struct(">ih").pack
_int8 = struct.Struct(">iq").pack  # bigint, and timestamptz: microseconds since 2000-01-01 UTC
_coordinates = struct.Struct(">iiiq").pack  # partition (int4), offset (int8), each with its length
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


# Length-prefixed UTF-8 fields of the values that repeat from event to event (event types,
# agencies, officers, a case's several events): each is encoded once, not once per event.
_FIELDS: dict[str | None, bytes] = {None: _NULL}
_FIELDS_MAX = 100_000  # bounded for a continuous loader: cleared when full


def text_field(text: str | None) -> bytes:
    """A binary COPY text field: its length, then its UTF-8 bytes; NULL for None."""
    field = _FIELDS.get(text)
    if field is None:
        if len(_FIELDS) >= _FIELDS_MAX:
            _FIELDS.clear()
            _FIELDS[None] = _NULL
        encoded = text.encode()  # type: ignore[union-attr]
        field = _FIELDS[text] = _length(len(encoded)) + encoded
    return field


_VERSION_1 = _smallint(2, 1)
# The typed columns of a row whose event is not at hand: NULL, so migration 100's trigger derives
# them from the payload.
_UNTYPED = _NULL * 7


def copy_row(topic_field: bytes, record: KafkaRecord, digest: bytes, event: ValidEvent | None = None) -> bytes:
    """One binary COPY row (COPY_COLUMNS); topic_field is text_field(topic).

    The typed columns are the validator's reading of these very bytes: the same values PostgreSQL
    reads from the payload (tests/ingestion/test_raw_shape.py, including fractions of a second
    past the microsecond, rounded as PostgreSQL rounds them).
    """
    value = record.value
    size = len(value)
    ts = record.timestamp
    timestamp = _NULL if ts is None or ts < 0 else _int8(8, ts)
    if event is None:
        typed = _UNTYPED
    else:
        typed = b"".join((
            _UUID_LENGTH, bytes.fromhex(event.event_id.replace("-", "")),  # canonical: validated
            text_field(event.event_type),
            _VERSION_1 if event.schema_version == 1 else _smallint(2, event.schema_version),
            text_field(event.case_id),
            text_field(event.agency_code),
            text_field(event.officer_id),
            _int8(8, (event.occurred_at - _PG_EPOCH) // _MICROSECOND),
        ))
    return b"".join((
        _FIELD_COUNT, _jsonb_start(size + 1, 1), value,  # jsonb: the JSON text, parsed by PostgreSQL
        _length(size), value,  # raw_value: the bytes as sent
        _HASH_LENGTH, digest,
        typed,
        topic_field,
        _coordinates(4, record.partition, 8, record.offset),
        timestamp,
    ))


def encode_batch(
    topic: str,
    records: list[KafkaRecord],
    *,
    now: datetime,
    future_tolerance: timedelta = timedelta(hours=1),
    not_before: datetime | None = None,
    validator: Callable[..., object] = validate,
) -> EncodedBatch:
    """Validate and encode records (all of one topic, in offset order per partition).

    not_before defaults to the configured system start (settings.system_start()); validator is
    the topic's contract (ingestion.topics: validate for the case topic, validate_staff for the
    staff topic).
    """
    if not_before is None:
        not_before = system_start()
    batch = EncodedBatch(topic=topic)
    first, nxt, rows, by_coords = batch.first_offsets, batch.next_offsets, batch.rows, batch.records
    topic_field = text_field(topic)
    sha256 = hashlib.sha256
    for record in records:
        partition, offset = record.partition, record.offset
        if partition not in first:
            first[partition] = offset
        nxt[partition] = offset + 1
        by_coords[(partition, offset)] = record
        result = validator(record.value, now=now, future_tolerance=future_tolerance, not_before=not_before)
        if type(result) is ValidEvent:
            digest = sha256(record.value).digest()
            rows.append(ValidRow(result.event_id, digest, partition, offset, copy_row(topic_field, record, digest, result)))
        else:
            batch.quarantine(record, result.reason, result.detail, result.event_id)
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
    if keep == batch.first_offsets:
        return batch
    trimmed = EncodedBatch(topic=batch.topic, first_offsets=keep,
                           next_offsets={p: batch.next_offsets[p] for p in keep})
    trimmed.rows = [r for r in batch.rows if r.partition in keep and r.offset >= keep[r.partition]]
    trimmed.rejected = [r for r in batch.rejected if r.partition in keep and r.offset >= keep[r.partition]]
    trimmed.records = {k: v for k, v in batch.records.items() if k[0] in keep and k[1] >= keep[k[0]]}
    return trimmed
