"""validate(): one Kafka message value -> ValidEvent (to load) or Rejection (to quarantine).

Hot path (valid events): a few byte checks, one msgspec decode into Structs, the checks msgspec
cannot do (uuid, timestamps), one ValidEvent. No dict of the payload is built. Each step was
timed; see the comments for the choices it led to. Rejected values go to diagnose.py.

The order of the checks, which decides the reason when a value has several problems, is
documented once, in reasons.py; validator_for() below follows it line by line, for both topics
(validate_staff() in staff_validator.py is made by it too).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import msgspec

from ingestion.contract import reasons as R
from ingestion.contract.diagnose import UUID_LOWER, diagnose, event_id_of
from ingestion.contract.model import DECODER, EVENT_TYPES, Rated
from ingestion.contract.numbers import out_of_range_number
from ingestion.contract.results import NaiveDatetimeError, Rejection, ValidEvent
from ingestion.contract.timestamps import TimestampError, decode_timestamp

_NUL_ESCAPE = b"\\u0000"
_BACKSLASH = 0x5C  # an int: `int in bytes` is a memchr, ten times faster than `b"\\" in bytes`
_match_uuid = UUID_LOWER.match

# The day the one-stop-shop system started (Decree 61/2018), at midnight in Viet Nam. No event
# predates it: an earlier occurred_at is a source clock or data-entry defect, decided here.
SYSTEM_START = datetime(2017, 12, 31, 17, 0, tzinfo=timezone.utc)


class _RawScore(msgspec.Struct):
    score: msgspec.Raw


class _RawRated(msgspec.Struct):
    data: _RawScore


# The score's literal exactly as sent: a float cannot tell 4.99999999999999999999 from 5.
_decode_raw_score = msgspec.json.Decoder(_RawRated).decode


class Validator(Protocol):
    def __call__(self, value: bytes | None, *, now: datetime, future_tolerance: timedelta = ...,
                 max_bytes: int = ..., not_before: datetime = ...) -> ValidEvent | Rejection: ...


def validator_for(decode: Callable[[bytes], Any], known_types: frozenset[str], name: str, doc: str) -> Validator:
    """The check sequence of reasons.py for one topic: its typed decoder and its event types.

    Both topics' validators are made here, so they cannot drift apart. A closure rather than a
    shared function called by each: the decoder and the types are cell lookups, and the case
    topic's hot path pays no extra call.
    """
    def check(
        value: bytes | None,
        *,
        now: datetime,
        future_tolerance: timedelta = timedelta(hours=1),
        max_bytes: int = 1_000_000,
        not_before: datetime = SYSTEM_START,
    ) -> ValidEvent | Rejection:
        if now.tzinfo is None:
            raise NaiveDatetimeError(f"{name}(now=...) must be timezone-aware")
        if not value:
            return Rejection(R.EMPTY_VALUE, "the message value is null or empty", None)
        if len(value) > max_bytes:
            return Rejection(R.TOO_LARGE, f"the value is {len(value)} bytes, more than max_bytes={max_bytes}", None)
        if _BACKSLASH in value and _NUL_ESCAPE in value and _has_nul_escape(value):
            return Rejection(R.NUL_CHARACTER, "the JSON text contains a \\u0000 escape (PostgreSQL jsonb "
                             "cannot store it)", event_id_of(value))
        if not value.isascii():
            # msgspec skips unknown fields without decoding them, so it would not notice bad UTF-8
            # there; PostgreSQL would, at insert time.
            try:
                value.decode("utf-8")
            except UnicodeDecodeError as exc:
                return Rejection(R.INVALID_UTF8, f"invalid UTF-8 at byte {exc.start}: {exc.reason}", None)
        try:
            event = decode(value)
        except (msgspec.DecodeError, RecursionError) as exc:  # ValidationError is a DecodeError
            return diagnose(value, exc, known_types)

        event_id: str | None = event.event_id.lower()
        if _match_uuid(event_id) is None:  # type: ignore[arg-type]
            event_id = None
        if event.schema_version != 1:
            return Rejection(R.UNSUPPORTED_SCHEMA_VERSION,
                             f"`$.schema_version` is {event.schema_version!r}; only 1 is supported", event_id)
        if event_id is None:
            return Rejection(R.INVALID_VALUE, f"`$.event_id`: {event.event_id!r} is not a UUID "
                             "(8-4-4-4-12 hexadecimal digits)", None)
        try:
            occurred_at = decode_timestamp(event.occurred_at)
        except TimestampError as exc:
            return Rejection(exc.reason, f"`$.occurred_at`: {exc}", event_id)
        problem = event.data_problem()
        if problem is not None:
            reason, path, message = problem
            return Rejection(reason, f"`{path}`: {message}", event_id)
        if type(event) is Rated:  # a case-topic type only: never true on the staff topic
            problem = _score_problem(value)
            if problem is not None:
                return Rejection(R.WRONG_TYPE, problem, event_id)
        if occurred_at > _limit(now, future_tolerance, occurred_at.tzinfo):  # type: ignore[arg-type]
            return Rejection(R.FUTURE_TIMESTAMP,
                             f"`$.occurred_at` {occurred_at.isoformat()} is later than now "
                             f"({now.isoformat()}) + {future_tolerance}", event_id)
        if occurred_at < not_before:
            return Rejection(R.BEFORE_SYSTEM_START,
                             f"`$.occurred_at` {occurred_at.isoformat()} is earlier than the system start "
                             f"{not_before.isoformat()}", event_id)
        huge = out_of_range_number(value)
        if huge is not None:
            return Rejection(R.NUMBER_OUT_OF_RANGE,
                             f"the number {huge[:40]}{'...' if len(huge) > 40 else ''} is beyond what PostgreSQL "
                             "numeric stores (131072 digits before the point, 16383 after)", event_id)
        return ValidEvent(event_id, event.EVENT_TYPE, 1, event.case_id, event.agency_code,
                          event.officer_id, occurred_at)

    check.__name__ = check.__qualname__ = name
    check.__doc__ = doc
    return check


validate = validator_for(DECODER.decode, frozenset(EVENT_TYPES), "validate", """\
Check one message value (bytes) against the contract (schema_version 1).

`now` (timezone-aware) is the validation time: occurred_at may be at most
`future_tolerance` later. Pass the same `now` object for a whole poll batch: the
comparison limit is cached per (now, tolerance, offset). occurred_at earlier than
`not_before` (the system start) is rejected too. Never raises for any bytes value;
raises NaiveDatetimeError for a naive `now`.
""")


# id(tzinfo) -> (tzinfo, now, tolerance, now + tolerance expressed in that tzinfo).
# Comparing datetimes whose tzinfo objects differ calls utcoffset() on both and subtracts: more
# than the whole JSON decode here. With the very same tzinfo object it is a field compare, and
# msgspec reuses one tzinfo object per offset. The entry holds the tzinfo, so its id stays unique.
_LIMITS: dict[int, tuple[tzinfo, datetime, timedelta, datetime]] = {}


def _limit(now: datetime, tolerance: timedelta, tz: tzinfo) -> datetime:
    hit = _LIMITS.get(id(tz))
    if hit is not None and hit[1] is now and hit[2] is tolerance and hit[0] is tz:
        return hit[3]
    local = (now + tolerance).astimezone(tz)
    if len(_LIMITS) >= 64:  # bounded: few offsets in practice; slow-path tzinfos are one-offs
        _LIMITS.clear()
    _LIMITS[id(tz)] = (tz, now, tolerance, local)
    return local


def _score_problem(value: bytes) -> str | None:
    """The float check passed; decide integrality on the exact decimal literal."""
    literal = bytes(_decode_raw_score(value).data.score)
    try:
        exact = Decimal(literal.decode())
        integral = exact == exact.to_integral_value()
    except (InvalidOperation, ValueError):  # an exponent beyond Decimal's context
        integral = False
    if integral:
        return None
    return f"`$.data.score`: Expected an integer, got {literal[:40].decode()}"


def _has_nul_escape(value: bytes) -> bool:
    """True if some `\\u0000` is a real escape, not the text `\\\\u0000` (an escaped backslash)."""
    start = value.find(_NUL_ESCAPE)
    while start != -1:
        backslashes = 0
        i = start - 1
        while i >= 0 and value[i] == _BACKSLASH:
            backslashes += 1
            i -= 1
        if backslashes % 2 == 0:  # the backslash at `start` is not itself escaped
            return True
        start = value.find(_NUL_ESCAPE, start + 1)
    return False
