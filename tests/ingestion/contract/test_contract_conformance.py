"""Our compiled validator agrees with the reference JSON Schema validator on the schema copy.

Reference: jsonschema's Draft 2020-12 validator with format checking (uuid, and date-time
through rfc3339-validator) on ingestion/contract/case-event.schema.json. Each document is also
labelled by hand, so both sides are checked against a human reading of the contract.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import msgspec.inspect as mi
import pytest
from tests.ingestion.contract.contract_samples import EXAMPLES, NOW, doc, reference_validator

from ingestion.contract import EVENT_TYPES, SCHEMA_PATH, Rejection, ValidEvent, validate
from ingestion.contract import model

ROOT = Path(__file__).resolve().parents[3]
UPSTREAM = ROOT.parent / "shared" / "contract" / "case-event.schema.json"
DELETE = object()


REFERENCE = reference_validator()


def variant(event_type: str, *edits: tuple[str, Any]) -> dict[str, Any]:
    """The example of `event_type` with edits ("data.score", 4.0); DELETE removes the key."""
    document = doc(event_type)
    for path, value in edits:
        *parents, key = path.split(".")
        target = document
        for parent in parents:
            target = target[parent]
        if value is DELETE:
            del target[key]
        else:
            target[key] = value
    return document


VALID: dict[str, Any] = {f"example {t}": doc(t) for t in EVENT_TYPES}
VALID.update({
    "received officer null": variant("case.received", ("officer_id", None)),
    "received 9-digit id": variant("case.received", ("data.applicant.id_number", "012345678")),
    "received minimal data": variant("case.received", ("data.applicant", DELETE),
                                     ("data.procedure_name", DELETE), ("data.sector_code", DELETE)),
    "received half a day": variant("case.received", ("data.processing_days", 0.5)),
    "received 365 days": variant("case.received", ("data.processing_days", 365)),
    "received empty applicant": variant("case.received", ("data.applicant", {})),
    "received postal": variant("case.received", ("data.channel", "postal")),
    "assigned no department": variant("case.assigned", ("data.department_code", DELETE)),
    "returned other, no text": variant("case.returned", ("data.reason_code", "other"), ("data.reason_text", DELETE)),
    "resubmitted with data": variant("case.resubmitted", ("data", {"files": ["a.pdf"]})),
    "extended due in UTC": variant("case.extended", ("data.new_due_at", "2026-03-09T10:00:00Z")),
    "completed refused 2000": variant("case.completed", ("data.outcome", "refused"), ("data.reason_text", "ế" * 2000)),
    "rated 4.0": variant("case.rated", ("data.score", 4.0)),
    "rated 1 with emoji": variant("case.rated", ("data.score", 1), ("data.comment", "😀" * 2000)),
    "complained other 4000": variant("case.complained", ("data.category", "other"), ("data.text", "x" * 4000)),
    "withdrawn by officer": variant("case.withdrawn", ("officer_id", "CB0001")),
    "upper-case uuid": variant("case.delivered", ("event_id", "6B7C8D9E-0F1A-4B2C-9D4E-5F60718293A4")),
    "nil uuid": variant("case.delivered", ("event_id", "00000000-0000-0000-0000-000000000000")),
    "fraction and -05:00": variant("case.delivered", ("occurred_at", "2026-03-06T03:00:00.123456789-05:00")),
    "lower-case t and z": variant("case.delivered", ("occurred_at", "2026-03-06t08:00:00z")),
    "lower-case t, offset": variant("case.delivered", ("occurred_at", "2026-03-06t15:00:00+07:00")),
    "-00:00": variant("case.delivered", ("occurred_at", "2026-03-06T08:00:00-00:00")),
    "leap day": variant("case.delivered", ("occurred_at", "2024-02-29T00:00:00+00:00")),
    "schema_version 1.0": variant("case.delivered", ("schema_version", 1.0)),
    "max lengths": variant("case.assigned", ("case_id", "c" * 64), ("agency_code", "a" * 32),
                           ("source", "s" * 128), ("officer_id", "o" * 32), ("data.to_officer_id", "t" * 32)),
    "extra fields": variant("case.received", ("trace", {"span": [1, {"x": None}]}), ("data.fee", 0),
                            ("data.applicant.email", "a@b.vn")),
})

INVALID: dict[str, Any] = {
    "no event_id": variant("case.delivered", ("event_id", DELETE)),
    "event_id not uuid": variant("case.delivered", ("event_id", "evt-42")),
    "event_id without dashes": variant("case.delivered", ("event_id", "6b7c8d9e0f1a4b2c9d4e5f60718293a4")),
    "event_id in braces": variant("case.delivered", ("event_id", "{6b7c8d9e-0f1a-4b2c-9d4e-5f60718293a4}")),
    "event_id number": variant("case.delivered", ("event_id", 42)),
    "unknown event_type": variant("case.delivered", ("event_type", "case.archived")),
    "no event_type": variant("case.delivered", ("event_type", DELETE)),
    "schema_version 2": variant("case.delivered", ("schema_version", 2)),
    "schema_version '1'": variant("case.delivered", ("schema_version", "1")),
    "schema_version true": variant("case.delivered", ("schema_version", True)),
    "no offset": variant("case.delivered", ("occurred_at", "2026-03-06T15:00:00")),
    "impossible date": variant("case.delivered", ("occurred_at", "2026-02-30T15:00:00+07:00")),
    "space separator": variant("case.delivered", ("occurred_at", "2026-03-06 15:00:00+07:00")),
    "offset without colon": variant("case.delivered", ("occurred_at", "2026-03-06T15:00:00+0700")),
    "leap second": variant("case.delivered", ("occurred_at", "2016-12-31T23:59:60Z")),
    "date only": variant("case.delivered", ("occurred_at", "2026-03-06")),
    "empty fraction": variant("case.delivered", ("occurred_at", "2026-03-06T15:00:00.+07:00")),
    "empty case_id": variant("case.delivered", ("case_id", "")),
    "case_id 65": variant("case.delivered", ("case_id", "c" * 65)),
    "no agency_code": variant("case.delivered", ("agency_code", DELETE)),
    "source null": variant("case.delivered", ("source", None)),
    "officer_id 33": variant("case.delivered", ("officer_id", "o" * 33)),
    "received without officer_id key": variant("case.received", ("officer_id", DELETE)),
    "received without data": variant("case.received", ("data", DELETE)),
    "received channel phone": variant("case.received", ("data.channel", "phone")),
    "received 0 days": variant("case.received", ("data.processing_days", 0)),
    "received 366 days": variant("case.received", ("data.processing_days", 366)),
    "received days as text": variant("case.received", ("data.processing_days", "3")),
    "received days true": variant("case.received", ("data.processing_days", True)),
    "received due_at without offset": variant("case.received", ("data.due_at", "2026-03-05T09:15:00")),
    "received 10-digit id": variant("case.received", ("data.applicant.id_number", "0123456789")),
    "received id with a letter": variant("case.received", ("data.applicant.id_number", "00109001234A")),
    "received applicant null": variant("case.received", ("data.applicant", None)),
    "received name 257": variant("case.received", ("data.applicant.full_name", "n" * 257)),
    "received empty procedure": variant("case.received", ("data.procedure_code", "")),
    "assigned empty to_officer": variant("case.assigned", ("data.to_officer_id", "")),
    "returned bad reason": variant("case.returned", ("data.reason_code", "other_reason")),
    "extended without new_due_at": variant("case.extended", ("data.new_due_at", DELETE)),
    "extended new_due_at number": variant("case.extended", ("data.new_due_at", 20260309)),
    "completed outcome ok": variant("case.completed", ("data.outcome", "ok")),
    "rated 4.5": variant("case.rated", ("data.score", 4.5)),
    "rated 0": variant("case.rated", ("data.score", 0)),
    "rated true": variant("case.rated", ("data.score", True)),
    "rated comment 2001": variant("case.rated", ("data.comment", "c" * 2001)),
    "complained text 4001": variant("case.complained", ("data.text", "t" * 4001)),
    "complained no category": variant("case.complained", ("data.category", DELETE)),
    "resubmitted data null": variant("case.resubmitted", ("data", None)),
    "delivered data array": variant("case.delivered", ("data", [])),
    "top-level array": [doc("case.delivered")],
    "top-level string": "case.delivered",
}
# Text-level documents (not expressible as Python values for json.dumps).
INVALID_TEXT = {
    "days 1e400": EXAMPLES["case.received"][0].replace('"processing_days": 3', '"processing_days": 1e400'),
}


def ours(text: str) -> bool:
    result = validate(text.encode("utf-8"), now=NOW)
    assert isinstance(result, (ValidEvent, Rejection))
    return isinstance(result, ValidEvent)


def corpus() -> list[tuple[str, str, bool]]:
    rows = [(name, json.dumps(d, ensure_ascii=False), True) for name, d in VALID.items()]
    rows += [(name, json.dumps(d, ensure_ascii=False), False) for name, d in INVALID.items()]
    rows += [(name, text, False) for name, text in INVALID_TEXT.items()]
    return rows


def test_the_corpus_is_big_enough():
    rows = corpus()
    assert sum(valid for *_, valid in rows) >= 20 and sum(not valid for *_, valid in rows) >= 20
    assert len(rows) >= 40


@pytest.mark.parametrize("name,text,expected", corpus(), ids=[row[0] for row in corpus()])
def test_reference_and_ours_agree_with_the_hand_label(name, text, expected):
    assert REFERENCE.is_valid(json.loads(text)) is expected, "the reference disagrees with the label"
    assert ours(text) is expected, validate(text.encode(), now=NOW)


# --- deliberate differences, each for a reason the schema cannot express ----------------------

@pytest.mark.parametrize("text,reason", [
    # The schema has no clock; the pipeline refuses events from the future (producer clock bugs).
    (json.dumps(variant("case.delivered", ("occurred_at", "2030-01-01T00:00:00Z"))), "future_timestamp"),
    # PostgreSQL jsonb cannot store U+0000.
    (json.dumps(variant("case.delivered", ("note", "a\u0000b"))), "nul_character"),
    # A lone surrogate is not Unicode; Python's json accepts it, msgspec and PostgreSQL do not.
    (json.dumps(variant("case.delivered", ("note", "\ud800"))), "invalid_json"),
    # PostgreSQL cannot cast offsets beyond +-15:59; the loader and dbt cast timestamps.
    (json.dumps(variant("case.delivered", ("occurred_at", "2026-03-06T23:00:00+16:00"))), "invalid_timestamp"),
    # ECMA-262 `$` is the end of input; Python's `$` (used by jsonschema) also matches before "\n".
    (json.dumps(variant("case.received", ("data.applicant.id_number", "001090012345\n"))), "invalid_value"),
    # Two different event_type keys: Python's json keeps the last, and so would PostgreSQL's jsonb;
    # msgspec picks the type from the first. Ambiguous, so rejected.
    (json.dumps(doc("case.delivered"))[:-1] + ', "event_type": "case.withdrawn"}', "invalid_value"),
])
def test_known_deliberate_differences_from_the_reference(text, reason):
    assert REFERENCE.is_valid(json.loads(text))
    result = validate(text.encode("utf-8"), now=NOW)
    assert isinstance(result, Rejection) and result.reason == reason


# --- the schema copy and the Structs follow the upstream schema ---------------------------------

def test_schema_copy_is_identical_to_upstream_when_present():
    ours_bytes = SCHEMA_PATH.read_bytes()
    jsonschema.Draft202012Validator.check_schema(json.loads(ours_bytes))
    if UPSTREAM.exists():  # the upstream contract repository, checked out beside this one
        assert ours_bytes == UPSTREAM.read_bytes(), "update ingestion/contract/ from the upstream contract"


def _then_clauses(schema: dict) -> dict[str, dict]:
    return {c["if"]["properties"]["event_type"]["const"]: c["then"] for c in schema["allOf"]}


def _check_property(name: str, rule: dict, field_type: Any) -> None:
    if isinstance(field_type, mi.UnionType):  # officer_id: str | None
        assert rule.get("type") == ["string", "null"], name
        (field_type,) = [t for t in field_type.types if not isinstance(t, mi.NoneType)]
    if "enum" in rule:
        assert isinstance(field_type, mi.LiteralType) and set(field_type.values) == set(rule["enum"]), name
    if "maxLength" in rule or "minLength" in rule:
        assert isinstance(field_type, mi.StrType), name
        assert (field_type.max_length, field_type.min_length) == (rule.get("maxLength"), rule.get("minLength")), name
    if rule.get("type") == "number":
        assert isinstance(field_type, mi.FloatType), name
        assert (field_type.gt, field_type.le) == (rule.get("exclusiveMinimum"), rule.get("maximum")), name
    if rule.get("type") == "integer":  # decoded as a float, integrality checked after
        assert isinstance(field_type, mi.FloatType), name
        assert (field_type.ge, field_type.le) == (rule.get("minimum"), rule.get("maximum")), name
    if "format" in rule or "pattern" in rule:  # checked in Python after decoding
        assert isinstance(field_type, mi.StrType) and field_type.pattern is None, name


def test_structs_mirror_the_schema_copy():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert tuple(schema["properties"]["event_type"]["enum"]) == EVENT_TYPES
    then = _then_clauses(schema)
    for cls in model.EVENT_CLASSES:
        info = mi.type_info(cls)
        fields = {f.name: f for f in info.fields}
        assert info.tag_field == "event_type" and info.tag == cls.EVENT_TYPE
        assert not info.forbid_unknown_fields
        clause = then.get(cls.EVENT_TYPE, {})
        required = set(schema["required"]) | set(clause.get("required", ()))
        assert {n for n, f in fields.items() if f.required} == required - {"event_type"}, cls
        for name, rule in schema["properties"].items():
            if name not in ("event_type", "schema_version", "data"):
                _check_property(name, rule, fields[name].type)
        data_rule = clause.get("properties", {}).get("data")
        data_info = fields["data"].type
        if data_rule is None:
            assert data_info.cls is model.AnyObject and not data_info.fields
            continue
        data_fields = {f.name: f for f in data_info.fields}
        assert set(data_fields) == set(data_rule["properties"]), cls
        assert {n for n, f in data_fields.items() if f.required} == set(data_rule["required"]), cls
        for name, rule in data_rule["properties"].items():
            if name == "applicant":
                sub = {f.name: f for f in data_fields[name].type.fields}
                assert set(sub) == set(rule["properties"]) and not any(f.required for f in sub.values())
                for sub_name, sub_rule in rule["properties"].items():
                    _check_property(sub_name, sub_rule, sub[sub_name].type)
            else:
                _check_property(name, rule, data_fields[name].type)


def test_the_structs_check_notices_a_drift():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    drifted = copy.deepcopy(_then_clauses(schema)["case.rated"]["properties"]["data"]["properties"]["score"])
    drifted["maximum"] = 10
    with pytest.raises(AssertionError):
        _check_property("score", drifted, {f.name: f for f in mi.type_info(model.RatedData).fields}["score"].type)
