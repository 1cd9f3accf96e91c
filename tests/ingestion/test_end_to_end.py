"""Generated stream with every fault class → real Kafka → loader: the manifest is honoured.

The generator labels each message with what the pipeline must do with it (load, skip as a
redelivery, quarantine with a given reason); the database must agree, class by class.
"""
from __future__ import annotations

from datetime import date

from ingestion import db
from ingestion.consumer import RawLoader
from ingestion.generator import FaultRates, GeneratorConfig, Manifest, generate
from ingestion.generator.produce import make_producer, produce
from ingestion.settings import KafkaSettings
from ingestion.sink import RawSink

ALL_FAULTS = FaultRates(
    duplicate=0.03, out_of_order=0.02, late=0.03, conflict=0.01, impossible_time_order=0.005,
    future_timestamp=0.005, invalid_json=0.005, wrong_type=0.005, unknown_event_type=0.005,
    missing_field=0.005, timestamp_without_offset=0.005, invalid_utf8=0.005, nul_character=0.005,
    too_large=0.001,
)


def test_every_fault_class_ends_where_the_manifest_says(services, pg_db, make_topic):
    topic = make_topic(partitions=4)
    config = GeneratorConfig(seed=11, start_date=date(2026, 4, 20), days=21, cases_per_day=60, faults=ALL_FAULTS)
    manifest = Manifest()
    producer = make_producer(services.bootstrap_servers)
    produce(manifest.track(generate(config)), producer, topic, progress_every=0)
    producer.close()
    assert all(manifest.counts[label] > 0 for label in ("duplicate", "conflict", "invalid_json", "too_large",
                                                         "late", "out_of_order", "nul_character"))

    settings = KafkaSettings(services.bootstrap_servers, topic, "e2e")
    stats = RawLoader(settings, RawSink(db.conninfo("ingest", pg_db), "e2e")).run(bounded=True, max_seconds=300)

    with db.connect("auditor", pg_db) as conn:
        loaded = conn.execute("select count(*) from raw.case_events").fetchone()[0]
        redelivered = conn.execute("select count(*) from raw.redeliveries").fetchone()[0]
        reasons = dict(conn.execute("select reason, count(*) from raw.quarantine group by reason").fetchall())
    # impossible_time_order events are schema-valid: loaded (and flagged downstream), not quarantined
    assert loaded == manifest.distinct_valid + manifest.counts["impossible_time_order"]
    assert redelivered == manifest.counts["duplicate"]
    assert reasons == manifest.rejected
    assert stats.messages == manifest.total == loaded + redelivered + sum(reasons.values())


def test_the_generated_staff_stream_ends_where_the_manifest_says(services, pg_db, make_topic):
    """Both topics from one generator run; each loader fills its own raw table."""
    from ingestion.topics import STAFF

    case_topic, staff_topic = make_topic(partitions=2), make_topic(partitions=2)
    config = GeneratorConfig(seed=3, start_date=date(2026, 1, 5), days=40, cases_per_day=15, staff=True,
                             staff_malformed=0.08, faults=FaultRates(duplicate=0.03))
    manifest = Manifest()
    producer = make_producer(services.bootstrap_servers)
    produce(manifest.track(generate(config)), producer, case_topic, progress_every=0, staff_topic=staff_topic)
    producer.close()
    assert manifest.staff_counts["duplicate"] > 0 and manifest.staff_counts["conflict"] > 0

    for topic, group, sink in ((case_topic, "e2e-case", RawSink(db.conninfo("ingest", pg_db), "e2e-case")),
                               (staff_topic, "e2e-staff", RawSink(db.conninfo("ingest", pg_db), "e2e-staff", STAFF))):
        RawLoader(KafkaSettings(services.bootstrap_servers, topic, group), sink).run(bounded=True, max_seconds=120)

    with db.connect("auditor", pg_db) as conn:
        staff_loaded = conn.execute("select count(*) from raw.staff_events").fetchone()[0]
        case_loaded = conn.execute("select count(*) from raw.case_events").fetchone()[0]
        redelivered = conn.execute("select count(*) from raw.redeliveries where kafka_topic = %s",
                                   (staff_topic,)).fetchone()[0]
        reasons = dict(conn.execute("select reason, count(*) from raw.quarantine where kafka_topic = %s group by 1",
                                    (staff_topic,)).fetchall())
    assert case_loaded == manifest.distinct_valid
    assert staff_loaded == manifest.staff_distinct_valid
    assert redelivered == manifest.staff_counts["duplicate"]
    assert reasons == manifest.staff_rejected
    assert manifest.staff_total == staff_loaded + redelivered + sum(reasons.values())
