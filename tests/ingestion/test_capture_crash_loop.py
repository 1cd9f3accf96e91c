"""Issue: three messages on one partition put the loader in a crash loop.

Event E; E again with other content (an event_id conflict); E again with an extra field holding
1e999999 (valid JSON that PostgreSQL's jsonb refuses). The batch write used to fail, the
message-by-message retry re-used the conflict the failed transaction had appended to the batch,
wrote the same quarantine row twice and died on quarantine_pkey, on every restart.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone

from ingestion import db
from ingestion.batch import ValidRow, copy_row, encode_batch, text_field
from ingestion.sink import RawSink
from tests.ingestion.events import encode, produce, received

EVENT_ID = "9e0f3a52-6b1d-4c2e-8f47-0a1b2c3d4e5f"


def three_messages() -> list[tuple[bytes, bytes]]:
    first = received("C-LOOP", event_id=EVENT_ID)
    conflict = dict(first, officer_id="CB9999")
    huge = encode(dict(first, extra=0)).replace(b'"extra": 0', b'"extra": 1e999999')
    return [(b"C-LOOP", encode(first)), (b"C-LOOP", encode(conflict)), (b"C-LOOP", huge)]


def rows(pg_db: str, query: str) -> list[tuple]:
    with db.connect("auditor", pg_db) as conn:
        return conn.execute(query).fetchall()


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ingestion.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_three_messages_load_reconcile_and_a_restart_is_a_no_op(services, pg_db, make_topic, env_for):
    topic = make_topic(partitions=1)
    produce(services.bootstrap_servers, topic, three_messages())
    env = env_for()

    first = cli(env, "--topic", topic, "consume", "--bounded", "--group", "g-loop", "--max-seconds", "60")
    assert first.returncode == 0, first.stderr[-2000:]
    assert rows(pg_db, "select count(*) from raw.case_events") == [(1,)]
    assert rows(pg_db, "select officer_id from raw.case_events") == [("CB0042",)]  # the first stays
    assert rows(pg_db, "select kafka_offset, reason, event_id from raw.quarantine order by 1") == [
        (1, "event_id_conflict", EVENT_ID), (2, "number_out_of_range", EVENT_ID)]
    assert rows(pg_db, "select count(*) from raw.redeliveries") == [(0,)]
    assert rows(pg_db, "select next_offset, loaded, quarantined from raw.consumer_positions "
                       "where consumer_group = 'g-loop'") == [(3, 1, 2)]

    check = cli(env, "--topic", topic, "reconcile", "--group", "g-loop")
    assert check.returncode == 0, check.stdout + check.stderr

    again = cli(env, "--topic", topic, "consume", "--bounded", "--group", "g-loop", "--max-seconds", "60")
    assert again.returncode == 0, again.stderr[-2000:]
    assert rows(pg_db, "select count(*) from raw.quarantine") == [(2,)]
    assert rows(pg_db, "select next_offset, loaded, quarantined from raw.consumer_positions "
                       "where consumer_group = 'g-loop'") == [(3, 1, 2)]


class _Record:
    def __init__(self, topic: str, offset: int, value: bytes):
        self.topic, self.partition, self.offset, self.value = topic, 0, offset, value
        self.timestamp, self.key = 1_772_418_900_000, b"C-LOOP"


def test_the_message_by_message_retry_writes_each_quarantine_row_once(pg_db):
    """The sink's own safety net, for a value the validator lets through and PostgreSQL refuses:
    here the validator's number check is bypassed by hand, so the batch transaction fails after
    finding the conflict, and the retry must start again from the batch as validated."""
    topic = "crash-loop"
    records = [_Record(topic, i, value) for i, (_, value) in enumerate(three_messages())]
    batch = encode_batch(topic, records, now=datetime(2026, 3, 3, tzinfo=timezone.utc))
    assert [q.reason for q in batch.rejected] == ["number_out_of_range"]
    huge = records[2]
    batch.rejected = []   # as if the validator had accepted it
    batch.rows.append(ValidRow(EVENT_ID, b"\x01" * 32, 0, 2, copy_row(text_field("crash-loop"), huge, b"\x01" * 32)))
    sink = RawSink(db.conninfo("ingest", pg_db), "g-sink")
    try:
        result = sink.write(batch)
        assert (result.total().loaded, result.total().redelivered, result.total().quarantined) == (1, 0, 2)
        assert batch.rejected == []  # the batch as validated is left untouched
        assert sink.write(batch).total().quarantined == 0  # a rewrite is below the stored position
    finally:
        sink.close()
    assert rows(pg_db, "select kafka_offset, reason from raw.quarantine order by 1") == [
        (1, "event_id_conflict"), (2, "database_rejected")]
    stored = rows(pg_db, "select convert_from(raw_value, 'UTF8') from raw.quarantine where kafka_offset = 2")
    assert json.loads(stored[0][0].replace("1e999999", "0"))["extra"] == 0  # original bytes kept
