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


class Message(NamedTuple):
    key: bytes  # case_id, UTF-8
    value: bytes  # the exact Kafka value
    label: str
    occurred_on: date  # local date of occurred_at as sent (the bogus one for time faults)
    arrival_day: date  # the night on which the message is produced


class Manifest:
    """Counts of generated messages by label, with the totals tests usually need."""

    def __init__(self, messages: Iterable[Message] = ()) -> None:
        self.counts: Counter[str] = Counter()
        for message in messages:
            self.counts[message.label] += 1

    def track(self, messages: Iterable[Message]) -> Iterator[Message]:
        """Pass messages through while counting them."""
        for message in messages:
            self.counts[message.label] += 1
            yield message

    @property
    def total(self) -> int:
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
