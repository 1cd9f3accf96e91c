"""The loader against the real broker and database: counts, contents, redeliveries, poison."""
from __future__ import annotations

import json

from ingestion import db
from ingestion.consumer import RawLoader
from ingestion.settings import KafkaSettings
from ingestion.sink import RawSink
from tests.ingestion.events import encode, produce, received, received_messages


def load(services, pg_db, topic: str, group: str = "g1", batch: int = 500):
    settings = KafkaSettings(services.bootstrap_servers, topic, group)
    loader = RawLoader(settings, RawSink(db.conninfo("ingest", pg_db), group), max_poll_records=batch)
    return loader.run(bounded=True, max_seconds=120)


def scalar(pg_db: str, query: str, *params):
    with db.connect("auditor", pg_db) as conn:
        return conn.execute(query, params).fetchone()[0]


def test_produced_events_land_once_with_their_coordinates_and_payload(services, pg_db, make_topic):
    topic = make_topic(partitions=3)
    messages = received_messages(1200)
    produce(services.bootstrap_servers, topic, messages)

    stats = load(services, pg_db, topic)

    assert stats.counts.loaded == 1200
    assert scalar(pg_db, "select count(*) from raw.case_events") == 1200
    assert scalar(pg_db, "select count(distinct (kafka_partition, kafka_offset)) from raw.case_events") == 1200
    key, value = messages[17]
    with db.connect("auditor", pg_db) as conn:
        row = conn.execute(
            "select case_id, event_type, agency_code, officer_id, payload, occurred_at,"
            " encode(content_hash, 'hex') from raw.case_events where case_id = %s", (key.decode(),)
        ).fetchone()
    original = json.loads(value)
    assert row[0] == original["case_id"] and row[1] == "case.received"
    assert row[2] == "SKHDT" and row[3] == "CB0042"
    assert row[4] == original  # verbatim content, applicant included (restricted layer)
    assert row[5].isoformat() == "2026-03-02T02:15:00+00:00"
    import hashlib
    assert row[6] == hashlib.sha256(value).hexdigest()


def test_rerun_loads_nothing_new(services, pg_db, make_topic):
    topic = make_topic(partitions=2)
    produce(services.bootstrap_servers, topic, received_messages(300))
    load(services, pg_db, topic)
    second = load(services, pg_db, topic)
    assert second.counts.total() == 0
    assert scalar(pg_db, "select count(*) from raw.case_events") == 300


def test_redelivery_is_counted_and_conflict_quarantined(services, pg_db, make_topic):
    topic = make_topic(partitions=1)
    first = received("C-1", event_id="11111111-1111-4111-8111-111111111111")
    reserialised = json.dumps(first, indent=2, sort_keys=True).encode()  # same content, other bytes
    changed = dict(first, officer_id="CB9999")
    produce(services.bootstrap_servers, topic, [
        (b"C-1", encode(first)), (b"C-1", encode(first)), (b"C-1", reserialised), (b"C-1", encode(changed)),
    ])
    load(services, pg_db, topic)
    # a second pass over the same bytes later (long-gap redelivery)
    produce(services.bootstrap_servers, topic, [(b"C-1", encode(first))])
    load(services, pg_db, topic)

    assert scalar(pg_db, "select count(*) from raw.case_events") == 1
    assert scalar(pg_db, "select officer_id from raw.case_events") == "CB0042"
    assert scalar(pg_db, "select count(*) from raw.redeliveries") == 3
    assert scalar(pg_db, "select reason from raw.quarantine") == "event_id_conflict"
    assert scalar(pg_db, "select kafka_offset from raw.quarantine") == 3
    assert scalar(pg_db, "select convert_from(raw_value, 'UTF8')::jsonb ->> 'officer_id' from raw.quarantine") == "CB9999"


def test_poison_messages_are_quarantined_between_good_ones(services, pg_db, make_topic):
    topic = make_topic(partitions=1)
    bad = [
        (b"x", b"{not json"),
        (b"x", b"\xff\xfe\x00garbage"),
        (b"x", None),
        (b"x", encode(dict(received("C-bad"), event_type="case.teleported"))),
        (b"x", encode(received("C-nul")).replace(b"Nguy", b"\\u0000Nguy")),
        (b"x", b"{" + b'"pad": "' + b"a" * 1_100_000 + b'"}'),
    ]
    messages = []
    for i, poison in enumerate(bad):
        messages.append((b"C-%d" % i, encode(received(f"C-{i}"))))
        messages.append(poison)
    produce(services.bootstrap_servers, topic, messages)

    stats = load(services, pg_db, topic, batch=4)

    assert stats.counts.loaded == len(bad)
    with db.connect("auditor", pg_db) as conn:
        rows = conn.execute("select kafka_offset, reason, raw_value from raw.quarantine order by kafka_offset").fetchall()
    assert [r[0] for r in rows] == [1, 3, 5, 7, 9, 11]
    assert [r[1] for r in rows] == ["invalid_json", "invalid_utf8", "empty_value", "unknown_event_type",
                                    "nul_character", "too_large"]
    assert rows[1][2] == b"\xff\xfe\x00garbage"  # original bytes kept
    assert rows[2][2] is None


def test_json_postgresql_refuses_is_isolated_and_the_rest_loads(services, pg_db, make_topic):
    topic = make_topic(partitions=1)
    overflowing = encode(dict(received("C-big"), extra=1)).replace(b'"extra": 1', b'"extra": 1e1000000')
    float_version = encode(dict(received("C-float"), schema_version=1)).replace(b'"schema_version": 1', b'"schema_version": 1.0')
    produce(services.bootstrap_servers, topic, [
        (b"C-a", encode(received("C-a"))), (b"C-big", overflowing), (b"C-float", float_version),
        (b"C-b", encode(received("C-b"))),
    ])
    stats = load(services, pg_db, topic)
    assert stats.counts.loaded == 3 and stats.counts.quarantined == 1
    assert scalar(pg_db, "select reason from raw.quarantine") == "number_out_of_range"  # decided by the validator
    assert scalar(pg_db, "select kafka_offset from raw.quarantine") == 1
    assert scalar(pg_db, "select schema_version from raw.case_events where case_id = 'C-float'") == 1
