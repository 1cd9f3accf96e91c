"""Determinism, contract validity and lifecycle invariants of the fault-free stream."""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime, time

import pytest

from ingestion.generator import GeneratorConfig, Manifest, generate, select_nights
from ingestion.generator.world import AGENCY_BY_CODE, PROCEDURES
from workcal import WorkCalendar

CONFIG = GeneratorConfig(seed=7, start_date=date(2026, 2, 2), days=45, cases_per_day=120)
OFFSET = re.compile(r"\+07:00\Z")


@pytest.fixture(scope="module")
def messages():
    return list(generate(CONFIG))


@pytest.fixture(scope="module")
def cases(messages):
    by_case = defaultdict(list)
    for m in messages:
        event = json.loads(m.value)
        by_case[event["case_id"]].append(event)
    for events in by_case.values():
        events.sort(key=lambda e: e["occurred_at"])  # all +07:00: string order is time order
    return by_case


def test_same_seed_same_bytes_other_seed_other_bytes(messages) -> None:
    again = list(generate(CONFIG))
    assert [(m.key, m.value, m.arrival_day) for m in again] == [(m.key, m.value, m.arrival_day) for m in messages]
    other = list(generate(GeneratorConfig(seed=8, start_date=CONFIG.start_date, days=45, cases_per_day=120)))
    assert [m.value for m in other[:50]] != [m.value for m in messages[:50]]
    # A longer window keeps the earlier days' cases: the first night is identical.
    longer = list(select_nights(generate(GeneratorConfig(seed=7, start_date=CONFIG.start_date, days=60,
                                                         cases_per_day=120)), night=CONFIG.start_date))
    assert [m.value for m in longer] == [m.value for m in messages if m.arrival_day == CONFIG.start_date]


def test_all_valid_and_contract_conformant(messages, schema_validator) -> None:
    assert Manifest(messages).as_dict() == {"valid": len(messages)}
    ids = Counter()
    for m in messages[:3000]:
        event = json.loads(m.value.decode("utf-8"))
        errors = sorted(schema_validator.iter_errors(event), key=str)
        assert not errors, (event, errors[0].message)
        assert m.key == event["case_id"].encode()
        assert OFFSET.search(event["occurred_at"]) and event["schema_version"] == 1
        assert m.occurred_on == date.fromisoformat(event["occurred_at"][:10]) == m.arrival_day
    for m in messages:
        ids[json.loads(m.value)["event_id"]] += 1
    assert max(ids.values()) == 1
    # Production order: nights ascending, and nothing on or after the window's end.
    assert [m.arrival_day for m in messages] == sorted(m.arrival_day for m in messages)
    assert max(m.occurred_on for m in messages) < CONFIG.end_date


def test_case_lifecycle_invariants(cases) -> None:
    cal = WorkCalendar()
    procedures = {p.code: p for p in PROCEDURES}
    returns_twice = withdrawn = returned = completed = late = promised_later = 0
    for case_id, events in cases.items():
        kinds = [e["event_type"] for e in events]
        assert kinds[0] == "case.received" and kinds.count("case.received") == 1, case_id
        received = events[0]
        at = datetime.fromisoformat(received["occurred_at"])
        assert cal.is_working_time(at), received
        # Office hours by hand: 08:00-12:00 or 13:00-17:00.
        assert time(8) <= at.time() < time(12) or time(13) <= at.time() < time(17)
        data = received["data"]
        proc = procedures[data["procedure_code"]]
        assert proc.agency_code == received["agency_code"] and data["processing_days"] == proc.processing_days
        assert re.fullmatch(r"[0-9]{12}", data["applicant"]["id_number"])
        legal = cal.add_working_days(at, proc.processing_days, cutoff=proc.cutoff)
        assert datetime.fromisoformat(data["due_at"]) >= legal
        promised_later += datetime.fromisoformat(data["due_at"]) > legal
        agency = AGENCY_BY_CODE[received["agency_code"]]
        for e in events:
            if e["event_type"] == "case.assigned":
                assert e["data"]["to_officer_id"] in {o.officer_id for o in agency.handlers}
        assert kinds.count("case.completed") <= 1
        returned += "case.returned" in kinds
        returns_twice += kinds.count("case.returned") == 2
        assert kinds.count("case.returned") <= 2
        assert kinds.count("case.resubmitted") <= kinds.count("case.returned")
        if "case.withdrawn" in kinds:
            withdrawn += 1
            assert not {"case.completed", "case.delivered", "case.rated"} & set(kinds), case_id
        if "case.completed" in kinds:
            completed += 1
            done = events[kinds.index("case.completed")]
            assert done["occurred_at"] > received["occurred_at"]
            if "case.returned" not in kinds and datetime.fromisoformat(done["occurred_at"]) > datetime.fromisoformat(data["due_at"]):
                late += 1
        if "case.delivered" in kinds:
            assert kinds.index("case.delivered") > kinds.index("case.completed")
        if "case.rated" in kinds:
            assert kinds.index("case.rated") > kinds.index("case.delivered")
    n = len(cases)
    assert n == 28 * 120  # working days of the window x cases per day (see test_working_days_drive_volume)
    assert 0.03 < returned / n < 0.15
    assert 0 < returns_twice <= max(3, 0.01 * n)
    assert 0.005 < withdrawn / n < 0.05
    assert 0.005 < late / completed < 0.10
    assert 0 < promised_later <= 0.02 * n  # rare receipts promising more than the law allows


def test_working_days_drive_volume(messages) -> None:
    # 2 Feb .. 18 Mar 2026 (45 days): weekdays = 33; Tết Mon 16 .. Fri 20 Feb off -> 28 working
    # days; 28 x 120 = 3,360 receipts exactly, none on weekends or Tết.
    receipts = [m for m in messages if b'"case.received"' in m.value]
    assert len(receipts) == 28 * 120
    days = {m.occurred_on for m in receipts}
    assert all(d.weekday() < 5 for d in days)
    assert not days & {date(2026, 2, d) for d in range(14, 23)}


def test_officers_differ_and_ratings_skew_high(cases) -> None:
    per_handler = defaultdict(lambda: [0, 0])  # completed, late (no returns)
    scores = []
    for events in cases.values():
        kinds = [e["event_type"] for e in events]
        if "case.completed" in kinds and "case.returned" not in kinds:
            done = events[kinds.index("case.completed")]
            due = events[0]["data"]["due_at"]
            per_handler[done["officer_id"]][0] += 1
            per_handler[done["officer_id"]][1] += datetime.fromisoformat(done["occurred_at"]) > datetime.fromisoformat(due)
        scores += [e["data"]["score"] for e in events if e["event_type"] == "case.rated"]
    rates = [late / done for done, late in per_handler.values() if done >= 40]
    assert min(rates) < 0.02 and max(rates) > 0.05
    assert sum(scores) / len(scores) > 4.0 and set(scores) == {1, 2, 3, 4, 5}


def test_background_process_yields_the_same_stream() -> None:
    import multiprocessing

    from ingestion.generator.background import generate_in_background

    small = GeneratorConfig(seed=3, start_date=date(2026, 3, 2), days=6, cases_per_day=25)
    assert list(generate_in_background(small, chunk=100)) == list(generate(small))
    night = date(2026, 3, 4)
    assert list(generate_in_background(small, night=night)) == [m for m in generate(small) if m.arrival_day == night]
    stream = generate_in_background(GeneratorConfig(seed=3, days=200, cases_per_day=500), chunk=50)
    assert len([m for _, m in zip(range(10), stream)]) == 10
    stream.close()  # an early stop must not leave the worker running
    assert not [p for p in multiprocessing.active_children() if p.name == "motcua-generator"]


def test_agency_subset() -> None:
    config = GeneratorConfig(seed=7, start_date=date(2026, 3, 2), days=5, cases_per_day=20, agencies=("STP",))
    events = [json.loads(m.value) for m in generate(config)]
    assert events and {e["agency_code"] for e in events} == {"STP"}
    assert {e["source"] for e in events} == {"motcua.stp.hanoi"}
    assert all(e["case_id"].startswith("000.00.15.H26-2603") for e in events)
