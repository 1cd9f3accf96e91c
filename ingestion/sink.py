"""Writes an encoded batch to the raw layer in ONE transaction with the consumed positions.

Inside the transaction: lock the partitions' position rows (fencing), probe which event_ids are
already stored, COPY the first deliveries straight into the topic's raw table (raw.case_events or
raw.staff_events, per the sink's contract), record redeliveries,
quarantine event_id conflicts and malformed messages, advance the positions. Either all of it
commits or none of it does, so a crash at any instant loses and doubles nothing.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

import psycopg
from psycopg import sql

from ingestion.batch import COPY_COLUMNS, COPY_SIGNATURE, COPY_TRAILER, EncodedBatch, QuarantineRow, ValidRow, trim_batch
from ingestion.checkpoint import PartitionCounts, PositionGapError, advance_positions, lock_positions
from ingestion.contract.reasons import DATABASE_REJECTED, EVENT_ID_CONFLICT
from ingestion.topics import CASE, TopicContract

log = logging.getLogger(__name__)

# One string parameter, split by the server: adapting thousands of list items costs more.
# {table} is a TopicContract's constant table name, never input.
PROBE_STORED = """
select e.event_id::text, e.content_hash, e.kafka_topic, e.kafka_partition, e.kafka_offset
from unnest(string_to_array(%s, ',')::uuid[]) as probe(event_id)
join {table} e on e.event_id = probe.event_id
"""
# A redelivery may be a re-serialised copy (other key order or spacing): same jsonb, other bytes.
SAME_JSON = "select payload = %s::jsonb from {table} where event_id = %s::uuid"

COPY_EVENTS = "copy {table} " + COPY_COLUMNS + " from stdin (format binary)"
COPY_REDELIVERIES = sql.SQL(
    "copy raw.redeliveries (event_id, content_hash, kafka_topic, kafka_partition, kafka_offset, kafka_timestamp)"
    " from stdin"
)
COPY_QUARANTINE = sql.SQL(
    "copy raw.quarantine (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, kafka_key,"
    " reason, error, raw_value, event_id) from stdin"
)


@dataclass(frozen=True)
class WriteResult:
    counts: dict[int, PartitionCounts]
    skipped_already_committed: int  # records below the stored position, and offsets with no record

    def total(self) -> PartitionCounts:
        return sum(self.counts.values(), PartitionCounts())


class RawSink:
    """Owns one PostgreSQL connection (as the ingest role) and writes batches through it.

    The contract (ingestion.topics) names the raw table and the validator the loader uses.
    """

    def __init__(self, conninfo: str, consumer_group: str, contract: TopicContract = CASE):
        self.conninfo = conninfo
        self.group = consumer_group
        self.contract = contract
        self.conn: psycopg.Connection | None = None
        self._probe = PROBE_STORED.format(table=contract.table)
        self._same_json = SAME_JSON.format(table=contract.table)
        self._copy_events = COPY_EVENTS.format(table=contract.table)

    def connect(self) -> psycopg.Connection:
        if self.conn is None or self.conn.closed:
            self.conn = psycopg.connect(self.conninfo)
            # Safe here, and it spares a WAL flush wait per batch: rows and positions share each
            # transaction, so a PostgreSQL crash loses both together and the loader re-reads those
            # messages from Kafka, which still has them. Nothing is acknowledged anywhere else.
            self.conn.execute("set synchronous_commit = off")
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
        accept_gaps = accept_gaps or {}
        try:
            return self._write_transaction(batch, accept_gaps)
        except psycopg.errors.UniqueViolation:
            # Another member stored one of these event_ids between our probe and our COPY (the
            # same event redelivered on another partition): the probe will now see it.
            return self._write_transaction(batch, accept_gaps)
        except psycopg.errors.DataError as exc:
            # One message PostgreSQL refuses must not block the partition: redo the batch
            # message by message, quarantining the refused ones.
            log.warning("batch refused by PostgreSQL (%s); retrying message by message", exc)
            return self._write_one_by_one(batch, accept_gaps)

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
                    stored[partition] = first
            batch = trim_batch(batch, stored)
            if not batch.first_offsets:
                return WriteResult({}, size)
            counts = self._write_rows(conn, batch)
            counts = {p: c + PartitionCounts(skipped=skipped[p]) for p, c in counts.items()}
            advance_positions(conn, self.group, batch.topic, batch.next_offsets, counts)
        return WriteResult(counts, size - len(batch))

    def _write_rows(self, conn: psycopg.Connection, batch: EncodedBatch) -> dict[int, PartitionCounts]:
        # The batch is never modified here: this transaction may roll back and the same batch be
        # written again (whole, or message by message), so conflicts found now must not stay in it.
        new_rows, repeats = self._split_repeats(conn, self._probe, batch.topic, batch.rows)
        loaded = Counter(r.partition for r in new_rows)
        redelivered: Counter = Counter()
        conflicts: list[QuarantineRow] = []
        with conn.cursor() as cur:
            if new_rows:
                with cur.copy(self._copy_events) as copy:
                    copy.write(b"".join([COPY_SIGNATURE, *(r.line for r in new_rows), COPY_TRAILER]))
            redeliveries = []
            for row, first in repeats:
                record = batch.records[(row.partition, row.offset)]
                same = first[1] == row.digest or cur.execute(self._same_json, (record.value.decode(), row.event_id)).fetchone()[0]
                if same:
                    redeliveries.append((row.event_id, row.digest, batch.topic, row.partition, row.offset,
                                         _ms_to_timestamp(record.timestamp)))
                    redelivered[row.partition] += 1
                else:
                    conflicts.append(QuarantineRow(
                        row.partition, row.offset, record.timestamp, record.key, EVENT_ID_CONFLICT,
                        f"event_id {row.event_id} was already loaded from {first[2]}[{first[3]}]@{first[4]}"
                        " with different content", record.value, row.event_id))
            if redeliveries:
                with cur.copy(COPY_REDELIVERIES) as copy:
                    for values in redeliveries:
                        copy.write_row(values)
            rejected = batch.rejected + conflicts
            if rejected:
                with cur.copy(COPY_QUARANTINE) as copy:
                    for q in rejected:
                        copy.write_row((batch.topic, q.partition, q.offset, _ms_to_timestamp(q.timestamp_ms), q.key,
                                        q.reason, q.error, q.raw_value, q.event_id))
        quarantined = Counter(q.partition for q in rejected)
        return {p: PartitionCounts(loaded[p], redelivered[p], quarantined[p]) for p in batch.first_offsets}

    @staticmethod
    def _split_repeats(conn: psycopg.Connection, probe_sql: str, topic: str, rows: list[ValidRow]):
        """First deliveries to COPY, and repeats paired with (event_id, digest, coords) of the first."""
        if not rows:
            return [], []
        probe = ",".join([r.event_id for r in rows])
        stored = {r[0]: r for r in conn.execute(probe_sql, (probe,)).fetchall()}
        new_rows, repeats = [], []
        for row in rows:
            first = stored.get(row.event_id)
            if first is None:
                new_rows.append(row)
                stored[row.event_id] = (row.event_id, row.digest, topic, row.partition, row.offset)
            else:
                repeats.append((row, first))
        return new_rows, repeats

    def _write_one_by_one(self, batch: EncodedBatch, accept_gaps: dict[int, int]) -> WriteResult:
        """Each message in its own transaction, built afresh from the batch as validated.

        A message PostgreSQL still refuses on its own is quarantined as database_rejected; the
        batch's rows and rejections are read, never extended, so no row is written twice.
        """
        total: dict[int, PartitionCounts] = {}
        skipped = 0
        rows = {(r.partition, r.offset): r for r in batch.rows}
        rejected = {(r.partition, r.offset): r for r in batch.rejected}
        for (partition, offset), record in sorted(batch.records.items()):
            coords = (partition, offset)
            one = EncodedBatch(topic=batch.topic, first_offsets={partition: offset},
                               next_offsets={partition: offset + 1}, records={coords: record},
                               rows=[rows[coords]] if coords in rows else [],
                               rejected=[rejected[coords]] if coords in rejected else [])
            try:
                result = self._write_single(one, accept_gaps)
            except psycopg.errors.DataError as exc:
                refused = EncodedBatch(topic=batch.topic, first_offsets=dict(one.first_offsets),
                                       next_offsets=dict(one.next_offsets), records={coords: record})
                refused.quarantine(record, DATABASE_REJECTED, str(exc).splitlines()[0],
                                   rows[coords].event_id if coords in rows else None)
                result = self._write_single(refused, accept_gaps)
            skipped += result.skipped_already_committed
            for p, c in result.counts.items():
                total[p] = total.get(p, PartitionCounts()) + c
        return WriteResult(total, skipped)

    def _write_single(self, one: EncodedBatch, accept_gaps: dict[int, int]) -> WriteResult:
        try:
            return self._write_transaction(one, accept_gaps)
        except psycopg.errors.UniqueViolation:  # raced with another member: the probe now sees it
            return self._write_transaction(one, accept_gaps)


def _ms_to_timestamp(ms: int | None) -> datetime | None:
    if ms is None or ms < 0:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
