"""Timestamp parsing agrees with the reference date-time checker on a generated set of strings."""
from __future__ import annotations

import itertools
import random
import re
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest

from ingestion import db
from ingestion.contract.reasons import INVALID_TIMESTAMP, TIMESTAMP_WITHOUT_OFFSET
from ingestion.contract.timestamps import TimestampError, decode_timestamp, parse_timestamp

CHECKER = jsonschema.Draft202012Validator.FORMAT_CHECKER
assert "date-time" in CHECKER.checkers, "pip install rfc3339-validator (requirements.txt)"

DATES = ["2026-03-02", "2024-02-29", "2026-02-29", "0001-01-01", "0000-01-01", "9999-12-31", "0999-01-01",
         "2026-13-01", "2026-00-10", "2026-3-02", "20260302", "+2026-03-02", "2026-04-31"]
SEPARATORS = ["T", "t", " ", "_", ""]
TIMES = ["09:15:00", "09:15", "09:15:00.5", "09:15:00.123456", "09:15:00.123456789012", "09:15:00,5",
         "23:59:60", "24:00:00", "09:15:60", "09:60:00", "091500", "9:15:00", "09:15:00."]
ZONES = ["Z", "z", "+07:00", "-07:00", "+0700", "+07", "+23:59", "+24:00", "+07:60", "-00:00", "+15:59",
         "-15:59", "+16:00", "-16:00", "+14:00",
         "+07:00:00", "", "UTC", " Z"]


def generated() -> list[str]:
    grid = ["".join(parts) for parts in itertools.product(DATES, SEPARATORS, TIMES, ZONES)]
    # Plus one-character mutations of valid strings, from a fixed seed.
    rng = random.Random(20260302)
    alphabet = "0123456789-:+.TtZz _\\\"é"
    mutated = []
    for base in ("2026-03-02T09:15:00+07:00", "2026-03-02T09:15:00.25Z", "2024-02-29T23:59:59-05:30",
                 "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59-00:00"):
        for _ in range(400):
            chars = list(base)
            position = rng.randrange(len(chars))
            action = rng.randrange(3)
            if action == 0:
                chars[position] = rng.choice(alphabet)
            elif action == 1:
                del chars[position]
            else:
                chars.insert(position, rng.choice(alphabet))
            mutated.append("".join(chars))
    return grid + mutated


def reference(text: str) -> bool:
    """The reference checker, less what PostgreSQL cannot cast (checked independently here)."""
    if not CHECKER.conforms(text, "date-time"):
        return False
    offset = re.search(r"([+-])([0-9]{2}):([0-9]{2})\Z", text)
    if offset and int(offset[2]) >= 16:
        return False
    local = datetime.fromisoformat(text[:19].upper())
    shift = timedelta(hours=int(offset[2]), minutes=int(offset[3])) if offset else timedelta(0)
    shift = -shift if offset and offset[1] == "-" else shift
    # UTC = local - offset must stay within years 1..9999.
    if local.year == 1 and local - datetime(1, 1, 1) < shift:
        return False
    if local.year == 9999 and datetime(9999, 12, 31, 23, 59, 59, 999999) - local < -shift:
        return False
    return True


def accepted(text: str) -> datetime | None:
    try:
        return decode_timestamp(text)
    except TimestampError:
        return None


def test_acceptance_matches_the_reference_on_thousands_of_strings():
    strings = generated()
    assert len(strings) > 10_000
    disagreements = [s for s in strings if (accepted(s) is not None) != reference(s)]
    assert disagreements == []
    # The set is not degenerate: both answers occur many times.
    assert sum(accepted(s) is not None for s in strings) > 200


def test_fast_and_strict_paths_give_the_same_instant():
    for text in generated():
        fast = accepted(text)
        if fast is None:
            continue
        strict = parse_timestamp(text)
        fraction = re.search(r"\.([0-9]+)", text)
        if fraction and len(fraction[1]) > 6:  # msgspec rounds extra digits, fromisoformat truncates
            assert abs(fast - strict) <= timedelta(microseconds=1), text
        else:
            assert fast == strict, text
        assert fast.utcoffset() == strict.utcoffset(), text


@pytest.mark.parametrize("text,reason", [
    ("2026-03-02T09:15:00", TIMESTAMP_WITHOUT_OFFSET),
    ("2026-03-02T09:15", TIMESTAMP_WITHOUT_OFFSET),
    ("2026-03-02 09:15:00.5", TIMESTAMP_WITHOUT_OFFSET),
    ("2026-02-30T09:15:00", TIMESTAMP_WITHOUT_OFFSET),  # offset is checked before the calendar
    ("2026-02-30T09:15:00+07:00", INVALID_TIMESTAMP),
    ("2026-03-02", INVALID_TIMESTAMP),
    ("09:15:00+07:00", INVALID_TIMESTAMP),
    ("2026-03-02T09:15:00+07", INVALID_TIMESTAMP),
    ("", INVALID_TIMESTAMP),
    ("２０２６-03-02T09:15:00Z", INVALID_TIMESTAMP),  # full-width digits
])
def test_reason_of_a_rejected_timestamp(text, reason):
    with pytest.raises(TimestampError) as caught:
        decode_timestamp(text)
    assert caught.value.reason == reason


def test_values():
    assert decode_timestamp("2026-03-02T09:15:00+07:00") == datetime(2026, 3, 2, 2, 15, tzinfo=timezone.utc)
    assert decode_timestamp("2026-03-02t02:15:00z") == datetime(2026, 3, 2, 2, 15, tzinfo=timezone.utc)
    assert decode_timestamp("2026-03-02T09:15:00.000250+07:00").microsecond == 250
    assert decode_timestamp("2026-03-02T09:15:00-00:00").utcoffset() == timedelta(0)


def test_fractions_past_the_microsecond_round_as_postgresql_reads_them(pg_db):
    """The loader sends occurred_at to raw as a number: it must be the instant PostgreSQL reads
    from the payload's own text, or dbt's and an auditor's cast of the payload would disagree."""
    assert decode_timestamp("2026-03-02T09:15:00.1234567Z").microsecond == 123457
    # Rounding up carries into the next second (and here into the next minute).
    assert decode_timestamp("2026-03-02T09:15:59.9999996+07:00") == datetime(2026, 3, 2, 2, 16, tzinfo=timezone.utc)
    assert decode_timestamp("2026-03-02T09:15:59.9999994+07:00").second == 59
    texts = ["2026-03-02T09:15:00.0000005Z", "2026-03-02T09:15:00.0000015Z", "2026-03-02T09:15:00.0000025Z",
             "2026-03-02T09:15:00.1234565Z", "2026-03-02T09:15:00.12345650000001Z", "2026-03-02t09:15:00.9999995z",
             "2026-12-31T23:59:59.99999950-05:00", "2026-03-02T09:15:00.000000499999999+07:00"]
    with db.connect("owner", pg_db) as conn:
        for text in texts:
            assert decode_timestamp(text) == conn.execute("select %s::timestamptz", (text,)).fetchone()[0], text
