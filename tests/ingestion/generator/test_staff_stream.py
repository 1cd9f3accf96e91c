"""The generator's staff stream: positions for every officer in the case events, realistic
contents, every malformed class of the staff contract, determinism, case stream untouched."""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from ingestion.contract.results import Rejection, ValidEvent
from ingestion.contract.staff_validator import validate_staff
from ingestion.generator import FaultRates, GeneratorConfig, Manifest, generate
from ingestion.generator.world import AGENCY_BY_CODE

ROOT = Path(__file__).resolve().parents[3]
# Two months, every agency; a busy enough intake for a few plainly late cases.
CONFIG = GeneratorConfig(seed=5, start_date=date(2026, 1, 5), days=62, cases_per_day=150, staff=True,
                         staff_malformed=0.06, faults=FaultRates(duplicate=0.02))
NOW = datetime(2026, 11, 30, tzinfo=timezone.utc)
# Labels of the broken staff copies and the quarantine reason each must get (reasons.py)
BROKEN = {"invalid_json": "invalid_json", "wrong_type": "wrong_type", "unknown_event_type": "unknown_event_type",
          "missing_field": "missing_field", "invalid_value": "invalid_value",
          "timestamp_without_offset": "timestamp_without_offset", "invalid_utf8": "invalid_utf8",
          "nul_character": "nul_character", "future_timestamp": "future_timestamp",
          "before_system_start": "before_system_start", "unsupported_schema_version": "unsupported_schema_version",
          "number_out_of_range": "number_out_of_range", "empty_value": "empty_value",
          "too_large": "too_large"}


@pytest.fixture(scope="module")
def messages():
    return list(generate(CONFIG))


@pytest.fixture(scope="module")
def staff(messages):
    """The valid staff events, in production order."""
    return [json.loads(m.value) for m in messages if m.stream == "staff" and m.label == "valid"]


@pytest.fixture(scope="module")
def cases(messages):
    return [json.loads(m.value) for m in messages if m.stream == "case"]


def test_every_officer_in_the_case_events_has_a_position(cases, staff):
    acting = {e["officer_id"] for e in cases if e.get("officer_id")}
    acting |= {e["data"]["to_officer_id"] for e in cases if e["event_type"] == "case.assigned"}
    positioned = {e["officer_id"] for e in staff if e["event_type"] == "officer.positioned"}
    assert len(acting) == 60  # every desk officer and handler of the world's five agencies
    assert acting - positioned == set()
    # ... in the agency where they act, from before their first case event
    first_position = {}
    for e in staff:
        if e["event_type"] == "officer.positioned":
            first_position.setdefault(e["officer_id"], e)
    for e in cases:
        if e.get("officer_id"):
            position = first_position[e["officer_id"]]
            assert position["agency_code"] == e["agency_code"]
            assert position["data"]["valid_from"] <= e["occurred_at"][:10]


def test_position_groups_follow_what_officers_do(staff):
    positions = [e for e in staff if e["event_type"] == "officer.positioned"]
    officers = {o.officer_id: o for a in AGENCY_BY_CODE.values() for o in a.officers}
    for e in positions:
        officer = officers.get(e["officer_id"])
        if officer is not None:
            assert e["data"]["position_group"] == ("reception" if officer.role == "desk" else "processing")
            assert e["data"]["unit_code"] == officer.department_code
    initial = [e for e in positions if e["data"]["valid_from"] == "2026-01-01"]  # from the quarter's start
    leaders = Counter((e["agency_code"], e["data"]["unit_code"]) for e in initial
                      if e["data"]["position_group"] == "leadership")
    units = {(e["agency_code"], e["data"]["unit_code"]) for e in initial}
    assert set(leaders) == units and set(leaders.values()) == {1}  # one leader per unit
    assert Counter(e["data"]["position_group"] for e in initial)["support"] == 5  # one per agency
    # everyone but the heads of agency has a manager, who holds a position in the same agency
    posted = {(e["agency_code"], e["officer_id"]) for e in initial}
    heads = [e for e in initial if e["data"]["manager_id"] is None]
    assert {e["data"]["unit_code"] for e in heads} == {"BGD"} and len(heads) == 5
    assert all((e["agency_code"], e["data"]["manager_id"]) in posted for e in initial if e["data"]["manager_id"])


def test_transfers_leave_one_agency_and_start_in_another_the_same_day(staff):
    left = [e for e in staff if e["event_type"] == "officer.left"]
    assert len(left) == 3  # agencies 1, 3 and 5 send their support officer to the next one
    for e in left:
        assert e["data"]["reason"] == "transfer"
        new = [p for p in staff if p["event_type"] == "officer.positioned" and p["officer_id"] == e["officer_id"]
               and p["data"]["valid_from"] == e["data"]["valid_from"]]
        assert len(new) == 1 and new[0]["agency_code"] != e["agency_code"]
        assert new[0]["occurred_at"] > e["occurred_at"]
        assert "2026-01-15" < e["data"]["valid_from"] < "2026-02-28"  # mid-window, in the quarter


def test_assessments_monthly_quarterly_corrected_peer_and_self(staff):
    assessed = [e for e in staff if e["event_type"] == "officer.assessed"]
    roles = Counter(e["data"]["assessor_role"] for e in assessed)
    assert roles["manager"] > roles["self"] > roles["peer"] > 0
    periods = Counter(e["data"]["period"] for e in assessed if e["data"]["assessor_role"] == "manager")
    # the window ends on 8 March: February's come 2-6 March, March's are not due yet; the 10% of
    # officers assessed per quarter wait for the end of Q1
    assert set(periods) == {"2026-01", "2026-02"} and periods["2026-01"] > 50
    for e in assessed:
        assert [c["code"] for c in e["data"]["criteria"]] == ["compliance", "coordination", "service_attitude"]
        assert all(0 <= c["points"] <= 10 for c in e["data"]["criteria"])
    versions = defaultdict(list)
    for e in assessed:
        versions[(e["officer_id"], e["data"]["period"], e["data"]["assessor_id"])].append(e["occurred_at"])
    corrected = [v for v in versions.values() if len(v) > 1]
    assert corrected and all(len(v) == 2 and v[1] > v[0] for v in corrected)
    # some officers are assessed per quarter instead: their quarter comes after the window's end
    long = list(generate(GeneratorConfig(seed=5, start_date=date(2026, 1, 5), days=100, cases_per_day=0,
                                         staff=True)))
    quarterly = [json.loads(m.value) for m in long if b'"2026-Q1"' in m.value]
    assert quarterly and all(e["data"]["assessor_role"] in ("manager", "self", "peer") for e in quarterly)
    monthly_officers = {json.loads(m.value)["officer_id"] for m in long if b'"period":"2026-01"' in m.value}
    assert {e["officer_id"] for e in quarterly if e["data"]["assessor_role"] == "manager"}.isdisjoint(monthly_officers)


def test_exemptions_for_late_cases_and_one_revocation(cases, staff):
    granted = [e for e in staff if e["event_type"] == "case.exemption_granted"]
    revoked = [e for e in staff if e["event_type"] == "case.exemption_revoked"]
    assert granted and len(revoked) == 1
    by_case = defaultdict(dict)
    for e in cases:
        by_case[e["case_id"]][e["event_type"]] = e
    for e in granted:
        case = by_case[e["data"]["case_id"]]
        completed = datetime.fromisoformat(case["case.completed"]["occurred_at"])
        assert completed > datetime.fromisoformat(case["case.received"]["data"]["due_at"])  # really late
        assert e["data"]["scope"] == "lateness" and e["occurred_at"] > case["case.completed"]["occurred_at"]
    assert revoked[0]["data"]["decision_ref"] in {e["data"]["decision_ref"] for e in granted}


def test_valid_staff_events_conform_to_the_schema_and_the_loader(staff):
    schema = json.loads((ROOT / "ingestion" / "contract" / "staff-event.schema.json").read_text(encoding="utf-8"))
    checker = Draft202012Validator(schema, format_checker=FormatChecker())
    assert Counter(e["event_type"] for e in staff).keys() == {
        "officer.positioned", "officer.left", "officer.assessed", "case.exemption_granted", "case.exemption_revoked"}
    for e in staff:
        assert list(checker.iter_errors(e)) == []
        assert isinstance(validate_staff(json.dumps(e, ensure_ascii=False).encode(), now=NOW), ValidEvent)


def test_every_malformed_class_is_present_and_rejected_for_its_reason(messages):
    manifest = Manifest(messages)
    assert set(BROKEN) | {"conflict", "duplicate", "valid"} == set(manifest.staff_counts)
    for m in messages:
        if m.stream == "staff" and m.label in BROKEN:
            result = validate_staff(m.value, now=NOW)
            assert isinstance(result, Rejection) and result.reason == BROKEN[m.label], (m.label, result)
    assert manifest.staff_rejected == {**{r: manifest.staff_counts[label] for label, r in BROKEN.items()},
                                       "event_id_conflict": manifest.staff_counts["conflict"]}


def test_deterministic_and_the_case_stream_is_untouched(messages):
    again = list(generate(CONFIG))
    assert [(m.key, m.value, m.stream) for m in again] == [(m.key, m.value, m.stream) for m in messages]
    without = list(generate(GeneratorConfig(seed=5, start_date=date(2026, 1, 5), days=62, cases_per_day=150,
                                            faults=FaultRates(duplicate=0.02))))
    assert [m for m in messages if m.stream == "case"] == without
    assert all(m.stream == "case" for m in without)


def test_a_small_stream_with_a_low_rate_still_shows_every_malformed_class():
    small = list(generate(GeneratorConfig(seed=1, start_date=date(2026, 3, 2), days=3, cases_per_day=5, staff=True,
                                          staff_malformed=0.01)))
    counts = Manifest(small).staff_counts
    assert set(counts) == set(BROKEN) | {"conflict", "valid"}
    # positions only (no month has ended): 60 world officers + 5 heads + 5 support officers + one
    # leader per unit, the units being BPMC, VP and one per sector: SKHDT 4, STP 5, STNMT 4,
    # SXD 4, UBND-BD 6 = 23
    assert counts["valid"] == 60 + 5 + 5 + 23


def test_overlapping_windows_send_the_same_facts_as_the_same_bytes():
    """Two runs with the same seed (a demo today, another tomorrow): a shared fact keeps its
    event_id and its bytes, so the second run's copies are redeliveries, never conflicts."""
    def valid_staff(start: date, days: int) -> dict[str, bytes]:
        config = GeneratorConfig(seed=9, start_date=start, days=days, cases_per_day=60, staff=True)
        return {json.loads(m.value)["event_id"]: m.value for m in generate(config)
                if m.stream == "staff" and m.label == "valid"}

    first, second = valid_staff(date(2026, 1, 5), 50), valid_staff(date(2026, 1, 19), 50)
    shared = first.keys() & second.keys()
    assert len(shared) > 150  # the positions and January's assessments at least
    assert [i for i in shared if first[i] != second[i]] == []
