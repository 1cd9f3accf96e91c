"""The second topic's contract (staff-event.schema.json, schema_version 1) as msgspec Structs.

Same approach as model.py (the case events): one tagged union on `event_type`, decoded in C;
required fields, types, enums, lengths and ranges are checked while parsing. What the Structs
cannot say is checked after decoding by `data_problem()` (called by staff_validator.py):
- `data.valid_from` is a JSON Schema "date" (RFC 3339 full-date, YYYY-MM-DD, a real day);
- `data.period` matches ^[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$ (checked without a regex call);
- officer.* events must name the officer: the schema allows `"officer_id": null` (the field is
  shared with the exemptions, where it is the deciding officer), but a position, a departure
  or an assessment of nobody cannot be attributed, so it is invalid_value here.

Defaults of None on non-optional types: the field may be absent, an explicit null is a wrong
type (as in the schema); manager_id alone is `string|null`.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Annotated, ClassVar, Literal, Union

import msgspec
from msgspec import Meta, Struct

from ingestion.contract.model import AgencyCode, CaseId, NonEmptyCode32, OfficerId, Problem, Source
from ingestion.contract.reasons import INVALID_VALUE

Text256 = Annotated[str, Meta(max_length=256)]
Text4000 = Annotated[str, Meta(max_length=4000)]
DecisionRef = Annotated[str, Meta(min_length=1, max_length=128)]
Scope = Literal["lateness", "return"]
POSITION_GROUPS = ("reception", "processing", "leadership", "support")
ASSESSOR_ROLES = ("manager", "peer", "self")

# ASCII digits only: \d would accept other scripts' digits, fromisoformat other ISO forms.
_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def date_problem(text: str, path: str) -> Problem | None:
    """None when `text` is an RFC 3339 full-date naming a real day."""
    if _FULL_DATE.match(text) is None:
        return (INVALID_VALUE, path, f"{text!r} is not a date (YYYY-MM-DD)")
    try:
        date.fromisoformat(text)
    except ValueError as exc:  # 2026-02-30, month 13, year 0
        return (INVALID_VALUE, path, f"{text!r} is not a real day: {exc}")
    return None


def is_period(text: str) -> bool:
    """^[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$ in ECMA-262 terms (no final newline allowed)."""
    n = len(text)
    if n not in (4, 7) or not text[:4].isascii() or not text[:4].isdigit():
        return False
    if n == 4:
        return True
    if text[4] != "-":
        return False
    tail = text[5:]
    if tail[0] == "Q":
        return tail[1] in "1234"
    return tail in _MONTHS


_MONTHS = frozenset(f"{m:02d}" for m in range(1, 13))


class PositionedData(Struct, kw_only=True, gc=False):
    unit_code: NonEmptyCode32
    position_code: NonEmptyCode32
    position_name: Text256 = None  # type: ignore[assignment]
    position_group: Literal["reception", "processing", "leadership", "support"]
    manager_id: OfficerId = None
    valid_from: str
    display_name: Text256 = None  # type: ignore[assignment]  # a public-role name (receipts)


class LeftData(Struct, kw_only=True, gc=False):
    valid_from: str
    reason: Literal["transfer", "retirement", "resignation", "other"] = None  # type: ignore[assignment]


class Criterion(Struct, kw_only=True, gc=False):
    code: NonEmptyCode32
    points: Annotated[float, Meta(ge=0, le=100)]


class AssessedData(Struct, kw_only=True, gc=False):
    period: str
    assessor_id: NonEmptyCode32
    assessor_role: Literal["manager", "peer", "self"]
    criteria: Annotated[list[Criterion], Meta(min_length=1, max_length=50)]
    comment: Text4000 = None  # type: ignore[assignment]


class ExemptionGrantedData(Struct, kw_only=True, gc=False):
    case_id: CaseId
    scope: Scope
    decision_ref: DecisionRef
    reason_code: Literal["force_majeure", "system_outage", "inter_agency_delay", "applicant_caused",
                         "legal_change", "other"]
    reason_text: Text4000 = None  # type: ignore[assignment]


class ExemptionRevokedData(Struct, kw_only=True, gc=False):
    case_id: CaseId
    scope: Scope
    decision_ref: DecisionRef


class StaffEvent(Struct, tag_field="event_type", kw_only=True, gc=False):
    """Envelope shared by the five types; every type requires officer_id (string|null) and data."""

    EVENT_TYPE: ClassVar[str]

    event_id: str  # uuid format: checked by the validator
    schema_version: Union[int, float]
    occurred_at: str
    agency_code: AgencyCode
    source: Source = None  # type: ignore[assignment]
    officer_id: OfficerId

    @property
    def case_id(self) -> str | None:
        return None

    def data_problem(self) -> Problem | None:
        return None


def _officer_problem(officer_id: str | None) -> Problem | None:
    if officer_id is None or not officer_id:
        return (INVALID_VALUE, "$.officer_id", "an officer.* event must name the officer it is about")
    return None


class Positioned(StaffEvent, tag="officer.positioned", kw_only=True):
    EVENT_TYPE: ClassVar[str] = "officer.positioned"
    data: PositionedData

    def data_problem(self) -> Problem | None:
        return _officer_problem(self.officer_id) or date_problem(self.data.valid_from, "$.data.valid_from")


class Left(StaffEvent, tag="officer.left", kw_only=True):
    EVENT_TYPE: ClassVar[str] = "officer.left"
    data: LeftData

    def data_problem(self) -> Problem | None:
        return _officer_problem(self.officer_id) or date_problem(self.data.valid_from, "$.data.valid_from")


class Assessed(StaffEvent, tag="officer.assessed", kw_only=True):
    EVENT_TYPE: ClassVar[str] = "officer.assessed"
    data: AssessedData

    def data_problem(self) -> Problem | None:
        problem = _officer_problem(self.officer_id)
        if problem is not None:
            return problem
        period = self.data.period
        if not is_period(period):
            return (INVALID_VALUE, "$.data.period",
                    f"{period!r} is not a period (2026-03 month, 2026-Q1 quarter or 2026 year)")
        return None


class ExemptionGranted(StaffEvent, tag="case.exemption_granted", kw_only=True):
    EVENT_TYPE: ClassVar[str] = "case.exemption_granted"
    data: ExemptionGrantedData

    @property
    def case_id(self) -> str | None:
        return self.data.case_id


class ExemptionRevoked(StaffEvent, tag="case.exemption_revoked", kw_only=True):
    EVENT_TYPE: ClassVar[str] = "case.exemption_revoked"
    data: ExemptionRevokedData

    @property
    def case_id(self) -> str | None:
        return self.data.case_id


STAFF_EVENT_CLASSES: tuple[type[StaffEvent], ...] = (Positioned, Left, Assessed, ExemptionGranted, ExemptionRevoked)
STAFF_EVENT_TYPES: tuple[str, ...] = tuple(cls.EVENT_TYPE for cls in STAFF_EVENT_CLASSES)

AnyStaffEvent = Union[Positioned, Left, Assessed, ExemptionGranted, ExemptionRevoked]

STAFF_DECODER: msgspec.json.Decoder[AnyStaffEvent] = msgspec.json.Decoder(AnyStaffEvent)
