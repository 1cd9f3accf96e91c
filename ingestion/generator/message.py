"""What the generator emits: Kafka messages with a label saying what the pipeline must do with each.

Labels (the manifest). Names of rejected classes equal the quarantine reasons of
ingestion/contract/reasons.py, so an end-to-end test can compare label counts with
raw.quarantine counts directly (see EXPECTED_REASON).

Distinct, contract-valid events (each must reach raw.case_events exactly once):
  valid          delivered on the night it occurred, in order
  late           delivered 1-14 nights after it occurred (an offline desk syncing)
  out_of_order   a case.received delivered after the case's later events
Redeliveries and producer bugs:
  duplicate              byte-identical copy of a distinct event (same night or 1-30 nights later)
  conflict               an already-used event_id with different content (loader: event_id_conflict)
  impossible_time_order  schema-valid, but a completed/delivered/rated event timed before its
                         receipt; it REPLACES the real event (the pipeline should load and flag it)
  future_timestamp       occurred_at 5-10 years ahead; REPLACES the real event (validator rejects)
  invalid_json, wrong_type, unknown_event_type, missing_field, timestamp_without_offset,
  invalid_utf8, nul_character, too_large (> 1 MiB)
                         extra broken copies of a real event, each with a fresh event_id (the
                         real event is still delivered, so the valid stream stays complete)

Staff topic (Message.stream == "staff"; staff.py, staff_faults.py): valid, duplicate, and one
label per malformed class of the staff contract (STAFF_LABELS), all extra broken copies; the
Manifest counts them apart (staff_counts) since they land in raw.staff_events.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from typing import NamedTuple

VALID = "valid"
LATE = "late"
OUT_OF_ORDER = "out_of_order"
DUPLICATE = "duplicate"
CONFLICT = "conflict"
IMPOSSIBLE_TIME_ORDER = "impossible_time_order"
FUTURE_TIMESTAMP = "future_timestamp"
INVALID_JSON = "invalid_json"
WRONG_TYPE = "wrong_type"
UNKNOWN_EVENT_TYPE = "unknown_event_type"
MISSING_FIELD = "missing_field"
TIMESTAMP_WITHOUT_OFFSET = "timestamp_without_offset"
INVALID_UTF8 = "invalid_utf8"
NUL_CHARACTER = "nul_character"
TOO_LARGE = "too_large"
# Staff topic only (the case generator does not inject these)
INVALID_VALUE = "invalid_value"
BEFORE_SYSTEM_START = "before_system_start"
UNSUPPORTED_SCHEMA_VERSION = "unsupported_schema_version"
NUMBER_OUT_OF_RANGE = "number_out_of_range"
EMPTY_VALUE = "empty_value"
CASE_STREAM = "case"
STAFF_STREAM = "staff"

DISTINCT_VALID_LABELS = frozenset({VALID, LATE, OUT_OF_ORDER})
# Broken copies: fail JSON-schema validation (or are not even JSON / UTF-8).
SCHEMA_INVALID_LABELS = frozenset({INVALID_JSON, WRONG_TYPE, UNKNOWN_EVENT_TYPE, MISSING_FIELD,
                                   TIMESTAMP_WITHOUT_OFFSET, INVALID_UTF8})
# Pass the JSON schema but must still be rejected or flagged for another reason.
SCHEMA_VALID_FAULT_LABELS = frozenset({DUPLICATE, CONFLICT, IMPOSSIBLE_TIME_ORDER, FUTURE_TIMESTAMP,
                                       NUL_CHARACTER, TOO_LARGE})
ALL_LABELS = DISTINCT_VALID_LABELS | SCHEMA_INVALID_LABELS | SCHEMA_VALID_FAULT_LABELS
# Expected raw.quarantine.reason per label (None: loaded, or dropped as a redelivery).
EXPECTED_REASON: dict[str, str | None] = {
    **{label: None for label in DISTINCT_VALID_LABELS | {DUPLICATE, IMPOSSIBLE_TIME_ORDER}},
    CONFLICT: "event_id_conflict",
    **{label: label for label in SCHEMA_INVALID_LABELS | {FUTURE_TIMESTAMP, NUL_CHARACTER, TOO_LARGE}},
}
# Staff topic: every label, and the quarantine reason each must end with (None: loaded or a redelivery).
STAFF_FAULT_LABELS = frozenset({INVALID_JSON, WRONG_TYPE, UNKNOWN_EVENT_TYPE, MISSING_FIELD, INVALID_VALUE,
                                TIMESTAMP_WITHOUT_OFFSET, INVALID_UTF8, NUL_CHARACTER, FUTURE_TIMESTAMP,
                                BEFORE_SYSTEM_START, UNSUPPORTED_SCHEMA_VERSION, NUMBER_OUT_OF_RANGE, EMPTY_VALUE,
                                CONFLICT, TOO_LARGE})
STAFF_LABELS = frozenset({VALID, DUPLICATE}) | STAFF_FAULT_LABELS
STAFF_EXPECTED_REASON: dict[str, str | None] = {
    VALID: None, DUPLICATE: None, CONFLICT: "event_id_conflict",
    **{label: label for label in STAFF_FAULT_LABELS - {CONFLICT}},
}


class Message(NamedTuple):
    key: bytes  # case_id (staff topic: officer_id, or case_id for exemptions), UTF-8
    value: bytes  # the exact Kafka value
    label: str
    occurred_on: date  # local date of occurred_at as sent (the bogus one for time faults)
    arrival_day: date  # the night on which the message is produced
    stream: str = CASE_STREAM  # which topic: case | staff


class Manifest:
    """Counts of generated messages by label, with the totals tests usually need."""

    def __init__(self, messages: Iterable[Message] = ()) -> None:
        self.counts: Counter[str] = Counter()  # the case topic's
        self.staff_counts: Counter[str] = Counter()  # the staff topic's
        for message in messages:
            self._count(message)

    def _count(self, message: Message) -> None:
        (self.counts if message.stream == CASE_STREAM else self.staff_counts)[message.label] += 1

    def track(self, messages: Iterable[Message]) -> Iterator[Message]:
        """Pass messages through while counting them."""
        for message in messages:
            self._count(message)
            yield message

    @property
    def staff_total(self) -> int:
        return sum(self.staff_counts.values())

    @property
    def staff_distinct_valid(self) -> int:
        """Staff events that must end up in raw.staff_events."""
        return self.staff_counts[VALID]

    @property
    def staff_rejected(self) -> dict[str, int]:
        """Expected quarantine rows of the staff topic by reason."""
        out: Counter[str] = Counter()
        for label, count in self.staff_counts.items():
            reason = STAFF_EXPECTED_REASON[label]
            if reason:
                out[reason] += count
        return dict(out)

    @property
    def total(self) -> int:
        """Messages of the case topic (staff_total: the staff topic's)."""
        return sum(self.counts.values())

    @property
    def distinct_valid(self) -> int:
        """Events that must end up in raw.case_events (impossible_time_order ones excluded)."""
        return sum(self.counts[label] for label in DISTINCT_VALID_LABELS)

    @property
    def rejected(self) -> dict[str, int]:
        """Expected quarantine rows by reason."""
        out: Counter[str] = Counter()
        for label, count in self.counts.items():
            reason = EXPECTED_REASON.get(label)
            if reason:
                out[reason] += count
        return dict(out)

    def as_dict(self) -> dict[str, int]:
        return dict(sorted(self.counts.items()))
