"""Field rules: officer_id, extra fields, offsets, numbers, identifiers, lengths."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from tests.ingestion.contract.contract_samples import ICT, NOW, doc, encode

from ingestion.contract import Rejection, ValidEvent, validate


def check(document) -> ValidEvent | Rejection:
    return validate(encode(document), now=NOW)


# --- officer_id -------------------------------------------------------------------------------
# The schema makes the officer_id *key* required for received / returned / completed
# ("required": ["officer_id", ...]) and its value "string or null" everywhere.

@pytest.mark.parametrize("event_type", ["case.received", "case.returned", "case.completed"])
def test_officer_id_key_is_required_for_received_returned_completed(event_type):
    document = doc(event_type)
    del document["officer_id"]
    result = check(document)
    assert isinstance(result, Rejection)
    assert (result.reason, result.detail) == ("missing_field", "`$.officer_id`: required field is missing")


@pytest.mark.parametrize("event_type", ["case.received", "case.returned", "case.completed"])
def test_officer_id_null_is_schema_valid_even_where_the_key_is_required(event_type):
    document = doc(event_type)
    document["officer_id"] = None
    result = check(document)
    assert isinstance(result, ValidEvent) and result.officer_id is None


@pytest.mark.parametrize("event_type", [
    "case.assigned", "case.resubmitted", "case.extended", "case.delivered", "case.withdrawn",
    "case.rated", "case.complained"])
def test_officer_id_may_be_absent_null_or_a_string_for_the_other_types(event_type):
    document = doc(event_type)
    document.pop("officer_id", None)
    assert check(document).officer_id is None  # type: ignore[union-attr]
    document["officer_id"] = None
    assert check(document).officer_id is None  # type: ignore[union-attr]
    document["officer_id"] = "CB0001"
    assert check(document).officer_id == "CB0001"  # type: ignore[union-attr]


def test_officer_id_length_and_type():
    document = doc("case.delivered")
    document["officer_id"] = "C" * 32
    assert check(document).officer_id == "C" * 32  # type: ignore[union-attr]
    document["officer_id"] = "C" * 33
    assert check(document).reason == "invalid_value"  # type: ignore[union-attr]
    document["officer_id"] = ["CB0042"]
    assert check(document).reason == "wrong_type"  # type: ignore[union-attr]


# --- forward compatibility ----------------------------------------------------------------------

def test_unknown_fields_are_allowed_at_every_level():
    document = doc("case.received")
    document["trace_id"] = "abc"
    document["producer"] = {"host": "desk-7", "versions": [1, 2, {"x": None}]}
    document["data"]["fee_vnd"] = 50000
    document["data"]["applicant"]["email"] = "a@example.vn"
    result = check(document)
    assert isinstance(result, ValidEvent) and result.event_type == "case.received"


def test_unknown_data_of_the_types_without_data_rules_is_allowed():
    document = doc("case.withdrawn")
    document["data"] = {"note": "applicant called", "nested": {"a": [1, 2]}}
    assert isinstance(check(document), ValidEvent)


# --- offsets ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text,utc_hour,utc_minute", [
    ("2026-03-02T09:15:00+07:00", 2, 15),
    ("2026-03-02T02:15:00Z", 2, 15),
    ("2026-03-02T02:15:00-00:00", 2, 15),
    ("2026-03-01T21:15:00-05:00", 2, 15),
    ("2026-03-02T07:45:00+05:30", 2, 15),
    ("2026-03-02T02:15:00.000+00:00", 2, 15),
    ("2026-03-02T16:15:00+14:00", 2, 15),  # Kiribati, the largest real offset
    ("2026-03-02T17:14:00+15:00", 2, 14),
    ("2026-03-02T17:15:00.000+15:00", 2, 15),
])
def test_any_offset_is_accepted_and_names_the_right_instant(text, utc_hour, utc_minute):
    document = doc("case.resubmitted")
    document["occurred_at"] = text
    result = check(document)
    assert isinstance(result, ValidEvent)
    assert result.occurred_at.astimezone(timezone.utc) == datetime(2026, 3, 2, utc_hour, utc_minute,
                                                                    tzinfo=timezone.utc)


@pytest.mark.parametrize("text", [
    "2026-03-03T02:15:00+16:00", "2026-03-03T02:14:00+23:59", "2026-03-01T02:15:00-16:00",
    "0001-01-01T00:30:00+01:00",  # 0000-12-31T23:30Z: before year 1 in UTC
    "9999-12-31T23:00:00-02:00",  # year 10000 in UTC
])
def test_timestamps_postgresql_cannot_cast_are_invalid(text):
    # RFC 3339 allows them, but the loader and dbt cast these strings to timestamptz: a failing
    # cast would stop a batch (PostgreSQL: "time zone displacement out of range").
    document = doc("case.received")
    document["data"]["due_at"] = text
    result = check(document)
    assert isinstance(result, Rejection) and result.reason == "invalid_timestamp"
    assert result.detail.startswith("`$.data.due_at`: ")


def test_ancient_and_far_timestamps_inside_the_range_are_valid():
    for text in ("0001-01-01T00:00:00Z", "0001-01-01T01:00:00+01:00", "0999-06-01T00:00:00-15:59",
                 "9999-12-31T23:59:59Z", "9999-12-31T23:59:59+15:00"):
        document = doc("case.received")
        document["data"]["due_at"] = text
        assert isinstance(check(document), ValidEvent), text


def test_utc_example_equals_the_hanoi_wall_clock():
    document = doc("case.resubmitted")
    document["occurred_at"] = "2026-03-02T02:15:00Z"
    result = check(document)
    assert result.occurred_at == datetime(2026, 3, 2, 9, 15, tzinfo=ICT)  # type: ignore[union-attr]
    assert result.occurred_at.astimezone(ICT).isoformat() == "2026-03-02T09:15:00+07:00"  # type: ignore[union-attr]


def test_fractional_seconds():
    document = doc("case.resubmitted")
    document["occurred_at"] = "2026-03-02T09:15:00.123456+07:00"
    assert check(document).occurred_at.microsecond == 123456  # type: ignore[union-attr]
    document["occurred_at"] = "2026-03-02T09:15:00.5+07:00"
    assert check(document).occurred_at.microsecond == 500000  # type: ignore[union-attr]


def test_a_json_escaped_timestamp_is_the_same_string():
    value = encode(doc("case.resubmitted")).replace(b"2026-03-04T08:05", b"2026-03-04\\u005408:05")
    result = validate(value, now=NOW)
    assert isinstance(result, ValidEvent)
    assert result.occurred_at == datetime(2026, 3, 4, 8, 5, tzinfo=ICT)


def test_the_future_limit_works_across_offsets_and_batches():
    document = doc("case.resubmitted")
    document["occurred_at"] = "2026-03-10T07:59:59+07:00"  # 00:59:59Z
    value = encode(document)
    now_utc = datetime(2026, 3, 10, 0, 0, tzinfo=timezone.utc)
    now_ict = now_utc.astimezone(ICT)
    for now in (now_utc, now_ict, now_utc):  # the cached limit must follow `now`
        assert isinstance(validate(value, now=now), ValidEvent)
        assert validate(value, now=now - timedelta(seconds=1), future_tolerance=timedelta(0)).reason \
            == "future_timestamp"  # type: ignore[union-attr]
    assert validate(value, now=now_utc, future_tolerance=timedelta(minutes=59)).reason == "future_timestamp"  # type: ignore[union-attr]


# --- numbers -----------------------------------------------------------------------------------

@pytest.mark.parametrize("days,valid", [
    (0.5, True), (1, True), (365, True), (365.0, True), (1e-9, True),
    (0, False), (-1, False), (365.01, False), (True, False), ("3", False), (None, False)])
def test_processing_days(days, valid):
    document = doc("case.received")
    document["data"]["processing_days"] = days
    assert isinstance(check(document), ValidEvent) is valid


@pytest.mark.parametrize("score,valid", [
    (1, True), (5, True), (4.0, True), (3.0, True),
    (0, False), (6, False), (4.5, False), (5.000001, False), ("5", False), (True, False), (None, False)])
def test_score_is_an_integer_1_to_5_and_4_point_0_counts_as_integer(score, valid):
    document = doc("case.rated")
    document["data"]["score"] = score
    assert isinstance(check(document), ValidEvent) is valid


def test_schema_version_1_point_0_equals_1_as_in_json_schema_const():
    value = encode(doc("case.delivered")).replace(b'"schema_version": 1', b'"schema_version": 1.0')
    result = validate(value, now=NOW)
    assert isinstance(result, ValidEvent) and result.schema_version == 1 and type(result.schema_version) is int


# --- identifiers and lengths -------------------------------------------------------------------

def test_event_id_is_canonicalised_to_lower_case():
    document = doc("case.delivered")
    document["event_id"] = "6B7C8D9E-0F1A-4B2C-9D4E-5F60718293A4"
    assert check(document).event_id == "6b7c8d9e-0f1a-4b2c-9d4e-5f60718293a4"  # type: ignore[union-attr]


@pytest.mark.parametrize("event_id", [
    "00000000-0000-0000-0000-000000000000",  # nil uuid: the format does not ask for a version
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
])
def test_uuid_format_only(event_id):
    document = doc("case.delivered")
    document["event_id"] = event_id
    assert check(document).event_id == event_id  # type: ignore[union-attr]


@pytest.mark.parametrize("field,limit", [("case_id", 64), ("agency_code", 32), ("source", 128)])
def test_envelope_string_lengths(field, limit):
    document = doc("case.assigned")
    document[field] = "x" * limit
    assert isinstance(check(document), ValidEvent)
    document[field] = "x" * (limit + 1)
    assert check(document).reason == "invalid_value"  # type: ignore[union-attr]


def test_lengths_count_characters_not_bytes_nor_utf16_units():
    document = doc("case.rated")
    document["data"]["comment"] = "😀" * 2000  # 8000 UTF-8 bytes, 4000 UTF-16 units, 2000 characters
    assert isinstance(check(document), ValidEvent)
    ascii_escaped = json.dumps(document).encode()  # the same, written as \ud83d\ude00 pairs
    assert isinstance(validate(ascii_escaped, now=NOW), ValidEvent)
    document["data"]["comment"] = "ễ" * 2001
    assert check(document).reason == "invalid_value"  # type: ignore[union-attr]


def test_bytes_like_values_from_a_client_are_accepted():
    value = encode(doc("case.delivered"))
    assert validate(bytearray(value), now=NOW) == validate(value, now=NOW)
