"""Hand-written case events for the dbt tests, inserted straight into raw.case_events.

The loader (ingestion/) is not under test here: rows are written the way it writes them
(verbatim payload jsonb, sha256 content hash, Kafka coordinates, ingested_at), as motcua_ingest.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from ingestion import db
from tests.raw_events import insert_raw_events

VN = timezone(timedelta(hours=7))
TOPIC = "test.case-events"
_offsets = itertools.count()


def vn(text: str) -> datetime:
    """'2026-03-06 16:30' in Asia/Ho_Chi_Minh as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=VN)


@dataclass
class Event:
    event_type: str
    case_id: str
    occurred_at: datetime
    agency_code: str = "SKHDT"
    officer_id: str | None = None
    data: dict = field(default_factory=dict)
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    ingested_at: datetime | None = None  # default: now() in the database
    kafka_timestamp: datetime | None = None  # the record's Kafka timestamp (default: none)

    def payload(self) -> dict:
        body = {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "schema_version": 1,
            "occurred_at": self.occurred_at.isoformat(),
            "source": "tests.dbt",
            "case_id": self.case_id,
            "agency_code": self.agency_code,
            "officer_id": self.officer_id,
        }
        if self.data:
            body["data"] = self.data
        return body


def received(case_id: str, at: datetime, due: datetime, *, officer: str = "CB01", agency: str = "SKHDT",
             procedure: str = "1.001612", days: float = 3, channel: str = "in_person",
             applicant: dict | None = None, **kw) -> Event:
    data = {"procedure_code": procedure, "channel": channel, "processing_days": days,
            "due_at": due.isoformat()}
    if applicant:
        data["applicant"] = applicant
    return Event("case.received", case_id, at, agency, officer, data, **kw)


def assigned(case_id: str, at: datetime, to: str, *, officer: str = "CB01", agency: str = "SKHDT", **kw) -> Event:
    return Event("case.assigned", case_id, at, agency, officer, {"to_officer_id": to}, **kw)


def returned(case_id: str, at: datetime, *, officer: str = "CB02", agency: str = "SKHDT",
             reason: str = "missing_document", **kw) -> Event:
    return Event("case.returned", case_id, at, agency, officer, {"reason_code": reason}, **kw)


def resubmitted(case_id: str, at: datetime, *, agency: str = "SKHDT", **kw) -> Event:
    return Event("case.resubmitted", case_id, at, agency, None, {}, **kw)


def extended(case_id: str, at: datetime, new_due: datetime, *, officer: str = "CB02", agency: str = "SKHDT", **kw) -> Event:
    return Event("case.extended", case_id, at, agency, officer, {"new_due_at": new_due.isoformat()}, **kw)


def completed(case_id: str, at: datetime, *, officer: str = "CB02", agency: str = "SKHDT",
              outcome: str = "approved", **kw) -> Event:
    return Event("case.completed", case_id, at, agency, officer, {"outcome": outcome}, **kw)


def withdrawn(case_id: str, at: datetime, *, agency: str = "SKHDT", **kw) -> Event:
    return Event("case.withdrawn", case_id, at, agency, None, {}, **kw)


def rated(case_id: str, at: datetime, score: int, *, agency: str = "SKHDT", **kw) -> Event:
    return Event("case.rated", case_id, at, agency, None, {"score": score}, **kw)


def complained(case_id: str, at: datetime, *, agency: str = "SKHDT", category: str = "delay", **kw) -> Event:
    return Event("case.complained", case_id, at, agency, None, {"category": category}, **kw)


def insert_events(dbname: str, events: list[Event], *, ingested_at: datetime | None = None) -> None:
    """Insert rows as the loader would (consecutive Kafka offsets in list order = arrival order),
    through the shared helper tests/raw_events.py (typed raw columns are generated from the payload)."""
    with db.connect("ingest", dbname) as conn:
        batch: list[Event] = []
        for ev in events + [None]:  # consecutive events with the same ingested_at go together
            if batch and (ev is None or ev.ingested_at != batch[0].ingested_at):
                insert_raw_events(conn, [e.payload() for e in batch], topic=TOPIC,
                                  ingested_at=batch[0].ingested_at or ingested_at,
                                  kafka_timestamps=[e.kafka_timestamp for e in batch])
                batch = []
            if ev is not None:
                batch.append(ev)
        conn.commit()


def insert_redelivery(dbname: str, event: Event) -> None:
    """A second delivery of an already loaded event_id: the loader files it in raw.redeliveries."""
    value = json.dumps(event.payload(), ensure_ascii=False, separators=(",", ":")).encode()
    with db.connect("ingest", dbname) as conn:
        conn.execute(
            "insert into raw.redeliveries (event_id, content_hash, kafka_topic, kafka_partition, kafka_offset)"
            " values (%s, %s, %s, %s, %s)",
            (event.event_id, hashlib.sha256(value).digest(), TOPIC, 1, next(_offsets)),
        )
        conn.commit()
