"""validate_staff(): one message value of the staff topic -> ValidEvent (to load) or Rejection.

The second topic's twin of validator.validate(), made by the same validator_for(), so it runs
the same checks in the same order (reasons.py): the byte checks, one msgspec decode into
staff_model's Structs, then the checks msgspec cannot do, the semantic ones (future occurred_at,
before the system start) and the PostgreSQL number limits. Rejected values are classified by
diagnose.py against the staff event types.
"""
from __future__ import annotations

from ingestion.contract.staff_model import STAFF_DECODER, STAFF_EVENT_TYPES
from ingestion.contract.validator import validator_for

validate_staff = validator_for(STAFF_DECODER.decode, frozenset(STAFF_EVENT_TYPES), "validate_staff", """\
Check one staff-topic message value against staff-event.schema.json (schema_version 1).

Same arguments and guarantees as validate(): never raises for any bytes value; raises
NaiveDatetimeError for a naive `now`. ValidEvent.case_id is data.case_id for the
case.exemption_* types and None otherwise.
""")
