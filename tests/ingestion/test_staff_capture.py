"""The staff topic through the real loader: a mixed stream with malformed and repeated messages.

Expected counts are written out by hand from the list of messages below; the loader (the
`motcua ingest` CLI) must put each message where the list says, and reconcile must agree.
"""
from __future__ import annotations

import json
import subprocess
import sys
import uuid

from ingestion import db
from tests.ingestion.events import encode, produce, received
from tests.ingestion.staff_events import staff_event


def ids(n: int) -> list[str]:
    return [str(uuid.UUID(int=0x5A0C0000_0000_4000_8000_000000000000 + i)) for i in range(n)]


def staff_stream() -> list[tuple[bytes, bytes, str]]:
    """(key, value, where it must end): loaded | redelivered | a quarantine reason."""
    e = ids(20)
    positioned = staff_event("officer.positioned", e[0])
    left = staff_event("officer.left", e[1])
    assessed = staff_event("officer.assessed", e[2])
    correction = staff_event("officer.assessed", e[3], occurred_at="2026-04-06T15:00:00+07:00")
    correction["data"]["criteria"][0]["points"] = 7
    granted = staff_event("case.exemption_granted", e[4])
    revoked = staff_event("case.exemption_revoked", e[5])
    officer, case = b"CB0042", b"000.00.12.H26-260302-0001"

    def bad(event_type: str, event_id: str, **data) -> bytes:
        event = staff_event(event_type, event_id)
        event["data"].update(data)
        return encode(event)

    no_criteria = staff_event("officer.assessed", e[8])
    del no_criteria["data"]["criteria"]
    return [
        (officer, encode(positioned), "loaded"),
        (officer, encode(left), "loaded"),
        (officer, encode(assessed), "loaded"),
        (officer, encode(correction), "loaded"),                     # same officer/period/assessor: kept too
        (case, encode(granted), "loaded"),
        (case, encode(revoked), "loaded"),
        (officer, encode(assessed), "redelivered"),                  # byte-identical
        (officer, json.dumps(assessed, indent=2).encode(), "redelivered"),  # same JSON, other bytes
        (case, encode(granted), "redelivered"),
        (officer, encode({**left, "data": {"valid_from": "2026-03-17"}}), "event_id_conflict"),
        (officer, encode(positioned)[:-7], "invalid_json"),
        (officer, encode(no_criteria), "missing_field"),
        (officer, bad("officer.assessed", e[9], period="2026-13"), "invalid_value"),
        (officer, bad("officer.assessed", e[10], criteria=[{"code": "compliance", "points": 101}]), "invalid_value"),
        (officer, bad("officer.positioned", e[11], position_group="clerk"), "invalid_value"),
        (officer, bad("officer.positioned", e[12], valid_from="2026-02-30"), "invalid_value"),
        (case, bad("case.exemption_granted", e[13], scope="all"), "invalid_value"),
        (officer, bad("officer.assessed", e[14], criteria=[{"code": "compliance", "points": "9"}]), "wrong_type"),
        (officer, encode({**staff_event("officer.left", e[15]), "event_type": "officer.fired"}), "unknown_event_type"),
        (case, encode(received("C-1", e[16])), "unknown_event_type"),  # a case event on the staff topic
        (officer, encode(staff_event("officer.left", e[17], occurred_at="2031-01-01T08:00:00+07:00")),
         "future_timestamp"),
        (officer, encode(staff_event("officer.left", e[18], occurred_at="2016-01-01T08:00:00+07:00")),
         "before_system_start"),
        (officer, encode(staff_event("officer.left", e[19], occurred_at="2026-03-16T08:00:00")),
         "timestamp_without_offset"),
        (officer, b"", "empty_value"),
    ]


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ingestion.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def rows(pg_db: str, query: str, *params) -> list[tuple]:
    with db.connect("auditor", pg_db) as conn:
        return conn.execute(query, params).fetchall()


def test_a_mixed_staff_stream_lands_exactly_where_it_must(services, pg_db, make_topic, env_for):
    topic = make_topic(partitions=2)
    stream = staff_stream()
    produce(services.bootstrap_servers, topic, [(k, v) for k, v, _ in stream])
    env = env_for()

    loaded = cli(env, "--topic", topic, "consume", "--contract", "staff", "--bounded", "--group", "g-staff",
                 "--max-seconds", "60")
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    # 24 messages: 6 first deliveries, 3 redeliveries, 1 conflict, 14 malformed
    assert rows(pg_db, "select event_type, count(*) from raw.staff_events group by 1 order by 1") == [
        ("case.exemption_granted", 1), ("case.exemption_revoked", 1), ("officer.assessed", 2),
        ("officer.left", 1), ("officer.positioned", 1)]
    assert rows(pg_db, "select count(*) from raw.case_events") == [(0,)]
    assert rows(pg_db, "select count(*) from raw.redeliveries where kafka_topic = %s", topic) == [(3,)]
    assert dict(rows(pg_db, "select reason, count(*) from raw.quarantine where kafka_topic = %s group by 1",
                     topic)) == {"event_id_conflict": 1, "invalid_json": 1, "missing_field": 1, "invalid_value": 5,
                                 "wrong_type": 1, "unknown_event_type": 2, "future_timestamp": 1,
                                 "before_system_start": 1, "timestamp_without_offset": 1, "empty_value": 1}
    # typed columns derived from the payload; the officer.left kept is the first delivery
    assert rows(pg_db, "select officer_id, case_id from raw.staff_events where event_type like 'case.%%'") == [
        ("CB0061", "000.00.12.H26-260302-0001")] * 2
    assert rows(pg_db, "select payload->'data'->>'valid_from' from raw.staff_events "
                       "where event_type = 'officer.left'") == [("2026-03-16",)]
    # every quarantined message keeps its Kafka coordinates and its bytes
    assert rows(pg_db, "select count(*) from raw.quarantine where kafka_topic = %s and raw_value is not null "
                       "and kafka_key is not null", topic) == [(15,)]
    assert rows(pg_db, "select sum(next_offset - first_offset), sum(loaded), sum(redelivered), sum(quarantined) "
                       "from raw.consumer_positions where consumer_group = 'g-staff' and kafka_topic = %s",
                topic) == [(24, 6, 3, 15)]

    check = cli(env, "--topic", topic, "reconcile", "--contract", "staff", "--group", "g-staff")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "ok: produced = loaded + redeliveries + quarantined" in check.stdout

    again = cli(env, "--topic", topic, "consume", "--contract", "staff", "--bounded", "--group", "g-staff",
                "--max-seconds", "60")
    assert again.returncode == 0, again.stderr[-2000:]
    assert rows(pg_db, "select count(*) from raw.staff_events") == [(6,)]
    assert rows(pg_db, "select count(*) from raw.quarantine") == [(15,)]


def test_consume_all_runs_one_loader_per_topic_and_reconcile_all_checks_both(services, pg_db, make_topic, env_for):
    case_topic, staff_topic = make_topic(partitions=2), make_topic(partitions=2)
    produce(services.bootstrap_servers, case_topic,
            [(b"C-A", encode(received("C-A"))), (b"C-B", encode(received("C-B")))])
    produce(services.bootstrap_servers, staff_topic,
            [(b"CB0042", encode(staff_event("officer.positioned"))), (b"CB0042", b"not json")])
    env = env_for(KAFKA_TOPIC=case_topic, KAFKA_CONSUMER_GROUP="g-case", KAFKA_STAFF_TOPIC=staff_topic,
                  KAFKA_STAFF_CONSUMER_GROUP="g-staff")

    before = cli(env, "reconcile", "--all")
    assert before.returncode == 1  # nothing consumed yet: lag on both topics
    loaded = cli(env, "consume", "--all", "--bounded", "--max-seconds", "60")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert rows(pg_db, "select count(*) from raw.case_events where kafka_topic = %s", case_topic) == [(2,)]
    assert rows(pg_db, "select count(*) from raw.staff_events where kafka_topic = %s", staff_topic) == [(1,)]
    assert rows(pg_db, "select kafka_topic, reason from raw.quarantine") == [(staff_topic, "invalid_json")]
    assert rows(pg_db, "select consumer_group, kafka_topic = %s from raw.consumer_positions "
                       "group by 1, 2 order by 1", case_topic) == [("g-case", True), ("g-staff", False)]
    after = cli(env, "reconcile", "--all")
    assert after.returncode == 0, after.stdout + after.stderr
    assert after.stdout.count("ok: produced = loaded + redeliveries + quarantined") == 2


def test_consume_all_passes_sigterm_to_both_loaders_once(services, pg_db, make_topic, env_for):
    """Continuous `consume --all`: SIGTERM to the parent stops both loaders cleanly (exit 0),
    each after the batch in hand, none told twice (which would make it abandon its batch)."""
    import signal

    from tests.ingestion.private_stack import wait_until

    case_topic, staff_topic = make_topic(partitions=1), make_topic(partitions=1)
    produce(services.bootstrap_servers, case_topic, [(b"C-S", encode(received("C-S")))])
    produce(services.bootstrap_servers, staff_topic, [(b"CB0042", encode(staff_event("officer.left")))])
    env = env_for(KAFKA_TOPIC=case_topic, KAFKA_CONSUMER_GROUP="g-case", KAFKA_STAFF_TOPIC=staff_topic,
                  KAFKA_STAFF_CONSUMER_GROUP="g-staff")
    proc = subprocess.Popen([sys.executable, "-m", "ingestion.cli", "consume", "--all"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: rows(pg_db, "select count(*) from raw.consumer_positions where loaded = 1") == [(2,)],
                   60, "both loaders to load their topic")
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, output
    assert output.count("stop requested (SIGTERM)") == 2, output
    assert "second" not in output
