"""Ingestion benchmark: events/s of the raw loader against two baselines, on one topic.

    .venv/bin/python -m bench.ingest [--events 1000000] [--naive-sample 5000] [--repeat 1]

(a) the project's loader (validate, COPY, dedupe, positions) into a fresh database,
(b) a kafka-python consumer that only iterates the messages (same fetch settings, no parsing,
    no database): the ceiling a Python consumer can reach on this machine,
(c) a naive loader: json.loads and one INSERT + COMMIT per event, on a sample.
Prints events/s and the ratios a/b (aim ≥ 0.5) and a/c (aim ≥ 20). The topic is filled once with
generated events and reused by later runs (it is named after the event count).
"""
from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
import uuid
from datetime import date

import psycopg
from kafka import KafkaConsumer, TopicPartition

from motcua import db
from ingestion.consumer import RawLoader
from ingestion.generator import GeneratorConfig, generate
from ingestion.generator.produce import make_producer, produce
from ingestion.kafka_client import MAX_PARTITION_FETCH_BYTES, ensure_topic
from motcua.settings import KafkaSettings
from ingestion.sink import RawSink

BENCH_DB = "motcua_bench_ingest"


def fill_topic(bootstrap: str, topic: str, events: int) -> None:
    ensure_topic(bootstrap, topic, partitions=12)
    present = sum(end_offsets(bootstrap, topic).values())
    if present >= events:
        print(f"reusing {topic}: {present:,} messages")
        return
    print(f"filling {topic} with {events - present:,} generated events …")
    # ~6 events per case; enough days of cases to exceed the target, cut at `events`.
    config = GeneratorConfig(seed=7, start_date=date(2025, 1, 6), days=400, cases_per_day=events // 250)
    producer = make_producer(bootstrap)
    produce(generate(config), producer, topic, limit=events - present)
    producer.close()


def end_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        return consumer.end_offsets(parts)
    finally:
        consumer.close()


def bare_iteration(bootstrap: str, topic: str, events: int) -> float:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, max_poll_records=5000,
                             max_partition_fetch_bytes=MAX_PARTITION_FETCH_BYTES, fetch_max_bytes=64 * 1024 * 1024)
    parts = list(end_offsets(bootstrap, topic))
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    seen = 0
    started = time.perf_counter()
    while seen < events:
        for records in consumer.poll(timeout_ms=500).values():
            for _record in records:
                seen += 1
    elapsed = time.perf_counter() - started
    consumer.close()
    return seen / elapsed


def fresh_database() -> None:
    with db.connect("owner", "postgres", autocommit=True) as conn:
        conn.execute(f'drop database if exists "{BENCH_DB}" with (force)')
        conn.execute(f'create database "{BENCH_DB}"')
    db.migrate(BENCH_DB)


def project_loader(bootstrap: str, topic: str) -> tuple[float, int]:
    fresh_database()
    group = f"bench-{uuid.uuid4().hex[:8]}"
    loader = RawLoader(KafkaSettings(bootstrap, topic, group), RawSink(db.conninfo("ingest", BENCH_DB), group),
                       progress_every=30)
    started = time.perf_counter()
    stats = loader.run(bounded=True)
    elapsed = time.perf_counter() - started
    return stats.messages / elapsed, stats.messages


NAIVE_INSERT = """
insert into raw.case_events (event_id, event_type, schema_version, case_id, agency_code, officer_id,
    occurred_at, payload, content_hash, kafka_topic, kafka_partition, kafka_offset)
values (%s, %s, %s, %s, %s, %s, %s, %s, sha256(%s), %s, %s, %s) on conflict do nothing
"""


def naive_loader(bootstrap: str, topic: str, sample: int) -> float:
    """One INSERT and one COMMIT per event, json.loads for parsing: the usual first version."""
    fresh_database()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, max_poll_records=500)
    parts = list(end_offsets(bootstrap, topic))
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    done = 0
    with psycopg.connect(db.conninfo("ingest", BENCH_DB), autocommit=True) as conn:
        started = time.perf_counter()
        while done < sample:
            for records in consumer.poll(timeout_ms=500).values():
                for r in records:
                    if done >= sample:
                        break
                    try:
                        e = json.loads(r.value)
                        conn.execute(NAIVE_INSERT, (e["event_id"], e["event_type"], e["schema_version"], e["case_id"],
                                                    e["agency_code"], e.get("officer_id"), e["occurred_at"],
                                                    json.dumps(e), r.value, r.topic, r.partition, r.offset))
                    except (ValueError, KeyError, TypeError, psycopg.Error):
                        pass  # the naive loader simply drops what it cannot load
                    done += 1
        elapsed = time.perf_counter() - started
    consumer.close()
    return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--naive-sample", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the median is printed")
    parser.add_argument("--topic", help="default: bench.case-events.<events>")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)
    settings = KafkaSettings.from_env()
    topic = args.topic or f"bench.case-events.{args.events}"
    fill_topic(settings.bootstrap_servers, topic, args.events)

    runs: dict[str, list[float]] = {"a": [], "b": [], "c": []}
    for i in range(args.repeat):
        print(f"run {i + 1}/{args.repeat}: (b) bare iteration …", flush=True)
        runs["b"].append(bare_iteration(settings.bootstrap_servers, topic, args.events))
        print(f"run {i + 1}/{args.repeat}: (a) project loader …", flush=True)
        rate, loaded = project_loader(settings.bootstrap_servers, topic)
        runs["a"].append(rate)
        print(f"run {i + 1}/{args.repeat}: (c) naive loader on {args.naive_sample:,} events …", flush=True)
        runs["c"].append(naive_loader(settings.bootstrap_servers, topic, args.naive_sample))
    a, b, c = (statistics.median(runs[k]) for k in "abc")
    print()
    print(f"{'measure':<48} {'events/s':>12}")
    print(f"{'(a) project loader → PostgreSQL':<48} {a:>12,.0f}")
    print(f"{'(b) kafka-python iteration only (baseline)':<48} {b:>12,.0f}")
    print(f"{'(c) naive INSERT + COMMIT per event (sample)':<48} {c:>12,.0f}")
    print()
    print(f"a/b = {a / b:.2f}   (aim ≥ 0.5)")
    print(f"a/c = {a / c:.1f}   (aim ≥ 20)")
    print(f"topic {topic}: {loaded:,} messages; medians of {args.repeat} run(s)")


if __name__ == "__main__":
    main()
