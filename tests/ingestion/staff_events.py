"""Hand-built staff-topic events for the capture tests (independent of the generator)."""
from __future__ import annotations

import copy
import uuid

NOW_TEXT = "2026-04-10T00:00:00+00:00"

POSITIONED = {
    "event_type": "officer.positioned", "schema_version": 1, "occurred_at": "2026-03-02T07:30:00+07:00",
    "source": "kpi.hanoi", "agency_code": "SKHDT", "officer_id": "CB0042",
    "data": {"unit_code": "BPMC", "position_code": "TN-TKQ", "position_name": "Công chức tiếp nhận và trả kết quả",
             "position_group": "reception", "manager_id": "CB0061", "valid_from": "2026-01-01",
             "display_name": "Nguyễn Thị Lan"},
}
LEFT = {
    "event_type": "officer.left", "schema_version": 1, "occurred_at": "2026-03-16T08:00:00+07:00",
    "source": "kpi.hanoi", "agency_code": "SKHDT", "officer_id": "CB0042",
    "data": {"valid_from": "2026-03-16", "reason": "transfer"},
}
ASSESSED = {
    "event_type": "officer.assessed", "schema_version": 1, "occurred_at": "2026-04-03T10:00:00+07:00",
    "source": "kpi.hanoi", "agency_code": "SKHDT", "officer_id": "CB0042",
    "data": {"period": "2026-03", "assessor_id": "CB0001", "assessor_role": "manager",
             "criteria": [{"code": "compliance", "points": 9}, {"code": "coordination", "points": 8},
                          {"code": "service_attitude", "points": 10}]},
}
GRANTED = {
    "event_type": "case.exemption_granted", "schema_version": 1, "occurred_at": "2026-03-20T14:00:00+07:00",
    "source": "kpi.hanoi", "agency_code": "SKHDT", "officer_id": "CB0061",
    "data": {"case_id": "000.00.12.H26-260302-0001", "scope": "lateness", "decision_ref": "101/QĐ-SKHDT",
             "reason_code": "system_outage", "reason_text": "Sự cố hệ thống"},
}
REVOKED = {
    "event_type": "case.exemption_revoked", "schema_version": 1, "occurred_at": "2026-03-27T09:00:00+07:00",
    "source": "kpi.hanoi", "agency_code": "SKHDT", "officer_id": "CB0061",
    "data": {"case_id": "000.00.12.H26-260302-0001", "scope": "lateness", "decision_ref": "101/QĐ-SKHDT"},
}
TEMPLATES = {t["event_type"]: t for t in (POSITIONED, LEFT, ASSESSED, GRANTED, REVOKED)}


def staff_event(event_type: str, event_id: str | None = None, **envelope) -> dict:
    """A valid event of that type (a deep copy: callers may edit it)."""
    event = copy.deepcopy(TEMPLATES[event_type])
    event["event_id"] = event_id or str(uuid.uuid4())
    event.update(envelope)
    return event


def assessed_messages(n: int, prefix: str = "S") -> list[tuple[bytes, bytes]]:
    """n valid officer.assessed messages, one per officer `{prefix}{i:07d}` (the Kafka key)."""
    import json

    out = []
    for i in range(n):
        officer_id = f"{prefix}{i:07d}"
        event = staff_event("officer.assessed", officer_id=officer_id)
        out.append((officer_id.encode(), json.dumps(event, ensure_ascii=False).encode()))
    return out
