"""One hand-written malformed value per reason class, and the documented order of the checks."""
from __future__ import annotations

from datetime import timedelta

import pytest
from tests.ingestion.contract.contract_samples import NOW, RECEIVED

from ingestion.contract import REASON_DESCRIPTIONS, REASONS, NaiveDatetimeError, Rejection, ValidEvent, validate
from ingestion.contract import reasons as R
from ingestion.contract.diagnose import classify_msgspec_error

EID = "0b7d3c1e-8f2a-4a53-9d0e-2f4c1a9b7e11"
# A valid case.resubmitted (no data needed) to vary in the hand-written values below.
HEAD = b'{"event_id": "0b7d3c1e-8f2a-4a53-9d0e-2f4c1a9b7e11", "event_type": "case.resubmitted", '
GOOD_TAIL = (b'"schema_version": 1, "occurred_at": "2026-03-04T08:05:00+07:00", '
             b'"case_id": "H26-0001", "agency_code": "SKHDT"}')


def reject(value: bytes | None, **kwargs) -> Rejection:
    result = validate(value, now=kwargs.pop("now", NOW), **kwargs)
    assert isinstance(result, Rejection), result
    assert result.reason in REASONS
    return result


def test_the_building_blocks_are_valid():
    assert isinstance(validate(HEAD + GOOD_TAIL, now=NOW), ValidEvent)


def test_reasons_are_the_documented_eighteen_each_with_a_one_line_description():
    assert REASONS == (
        "empty_value", "too_large", "nul_character", "invalid_utf8", "invalid_json", "not_an_object",
        "unsupported_schema_version", "unknown_event_type", "missing_field", "wrong_type",
        "invalid_value", "timestamp_without_offset", "invalid_timestamp", "future_timestamp",
        "before_system_start", "number_out_of_range", "event_id_conflict", "database_rejected")
    for reason in REASONS:
        assert REASON_DESCRIPTIONS[reason] and "\n" not in REASON_DESCRIPTIONS[reason]
    assert R.EVENT_ID_CONFLICT == "event_id_conflict"


@pytest.mark.parametrize("value", [None, b""])
def test_empty_value(value):
    assert reject(value) == Rejection("empty_value", "the message value is null or empty", None)


def test_too_large_is_decided_on_the_length_before_parsing():
    value = HEAD + GOOD_TAIL
    assert isinstance(validate(value, now=NOW, max_bytes=len(value)), ValidEvent)
    assert reject(value, max_bytes=len(value) - 1).reason == "too_large"
    # Not even JSON: the length is all that is looked at.
    assert reject(b"\xff" * 2_000_001).reason == "too_large"


def test_nul_character_anywhere_even_in_an_unknown_field():
    value = HEAD + b'"note": "a\\u0000b", ' + GOOD_TAIL
    rejection = reject(value)
    assert rejection.reason == "nul_character"
    assert rejection.event_id == EID  # the value parses, so the id is read for the quarantine row


def test_an_escaped_backslash_before_u0000_is_not_a_nul():
    # JSON text "a\\u0000b" is the 8 characters a \ u 0 0 0 0 b: PostgreSQL stores that fine.
    assert isinstance(validate(HEAD + b'"note": "a\\\\u0000b", ' + GOOD_TAIL, now=NOW), ValidEvent)
    # ... but three backslashes are an escaped backslash followed by a real \u0000.
    assert reject(HEAD + b'"note": "a\\\\\\u0000b", ' + GOOD_TAIL).reason == "nul_character"


@pytest.mark.parametrize("bad", [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xe1\xbb"])
def test_invalid_utf8_also_in_an_unknown_field_msgspec_would_skip(bad):
    rejection = reject(HEAD + b'"note": "' + bad + b'", ' + GOOD_TAIL)
    assert rejection.reason == "invalid_utf8"
    assert rejection.detail.startswith("invalid UTF-8 at byte 96")


@pytest.mark.parametrize("value", [
    b'{"event_id": "0b7d3c1e-8f2a-4a53-9d0e-2f4c1a9b7e11", "event_type": "case.resubmitted"',
    HEAD + GOOD_TAIL + b" trailing",
    HEAD + b'"note": NaN, ' + GOOD_TAIL,
    b"{'event_id': 'x'}",
    HEAD + b'"note": "\\ud800", ' + GOOD_TAIL,  # lone surrogate: PostgreSQL rejects it too
    b"\xef\xbb\xbf" + HEAD + GOOD_TAIL,  # a UTF-8 byte order mark
    b"  ",
    HEAD + b'"deep": ' + b"[" * 5000 + b"]" * 5000 + b", " + GOOD_TAIL,
])
def test_invalid_json(value):
    rejection = reject(value)
    assert rejection.reason == "invalid_json"
    assert rejection.event_id is None


@pytest.mark.parametrize("value,kind", [
    (b"[]", "an array"), (b'"case.received"', "a string"), (b"null", "null"), (b"42", "a number"),
    (b"true", "a boolean"),
])
def test_not_an_object(value, kind):
    assert reject(value) == Rejection("not_an_object", f"the JSON value is {kind}, not an object", None)


@pytest.mark.parametrize("value,path", [
    (RECEIVED.replace('"procedure_code": "1.001612", ', "").encode(), "$.data.procedure_code"),
    (HEAD + GOOD_TAIL.replace(b'"occurred_at": "2026-03-04T08:05:00+07:00", ', b""), "$.occurred_at"),
    (GOOD_TAIL.replace(b'"schema_version"', b'{"event_id": "0b7d3c1e-8f2a-4a53-9d0e-2f4c1a9b7e11", '
                       b'"schema_version"'), "$.event_type"),
    (RECEIVED.replace('"officer_id": "CB0042",', "").encode(), "$.officer_id"),
    (RECEIVED.replace('"event_type": "case.received"', '"event_type": "case.rated"')
     .replace('"data": {', '"data": {"comment": "x", ').encode(), "$.data.score"),
])
def test_missing_field_names_the_path(value, path):
    rejection = reject(value)
    assert rejection.reason == "missing_field"
    assert rejection.detail == f"`{path}`: required field is missing"
    assert rejection.event_id == EID


@pytest.mark.parametrize("value,path", [
    (HEAD + GOOD_TAIL.replace(b'"schema_version": 1', b'"schema_version": "1"'), "$.schema_version"),
    (HEAD + GOOD_TAIL.replace(b'"schema_version": 1', b'"schema_version": true'), "$.schema_version"),
    (RECEIVED.replace('"processing_days": 3', '"processing_days": "3"').encode(), "$.data.processing_days"),
    (RECEIVED.replace('"officer_id": "CB0042"', '"officer_id": 42').encode(), "$.officer_id"),
    (HEAD + b'"data": null, ' + GOOD_TAIL, "$.data"),
    (HEAD + b'"data": [], ' + GOOD_TAIL, "$.data"),
    (HEAD + b'"source": null, ' + GOOD_TAIL, "$.source"),
    (RECEIVED.replace('"applicant": {', '"applicant": "x", "_": {').encode(), "$.data.applicant"),
    (HEAD + GOOD_TAIL.replace(b'"2026-03-04T08:05:00+07:00"', b"20260304"), "$.occurred_at"),
    (HEAD.replace(b'"case.resubmitted"', b"5") + GOOD_TAIL, "$.event_type"),
    (HEAD.replace(b'"case.resubmitted"', b"null") + GOOD_TAIL, "$.event_type"),
])
def test_wrong_type_names_the_path(value, path):
    rejection = reject(value)
    assert rejection.reason == "wrong_type"
    assert rejection.detail.startswith(f"`{path}`: Expected `")


def test_a_non_integral_score_is_a_wrong_type():
    value = (b'{"event_id": "8d9e0f1a-2b3c-4d4e-9f60-718293a4b5c6", "event_type": "case.rated", '
             b'"schema_version": 1, "occurred_at": "2026-03-06T15:10:00+07:00", "case_id": "H26-1", '
             b'"agency_code": "SKHDT", "data": {"score": 4.5}}')
    rejection = reject(value)
    assert (rejection.reason, rejection.detail) == ("wrong_type", "`$.data.score`: Expected an integer, got 4.5")


@pytest.mark.parametrize("event_type", [b"case.archived", b"CASE.RECEIVED", b""])
def test_unknown_event_type(event_type):
    rejection = reject(HEAD.replace(b"case.resubmitted", event_type) + GOOD_TAIL)
    assert rejection.reason == "unknown_event_type"
    assert rejection.event_id == EID


@pytest.mark.parametrize("version", [b"2", b"0", b"1.5", b"-1", b"100000000000000000000000"])
def test_unsupported_schema_version(version):
    rejection = reject(HEAD + GOOD_TAIL.replace(b'"schema_version": 1', b'"schema_version": ' + version))
    assert rejection.reason == "unsupported_schema_version"
    assert rejection.event_id == EID


@pytest.mark.parametrize("value,path", [
    (RECEIVED.replace('"channel": "online"', '"channel": "phone"').encode(), "$.data.channel"),
    (RECEIVED.replace('"processing_days": 3', '"processing_days": 0').encode(), "$.data.processing_days"),
    (RECEIVED.replace('"processing_days": 3', '"processing_days": 365.5').encode(), "$.data.processing_days"),
    (RECEIVED.replace('"processing_days": 3', '"processing_days": 1e400').encode(), "$.data.processing_days"),
    (RECEIVED.replace('"case_id": "000.00.12.H26-260302-0001"', '"case_id": ""').encode(), "$.case_id"),
    (RECEIVED.replace('"agency_code": "SKHDT"', '"agency_code": "' + "A" * 33 + '"').encode(), "$.agency_code"),
    (RECEIVED.replace('"CB0042"', '"' + "C" * 33 + '"').encode(), "$.officer_id"),
    (RECEIVED.replace('"001090012345"', '"00109001234"').encode(), "$.data.applicant.id_number"),
    (RECEIVED.replace('"001090012345"', '"001090012345\\n"').encode(), "$.data.applicant.id_number"),
    (RECEIVED.replace('"001090012345"', '"٠٠١٠٩٠٠١٢٣٤٥"').encode(), "$.data.applicant.id_number"),
    (HEAD.replace(b"0b7d3c1e-8f2a-4a53-9d0e-2f4c1a9b7e11", b"0b7d3c1e8f2a4a539d0e2f4c1a9b7e11")
     + GOOD_TAIL, "$.event_id"),
    (HEAD.replace(b"0b7d3c1e-8f2a-4a53-9d0e-2f4c1a9b7e11", b"evt-42") + GOOD_TAIL, "$.event_id"),
    (HEAD.replace(b"0b7d3c1e-8f2a-4a53-9d0e-2f4c1a9b7e11", b"{0b7d3c1e-8f2a-4a53-9d0e-2f4c1a9b7e11}")
     + GOOD_TAIL, "$.event_id"),
])
def test_invalid_value_names_the_path(value, path):
    rejection = reject(value)
    assert rejection.reason == "invalid_value"
    assert rejection.detail.startswith(f"`{path}`: ")
    assert rejection.event_id == (None if path == "$.event_id" else EID)


@pytest.mark.parametrize("value,path", [
    (HEAD + GOOD_TAIL.replace(b"08:05:00+07:00", b"08:05:00"), "$.occurred_at"),
    (HEAD + GOOD_TAIL.replace(b"2026-03-04T08:05:00+07:00", b"2026-03-04 08:05"), "$.occurred_at"),
    (RECEIVED.replace('"2026-03-05T09:15:00+07:00"', '"2026-03-05T09:15:00.5"').encode(), "$.data.due_at"),
    (b'{"event_id": "4f5a6b7c-8d9e-4f0a-9b2c-3d4e5f607182", "event_type": "case.extended", '
     b'"schema_version": 1, "occurred_at": "2026-03-05T16:45:00+07:00", "case_id": "H26-1", '
     b'"agency_code": "SKHDT", "data": {"new_due_at": "2026-03-09T17:00:00"}}', "$.data.new_due_at"),
])
def test_timestamp_without_offset(value, path):
    rejection = reject(value)
    assert rejection.reason == "timestamp_without_offset"
    assert rejection.detail.startswith(f"`{path}`: ") and "no UTC offset" in rejection.detail


@pytest.mark.parametrize("text", [
    b"2026-02-30T09:15:00+07:00", b"2025-02-29T09:15:00Z", b"2026-13-01T09:15:00Z", b"yesterday",
    b"2026-03-04T24:00:00Z", b"2026-03-04T23:59:60Z", b"2026-03-04T08:05:00+0700",
    b"2026-03-04 08:05:00Z", b"2026-03-04T08:05:00+24:00", b"0000-01-01T00:00:00Z", b"2026-03-04",
    b"",
])
def test_invalid_timestamp(text):
    rejection = reject(HEAD + GOOD_TAIL.replace(b"2026-03-04T08:05:00+07:00", text))
    assert rejection.reason == "invalid_timestamp"
    assert rejection.detail.startswith("`$.occurred_at`: ")
    assert rejection.event_id == EID


def test_an_impossible_due_at_is_an_invalid_timestamp():
    rejection = reject(RECEIVED.replace("2026-03-05T09:15", "2026-02-29T09:15").encode())
    assert (rejection.reason, rejection.detail[:17]) == ("invalid_timestamp", "`$.data.due_at`: ")


def test_future_timestamp_beyond_the_tolerance():
    at = b"2026-03-10T08:00:00+07:00"  # = 01:00Z: NOW + 1 h exactly is still accepted
    assert isinstance(validate(HEAD + GOOD_TAIL.replace(b"2026-03-04T08:05:00+07:00", at), now=NOW), ValidEvent)
    late = HEAD + GOOD_TAIL.replace(b"2026-03-04T08:05:00+07:00", b"2026-03-10T08:00:00.000001+07:00")
    rejection = reject(late)
    assert rejection.reason == "future_timestamp" and rejection.event_id == EID
    assert isinstance(validate(late, now=NOW, future_tolerance=timedelta(hours=2)), ValidEvent)
    exactly_now = HEAD + GOOD_TAIL.replace(b"2026-03-04T08:05:00+07:00", b"2026-03-10T00:00:00Z")
    assert isinstance(validate(exactly_now, now=NOW, future_tolerance=timedelta(0)), ValidEvent)
    assert reject(exactly_now, now=NOW - timedelta(microseconds=1), future_tolerance=timedelta(0)).reason \
        == "future_timestamp"
    assert reject(HEAD + GOOD_TAIL.replace(b"2026-03-04", b"2027-03-04")).reason == "future_timestamp"


def test_a_due_at_in_the_future_is_normal():
    assert isinstance(validate(RECEIVED.replace("2026-03-05", "2030-01-01").encode(), now=NOW), ValidEvent)


def test_now_must_be_timezone_aware():
    with pytest.raises(NaiveDatetimeError):
        validate(HEAD + GOOD_TAIL, now=NOW.replace(tzinfo=None))


# --- the documented order: when a value has several problems, the first class in order wins ---

@pytest.mark.parametrize("value,kwargs,reason", [
    (b"\xff" * 50, {"max_bytes": 10}, "too_large"),
    (b'{"a": "\\u0000", "b": ', {}, "nul_character"),  # nul before JSON syntax
    (b'{"a": "\\u0000", "b": "\xff"}', {}, "nul_character"),  # nul before UTF-8
    (b'{"a": "\xff", "b": ', {}, "invalid_utf8"),  # UTF-8 before JSON syntax
    # msgspec meets the wrong event_id type first, but the JSON is broken further on.
    (b'{"event_id": 5, "event_type": "case.resubmitted", "schema_version": 1, ', {}, "invalid_json"),
    # A future version may reshape everything: the version is what to report.
    (b'{"event_type": "case.archived", "schema_version": 2}', {}, "unsupported_schema_version"),
    (b'{"event_type": "case.archived", "case_id": 5}', {}, "unknown_event_type"),
    # Structural errors come before timestamps; occurred_at before data timestamps.
    (RECEIVED.replace("09:15:00+07:00", "09:15:00").replace('"SKHDT"', '""').encode(), {}, "invalid_value"),
    (RECEIVED.replace("2026-03-02T09:15:00+07:00", "2026-03-02").replace("09:15:00+07:00", "09:15:00")
     .encode(), {}, "invalid_timestamp"),
    # A bad id_number is found after due_at.
    (RECEIVED.replace("09:15:00+07:00\",\n", "09:15:00\",\n").replace("001090012345", "1").encode(), {},
     "timestamp_without_offset"),
    # unsupported version before a bad event_id or timestamp on an otherwise well-formed event.
    (HEAD.replace(b"0b7d3c1e-8f2a", b"zzzzzzzz-8f2a") + GOOD_TAIL.replace(b'"schema_version": 1', b'"schema_version": 3')
     .replace(b"+07:00", b""), {}, "unsupported_schema_version"),
    # future is the last check.
    (RECEIVED.replace("2026-03-02T09:15", "2027-03-02T09:15").replace('"online"', '"fax"').encode(), {},
     "invalid_value"),
])
def test_check_order(value, kwargs, reason):
    assert reject(value, **kwargs).reason == reason


def test_conflicting_duplicate_event_type_keys_are_rejected_not_guessed():
    value = HEAD + b'"event_type": "case.delivered", ' + GOOD_TAIL
    rejection = reject(value)
    assert rejection.reason == "invalid_value" and "duplicate" in rejection.detail
    # The same type repeated is harmless.
    assert isinstance(validate(HEAD + b'"event_type": "case.resubmitted", ' + GOOD_TAIL, now=NOW), ValidEvent)


@pytest.mark.parametrize("message,expected", [
    ("Object missing required field `x` - at `$.data`", ("missing_field", "`$.data.x`: required field is missing")),
    ("Object missing required field `event_id`", ("missing_field", "`$.event_id`: required field is missing")),
    ("Expected `int`, got `str` - at `$.schema_version`",
     ("wrong_type", "`$.schema_version`: Expected `int`, got `str`")),
    ("Expected `str` - at `$.event_type`", ("wrong_type", "`$.event_type`: Expected `str`")),
    ("Expected `object`, got `array`", ("not_an_object", "the JSON value is not an object: Expected `object`, got `array`")),
    ("Invalid enum value 'x' - at `$.data.channel`", ("invalid_value", "`$.data.channel`: Invalid enum value 'x'")),
    ("Invalid value 'case.x' - at `$.event_type`", ("unknown_event_type", "`$.event_type`: Invalid value 'case.x'")),
    ("Expected `str` of length <= 32 - at `$.officer_id`",
     ("invalid_value", "`$.officer_id`: Expected `str` of length <= 32")),
    ("Expected `float` > 0.0 - at `$.data.processing_days`",
     ("invalid_value", "`$.data.processing_days`: Expected `float` > 0.0")),
    ("Number out of range - at `$.data.score`", ("invalid_value", "`$.data.score`: Number out of range")),
    ("JSON is malformed: trailing characters (byte 3)", ("invalid_json", "JSON is malformed: trailing characters (byte 3)")),
    ("Something msgspec may say one day - at `$.x`", ("invalid_value", "`$.x`: Something msgspec may say one day")),
])
def test_classification_of_msgspec_messages(message, expected):
    assert classify_msgspec_error(message) == expected
