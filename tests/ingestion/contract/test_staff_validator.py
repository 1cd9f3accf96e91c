"""validate_staff(): the staff topic's contract, one hand-written message per rejection class.

Every expected reason below is read off staff-event.schema.json and reasons.py by hand; the
messages are built from tests/ingestion/staff_events.py, never by the generator.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from ingestion.contract.results import NaiveDatetimeError, Rejection, ValidEvent
from ingestion.contract.staff_validator import validate_staff
from tests.ingestion.staff_events import TEMPLATES, staff_event

NOW = datetime(2026, 4, 10, tzinfo=timezone.utc)
EVENT_ID = "5a0c2b84-1d7e-4c55-9b9f-3f0f6a1e2d10"


def check(event_or_bytes, **kwargs):
    value = event_or_bytes if isinstance(event_or_bytes, bytes) or event_or_bytes is None else \
        json.dumps(event_or_bytes, ensure_ascii=False).encode()
    return validate_staff(value, now=NOW, **kwargs)


def reason_of(event_or_bytes, **kwargs) -> str:
    result = check(event_or_bytes, **kwargs)
    assert isinstance(result, Rejection), f"accepted: {result}"
    return result.reason


def with_data(event_type: str, **data) -> dict:
    event = staff_event(event_type, EVENT_ID)
    event["data"].update(data)
    return event


def without(event_type: str, path: str) -> dict:
    event = staff_event(event_type, EVENT_ID)
    if path.startswith("data."):
        del event["data"][path[5:]]
    else:
        del event[path]
    return event


# -- accepted ---------------------------------------------------------------------------------
@pytest.mark.parametrize("event_type", sorted(TEMPLATES))
def test_each_event_type_is_accepted_with_its_columns(event_type):
    result = check(staff_event(event_type, EVENT_ID.upper()))
    assert isinstance(result, ValidEvent)
    assert result.event_id == EVENT_ID  # canonical lower case
    assert result.event_type == event_type
    assert result.agency_code == "SKHDT"
    expected_case = "000.00.12.H26-260302-0001" if event_type.startswith("case.") else None
    assert result.case_id == expected_case
    assert result.officer_id == ("CB0061" if event_type.startswith("case.") else "CB0042")


@pytest.mark.parametrize("event", [
    with_data("officer.assessed", period="2026"),
    with_data("officer.assessed", period="2026-Q4"),
    with_data("officer.assessed", period="2026-12"),
    with_data("officer.assessed", criteria=[{"code": "compliance", "points": 0}, {"code": "x", "points": 100},
                                            {"code": "y", "points": 9.5}]),
    with_data("officer.assessed", assessor_role="peer", comment="Tốt"),
    with_data("officer.assessed", assessor_role="self", assessor_id="CB0042"),
    with_data("officer.positioned", manager_id=None),              # string|null
    without("officer.positioned", "data.display_name"),             # optional
    without("officer.left", "data.reason"),                         # optional
    with_data("officer.left", reason="retirement"),
    with_data("case.exemption_granted", scope="return", reason_code="applicant_caused"),
    staff_event("case.exemption_revoked", EVENT_ID, officer_id=None),  # the schema lets the decider be unknown
    {**staff_event("officer.assessed", EVENT_ID), "unknown_field": {"nested": [1, 2]}},  # forward compatible
], ids=["year", "quarter", "december", "points 0/100/9.5", "peer", "self", "manager null", "no display name",
        "no reason", "retirement", "scope return", "decider null", "unknown field"])
def test_what_the_schema_allows_is_accepted(event):
    assert isinstance(check(event), ValidEvent)


# -- before parsing ---------------------------------------------------------------------------
def test_empty_too_large_nul_and_utf8():
    assert reason_of(None) == "empty_value"
    assert reason_of(b"") == "empty_value"
    big = staff_event("officer.assessed", EVENT_ID)
    big["data"]["comment"] = "x" * 2000
    assert reason_of(big, max_bytes=1000) == "too_large"
    assert reason_of(staff_event("officer.left", EVENT_ID, source="kpi\u0000")) == "nul_character"
    raw = json.dumps(staff_event("officer.left", EVENT_ID)).encode().replace(b"kpi.hanoi", b"kpi\xff\xfe")
    assert reason_of(raw) == "invalid_utf8"


def test_parsing_classes():
    valid = json.dumps(staff_event("officer.assessed", EVENT_ID)).encode()
    assert reason_of(valid[:-5]) == "invalid_json"
    assert reason_of(valid + b"}") == "invalid_json"
    assert reason_of(b"[1, 2]") == "not_an_object"
    assert reason_of(staff_event("officer.assessed", EVENT_ID, schema_version=2)) == "unsupported_schema_version"
    assert reason_of({**staff_event("officer.assessed", EVENT_ID), "event_type": "officer.promoted"}) == \
        "unknown_event_type"


def test_a_case_event_on_the_staff_topic_is_an_unknown_event_type():
    case_event = {"event_id": EVENT_ID, "event_type": "case.received", "schema_version": 1,
                  "occurred_at": "2026-03-02T09:15:00+07:00", "case_id": "C-1", "agency_code": "SKHDT",
                  "officer_id": "CB0042", "data": {}}
    result = check(case_event)
    assert (result.reason, result.event_id) == ("unknown_event_type", EVENT_ID)


# -- required fields, per event type (the schema's `required` lists) --------------------------
REQUIRED = [(t, f) for t, fields in {
    "officer.positioned": ("data.unit_code", "data.position_code", "data.position_group", "data.valid_from"),
    "officer.left": ("data.valid_from",),
    "officer.assessed": ("data.period", "data.assessor_id", "data.assessor_role", "data.criteria"),
    "case.exemption_granted": ("data.case_id", "data.scope", "data.decision_ref", "data.reason_code"),
    "case.exemption_revoked": ("data.case_id", "data.scope", "data.decision_ref"),
}.items() for f in fields] + [(t, f) for t in sorted(TEMPLATES) for f in
                              ("event_id", "occurred_at", "agency_code", "officer_id", "data")]


@pytest.mark.parametrize("event_type, path", REQUIRED, ids=[f"{t}:{p}" for t, p in REQUIRED])
def test_a_required_field_missing(event_type, path):
    result = check(without(event_type, path))
    assert result.reason == "missing_field"
    assert path.split(".")[-1] in result.detail


def test_a_criterion_without_points_is_a_missing_field():
    result = check(with_data("officer.assessed", criteria=[{"code": "compliance"}]))
    assert result.reason == "missing_field" and "$.data.criteria[0].points" in result.detail


# -- types ------------------------------------------------------------------------------------
@pytest.mark.parametrize("event", [
    with_data("officer.assessed", criteria=[{"code": "compliance", "points": "9"}]),
    with_data("officer.assessed", criteria=[{"code": "compliance", "points": True}]),
    with_data("officer.assessed", criteria={"compliance": 9}),
    with_data("officer.positioned", valid_from=20260101),
    with_data("officer.left", reason=None),                         # an enum without null
    staff_event("officer.assessed", EVENT_ID, officer_id=42),
    staff_event("officer.assessed", EVENT_ID, data=[1, 2]),
    staff_event("officer.left", EVENT_ID, occurred_at=1772418900),
], ids=["points string", "points bool", "criteria object", "valid_from number", "reason null", "officer_id number",
        "data array", "occurred_at number"])
def test_wrong_types(event):
    assert reason_of(event) == "wrong_type"


# -- values the schema forbids ----------------------------------------------------------------
@pytest.mark.parametrize("period", ["2026-13", "2026-00", "2026-Q5", "2026-Q0", "2026-3", "03-2026", "2026Q1",
                                    "2026-q1", "26", "2026-03\n", "２０２６", "2026-03-01", ""])
def test_the_period_pattern(period):
    result = check(with_data("officer.assessed", period=period))
    assert (result.reason, result.detail.split(":")[0]) == ("invalid_value", "`$.data.period`")


@pytest.mark.parametrize("points", [-1, -0.5, 100.5, 101, 1e9])
def test_points_outside_0_100(points):
    result = check(with_data("officer.assessed", criteria=[{"code": "compliance", "points": points}]))
    assert result.reason == "invalid_value" and "$.data.criteria[0].points" in result.detail


@pytest.mark.parametrize("event_type, field, value", [
    ("officer.positioned", "position_group", "clerk"),
    ("officer.positioned", "position_group", "Reception"),
    ("officer.left", "reason", "fired"),
    ("officer.assessed", "assessor_role", "director"),
    ("case.exemption_granted", "scope", "all"),
    ("case.exemption_granted", "reason_code", "weather"),
    ("case.exemption_revoked", "scope", "everything"),
])
def test_enums_per_event_type(event_type, field, value):
    result = check(with_data(event_type, **{field: value}))
    assert result.reason == "invalid_value" and f"$.data.{field}" in result.detail


@pytest.mark.parametrize("event_type, field, value", [
    ("officer.positioned", "unit_code", ""),
    ("officer.positioned", "position_code", "P" * 33),
    ("officer.positioned", "display_name", "N" * 257),
    ("officer.assessed", "assessor_id", ""),
    ("officer.assessed", "criteria", []),
    ("officer.assessed", "criteria", [{"code": f"c{i}", "points": 1} for i in range(51)]),
    ("officer.assessed", "comment", "c" * 4001),
    ("case.exemption_granted", "case_id", ""),
    ("case.exemption_granted", "decision_ref", "D" * 129),
    ("case.exemption_revoked", "decision_ref", ""),
])
def test_lengths_and_sizes(event_type, field, value):
    result = check(with_data(event_type, **{field: value}))
    assert result.reason == "invalid_value" and f"$.data.{field}" in result.detail


@pytest.mark.parametrize("event_type", ["officer.positioned", "officer.left"])
@pytest.mark.parametrize("valid_from", ["2026-02-30", "2026-13-01", "2026-3-1", "20260301", "01/03/2026",
                                        "2026-03-01T00:00:00+07:00", "0000-01-01"])
def test_valid_from_is_a_real_full_date(event_type, valid_from):
    result = check(with_data(event_type, valid_from=valid_from))
    assert (result.reason, result.detail.split(":")[0]) == ("invalid_value", "`$.data.valid_from`")


@pytest.mark.parametrize("event_type", ["officer.positioned", "officer.left", "officer.assessed"])
def test_an_officer_event_about_nobody(event_type):
    result = check(staff_event(event_type, EVENT_ID, officer_id=None))
    assert (result.reason, result.detail.split(":")[0]) == ("invalid_value", "`$.officer_id`")


def test_envelope_values():
    assert reason_of(staff_event("officer.left", "not-a-uuid")) == "invalid_value"
    assert reason_of(staff_event("officer.left", EVENT_ID, agency_code="")) == "invalid_value"
    assert reason_of(staff_event("officer.left", EVENT_ID, officer_id="C" * 33)) == "invalid_value"


# -- timestamps and the semantic checks -------------------------------------------------------
def test_timestamps():
    assert reason_of(staff_event("officer.left", EVENT_ID, occurred_at="2026-03-16T08:00:00")) == \
        "timestamp_without_offset"
    assert reason_of(staff_event("officer.left", EVENT_ID, occurred_at="2026-02-30T08:00:00+07:00")) == \
        "invalid_timestamp"


def test_occurred_at_too_far_in_the_future_or_before_the_system_start():
    # NOW is 2026-04-10T00:00Z; the tolerance is one hour by default
    in_tolerance = staff_event("officer.assessed", EVENT_ID, occurred_at="2026-04-10T07:59:00+07:00")
    assert isinstance(check(in_tolerance), ValidEvent)
    later = staff_event("officer.assessed", EVENT_ID, occurred_at="2026-04-10T08:01:00+07:00")
    assert reason_of(later) == "future_timestamp"
    assert isinstance(check(later, future_tolerance=timedelta(hours=2)), ValidEvent)
    # the system start defaults to 2018-01-01 in Viet Nam
    assert reason_of(staff_event("officer.left", EVENT_ID, occurred_at="2017-12-31T23:59:59+07:00")) == \
        "before_system_start"
    assert isinstance(check(staff_event("officer.left", EVENT_ID, occurred_at="2018-01-01T00:00:00+07:00")),
                      ValidEvent)


def test_a_number_postgresql_cannot_store():
    raw = json.dumps(staff_event("officer.assessed", EVENT_ID)).encode().replace(b'"points": 9', b'"points": 9, "w": 1e999999')
    result = check(raw)
    assert (result.reason, result.event_id) == ("number_out_of_range", EVENT_ID)


def test_now_must_be_aware():
    with pytest.raises(NaiveDatetimeError):
        validate_staff(b"{}", now=datetime(2026, 4, 10))
