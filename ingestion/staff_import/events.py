"""Assessments → `officer.assessed` events of the staff-event contract.

occurred_at is the time the file was saved (the assessment's record time at the source), in
Vietnam's offset, to the second. event_id = uuid5(NAMESPACE, the event without its id as compact
JSON with sorted keys): it covers the row's identity (officer, period, assessor) and its whole
content, occurred_at included. So importing the same file again produces byte-identical events
(exact redeliveries, which change nothing downstream), and a corrected row saved later gets a new
id and a later occurred_at (a new version, which wins over the previous one).
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from ingestion.staff_import.rows import Assessment

NAMESPACE = uuid.UUID("6f1c9a52-8e0b-5d3a-9c47-2b7e4d10a8f3")   # fixed forever: changing it changes every id
EVENT_TYPE = "officer.assessed"
SCHEMA_VERSION = 1
DEFAULT_SOURCE = "motcua.staff-import"
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def occurred_at(saved_at: datetime) -> str:
    return saved_at.astimezone(LOCAL).replace(microsecond=0).isoformat()


def _number(value: Decimal) -> int | float:
    # 9, "9", "9.0" and "9,0" are the same points and must give the same event (and id)
    return int(value) if value == value.to_integral_value() else float(value)


def canonical(body: dict) -> str:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def event_id(body: dict) -> str:
    """The id of an event body (every field but event_id)."""
    return str(uuid.uuid5(NAMESPACE, canonical(body)))


def build_event(a: Assessment, when: str, source: str = DEFAULT_SOURCE) -> dict:
    data: dict = {"period": a.period, "assessor_id": a.assessor_id, "assessor_role": a.assessor_role,
                  "criteria": [{"code": code, "points": _number(points)} for code, points in a.criteria]}
    if a.comment:
        data["comment"] = a.comment
    body = {"event_type": EVENT_TYPE, "schema_version": SCHEMA_VERSION, "occurred_at": when, "source": source,
            "agency_code": a.agency_code, "officer_id": a.officer_id, "data": data}
    return {"event_id": event_id(body), **body}


def encode(event: dict) -> bytes:
    """The bytes sent (and printed by --dry-run): compact UTF-8 JSON, fields in contract order."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
