"""Hand-built contract events for the capture tests (independent of the generator)."""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

from kafka import KafkaProducer

RECEIVED_DATA = {
    "procedure_code": "1.001612",
    "channel": "online",
    "processing_days": 3,
    "due_at": "2026-03-05T09:15:00+07:00",
    "applicant": {"id_number": "001090012345", "full_name": "Nguyễn Văn A"},
}


def received(case_id: str, event_id: str | None = None, occurred_at: str = "2026-03-02T09:15:00+07:00") -> dict:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": "case.received",
        "schema_version": 1,
        "occurred_at": occurred_at,
        "source": "motcua.test",
        "case_id": case_id,
        "agency_code": "SKHDT",
        "officer_id": "CB0042",
        "data": dict(RECEIVED_DATA),
    }


def encode(event: dict) -> bytes:
    return json.dumps(event, ensure_ascii=False).encode()


def produce(bootstrap: str, topic: str, messages: Iterable[tuple[bytes | None, bytes | None]], partition: int | None = None) -> int:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20, batch_size=256 * 1024,
                             max_request_size=3 * 1024 * 1024)
    count = 0
    for key, value in messages:
        producer.send(topic, key=key, value=value, partition=partition)
        count += 1
    producer.flush()
    producer.close()
    return count


def received_messages(n: int, prefix: str = "C") -> list[tuple[bytes, bytes]]:
    out = []
    for i in range(n):
        case_id = f"{prefix}-{i:07d}"
        out.append((case_id.encode(), encode(received(case_id))))
    return out
