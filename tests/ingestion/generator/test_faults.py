"""Each fault class: present with its label when enabled, absent when not, and really faulty."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from dataclasses import fields
from datetime import date, datetime, timedelta

import pytest

from ingestion.generator import (
    ALL_LABELS, DISTINCT_VALID_LABELS, SCHEMA_INVALID_LABELS, FaultConfigError, FaultRates, GeneratorConfig,
    Manifest, generate,
)
from ingestion.generator.dump import read_jsonl, write_jsonl
from ingestion.generator.faults import MALFORMED_SPREAD

ROOT = __import__("pathlib").Path(__file__).resolve().parents[3]
BASE = dict(seed=11, start_date=date(2026, 3, 2), days=12, cases_per_day=40)
FAULT_NAMES = [f.name for f in fields(FaultRates) if f.name != "long_gap_share"]
LABEL_OF = {"duplicate": "duplicate", "conflict": "conflict"}  # other fault names equal their label
REQUIRED = ("event_id", "event_type", "schema_version", "occurred_at", "case_id", "agency_code")
DATA_REQUIRED = {"case.received": "due_at", "case.completed": "outcome", "case.returned": "reason_code",
                 "case.rated": "score", "case.assigned": "to_officer_id"}
EVENT_TYPES = {"case.received", "case.assigned", "case.returned", "case.resubmitted", "case.extended",
               "case.completed", "case.delivered", "case.withdrawn", "case.rated", "case.complained"}


@pytest.fixture(scope="module")
def clean():
    return list(generate(GeneratorConfig(**BASE)))


@pytest.mark.parametrize("name", FAULT_NAMES)
def test_each_fault_alone(name: str, clean) -> None:
    rate = 0.01 if name == "too_large" else 0.08
    messages = list(generate(GeneratorConfig(**BASE, faults=FaultRates(**{name: rate}))))
    labels = Manifest(messages).counts
    label = LABEL_OF.get(name, name)
    assert labels[label] > 0, labels
    assert set(labels) <= {"valid", label}, labels
    # Faults draw from their own random stream: valid events are those of the clean run.
    clean_values = {m.value for m in clean}
    assert all(m.value in clean_values for m in messages if m.label in DISTINCT_VALID_LABELS)
    replaced = name in ("impossible_time_order", "future_timestamp")
    assert Manifest(messages).distinct_valid + (labels[label] if replaced else 0) == len(clean)


def test_no_faults_means_only_valid(clean) -> None:
    assert Manifest(clean).as_dict() == {"valid": len(clean)}
    assert not FaultRates().any


@pytest.fixture(scope="module")
def faulty():
    rates = FaultRates.build(0.1, duplicate=0.05, out_of_order=0.1, late=0.05, too_large=0.005)
    return list(generate(GeneratorConfig(**BASE, faults=rates)))


def _decode(value: bytes):
    return json.loads(value.decode("utf-8"))


def test_every_label_present_and_schema_verdicts(faulty, schema_validator) -> None:
    counts = Manifest(faulty).counts
    assert set(counts) == set(ALL_LABELS), set(ALL_LABELS) - set(counts)
    for m in faulty:
        if m.label in SCHEMA_INVALID_LABELS:
            try:
                event = _decode(m.value)
            except (UnicodeDecodeError, ValueError):
                continue  # not UTF-8 or not JSON: invalid by construction
            assert not schema_validator.is_valid(event), (m.label, m.value[:300])
        else:
            assert schema_validator.is_valid(_decode(m.value)), (m.label, m.value[:300])


def test_fault_semantics(faulty) -> None:
    first_seen: dict[bytes, int] = {}
    by_event_id: dict[str, tuple[int, bytes]] = {}
    received_at: dict[str, datetime] = {}
    positions = defaultdict(list)
    for i, m in enumerate(faulty):
        positions[m.key].append((i, m))
        if m.label in DISTINCT_VALID_LABELS:
            event = _decode(m.value)
            first_seen.setdefault(m.value, i)
            by_event_id[event["event_id"]] = (i, m.value)
            if event["event_type"] == "case.received":
                received_at[event["case_id"]] = datetime.fromisoformat(event["occurred_at"])
    long_gaps = 0
    for i, m in enumerate(faulty):
        if m.label == "duplicate":
            assert first_seen[m.value] < i  # byte-identical redelivery of an earlier event
            long_gaps += m.arrival_day > m.occurred_on + timedelta(days=1)
        elif m.label == "conflict":
            original_at, original = by_event_id[_decode(m.value)["event_id"]]
            assert original_at < i and original != m.value
        elif m.label == "late":
            assert m.arrival_day > m.occurred_on
        elif m.label == "out_of_order":
            same_case = [j for j, other in positions[m.key] if other.label in DISTINCT_VALID_LABELS]
            assert same_case[-1] == i and len(same_case) > 1  # the receipt is the case's last event
        elif m.label == "impossible_time_order":
            event = _decode(m.value)
            assert event["event_type"] in ("case.completed", "case.delivered", "case.rated")
            assert datetime.fromisoformat(event["occurred_at"]) < received_at[event["case_id"]]
        elif m.label == "future_timestamp":
            assert m.occurred_on > m.arrival_day + timedelta(days=5 * 365 - 2)
        elif m.label == "too_large":
            assert 1_048_576 < len(m.value) < 2_000_000
        elif m.label == "invalid_utf8":
            with pytest.raises(UnicodeDecodeError):
                m.value.decode("utf-8")
        elif m.label == "timestamp_without_offset":
            assert len(_decode(m.value)["occurred_at"]) == 19  # YYYY-MM-DDTHH:MM:SS
        elif m.label == "nul_character":
            assert b"\\u0000" in m.value
        elif m.label == "missing_field":
            event = _decode(m.value)
            needed = DATA_REQUIRED.get(event.get("event_type"))
            assert any(f not in event for f in REQUIRED) or (needed and needed not in event["data"])
        elif m.label == "unknown_event_type":
            assert _decode(m.value)["event_type"] not in EVENT_TYPES
        if m.label not in DISTINCT_VALID_LABELS | {"duplicate", "conflict"}:
            assert m.key.decode()  # every message keeps its case key
    assert long_gaps > 0
    assert [m.arrival_day for m in faulty] == sorted(m.arrival_day for m in faulty)


def test_fault_rate_validation() -> None:
    with pytest.raises(FaultConfigError):
        FaultRates(duplicate=1.5)
    with pytest.raises(FaultConfigError):
        FaultRates.build(0.1, not_a_fault=0.1)
    spread = FaultRates.build(0.1, wrong_type=0.5)
    assert spread.wrong_type == 0.5
    assert spread.invalid_json == pytest.approx(0.1 / len(MALFORMED_SPREAD))
    assert spread.duplicate == 0 and spread.too_large == 0


def test_jsonl_round_trip_and_cli_dry_run(tmp_path, faulty) -> None:
    path = tmp_path / "m.jsonl"
    assert list(write_jsonl(faulty, path)) == faulty
    assert list(read_jsonl(path)) == faulty
    out = tmp_path / "cli.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "ingestion.generator", "--seed", "11", "--start", "2026-03-02", "--days", "12",
         "--cases-per-day", "40", "--malformed", "0.1", "--duplicates", "0.05", "--out-of-order", "0.1",
         "--late", "0.05", "--huge", "0.005", "--dry-run", "--quiet", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, check=True)
    summary = json.loads(result.stdout)
    # the CLI maps its flags onto the same config; its staff events (on by default) change no case message
    assert [m for m in read_jsonl(out) if m.stream == "case"] == faulty
    assert summary["by_label"] == Manifest(faulty).as_dict()
    assert summary["distinct_valid"] == Manifest(faulty).distinct_valid
