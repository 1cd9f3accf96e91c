"""One hand-written valid example per event type passes, with the fields the loader writes."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from tests.ingestion.contract.contract_samples import EXAMPLES, NOW

from ingestion.contract import EVENT_TYPES, ValidEvent, validate


def test_the_examples_cover_the_ten_event_types_of_the_contract():
    assert sorted(EXAMPLES) == sorted(EVENT_TYPES)
    assert len(EVENT_TYPES) == 10


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_valid_example_of_each_type_gives_the_expected_fields(event_type):
    text, expected = EXAMPLES[event_type]
    result = validate(text.encode("utf-8"), now=NOW)
    assert result == expected
    assert isinstance(result, ValidEvent) and result.event_type == event_type
    assert result.occurred_at.tzinfo is not None


def test_received_example_field_by_field():
    text, _ = EXAMPLES["case.received"]
    result = validate(text.encode("utf-8"), now=NOW)
    assert isinstance(result, ValidEvent)
    assert result.event_id == "0b7d3c1e-8f2a-4a53-9d0e-2f4c1a9b7e11"
    assert result.event_type == "case.received"
    assert result.schema_version == 1 and type(result.schema_version) is int
    assert result.case_id == "000.00.12.H26-260302-0001"
    assert result.agency_code == "SKHDT"
    assert result.officer_id == "CB0042"
    assert result.occurred_at.isoformat() == "2026-03-02T09:15:00+07:00"
    assert result.occurred_at.utcoffset() == timedelta(hours=7)


def test_valid_event_is_a_frozen_slotted_dataclass():
    _, expected = EXAMPLES["case.rated"]
    assert dataclasses.is_dataclass(expected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        expected.case_id = "other"  # type: ignore[misc]
    assert not hasattr(expected, "__dict__")
    assert [f.name for f in dataclasses.fields(ValidEvent)] == [
        "event_id", "event_type", "schema_version", "case_id", "agency_code", "officer_id", "occurred_at"]
    # Keyword construction works like a generated __init__.
    again = ValidEvent(event_id=expected.event_id, event_type=expected.event_type, schema_version=1,
                       case_id=expected.case_id, agency_code=expected.agency_code,
                       officer_id=None, occurred_at=expected.occurred_at)
    assert again == expected and hash(again) == hash(expected)
