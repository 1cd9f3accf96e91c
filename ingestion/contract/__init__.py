"""The event contracts (schema_version 1): fast validators for the two topics' message values.

    from ingestion.contract import validate, validate_staff, ValidEvent, Rejection, REASONS
    result = validate(message.value, now=datetime.now(timezone.utc))        # motcua.case-events
    result = validate_staff(message.value, now=datetime.now(timezone.utc))  # motcua.staff-events

`case-event.schema.json` beside this file is the project's copy of the upstream schema
(described in docs/contracts/case-events.md); a test keeps them identical when the upstream
contract repository is checked out beside this one, and checks that this validator agrees with
the reference JSON Schema validator. Reason classes and their check order: reasons.py.
"""
from __future__ import annotations

from pathlib import Path

from ingestion.contract.model import EVENT_TYPES
from ingestion.contract.reasons import DESCRIPTIONS as REASON_DESCRIPTIONS
from ingestion.contract.reasons import REASONS
from ingestion.contract.results import NaiveDatetimeError, Rejection, ValidEvent
from ingestion.contract.staff_model import STAFF_EVENT_TYPES
from ingestion.contract.staff_validator import validate_staff
from ingestion.contract.validator import validate

SCHEMA_PATH = Path(__file__).with_name("case-event.schema.json")
STAFF_SCHEMA_PATH = Path(__file__).with_name("staff-event.schema.json")

__all__ = [
    "EVENT_TYPES",
    "REASONS",
    "REASON_DESCRIPTIONS",
    "SCHEMA_PATH",
    "STAFF_EVENT_TYPES",
    "STAFF_SCHEMA_PATH",
    "NaiveDatetimeError",
    "Rejection",
    "ValidEvent",
    "validate",
    "validate_staff",
]
