"""Produce the events to the staff topic with the project's producer settings.

ingestion.kafka_client.make_producer: acks=all, SASL/SCRAM as motcua-producer when the broker
requires it; idempotence on, so a retry never duplicates or reorders. Key: the officer id (the
contract's key for officer.* events), so one officer's assessments stay in one partition, in order.
"""
from __future__ import annotations

from kafka.errors import KafkaTimeoutError

from ingestion.kafka_client import connect_timeout_seconds, make_producer
from ingestion.staff_import.events import encode
from motcua.errors import PermanentError, TransientError


def send_events(bootstrap_servers: str, topic: str, events: list[dict]) -> int:
    """Send every event and wait until the broker acknowledged all of them; the count sent."""
    wait_ms = int(connect_timeout_seconds() * 1000)
    producer = make_producer(bootstrap_servers, client_id="motcua-staff-import", enable_idempotence=True,
                             linger_ms=5, max_block_ms=wait_ms, bootstrap_timeout_ms=wait_ms)
    try:
        try:
            producer.partitions_for(topic)
        except KafkaTimeoutError:
            raise PermanentError(f"topic {topic} does not exist on {bootstrap_servers} or may not be written",
                                 hint=f"create it ('motcua ingest --topic {topic} topic') or pass --topic") from None
        futures = [producer.send(topic, key=e["officer_id"].encode("utf-8"), value=encode(e)) for e in events]
        producer.flush(timeout=60)
        failed = [f.exception for f in futures if not f.succeeded()]
        if failed:
            raise TransientError(
                f"{len(failed)} of {len(events)} events were not acknowledged ({failed[0]!r})",
                hint="import the same file again: the events delivered are redelivered with the same ids, "
                     "which changes nothing")
        return len(futures)
    finally:
        producer.close(timeout=10)
