"""Proves, per topic-partition, that every produced message is accounted for exactly once.

produced  = the partition's high watermark - its low watermark (a non-transactional topic's
            offsets are contiguous), from the broker;
accounted = rows in the topic's raw table (raw.case_events or raw.staff_events) + raw.redeliveries
            + raw.quarantine for that partition, each
            offset once, contiguous from the first consumed offset to the stored position.
"""
from __future__ import annotations

from dataclasses import dataclass

import psycopg
from kafka import KafkaConsumer, TopicPartition

from ingestion.kafka_client import topic_partitions
from ingestion.topics import CASE, TopicContract

# {table}: a TopicContract's constant table name, never input.
ROWS_PER_PARTITION = """
with delivered as (
    select kafka_partition, kafka_offset, 'loaded' as outcome from {table} where kafka_topic = %(topic)s
    union all
    select kafka_partition, kafka_offset, 'redelivered' from raw.redeliveries where kafka_topic = %(topic)s
    union all
    select kafka_partition, kafka_offset, 'quarantined' from raw.quarantine where kafka_topic = %(topic)s
)
select kafka_partition,
       count(*) filter (where outcome = 'loaded'),
       count(*) filter (where outcome = 'redelivered'),
       count(*) filter (where outcome = 'quarantined'),
       count(distinct kafka_offset), min(kafka_offset), max(kafka_offset)
from delivered group by kafka_partition
"""


@dataclass(frozen=True)
class PartitionReport:
    partition: int
    low: int
    high: int
    first_offset: int | None
    next_offset: int | None
    loaded: int
    redelivered: int
    quarantined: int
    skipped: int
    distinct_offsets: int
    problems: tuple[str, ...]

    @property
    def produced(self) -> int:
        return self.high - self.low

    @property
    def ok(self) -> bool:
        return not self.problems


def reconcile(conn: psycopg.Connection, consumer: KafkaConsumer, topic: str, group: str,
              contract: TopicContract = CASE) -> list[PartitionReport]:
    partitions = topic_partitions(consumer, topic)
    lows = consumer.beginning_offsets(partitions)
    highs = consumer.end_offsets(partitions)
    query = ROWS_PER_PARTITION.format(table=contract.table)
    rows = {r[0]: r[1:] for r in conn.execute(query, {"topic": topic}).fetchall()}
    positions = {
        r[0]: r[1:]
        for r in conn.execute(
            "select kafka_partition, first_offset, next_offset, loaded, redelivered, quarantined, skipped"
            " from raw.consumer_positions where consumer_group = %s and kafka_topic = %s",
            (group, topic),
        ).fetchall()
    }
    return [_report(tp, lows[tp], highs[tp], rows.get(tp.partition), positions.get(tp.partition)) for tp in partitions]


def _report(tp: TopicPartition, low: int, high: int, rows, position) -> PartitionReport:
    loaded, redelivered, quarantined, distinct, min_off, max_off = rows or (0, 0, 0, 0, None, None)
    first, nxt, p_loaded, p_redelivered, p_quarantined, skipped = position or (low, low, 0, 0, 0, 0)
    problems = []
    total = loaded + redelivered + quarantined
    if distinct != total:
        problems.append(f"{total - distinct} offsets stored twice")
    if (p_loaded, p_redelivered, p_quarantined) != (loaded, redelivered, quarantined):
        problems.append(
            f"position counters {p_loaded}/{p_redelivered}/{p_quarantined} differ from rows "
            f"{loaded}/{redelivered}/{quarantined}"
        )
    if total + skipped != nxt - first:
        problems.append(f"{nxt - first - total - skipped} offsets between {first} and {nxt} unaccounted for")
    if total and (min_off < first or max_off >= nxt):
        problems.append(f"rows outside the consumed range [{first}, {nxt})")
    if first > low:
        problems.append(f"consumption began at {first}, after the log start {low}")
    if nxt < high:
        problems.append(f"lag: {high - nxt} messages not consumed yet")
    return PartitionReport(tp.partition, low, high, first, nxt, loaded, redelivered, quarantined, skipped,
                           distinct, tuple(problems))


def format_reports(reports: list[PartitionReport]) -> str:
    header = f"{'partition':>9} {'produced':>9} {'loaded':>9} {'redeliv.':>9} {'quarant.':>9} {'skipped':>8}  status"
    lines = [header]
    for r in reports:
        status = "ok" if r.ok else "; ".join(r.problems)
        lines.append(
            f"{r.partition:>9} {r.produced:>9} {r.loaded:>9} {r.redelivered:>9} {r.quarantined:>9} {r.skipped:>8}  {status}"
        )
    t = [sum(getattr(r, f) for r in reports) for f in ("produced", "loaded", "redelivered", "quarantined", "skipped")]
    lines.append(f"{'total':>9} {t[0]:>9} {t[1]:>9} {t[2]:>9} {t[3]:>9} {t[4]:>8}  "
                 + ("ok: produced = loaded + redeliveries + quarantined" if all(r.ok for r in reports) else "MISMATCH"))
    return "\n".join(lines)
