"""Writes an encoded batch to the raw layer in ONE transaction with the consumed positions.

Order inside the transaction: lock the partitions' position rows (fencing), load the valid rows
into a temporary table with COPY, insert first deliveries into raw.case_events, record
redeliveries, quarantine event_id conflicts and malformed messages, advance the positions.
Either all of it commits or none of it does, so a crash at any instant loses and doubles nothing.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import psycopg
from psycopg import sql

from ingestion.batch import EncodedBatch, QuarantineRow, line_offset, trim_batch
from ingestion.checkpoint import PartitionCounts, PositionGapError, advance_positions, lock_positions

log = logging.getLogger(__name__)

CREATE_BATCH_TABLE = """
create temp table if not exists _batch (
    event_id uuid, content_hash bytea, kafka_partition int, kafka_offset bigint,
    kafka_ts_ms bigint, payload jsonb
) on commit delete rows
"""

INSERT_FIRST_DELIVERIES = """
with ins as (
    insert into raw.case_events (event_id, event_type, schema_version, case_id, agency_code, officer_id,
        occurred_at, payload, content_hash, kafka_topic, kafka_partition, kafka_offset, kafka_timestamp)
    select distinct on (b.event_id)
        b.event_id, b.payload->>'event_type', (b.payload->>'schema_version')::smallint,
        b.payload->>'case_id', b.payload->>'agency_code', b.payload->>'officer_id',
        (b.payload->>'occurred_at')::timestamptz, b.payload, b.content_hash, %(topic)s,
        b.kafka_partition, b.kafka_offset, to_timestamp(b.kafka_ts_ms / 1000.0)
    from _batch b
    order by b.event_id, b.kafka_partition, b.kafka_offset
    on conflict (event_id) do nothing
    returning kafka_partition
)
select kafka_partition, count(*) from ins group by kafka_partition
"""

# Rows of the batch whose event_id was already stored from other coordinates. Only run when the
# insert loaded fewer rows than the batch holds (redeliveries are rare), after ANALYZE so the
# planner probes the primary key instead of scanning raw.case_events.
# Same content is a redelivery; jsonb equality also accepts a re-serialised copy.
FIND_REPEATS = """
select b.kafka_partition, b.kafka_offset, b.event_id::text, b.content_hash, b.kafka_ts_ms,
       e.kafka_topic, e.kafka_partition, e.kafka_offset,
       (e.content_hash = b.content_hash or e.payload = b.payload) as same_content
from _batch b join raw.case_events e on e.event_id = b.event_id
where (e.kafka_topic, e.kafka_partition, e.kafka_offset) <> (%(topic)s, b.kafka_partition, b.kafka_offset)
"""

COPY_REDELIVERIES = sql.SQL(
    "copy raw.redeliveries (event_id, content_hash, kafka_topic, kafka_partition, kafka_offset, kafka_timestamp)"
    " from stdin"
)

COPY_QUARANTINE = sql.SQL(
    "copy raw.quarantine (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, kafka_key,"
    " reason, error, raw_value, event_id) from stdin"
)


class StalePositionError(RuntimeError):
    """Another consumer moved this partition's position: our batch is obsolete."""


@dataclass(frozen=True)
class WriteResult:
    counts: dict[int, PartitionCounts]
    skipped_already_committed: int  # records below the stored position, and offsets with no record

    def total(self) -> PartitionCounts:
        return sum(self.counts.values(), PartitionCounts())


class RawSink:
    """Owns one PostgreSQL connection (as the ingest role) and writes batches through it."""

    def __init__(self, conninfo: str, consumer_group: str):
        self.conninfo = conninfo
        self.group = consumer_group
        self.conn: psycopg.Connection | None = None

    def connect(self) -> psycopg.Connection:
        if self.conn is None or self.conn.closed:
            self.conn = psycopg.connect(self.conninfo)
            self.conn.execute("set timezone = 'UTC'")
            self.conn.execute(CREATE_BATCH_TABLE)
            self.conn.commit()
        return self.conn

    def close(self) -> None:
        if self.conn is not None and not self.conn.closed:
            self.conn.close()
        self.conn = None

    def write(self, batch: EncodedBatch, accept_gaps: dict[int, int] | None = None) -> WriteResult:
        """Commit the batch and its positions; returns counts per partition.

        accept_gaps maps a partition to a stored position the consumer already re-sought to once:
        if the batch still starts after it, those offsets hold no record (transaction markers,
        retention) and are counted as skipped instead of raising PositionGapError again.
        """
        try:
            return self._write_transaction(batch, accept_gaps or {})
        except psycopg.errors.DataError as exc:
            # One message PostgreSQL refuses (e.g. a JSON text jsonb cannot hold) must not block
            # the partition: redo the batch message by message, quarantining the refused ones.
            log.warning("batch refused by PostgreSQL (%s); retrying message by message", exc)
            return self._write_one_by_one(batch, accept_gaps or {})

    def _write_transaction(self, batch: EncodedBatch, accept_gaps: dict[int, int]) -> WriteResult:
        conn = self.connect()
        size = len(batch)
        with conn.transaction():
            stored = lock_positions(conn, self.group, batch.topic, batch.first_offsets)
            skipped: Counter = Counter()
            for partition, first in batch.first_offsets.items():
                if stored[partition] < first:
                    if accept_gaps.get(partition) != stored[partition]:
                        raise PositionGapError(
                            f"{batch.topic}[{partition}]: stored position {stored[partition]} is before "
                            f"the batch start {first}"
                        )
                    skipped[partition] = first - stored[partition]
                    batch.first_offsets[partition] = stored[partition]
            batch = trim_batch(batch, stored)
            if not batch.first_offsets:
                return WriteResult({}, size)
            counts = self._write_rows(conn, batch)
            counts = {p: c + PartitionCounts(skipped=skipped[p]) for p, c in counts.items()}
            advance_positions(conn, self.group, batch.topic, batch.next_offsets, counts)
        return WriteResult(counts, size - len(batch) + sum(skipped.values()))

    def _write_rows(self, conn: psycopg.Connection, batch: EncodedBatch) -> dict[int, PartitionCounts]:
        params = {"topic": batch.topic}
        loaded: Counter = Counter()
        redelivered: Counter = Counter()
        quarantined: Counter = batch.rejected_per_partition()
        if batch.copy_lines:
            with conn.cursor() as cur:
                with cur.copy("copy _batch from stdin (format csv)") as copy:
                    copy.write(b"".join(batch.copy_lines))
                loaded.update(dict(cur.execute(INSERT_FIRST_DELIVERIES, params).fetchall()))
                repeats = []
                if sum(loaded.values()) < len(batch.copy_lines):
                    cur.execute("analyze _batch")
                    repeats = cur.execute(FIND_REPEATS, params).fetchall()
            redeliveries = []
            for partition, offset, event_id, digest, ts_ms, e_topic, e_partition, e_offset, same in repeats:
                if same:
                    redeliveries.append((event_id, digest, batch.topic, partition, offset, _ms_to_timestamp(ts_ms)))
                    redelivered[partition] += 1
                    continue
                record = batch.originals[(partition, offset)]
                batch.rejected.append(
                    QuarantineRow(
                        partition=partition,
                        offset=offset,
                        timestamp_ms=record.timestamp,
                        key=record.key,
                        reason="event_id_conflict",
                        error=f"event_id {event_id} was already loaded from {e_topic}[{e_partition}]@{e_offset}"
                        " with different content",
                        raw_value=record.value,
                        event_id=event_id,
                    )
                )
                quarantined[partition] += 1
            if redeliveries:
                with conn.cursor() as cur, cur.copy(COPY_REDELIVERIES) as copy:
                    for row in redeliveries:
                        copy.write_row(row)
            conn.execute("truncate _batch")
        if batch.rejected:
            self._quarantine(conn, batch.topic, batch.rejected)
        return {p: PartitionCounts(loaded[p], redelivered[p], quarantined[p]) for p in batch.first_offsets}

    @staticmethod
    def _quarantine(conn: psycopg.Connection, topic: str, rows: list[QuarantineRow]) -> None:
        with conn.cursor() as cur, cur.copy(COPY_QUARANTINE) as copy:
            for row in rows:
                copy.write_row(
                    (
                        topic,
                        row.partition,
                        row.offset,
                        _ms_to_timestamp(row.timestamp_ms),
                        row.key,
                        row.reason,
                        row.error,
                        row.raw_value,
                        row.event_id,
                    )
                )

    def _write_one_by_one(self, batch: EncodedBatch, accept_gaps: dict[int, int]) -> WriteResult:
        total: dict[int, PartitionCounts] = {}
        skipped = 0
        lines = {(p, line_offset(line)): line for line, p in zip(batch.copy_lines, batch.line_partitions)}
        rejected = {(r.partition, r.offset): r for r in batch.rejected}
        for (partition, offset), record in sorted(batch.originals.items()):
            one = EncodedBatch(topic=batch.topic)
            one.first_offsets = {partition: offset}
            one.next_offsets = {partition: offset + 1}
            one.originals = {(partition, offset): record}
            if (partition, offset) in lines:
                one.copy_lines, one.line_partitions = [lines[(partition, offset)]], [partition]
            if (partition, offset) in rejected:
                one.rejected = [rejected[(partition, offset)]]
            try:
                result = self._write_transaction(one, accept_gaps)
            except psycopg.errors.DataError as exc:
                one.copy_lines, one.line_partitions = [], []
                one.rejected = [
                    QuarantineRow(partition, offset, record.timestamp, record.key, "database_rejected",
                                  str(exc).splitlines()[0], record.value, None)
                ]
                result = self._write_transaction(one, accept_gaps)
            skipped += result.skipped_already_committed
            for p, c in result.counts.items():
                total[p] = total.get(p, PartitionCounts()) + c
        return WriteResult(total, skipped)


def _ms_to_timestamp(ms: int | None):
    from datetime import datetime, timezone

    if ms is None or ms < 0:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
