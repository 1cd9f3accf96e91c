"""Why a message value was rejected: the reason classes written to raw.quarantine.reason.

Every rejected value gets exactly one class: the first problem met in this fixed order.

  Before parsing, on the bytes:
    1. empty_value                 None or b""
    2. too_large                   len(value) > max_bytes
    3. nul_character               a \\u0000 escape anywhere in the JSON text
    4. invalid_utf8                anywhere, unknown fields included
  Parsing:
    5. invalid_json                the whole document's syntax
    6. not_an_object
    7. unsupported_schema_version  `schema_version` is a number other than 1
    8. unknown_event_type          (or wrong_type when `event_type` is not a string)
    9. missing_field / wrong_type / invalid_value: the first structural error msgspec meets,
       walking the document in its own key order (a missing field is noticed when its
       object closes)
  After decoding, on a structurally valid event:
   10. unsupported_schema_version  (a well-formed event with schema_version 2 lands here)
   11. invalid_value               `event_id` is not a uuid
   12. timestamp_without_offset / invalid_timestamp for `occurred_at`
   13. per type: `data.due_at` / `data.new_due_at` as in 12, then invalid_value for
       `data.applicant.id_number`, wrong_type for a non-integral `data.score` (judged on the
       exact decimal literal: 4.0, 4e0 and 5.000 are integers, 4.99999999999999999999 is not)
   14. future_timestamp            occurred_at > now + future_tolerance
   15. before_system_start         occurred_at earlier than the system start (not_before)
   16. number_out_of_range         a number anywhere (unknown fields included) that PostgreSQL's
                                   jsonb cannot store, e.g. 1e999999

The staff topic's validate_staff() (staff_validator.py) uses the same classes in the same order;
its step 13 is, per type: `data.valid_from` (invalid_value unless a real YYYY-MM-DD day), an
officer.* event with a null officer_id (invalid_value), `data.period` against its pattern
(invalid_value); its step 8 knows the five staff event types.

`event_id_conflict` and `database_rejected` are never produced by validate(): the loader uses the
first when an event_id that is already loaded arrives again with different content, the second
for a message PostgreSQL still refuses when written on its own (a safety net: every refusal
known is decided by validate() first).
"""
from __future__ import annotations

from types import MappingProxyType

EMPTY_VALUE = "empty_value"
TOO_LARGE = "too_large"
NUL_CHARACTER = "nul_character"
INVALID_UTF8 = "invalid_utf8"
INVALID_JSON = "invalid_json"
NOT_AN_OBJECT = "not_an_object"
UNSUPPORTED_SCHEMA_VERSION = "unsupported_schema_version"
UNKNOWN_EVENT_TYPE = "unknown_event_type"
MISSING_FIELD = "missing_field"
WRONG_TYPE = "wrong_type"
INVALID_VALUE = "invalid_value"
TIMESTAMP_WITHOUT_OFFSET = "timestamp_without_offset"
INVALID_TIMESTAMP = "invalid_timestamp"
FUTURE_TIMESTAMP = "future_timestamp"
BEFORE_SYSTEM_START = "before_system_start"
NUMBER_OUT_OF_RANGE = "number_out_of_range"
EVENT_ID_CONFLICT = "event_id_conflict"
DATABASE_REJECTED = "database_rejected"

# One line each; the order is the check order above (the loader's own two last).
DESCRIPTIONS: MappingProxyType[str, str] = MappingProxyType({
    EMPTY_VALUE: "The message value is null (a tombstone) or zero bytes long.",
    TOO_LARGE: "The value is longer than max_bytes; rejected before parsing.",
    NUL_CHARACTER: "The JSON text contains a \\u0000 escape, which PostgreSQL jsonb cannot store.",
    INVALID_UTF8: "The bytes are not valid UTF-8 (anywhere, including unknown fields).",
    INVALID_JSON: "Not one well-formed JSON document (syntax, trailing data, lone surrogate, "
                  "nesting too deep).",
    NOT_AN_OBJECT: "The JSON value is not an object (array, string, number, ...).",
    UNSUPPORTED_SCHEMA_VERSION: "schema_version is a number other than 1.",
    UNKNOWN_EVENT_TYPE: "event_type is a string that is not one of the topic's event types (ten case, "
                        "five staff).",
    MISSING_FIELD: "A field required for this event type is absent.",
    WRONG_TYPE: "A field has the wrong JSON type (e.g. a string where a number is required).",
    INVALID_VALUE: "A value breaks an enum, pattern, uuid, length or range constraint.",
    TIMESTAMP_WITHOUT_OFFSET: "occurred_at, due_at or new_due_at has no explicit UTC offset.",
    INVALID_TIMESTAMP: "A timestamp is not RFC 3339, is impossible (2026-02-30), or has an offset "
                       "beyond +-15:59 (PostgreSQL cannot cast it).",
    FUTURE_TIMESTAMP: "occurred_at is later than the validation time plus the tolerance.",
    BEFORE_SYSTEM_START: "occurred_at is earlier than the system start (default 2018-01-01, "
                         "Asia/Ho_Chi_Minh; MOTCUA_GX_SYSTEM_START).",
    NUMBER_OUT_OF_RANGE: "A number (anywhere, unknown fields included) is beyond what PostgreSQL "
                         "numeric stores: 131072 digits before the point, 16383 after.",
    EVENT_ID_CONFLICT: "Loader only: an already-loaded event_id arrived with different content.",
    DATABASE_REJECTED: "Loader only: PostgreSQL refused the message when written on its own.",
})

REASONS: tuple[str, ...] = tuple(DESCRIPTIONS)
