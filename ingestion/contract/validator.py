"""validate(): one Kafka message value -> ValidEvent (to load) or Rejection (to quarantine).

Hot path (valid events): a few byte checks, one msgspec decode into Structs, two regex+parse
of timestamps, one ValidEvent. No dict of the payload is built.

Slow path (anything msgspec rejects): decode again, untyped, to classify by the documented
priority (reasons.py): JSON syntax first, then object-ness, schema_version, event_type, and only
then the first structural error msgspec reported. Only rejected events pay for this.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from ingestion.contract import reasons as R
from ingestion.contract.model import DECODER, EVENT_TYPES, UUID_PATTERN, CaseEvent
from ingestion.contract.timestamps import TimestampError, parse_timestamp

_NUL_ESCAPE = b"\\u0000"
_UUID = re.compile(UUID_PATTERN)
_KNOWN_TYPES = frozenset(EVENT_TYPES)
# msgspec error messages: "<body>" or "<body> - at `<path>`".
_AT = re.compile(r"^(?P<body>.*?)(?: - at `(?P<path>[^`]*)`)?\Z", re.S)
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]*)`")
# A pure type error: "Expected `str`, got `int`" or, for a union tag, just "Expected `str`".
# "Expected `str` of length <= 32" / "Expected `float` > 0.0" / "... matching regex" are
# constraint violations (invalid_value).
_TYPE_ERROR = re.compile(r"^Expected `[^`]*`(?:, got `[^`]*`)?\Z")
_BAD_TAG = re.compile(r"^Invalid (?:enum )?value (?P<value>.*)\Z", re.S)


class NaiveDatetimeError(ValueError):
    """validate() was given a `now` without a timezone: comparing it to offsets is meaningless."""


@dataclass(frozen=True, slots=True)
class ValidEvent:
    """The columns the loader writes next to the verbatim payload."""

    event_id: str  # canonical lowercase uuid string
    event_type: str
    schema_version: int
    case_id: str
    agency_code: str
    officer_id: str | None
    occurred_at: datetime  # timezone-aware, with the offset the producer sent


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: str  # one of reasons.REASONS
    detail: str  # human-readable; names the JSON path when known
    event_id: str | None  # canonical lowercase uuid, when the value has a valid one


def validate(
    value: bytes | None,
    *,
    now: datetime,
    future_tolerance: timedelta = timedelta(hours=1),
    max_bytes: int = 1_000_000,
) -> ValidEvent | Rejection:
    """Check one message value against the contract (schema_version 1).

    `now` (timezone-aware) is the validation time: occurred_at may be at most
    `future_tolerance` later. Never raises for any value; raises NaiveDatetimeError for a
    naive `now`.
    """
    if now.utcoffset() is None:
        raise NaiveDatetimeError("validate(now=...) must be timezone-aware")
    if not value:
        return Rejection(R.EMPTY_VALUE, "the message value is null or empty", None)
    if len(value) > max_bytes:
        return Rejection(R.TOO_LARGE, f"the value is {len(value)} bytes, more than max_bytes={max_bytes}", None)
    if _NUL_ESCAPE in value and _has_nul_escape(value):
        return Rejection(R.NUL_CHARACTER, "the JSON text contains a \\u0000 escape (PostgreSQL jsonb "
                         "cannot store it)", _event_id_of_parseable(value))
    if not value.isascii():
        # msgspec skips unknown fields without decoding them, so it would not notice bad UTF-8
        # there; PostgreSQL would, at insert time.
        try:
            value.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Rejection(R.INVALID_UTF8, f"invalid UTF-8 at byte {exc.start}: {exc.reason}", None)
    try:
        event: CaseEvent = DECODER.decode(value)
    except (msgspec.DecodeError, RecursionError) as exc:  # ValidationError is a DecodeError
        return _diagnose(value, exc)

    event_id = event.event_id.lower()
    if event.schema_version != 1:
        return Rejection(R.UNSUPPORTED_SCHEMA_VERSION,
                         f"`$.schema_version` is {event.schema_version!r}; only 1 is supported", event_id)
    try:
        occurred_at = parse_timestamp(event.occurred_at)
    except TimestampError as exc:
        return Rejection(exc.reason, f"`$.occurred_at`: {exc}", event_id)
    problem = event.data_problem()
    if problem is not None:
        reason, path, message = problem
        return Rejection(reason, f"`{path}`: {message}", event_id)
    if occurred_at > now + future_tolerance:
        return Rejection(R.FUTURE_TIMESTAMP,
                         f"`$.occurred_at` {event.occurred_at} is later than now ({now.isoformat()}) "
                         f"+ {future_tolerance}", event_id)
    return ValidEvent(event_id, event.EVENT_TYPE, 1, event.case_id, event.agency_code,
                      event.officer_id, occurred_at)  # type: ignore[attr-defined]


def _has_nul_escape(value: bytes) -> bool:
    """True if some `\\u0000` is a real escape, not the text `\\\\u0000` (an escaped backslash)."""
    start = value.find(_NUL_ESCAPE)
    while start != -1:
        backslashes = 0
        i = start - 1
        while i >= 0 and value[i] == 0x5C:
            backslashes += 1
            i -= 1
        if backslashes % 2 == 0:  # the backslash at `start` is not itself escaped
            return True
        start = value.find(_NUL_ESCAPE, start + 1)
    return False


def _event_id_from(doc: Any) -> str | None:
    if isinstance(doc, dict):
        event_id = doc.get("event_id")
        if isinstance(event_id, str) and _UUID.match(event_id):
            return event_id.lower()
    return None


def _event_id_of_parseable(value: bytes) -> str | None:
    try:
        return _event_id_from(msgspec.json.decode(value))
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        return None


def _diagnose(value: bytes, typed_error: Exception) -> Rejection:
    """Classify a value the typed decoder rejected, by the documented priority."""
    try:
        doc = msgspec.json.decode(value)
    except RecursionError:
        return Rejection(R.INVALID_JSON, "JSON nesting is too deep to parse", None)
    except msgspec.ValidationError as exc:  # e.g. 1e400: well-formed but not representable
        doc = None
        untyped_error: Exception | None = exc
    except msgspec.DecodeError as exc:
        return Rejection(R.INVALID_JSON, str(exc), None)
    else:
        untyped_error = None
    if untyped_error is None and not isinstance(doc, dict):
        return Rejection(R.NOT_AN_OBJECT, f"the JSON value is {_json_kind(doc)}, not an object", None)

    event_id = _event_id_from(doc)
    if isinstance(doc, dict):
        version = doc.get("schema_version")
        if isinstance(version, (int, float)) and not isinstance(version, bool) and version != 1:
            return Rejection(R.UNSUPPORTED_SCHEMA_VERSION,
                             f"`$.schema_version` is {version!r}; only 1 is supported", event_id)
        event_type = doc.get("event_type")
        if isinstance(event_type, str) and event_type not in _KNOWN_TYPES:
            return Rejection(R.UNKNOWN_EVENT_TYPE, f"`$.event_type` {event_type!r} is not a known event type",
                             event_id)
    if isinstance(typed_error, RecursionError):
        return Rejection(R.INVALID_JSON, "JSON nesting is too deep to parse", event_id)
    reason, detail = classify_msgspec_error(str(typed_error))
    return Rejection(reason, detail, event_id)


def classify_msgspec_error(message: str) -> tuple[str, str]:
    """Map a msgspec decode error message to (reason class, detail naming the JSON path)."""
    match = _AT.match(message)
    body, path = (match["body"], match["path"] or "$") if match else (message, "$")
    missing = _MISSING.match(body)
    if missing is not None:
        field_path = f"{path}.{missing['field']}"
        return R.MISSING_FIELD, f"`{field_path}`: required field is missing"
    if body.startswith("JSON is malformed") or body.startswith("Input data was truncated"):
        return R.INVALID_JSON, body
    if _TYPE_ERROR.match(body):
        if path == "$":
            return R.NOT_AN_OBJECT, f"the JSON value is not an object: {body}"
        return R.WRONG_TYPE, f"`{path}`: {body}"
    bad_tag = _BAD_TAG.match(body)
    if bad_tag is not None and path == "$.event_type":
        # msgspec also says "Invalid value" when a duplicate `event_type` key names another
        # (known) type than the first one; that is ambiguous, not unknown.
        if bad_tag["value"].strip("'\"") in _KNOWN_TYPES:
            return R.INVALID_VALUE, f"`{path}`: conflicting duplicate keys ({body})"
        return R.UNKNOWN_EVENT_TYPE, f"`{path}`: {body}"
    # Constraint violations ("Expected `str` of length <= 32", "Invalid enum value 'x'",
    # "Number out of range", ...) and anything msgspec may word differently in future.
    return R.INVALID_VALUE, f"`{path}`: {body}"


def _json_kind(doc: Any) -> str:
    if doc is None:
        return "null"
    if isinstance(doc, bool):
        return "a boolean"
    if isinstance(doc, (int, float)):
        return "a number"
    if isinstance(doc, str):
        return "a string"
    return "an array"
