"""RFC 3339 date-times, exactly as strict as the contract (JSON Schema format "date-time").

Fast path: msgspec parses the string in C and returns datetimes whose tzinfo objects are cached
per offset (cheap comparisons later). msgspec is laxer than RFC 3339 in exactly two ways: " " for
"T" and "+hhmm" offsets; two character checks rule those out.
Anything else (msgspec errors, lax forms) goes to the strict slow path, which decides: a
compiled regex for the grammar, then datetime.fromisoformat for the calendar (2026-02-30).
A test compares both paths with the reference checker on a generated set of strings.

Choices, matching the reference validator (jsonschema + rfc3339-validator):
- "t" and "z" are accepted for "T" and "Z" (RFC 3339 section 5.6 allows it; the reference
  upper-cases before checking). Offsets: +hh:mm / -hh:mm with hh <= 23, or Z; "-00:00" is UTC.
- Leap seconds (":60") are rejected: Python datetime cannot represent them.
- Stricter than the schema, because the loader and dbt cast these strings to PostgreSQL
  timestamptz, and a failing cast would stop a whole batch: offsets beyond +-15:59 (PostgreSQL's
  limit; real offsets span -12:00..+14:00) and instants outside 0001..9999 in UTC are
  invalid_timestamp.
- Any number of fraction digits; past the microsecond they are rounded exactly as PostgreSQL
  reads them (the fraction as a double, times 10^6, rounded half to even: its rint()), because
  the loader sends the instant to the raw table as a number and the payload's own text must give
  the same instant when dbt or an auditor casts it.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Annotated

import msgspec

from ingestion.contract.reasons import INVALID_TIMESTAMP, TIMESTAMP_WITHOUT_OFFSET
from motcua.errors import PermanentError

_decode = msgspec.json.Decoder(Annotated[datetime, msgspec.Meta(tz=True)]).decode

# ASCII classes on purpose: \d would also accept other scripts' digits.
_RFC3339 = re.compile(
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-[0-9]{2}"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])\Z"
)
# A local date-time with no offset at all (the common producer bug), loosely: so that
# "2026-03-02 09:15" is also reported as missing its offset rather than as unparseable.
_NO_OFFSET = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?\Z")


class TimestampError(PermanentError, ValueError):
    """A timestamp the contract does not accept; .reason is a reason class."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def decode_timestamp(text: str) -> datetime:
    """The aware datetime of an RFC 3339 string. Raises TimestampError."""
    # "2026-03-02T09:15:00+07:00": index 10 is the separator; it ends in "Z" or "hh:mm" with
    # hh <= 15; years 1000-8999 cannot leave the UTC range. A backslash would be read as a JSON
    # escape once the text is quoted below. Whatever fails these goes to the strict path.
    if (len(text) >= 20 and text[10] in "Tt" and "1" <= text[0] <= "8" and "\\" not in text
            and (text[-1] in "Zz" or (text[-3] == ":" and (text[-5] == "0" or text[-5:-3] <= "15")))):
        try:
            value = _decode('"' + text + '"')
        except msgspec.DecodeError:  # includes ValidationError
            pass
        else:
            # Seven or more fraction digits make the string at least 28 characters long.
            return value if len(text) < 28 else _as_postgresql_rounds(text, value)
    return _as_postgresql_rounds(text, parse_timestamp(text))


def _as_postgresql_rounds(text: str, value: datetime) -> datetime:
    """value with the microseconds PostgreSQL reads from text's fraction (ParseFractionalSecond)."""
    dot = text.find(".", 19)
    if dot < 0:
        return value
    end = dot + 1
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    if end - dot - 1 <= 6:
        return value
    micros = round(float("0" + text[dot:end]) * 1_000_000)  # round(): half to even, like rint()
    # The whole seconds from the text: the value's own may already have carried into the next one.
    return decode_timestamp(text[:dot] + text[end:]) + timedelta(microseconds=micros)


def parse_timestamp(text: str) -> datetime:
    """Parse an RFC 3339 date-time with explicit offset into an aware datetime (strict, slow path).

    Raises TimestampError(timestamp_without_offset | invalid_timestamp).
    """
    upper = text.upper() if text.isascii() else text  # non-ASCII never matches anyway
    if _RFC3339.match(upper) is None:
        if _NO_OFFSET.match(text) is not None:
            raise TimestampError(TIMESTAMP_WITHOUT_OFFSET, f"{text!r} has no UTC offset (e.g. +07:00 or Z)")
        raise TimestampError(INVALID_TIMESTAMP, f"{text!r} is not an RFC 3339 date-time")
    try:
        value = datetime.fromisoformat(upper)
    except ValueError as exc:  # the grammar is fine, the calendar is not (day 30 of February, year 0)
        raise TimestampError(INVALID_TIMESTAMP, f"{text!r} is not a real instant: {exc}") from None
    offset = value.utcoffset()
    if offset is None or abs(offset) >= _MAX_OFFSET:
        raise TimestampError(INVALID_TIMESTAMP, f"{text!r} has an offset beyond +-15:59, which "
                             "PostgreSQL cannot store")
    try:
        value.astimezone(timezone.utc)
    except OverflowError:
        raise TimestampError(INVALID_TIMESTAMP, f"{text!r} is outside years 1-9999 in UTC") from None
    return value


_MAX_OFFSET = timedelta(hours=16)
