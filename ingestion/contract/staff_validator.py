"""validate_staff(): one message value of the staff topic -> ValidEvent (to load) or Rejection.

The second topic's twin of validator.validate(), with the same reason classes in the same
order (reasons.py): the byte checks, one msgspec decode into staff_model's Structs, then the
checks msgspec cannot do, the semantic ones (future occurred_at, before the system start) and
the PostgreSQL number limits. Rejected values are classified by diagnose.py against the staff
event types.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from ingestion.contract import reasons as R
from ingestion.contract.diagnose import UUID_LOWER, diagnose, event_id_of
from ingestion.contract.numbers import out_of_range_number
from ingestion.contract.results import NaiveDatetimeError, Rejection, ValidEvent
from ingestion.contract.staff_model import STAFF_DECODER, STAFF_EVENT_TYPES, StaffEvent
from ingestion.contract.timestamps import TimestampError, decode_timestamp
from ingestion.contract.validator import _BACKSLASH, _NUL_ESCAPE, SYSTEM_START, _has_nul_escape, _limit

_KNOWN = frozenset(STAFF_EVENT_TYPES)
_match_uuid = UUID_LOWER.match
_decode = STAFF_DECODER.decode


def validate_staff(
    value: bytes | None,
    *,
    now: datetime,
    future_tolerance: timedelta = timedelta(hours=1),
    max_bytes: int = 1_000_000,
    not_before: datetime = SYSTEM_START,
) -> ValidEvent | Rejection:
    """Check one staff-topic message value against staff-event.schema.json (schema_version 1).

    Same arguments and guarantees as validate(): never raises for any bytes value; raises
    NaiveDatetimeError for a naive `now`. ValidEvent.case_id is data.case_id for the
    case.exemption_* types and None otherwise.
    """
    if now.tzinfo is None:
        raise NaiveDatetimeError("validate_staff(now=...) must be timezone-aware")
    if not value:
        return Rejection(R.EMPTY_VALUE, "the message value is null or empty", None)
    if len(value) > max_bytes:
        return Rejection(R.TOO_LARGE, f"the value is {len(value)} bytes, more than max_bytes={max_bytes}", None)
    if _BACKSLASH in value and _NUL_ESCAPE in value and _has_nul_escape(value):
        return Rejection(R.NUL_CHARACTER, "the JSON text contains a \\u0000 escape (PostgreSQL jsonb "
                         "cannot store it)", event_id_of(value))
    if not value.isascii():
        try:
            value.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Rejection(R.INVALID_UTF8, f"invalid UTF-8 at byte {exc.start}: {exc.reason}", None)
    try:
        event: StaffEvent = _decode(value)
    except (msgspec.DecodeError, RecursionError) as exc:
        return diagnose(value, exc, _KNOWN)

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
    return ValidEvent(event_id, event.EVENT_TYPE, 1, event.case_id, event.agency_code,  # type: ignore[arg-type]
                      event.officer_id, occurred_at)
