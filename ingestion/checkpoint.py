"""Consumed positions stored in PostgreSQL, in the same transaction as the rows they cover.

Kafka's own committed offsets are only informational here: after a crash, a rebalance or a
restart, a consumer seeks to the position this table holds, so whatever was committed with the
rows is exactly what was consumed. Locking the position rows first also fences a consumer that
lost its partitions in a rebalance but still holds a batch: its transaction sees a moved
position and aborts instead of writing the batch twice.
"""
from __future__ import annotations

from dataclasses import dataclass

import psycopg

from motcua.errors import PermanentError


@dataclass(frozen=True)
class PartitionCounts:
    loaded: int = 0
    redelivered: int = 0
    quarantined: int = 0
    skipped: int = 0

    def total(self) -> int:
        return self.loaded + self.redelivered + self.quarantined + self.skipped

    def __add__(self, other: "PartitionCounts") -> "PartitionCounts":
        return PartitionCounts(
            self.loaded + other.loaded,
            self.redelivered + other.redelivered,
            self.quarantined + other.quarantined,
            self.skipped + other.skipped,
        )


class PositionGapError(PermanentError, RuntimeError):
    """A batch starts after the stored position: messages in between were never processed."""


def stored_positions(conn: psycopg.Connection, group: str, topic: str) -> dict[int, int]:
    rows = conn.execute(
        "select kafka_partition, next_offset from raw.consumer_positions"
        " where consumer_group = %s and kafka_topic = %s",
        (group, topic),
    ).fetchall()
    return {partition: offset for partition, offset in rows}


def lock_positions(
    conn: psycopg.Connection, group: str, topic: str, first_offsets: dict[int, int]
) -> dict[int, int]:
    """Lock (creating when new) the position row of each partition in the batch.

    Returns the stored next offset per partition. Rows are locked in partition order so two
    consumers never deadlock on them.
    """
    partitions = sorted(first_offsets)
    conn.execute(
        "insert into raw.consumer_positions (consumer_group, kafka_topic, kafka_partition, first_offset, next_offset)"
        " select %s, %s, p, o, o from unnest(%s::int[], %s::bigint[]) as t(p, o)"
        " on conflict do nothing",
        (group, topic, partitions, [first_offsets[p] for p in partitions]),
    )
    rows = conn.execute(
        "select kafka_partition, next_offset from raw.consumer_positions"
        " where consumer_group = %s and kafka_topic = %s and kafka_partition = any(%s)"
        " order by kafka_partition for update",
        (group, topic, partitions),
    ).fetchall()
    return dict(rows)


def advance_positions(
    conn: psycopg.Connection,
    group: str,
    topic: str,
    next_offsets: dict[int, int],
    counts: dict[int, PartitionCounts],
) -> None:
    partitions = sorted(next_offsets)
    conn.execute(
        "update raw.consumer_positions c set next_offset = t.next_offset,"
        " loaded = c.loaded + t.loaded, redelivered = c.redelivered + t.redelivered,"
        " quarantined = c.quarantined + t.quarantined, skipped = c.skipped + t.skipped, updated_at = now()"
        " from unnest(%s::int[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[])"
        "   as t(kafka_partition, next_offset, loaded, redelivered, quarantined, skipped)"
        " where c.consumer_group = %s and c.kafka_topic = %s and c.kafka_partition = t.kafka_partition",
        (
            partitions,
            [next_offsets[p] for p in partitions],
            [counts.get(p, PartitionCounts()).loaded for p in partitions],
            [counts.get(p, PartitionCounts()).redelivered for p in partitions],
            [counts.get(p, PartitionCounts()).quarantined for p in partitions],
            [counts.get(p, PartitionCounts()).skipped for p in partitions],
            group,
            topic,
        ),
    )


class ForeignGroupError(PermanentError, RuntimeError):
    """Another consumer group already loads this topic into the database."""


def check_group_loads_topic(conn: psycopg.Connection, group: str, topic: str) -> None:
    """Refuse a second consumer group on a topic the database already holds.

    A Kafka message is accounted for once in the raw layer (the quarantine and redelivery keys
    are its topic/partition/offset, on purpose): a new group has no stored positions, so it
    would read the topic from the start and try to store every message a second time.
    """
    groups = [g for (g,) in conn.execute(
        "select distinct consumer_group from raw.consumer_positions where kafka_topic = %s order by 1",
        (topic,)).fetchall()]
    others = [g for g in groups if g != group]
    if others and group not in groups:
        raise ForeignGroupError(
            f"topic {topic!r} is loaded into this database by consumer group {others[0]!r}, not {group!r}")
