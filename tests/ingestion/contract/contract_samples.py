"""Hand-written contract events shared by the contract tests (one valid example per type)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import jsonschema

from ingestion.contract import SCHEMA_PATH, ValidEvent

# The validation time used throughout: later than every example's occurred_at.
NOW = datetime(2026, 3, 10, 0, 0, tzinfo=timezone.utc)
ICT = timezone(timedelta(hours=7))  # Vietnam, UTC+07:00

RECEIVED = """{"event_id": "0b7d3c1e-8f2a-4a53-9d0e-2f4c1a9b7e11", "event_type": "case.received",
 "schema_version": 1, "occurred_at": "2026-03-02T09:15:00+07:00", "source": "motcua.skhdt.hanoi",
 "case_id": "000.00.12.H26-260302-0001", "agency_code": "SKHDT", "officer_id": "CB0042",
 "data": {"procedure_code": "1.001612", "procedure_name": "Đăng ký thành lập doanh nghiệp tư nhân",
          "sector_code": "DKKD", "channel": "online", "processing_days": 3,
          "due_at": "2026-03-05T09:15:00+07:00",
          "applicant": {"id_number": "001090012345", "full_name": "Nguyễn Văn A"}}}"""

ASSIGNED = """{"event_id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "event_type": "case.assigned",
 "schema_version": 1, "occurred_at": "2026-03-02T10:00:00+07:00", "source": "motcua.skhdt.hanoi",
 "case_id": "000.00.12.H26-260302-0001", "agency_code": "SKHDT", "officer_id": "CB0042",
 "data": {"to_officer_id": "CB0107", "department_code": "PDKKD"}}"""

RETURNED = """{"event_id": "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f60", "event_type": "case.returned",
 "schema_version": 1, "occurred_at": "2026-03-03T14:30:00+07:00",
 "case_id": "000.00.12.H26-260302-0001", "agency_code": "SKHDT", "officer_id": "CB0107",
 "data": {"reason_code": "missing_document", "reason_text": "Thiếu bản sao căn cước công dân"}}"""

RESUBMITTED = """{"event_id": "3e4f5a6b-7c8d-4e9f-8a1b-2c3d4e5f6071", "event_type": "case.resubmitted",
 "schema_version": 1, "occurred_at": "2026-03-04T08:05:00+07:00",
 "case_id": "000.00.12.H26-260302-0001", "agency_code": "SKHDT", "officer_id": null}"""

EXTENDED = """{"event_id": "4f5a6b7c-8d9e-4f0a-9b2c-3d4e5f607182", "event_type": "case.extended",
 "schema_version": 1, "occurred_at": "2026-03-05T16:45:00+07:00",
 "case_id": "000.00.12.H26-260302-0001", "agency_code": "SKHDT", "officer_id": "CB0107",
 "data": {"new_due_at": "2026-03-09T17:00:00+07:00", "reason_text": "Cần xác minh thêm"}}"""

COMPLETED = """{"event_id": "5a6b7c8d-9e0f-4a1b-8c3d-4e5f60718293", "event_type": "case.completed",
 "schema_version": 1, "occurred_at": "2026-03-06T11:20:30.250+07:00",
 "case_id": "000.00.12.H26-260302-0001", "agency_code": "SKHDT", "officer_id": "CB0107",
 "data": {"outcome": "approved"}}"""

DELIVERED = """{"event_id": "6b7c8d9e-0f1a-4b2c-9d4e-5f60718293a4", "event_type": "case.delivered",
 "schema_version": 1, "occurred_at": "2026-03-06T15:00:00+07:00",
 "case_id": "000.00.12.H26-260302-0001", "agency_code": "SKHDT", "officer_id": "CB0042", "data": {}}"""

WITHDRAWN = """{"event_id": "7c8d9e0f-1a2b-4c3d-8e5f-60718293a4b5", "event_type": "case.withdrawn",
 "schema_version": 1, "occurred_at": "2026-03-04T09:00:00Z",
 "case_id": "000.00.12.H26-260303-0007", "agency_code": "STP"}"""

RATED = """{"event_id": "8d9e0f1a-2b3c-4d4e-9f60-718293a4b5c6", "event_type": "case.rated",
 "schema_version": 1, "occurred_at": "2026-03-06T15:10:00+07:00",
 "case_id": "000.00.12.H26-260302-0001", "agency_code": "SKHDT", "officer_id": null,
 "data": {"score": 5, "comment": "Cán bộ nhiệt tình"}}"""

COMPLAINED = """{"event_id": "9e0f1a2b-3c4d-4e5f-8071-8293a4b5c6d7", "event_type": "case.complained",
 "schema_version": 1, "occurred_at": "2026-03-07T08:00:00-05:00",
 "case_id": "000.00.12.H26-260302-0001", "agency_code": "SKHDT", "officer_id": null,
 "data": {"category": "delay", "text": "Trả kết quả trễ hẹn"}}"""

CASE = "000.00.12.H26-260302-0001"

# (example, the ValidEvent expected from it), computed by hand.
EXAMPLES: dict[str, tuple[str, ValidEvent]] = {
    "case.received": (RECEIVED, ValidEvent(
        "0b7d3c1e-8f2a-4a53-9d0e-2f4c1a9b7e11", "case.received", 1, CASE, "SKHDT", "CB0042",
        datetime(2026, 3, 2, 9, 15, tzinfo=ICT))),
    "case.assigned": (ASSIGNED, ValidEvent(
        "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "case.assigned", 1, CASE, "SKHDT", "CB0042",
        datetime(2026, 3, 2, 10, 0, tzinfo=ICT))),
    "case.returned": (RETURNED, ValidEvent(
        "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f60", "case.returned", 1, CASE, "SKHDT", "CB0107",
        datetime(2026, 3, 3, 14, 30, tzinfo=ICT))),
    "case.resubmitted": (RESUBMITTED, ValidEvent(
        "3e4f5a6b-7c8d-4e9f-8a1b-2c3d4e5f6071", "case.resubmitted", 1, CASE, "SKHDT", None,
        datetime(2026, 3, 4, 8, 5, tzinfo=ICT))),
    "case.extended": (EXTENDED, ValidEvent(
        "4f5a6b7c-8d9e-4f0a-9b2c-3d4e5f607182", "case.extended", 1, CASE, "SKHDT", "CB0107",
        datetime(2026, 3, 5, 16, 45, tzinfo=ICT))),
    "case.completed": (COMPLETED, ValidEvent(
        "5a6b7c8d-9e0f-4a1b-8c3d-4e5f60718293", "case.completed", 1, CASE, "SKHDT", "CB0107",
        datetime(2026, 3, 6, 11, 20, 30, 250_000, tzinfo=ICT))),
    "case.delivered": (DELIVERED, ValidEvent(
        "6b7c8d9e-0f1a-4b2c-9d4e-5f60718293a4", "case.delivered", 1, CASE, "SKHDT", "CB0042",
        datetime(2026, 3, 6, 15, 0, tzinfo=ICT))),
    "case.withdrawn": (WITHDRAWN, ValidEvent(
        "7c8d9e0f-1a2b-4c3d-8e5f-60718293a4b5", "case.withdrawn", 1, "000.00.12.H26-260303-0007",
        "STP", None, datetime(2026, 3, 4, 16, 0, tzinfo=ICT))),  # 09:00Z is 16:00 in Hà Nội
    "case.rated": (RATED, ValidEvent(
        "8d9e0f1a-2b3c-4d4e-9f60-718293a4b5c6", "case.rated", 1, CASE, "SKHDT", None,
        datetime(2026, 3, 6, 15, 10, tzinfo=ICT))),
    "case.complained": (COMPLAINED, ValidEvent(
        "9e0f1a2b-3c4d-4e5f-8071-8293a4b5c6d7", "case.complained", 1, CASE, "SKHDT", None,
        datetime(2026, 3, 7, 20, 0, tzinfo=ICT))),  # 08:00-05:00 is 13:00Z is 20:00+07:00
}


def doc(name: str) -> dict[str, Any]:
    """A fresh dict of one example (by event type), for tests that change one thing."""
    return json.loads(EXAMPLES[name][0])


def encode(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def reference_validator() -> jsonschema.Draft202012Validator:
    """The reference: jsonschema, Draft 2020-12, format checking on, on the project's copy."""
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    # Without rfc3339-validator installed, jsonschema silently ignores "date-time".
    assert {"date-time", "uuid"} <= set(checker.checkers), "pip install rfc3339-validator (requirements.txt)"
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=checker)
