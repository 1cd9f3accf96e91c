"""What the loader accepts, PostgreSQL and every later layer can hold: numbers, scores, dates."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from tests.ingestion.contract.contract_samples import NOW

from ingestion.contract import Rejection, ValidEvent, validate
from ingestion.contract.numbers import fits_numeric

RESUBMITTED = (b'{"event_id": "0b7d3c1e-8f2a-4a53-9d0e-2f4c1a9b7e11", "event_type": "case.resubmitted", '
               b'"schema_version": 1, "occurred_at": "%s", "case_id": "H26-0001", "agency_code": "SKHDT"%s}')
RATED = (b'{"event_id": "0b7d3c1e-8f2a-4a53-9d0e-2f4c1a9b7e11", "event_type": "case.rated", '
         b'"schema_version": 1, "occurred_at": "2026-03-04T08:05:00+07:00", "case_id": "H26-0001", '
         b'"agency_code": "SKHDT", "data": {"score": %s}}')


def resubmitted(occurred_at: bytes = b"2026-03-04T08:05:00+07:00", extra: bytes = b"") -> bytes:
    return RESUBMITTED % (occurred_at, extra)


@pytest.mark.parametrize("extra, literal", [
    (b', "x": 1e999999', "1e999999"),
    (b', "x": [0, {"y": -1e131072}]', "-1e131072"),
    (b', "x": 1e-16384', "1e-16384"),
    (b', "x": 0e-999999', "0e-999999"),          # zero, but its scale is still too large
    (b', "x": 1' + b"0" * 131072, "1" + "0" * 39),
])
def test_numbers_jsonb_refuses_are_quarantined_anywhere(extra, literal):
    result = validate(resubmitted(extra=extra), now=NOW)
    assert isinstance(result, Rejection) and result.reason == "number_out_of_range"
    assert literal in result.detail


@pytest.mark.parametrize("extra", [b', "x": 1e131071', b', "x": 1e-16383', b', "x": 0e999999',
                                   b', "x": "1e999999 inside a string"', b', "x": 12.5e131070'])
def test_numbers_at_the_limit_and_lookalike_strings_load(extra):
    assert isinstance(validate(resubmitted(extra=extra), now=NOW), ValidEvent)


@pytest.mark.parametrize("literal, fits", [
    (b"1e131071", True), (b"1e131072", False), (b"1e-16383", True), (b"1e-16384", False),
    (b"0.05e131073", True), (b"0.05e131074", False), (b"100e-16383", True), (b"100e-16385", False),
    (b"1e1073741823", False), (b"0e999999", True),
])
def test_fits_numeric_matches_postgresql_limits(literal, fits):
    # Each expectation was checked by casting '{"x": <literal>}' to jsonb on PostgreSQL 15.
    assert fits_numeric(literal) is fits


@pytest.mark.parametrize("score", [b"4", b"4.0", b"4e0", b"5.000", b"0.4e1", b"1.00000000000000000000000"])
def test_integral_scores_in_any_notation_are_valid(score):
    assert isinstance(validate(RATED % score, now=NOW), ValidEvent)


@pytest.mark.parametrize("score", [b"4.5", b"4.99999999999999999999", b"1.00000000000000000001",
                                   b"4.000000000000000000001e0"])
def test_non_integral_scores_are_wrong_type_even_beyond_float_precision(score):
    result = validate(RATED % score, now=NOW)
    assert isinstance(result, Rejection) and result.reason == "wrong_type"
    assert "$.data.score" in result.detail


def test_occurred_at_before_the_system_start_is_quarantined():
    result = validate(resubmitted(b"0001-01-01T00:00:00Z"), now=NOW)
    assert isinstance(result, Rejection) and result.reason == "before_system_start"
    # The default start is 2018-01-01 in Viet Nam: one second earlier is out, midnight is in.
    assert validate(resubmitted(b"2017-12-31T23:59:59+07:00"), now=NOW).reason == "before_system_start"
    assert isinstance(validate(resubmitted(b"2018-01-01T00:00:00+07:00"), now=NOW), ValidEvent)
    later = datetime(2020, 1, 1, tzinfo=timezone.utc)
    assert validate(resubmitted(b"2019-06-01T00:00:00Z"), now=NOW, not_before=later).reason == "before_system_start"
