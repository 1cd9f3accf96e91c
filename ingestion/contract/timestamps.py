"""RFC 3339 date-time parsing, exactly as strict as the contract (JSON Schema format "date-time").

msgspec's own datetime decoder is laxer than RFC 3339 (it takes a space for "T" and "+0700"
offsets), so timestamps are decoded as strings and checked here: a compiled regex for the
grammar, then datetime.fromisoformat (C code) for the calendar (2026-02-30 fails there).

Choices, matching the reference validator (jsonschema + rfc3339-validator):
- "T" and "Z" upper case only; offsets +hh:mm / -hh:mm with hh <= 23, or Z; "-00:00" is UTC.
- Leap seconds (":60") are rejected: Python datetime cannot represent them.
- Any number of fraction digits; digits past microseconds are truncated.
"""
from __future__ import annotations

import re
from datetime import datetime

from ingestion.contract.reasons import INVALID_TIMESTAMP, TIMESTAMP_WITHOUT_OFFSET

# ASCII classes on purpose: \d would also accept other scripts' digits.
_RFC3339 = re.compile(
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-[0-9]{2}"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])\Z"
)
# A local date-time with no offset at all (the common producer bug), loosely: so that
# "2026-03-02 09:15" is also reported as missing its offset rather than as unparseable.
_NO_OFFSET = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?\Z")


class TimestampError(ValueError):
    """A timestamp string that the contract does not accept; .reason is a reason class."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def parse_timestamp(text: str) -> datetime:
    """Parse an RFC 3339 date-time with explicit offset into an aware datetime.

    Raises TimestampError(timestamp_without_offset | invalid_timestamp).
    """
    if _RFC3339.match(text) is None:
        if _NO_OFFSET.match(text) is not None:
            raise TimestampError(TIMESTAMP_WITHOUT_OFFSET, f"{text!r} has no UTC offset (e.g. +07:00 or Z)")
        raise TimestampError(INVALID_TIMESTAMP, f"{text!r} is not an RFC 3339 date-time")
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:  # the grammar is fine, the calendar is not (day 30 of February, year 0)
        raise TimestampError(INVALID_TIMESTAMP, f"{text!r} is not a real instant: {exc}") from None
