"""Producing to the real local broker and reading the messages back."""
from __future__ import annotations

import itertools
import json
import subprocess
import sys
import uuid
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient

from ingestion.generator import FaultRates, GeneratorConfig, Manifest, generate
from ingestion.generator.produce import make_producer, produce
from ingestion.generator.topic import ensure_topic

ROOT = Path(__file__).resolve().parents[3]


def _read_all(bootstrap: str, topic: str, expected: int) -> list:
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
        enable_auto_commit=False, consumer_timeout_ms=15_000,
        max_partition_fetch_bytes=4 * 1024 * 1024, fetch_max_bytes=8 * 1024 * 1024)
    records = []
    try:
        for record in consumer:
            records.append(record)
            if len(records) >= expected:
                break
    finally:
        consumer.close()
    return records


def test_produce_2000_and_read_back(services, make_topic) -> None:
    topic = make_topic(partitions=4)
    rates = FaultRates.build(0.05, duplicate=0.03, late=0.03, out_of_order=0.05, too_large=0.002)
    config = GeneratorConfig(seed=5, start_date=date(2026, 3, 2), days=20, cases_per_day=60, faults=rates)
    messages = list(itertools.islice(generate(config), 2000))
    manifest = Manifest(messages)
    assert manifest.total == 2000 and manifest.counts["too_large"] >= 1 and manifest.counts["duplicate"] >= 1

    producer = make_producer(services.bootstrap_servers)
    try:
        result = produce(messages, producer, topic, progress_every=0)
    finally:
        producer.close()
    assert result.messages == 2000 and result.counts == manifest.counts

    records = _read_all(services.bootstrap_servers, topic, 2000)
    assert len(records) == 2000
    # Same multiset of (key, value): give each record back its label.
    labels_of = defaultdict(list)
    for m in messages:
        labels_of[(m.key, m.value)].append(m.label)
    got = Counter()
    partition_of_key: dict[bytes, int] = {}
    for r in records:
        got[labels_of[(r.key, r.value)].pop()] += 1
        assert partition_of_key.setdefault(r.key, r.partition) == r.partition  # one case, one partition
        try:
            event = json.loads(r.value.decode("utf-8"))
        except ValueError:
            continue
        if isinstance(event.get("case_id"), str):
            assert r.key == event["case_id"].encode("utf-8")
    assert got == manifest.counts
    # Per partition, Kafka keeps the production order.
    sent = defaultdict(list)
    for m in messages:
        sent[partition_of_key[m.key]].append(m.value)
    received = defaultdict(list)
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        received[r.partition].append(r.value)
    assert received == sent


def test_ensure_topic_creates_12_partitions_once(services) -> None:
    topic = f"test.gen.{uuid.uuid4().hex[:12]}"
    try:
        assert ensure_topic(services.bootstrap_servers, topic) is True
        assert ensure_topic(services.bootstrap_servers, topic) is False
        consumer = KafkaConsumer(bootstrap_servers=services.bootstrap_servers)
        try:
            assert consumer.partitions_for_topic(topic) == set(range(12))
        finally:
            consumer.close()
    finally:
        admin = KafkaAdminClient(bootstrap_servers=services.bootstrap_servers)
        try:
            admin.delete_topics([topic])
        finally:
            admin.close()


def test_cli_produces_one_night(services, make_topic) -> None:
    topic = make_topic(partitions=4)
    night = date(2026, 3, 4)
    config = GeneratorConfig(seed=3, start_date=date(2026, 3, 2), days=5, cases_per_day=30)
    expected = [m for m in generate(config) if m.arrival_day == night]
    result = subprocess.run(
        [sys.executable, "-m", "ingestion.generator", "--seed", "3", "--start", "2026-03-02", "--days", "5",
         "--cases-per-day", "30", "--night", night.isoformat(), "--topic", topic,
         "--bootstrap-servers", services.bootstrap_servers, "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["messages"] == len(expected) > 0 and summary["by_label"] == {"valid": len(expected)}
    records = _read_all(services.bootstrap_servers, topic, len(expected))
    assert sorted(r.value for r in records) == sorted(m.value for m in expected)
