"""The contract (case-event.schema.json, schema_version 1) as msgspec Structs.

One tagged union on `event_type`: msgspec reads the tag, picks the Struct and checks required
fields, types, enums, lengths and ranges while it parses, in C, without building dicts. Unknown
fields are skipped (forward compatible, as the schema has no additionalProperties: false).

What the Structs do not check is checked after decoding, by the methods here and by
validator.py, because it is cheaper or because msgspec cannot say it:
- timestamps are decoded as str and parsed by timestamps.decode_timestamp (msgspec's own
  datetime type is laxer than RFC 3339);
- event_id and applicant.id_number are checked in Python: a msgspec `pattern` calls back into
  Python's re per value and costs more than the whole rest of the decode;
- schema_version is decoded as a number and compared to 1 (JSON Schema `const: 1` accepts 1.0);
- score is decoded as a float in [1, 5] and must be integral (JSON Schema `integer` accepts 4.0).

Defaults of None on non-optional types are deliberate: the field may be absent, but an explicit
JSON null is a wrong type, as in the schema.

Pattern semantics: JSON Schema patterns are ECMA-262, where `$` only matches at the very end;
Python's `$` also matches before a final newline, so "001090012345\\n" is rejected here (the
Python jsonschema library would accept it).
"""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Union

import msgspec
from msgspec import Meta, Struct

from ingestion.contract.reasons import INVALID_VALUE, WRONG_TYPE
from ingestion.contract.timestamps import TimestampError, decode_timestamp

CaseId = Annotated[str, Meta(min_length=1, max_length=64)]
AgencyCode = Annotated[str, Meta(min_length=1, max_length=32)]
Source = Annotated[str, Meta(max_length=128)]
OfficerId = Union[Annotated[str, Meta(max_length=32)], None]
Code32 = Annotated[str, Meta(max_length=32)]
NonEmptyCode32 = Annotated[str, Meta(min_length=1, max_length=32)]
Text2000 = Annotated[str, Meta(max_length=2000)]

# A problem found after decoding: (reason class, JSON path, message).
Problem = tuple[str, str, str]


class AnyObject(Struct, gc=False):
    """`data` of the types whose data the contract leaves open: any JSON object, not kept."""


class Applicant(Struct, kw_only=True, gc=False):
    id_number: str = None  # type: ignore[assignment]  # ^[0-9]{9}$|^[0-9]{12}$, checked in Received
    full_name: Annotated[str, Meta(max_length=256)] = None  # type: ignore[assignment]
    phone: Code32 = None  # type: ignore[assignment]


class ReceivedData(Struct, kw_only=True, gc=False):
    procedure_code: NonEmptyCode32
    procedure_name: Annotated[str, Meta(max_length=512)] = None  # type: ignore[assignment]
    sector_code: Code32 = None  # type: ignore[assignment]
    channel: Literal["in_person", "online", "postal"]
    processing_days: Annotated[float, Meta(gt=0, le=365)]
    due_at: str
    applicant: Applicant = None  # type: ignore[assignment]


class AssignedData(Struct, kw_only=True, gc=False):
    to_officer_id: NonEmptyCode32
    department_code: Code32 = None  # type: ignore[assignment]


class ReturnedData(Struct, kw_only=True, gc=False):
    reason_code: Literal["missing_document", "incorrect_information", "wrong_form", "other"]
    reason_text: Text2000 = None  # type: ignore[assignment]


class ExtendedData(Struct, kw_only=True, gc=False):
    new_due_at: str
    reason_text: Text2000 = None  # type: ignore[assignment]


class CompletedData(Struct, kw_only=True, gc=False):
    outcome: Literal["approved", "refused"]
    reason_text: Text2000 = None  # type: ignore[assignment]


class RatedData(Struct, kw_only=True, gc=False):
    score: Annotated[float, Meta(ge=1, le=5)]
    comment: Text2000 = None  # type: ignore[assignment]


class ComplainedData(Struct, kw_only=True, gc=False):
    category: Literal["attitude", "process", "guidance", "delay", "other"]
    text: Annotated[str, Meta(max_length=4000)] = None  # type: ignore[assignment]


def _timestamp_problem(text: str, path: str) -> Problem | None:
    try:
        decode_timestamp(text)
    except TimestampError as exc:
        return (exc.reason, path, str(exc))
    return None


class CaseEvent(Struct, tag_field="event_type", kw_only=True, gc=False):
    """Envelope fields shared by all types; officer_id and data are declared per type."""

    EVENT_TYPE: ClassVar[str]

    event_id: str  # uuid format: checked by the validator
    schema_version: Union[int, float]
    occurred_at: str
    case_id: CaseId
    agency_code: AgencyCode
    source: Source = None  # type: ignore[assignment]

    def data_problem(self) -> Problem | None:
        """Checks on `data` that the Struct types cannot express; None when fine."""
        return None


class Received(CaseEvent, tag="case.received", kw_only=True):
    EVENT_TYPE: ClassVar[str] = "case.received"
    officer_id: OfficerId  # required key (schema: required), null allowed (type string|null)
    data: ReceivedData

    def data_problem(self) -> Problem | None:
        data = self.data
        try:
            decode_timestamp(data.due_at)
        except TimestampError as exc:
            return (exc.reason, "$.data.due_at", str(exc))
        applicant = data.applicant
        if applicant is not None:
            id_number = applicant.id_number
            # ^[0-9]{9}$|^[0-9]{12}$ ; isdigit() on an ASCII string means 0-9 only.
            if id_number is not None and not (
                    len(id_number) in (9, 12) and id_number.isascii() and id_number.isdigit()):
                return (INVALID_VALUE, "$.data.applicant.id_number", f"{id_number!r} is not 9 or 12 digits")
        return None


class Assigned(CaseEvent, tag="case.assigned", kw_only=True):
    EVENT_TYPE: ClassVar[str] = "case.assigned"
    officer_id: OfficerId = None
    data: AssignedData


class Returned(CaseEvent, tag="case.returned", kw_only=True):
    EVENT_TYPE: ClassVar[str] = "case.returned"
    officer_id: OfficerId
    data: ReturnedData


class Resubmitted(CaseEvent, tag="case.resubmitted", kw_only=True):
    EVENT_TYPE: ClassVar[str] = "case.resubmitted"
    officer_id: OfficerId = None
    data: AnyObject = None  # type: ignore[assignment]


class Extended(CaseEvent, tag="case.extended", kw_only=True):
    EVENT_TYPE: ClassVar[str] = "case.extended"
    officer_id: OfficerId = None
    data: ExtendedData

    def data_problem(self) -> Problem | None:
        return _timestamp_problem(self.data.new_due_at, "$.data.new_due_at")


class Completed(CaseEvent, tag="case.completed", kw_only=True):
    EVENT_TYPE: ClassVar[str] = "case.completed"
    officer_id: OfficerId
    data: CompletedData


class Delivered(CaseEvent, tag="case.delivered", kw_only=True):
    EVENT_TYPE: ClassVar[str] = "case.delivered"
    officer_id: OfficerId = None
    data: AnyObject = None  # type: ignore[assignment]


class Withdrawn(CaseEvent, tag="case.withdrawn", kw_only=True):
    EVENT_TYPE: ClassVar[str] = "case.withdrawn"
    officer_id: OfficerId = None
    data: AnyObject = None  # type: ignore[assignment]


class Rated(CaseEvent, tag="case.rated", kw_only=True):
    EVENT_TYPE: ClassVar[str] = "case.rated"
    officer_id: OfficerId = None
    data: RatedData

    def data_problem(self) -> Problem | None:
        score = self.data.score
        if not score.is_integer():
            return (WRONG_TYPE, "$.data.score", f"Expected an integer, got {score!r}")
        return None


class Complained(CaseEvent, tag="case.complained", kw_only=True):
    EVENT_TYPE: ClassVar[str] = "case.complained"
    officer_id: OfficerId = None
    data: ComplainedData


EVENT_CLASSES: tuple[type[CaseEvent], ...] = (
    Received, Assigned, Returned, Resubmitted, Extended,
    Completed, Delivered, Withdrawn, Rated, Complained,
)
EVENT_TYPES: tuple[str, ...] = tuple(cls.EVENT_TYPE for cls in EVENT_CLASSES)

AnyEvent = Union[
    Received, Assigned, Returned, Resubmitted, Extended,
    Completed, Delivered, Withdrawn, Rated, Complained,
]

# One decoder, built once: msgspec compiles the type tree into its decode plan here.
DECODER: msgspec.json.Decoder[AnyEvent] = msgspec.json.Decoder(AnyEvent)
