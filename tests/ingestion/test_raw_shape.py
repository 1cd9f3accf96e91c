"""The raw tables' shape since migration 100: typed columns written by the loader, the message
bytes kept verbatim, rows of the former shape kept, and several loader processes in one group.

Expected values are written out by hand from the messages each test produces.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import uuid
from datetime import datetime, timezone

from ingestion import db
from ingestion.migrations import MIGRATIONS_DIR
from tests.ingestion.events import encode, produce, received
from tests.ingestion.staff_events import staff_event

CASE_COLUMNS = ("select event_id::text, event_type, schema_version, case_id, agency_code, officer_id, occurred_at,"
                " raw_value, content_hash from raw.case_events")


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ingestion.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def rows(dbname: str, query: str, *params) -> list[tuple]:
    with db.connect("owner", dbname) as conn:
        return conn.execute(query, params).fetchall()


def test_the_loader_writes_the_typed_columns_and_the_verbatim_bytes(services, pg_db, make_topic, env_for):
    topic = make_topic(partitions=1)
    plain = received("C-1", event_id="00000000-0000-4000-8000-00000000000a")
    # Upper-case id, no officer, a fraction past the microsecond (PostgreSQL rounds it up to
    # .123457), a lower-case 't' and 'z', and spacing that jsonb does not keep.
    odd = received("C-\"2\"", event_id="00000000-0000-4000-8000-00000000000B",
                   occurred_at="2026-03-02t09:15:00.1234567z")
    odd["officer_id"] = None
    odd_bytes = json.dumps(odd, ensure_ascii=False, indent=1).encode()
    produce(services.bootstrap_servers, topic, [(b"C-1", encode(plain)), (b"C-2", odd_bytes)])

    done = cli(env_for(), "--topic", topic, "consume", "--bounded", "--group", "g-shape", "--max-seconds", "60")
    assert done.returncode == 0, done.stderr[-2000:]

    loaded = rows(pg_db, CASE_COLUMNS + " order by kafka_offset")
    assert loaded == [
        ("00000000-0000-4000-8000-00000000000a", "case.received", 1, "C-1", "SKHDT", "CB0042",
         datetime(2026, 3, 2, 2, 15, tzinfo=timezone.utc), encode(plain), hashlib.sha256(encode(plain)).digest()),
        ("00000000-0000-4000-8000-00000000000b", "case.received", 1, 'C-"2"', "SKHDT", None,
         datetime(2026, 3, 2, 9, 15, 0, 123457, tzinfo=timezone.utc), odd_bytes, hashlib.sha256(odd_bytes).digest()),
    ]
    # The payload is the same document, parsed (its bytes differ from raw_value for the indented one).
    assert rows(pg_db, "select payload->>'case_id' from raw.case_events order by kafka_offset") == [("C-1",), ('C-"2"',)]


def test_the_staff_loader_writes_the_exempted_case_and_null_for_officer_facts(services, pg_db, make_topic, env_for):
    topic = make_topic(partitions=1)
    granted = staff_event("case.exemption_granted", "00000000-0000-4000-8000-0000000000c1")
    left = staff_event("officer.left", "00000000-0000-4000-8000-0000000000c2")
    produce(services.bootstrap_servers, topic, [(b"k", encode(granted)), (b"k", encode(left))])

    env = env_for(KAFKA_STAFF_TOPIC=topic, KAFKA_STAFF_CONSUMER_GROUP="g-staff-shape")
    done = cli(env, "consume", "--contract", "staff", "--bounded", "--max-seconds", "60")
    assert done.returncode == 0, done.stderr[-2000:]
    assert rows(pg_db, "select event_type, case_id, officer_id, agency_code, raw_value = %s, raw_value = %s"
                       " from raw.staff_events order by kafka_offset", encode(granted), encode(left)) == [
        ("case.exemption_granted", granted["data"]["case_id"], granted["officer_id"], granted["agency_code"],
         True, False),
        ("officer.left", None, left["officer_id"], left["agency_code"], False, True),
    ]


def test_a_row_inserted_without_typed_columns_gets_them_from_its_payload(pg_db):
    """A repair by hand (or any writer other than the loader) still gets consistent columns."""
    event = received("C-HAND", event_id="00000000-0000-4000-8000-0000000000d1",
                     occurred_at="2026-03-02T23:30:00-05:00")
    with db.connect("owner", pg_db) as conn:
        conn.execute("insert into raw.case_events (payload, content_hash, kafka_topic, kafka_partition, kafka_offset)"
                     " values (%s::jsonb, '\\x00', 't', 0, 0)", (json.dumps(event),))
        conn.commit()
    assert rows(pg_db, "select event_id::text, event_type, schema_version, case_id, agency_code, officer_id,"
                       " occurred_at, raw_value from raw.case_events") == [
        ("00000000-0000-4000-8000-0000000000d1", "case.received", 1, "C-HAND", "SKHDT", "CB0042",
         datetime(2026, 3, 3, 4, 30, tzinfo=timezone.utc), None)]


def test_a_payload_repaired_in_place_carries_its_typed_columns_along(pg_db):
    event = received("C-FIX", event_id="00000000-0000-4000-8000-0000000000d2")
    with db.connect("owner", pg_db) as conn:
        conn.execute("insert into raw.case_events (payload, content_hash, kafka_topic, kafka_partition, kafka_offset)"
                     " values (%s::jsonb, '\\x00', 't', 0, 0)", (json.dumps(event),))
        conn.execute("update raw.case_events set payload = payload || '{\"occurred_at\": \"2026-03-01T09:15:00+07:00\","
                     " \"agency_code\": \"STNMT\"}'::jsonb")
        conn.execute("update raw.case_events set kafka_timestamp_ms = 0")  # payload untouched: columns kept
        conn.commit()
    assert rows(pg_db, "select agency_code, occurred_at from raw.case_events") == [
        ("STNMT", datetime(2026, 3, 1, 2, 15, tzinfo=timezone.utc))]


def test_migration_100_keeps_the_rows_loaded_in_the_former_shape(services, tmp_path):
    """A database loaded before migration 100 (typed columns generated by PostgreSQL) keeps every
    row and value through it; only raw_value is new, and NULL for those rows."""
    before = tmp_path / "before"
    before.mkdir()
    for path in MIGRATIONS_DIR.glob("*.sql"):
        if path.name < "100":
            shutil.copy(path, before / path.name)
    name = f"motcua_t_{uuid.uuid4().hex[:10]}"
    with db.connect("owner", "postgres", autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    try:
        db.migrate(name, directory=before)
        event = received("C-OLD", event_id="00000000-0000-4000-8000-0000000000e1")
        with db.connect("owner", name) as conn:
            conn.execute("insert into raw.case_events (payload, content_hash, kafka_topic, kafka_partition,"
                         " kafka_offset, kafka_timestamp_ms) values (%s::jsonb, '\\x01', 'old', 3, 7, 1772418900000)",
                         (json.dumps(event),))
            conn.commit()
        applied = db.migrate(name)
        assert "100_raw_typed_columns.sql" in applied
        assert rows(name, "select event_id::text, event_type, case_id, officer_id, occurred_at, content_hash,"
                          " kafka_partition, kafka_offset, kafka_timestamp, raw_value from raw.case_events") == [
            ("00000000-0000-4000-8000-0000000000e1", "case.received", "C-OLD", "CB0042",
             datetime(2026, 3, 2, 2, 15, tzinfo=timezone.utc), b"\x01", 3, 7,
             datetime(2026, 3, 2, 2, 35, tzinfo=timezone.utc), None)]
        # The typed columns are plain columns now: none is generated any more, except kafka_timestamp.
        assert rows(name, "select table_name, column_name from information_schema.columns"
                          " where table_schema = 'raw' and is_generated = 'ALWAYS' order by 1, 2") == [
            ("case_events", "kafka_timestamp"), ("staff_events", "kafka_timestamp")]
    finally:
        with db.connect("owner", "postgres", autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


def test_two_loader_processes_in_one_group_load_each_message_exactly_once(services, pg_db, make_topic, env_for):
    topic = make_topic(partitions=4)
    messages = [(f"C-{i}".encode(), encode(received(f"C-{i}", event_id=str(uuid.UUID(int=0xF000 + i)))))
                for i in range(40)]
    messages.append((b"C-0", messages[0][1]))   # a byte-identical redelivery
    messages.append((b"C-X", b"{not json"))      # malformed
    produce(services.bootstrap_servers, topic, messages)
    env = env_for(KAFKA_TOPIC=topic, KAFKA_CONSUMER_GROUP="g-two")

    done = cli(env, "consume", "--processes", "2", "--bounded", "--max-seconds", "90")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert rows(pg_db, "select count(*), count(distinct event_id) from raw.case_events") == [(40, 40)]
    assert rows(pg_db, "select count(*) from raw.redeliveries") == [(1,)]
    assert rows(pg_db, "select reason from raw.quarantine") == [("invalid_json",)]
    assert rows(pg_db, "select sum(loaded), sum(redelivered), sum(quarantined), sum(next_offset - first_offset)"
                       " from raw.consumer_positions where consumer_group = 'g-two'") == [(40, 1, 1, 42)]
    check = cli(env, "reconcile")
    assert check.returncode == 0, check.stdout + check.stderr


class _Record:
    def __init__(self, offset: int, value: bytes):
        self.topic, self.partition, self.offset, self.value = "fuzz", 0, offset, value
        self.timestamp, self.key = 1_772_418_900_000, None


def test_over_the_contract_fuzz_every_typed_column_is_what_the_former_expression_reads(pg_db):
    """Edge-of-schema events (escapes, non-ASCII, odd spacing, fractions, offsets): the columns the
    loader writes equal the former generated expressions over the stored payload, row by row."""
    from zoneinfo import ZoneInfo

    from ingestion.batch import encode_batch
    from ingestion.sink import RawSink
    from tests.ingestion.contract_fuzz import fuzz_messages

    messages = fuzz_messages(20260302, 60, datetime(2026, 2, 2, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")))
    batch = encode_batch("fuzz", [_Record(i, m.value) for i, m in enumerate(messages)],
                         now=datetime(2026, 3, 3, tzinfo=timezone.utc))
    sink = RawSink(db.conninfo("ingest", pg_db), "g-fuzz")
    try:
        loaded = sink.write(batch).total().loaded
    finally:
        sink.close()
    assert loaded == len(batch.rows) and loaded > 300
    assert rows(pg_db, """
        select count(*) from raw.case_events
         where event_id is distinct from (payload->>'event_id')::uuid
            or event_type is distinct from payload->>'event_type'
            or schema_version is distinct from (payload->>'schema_version')::numeric::smallint
            or case_id is distinct from payload->>'case_id'
            or agency_code is distinct from payload->>'agency_code'
            or officer_id is distinct from payload->>'officer_id'
            or occurred_at is distinct from raw.instant(payload->>'occurred_at')
            or sha256(raw_value) <> content_hash
            or convert_from(raw_value, 'UTF8')::jsonb <> payload""") == [(0,)]
