"""The evaluation's inputs in the gate (suites `staging.staff_assessments` and `marts.eval_inputs`).

Built once per session by the real dbt project: the gate history of three agencies (each officer
<agency>-CB1 receives, <agency>-CB2 completes, January to 18 March 2026) plus staff events sent
to raw as the loader writes them: the history's position for every active officer from
1 December 2025, a usable manager assessment per officer and month, and a lateness exemption for
a case that exists. The assessments and the exemption arrive on the gate day. Each test corrupts a copy and shows the check
that must see it; the clean copy passes them all.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest

from expectations import run_gate
from tests.conftest import fresh_database
from tests.expectations import data
from tests.expectations.conftest import copy_of
from tests.expectations.data import AGENCIES, BUILD_SCHEMA, GATE_DAY

ARRIVAL = f"{GATE_DAY.isoformat()}T10:00:00+07:00"          # within the gate day's interval
CRITERIA_OK = [{"code": "compliance", "points": 9}, {"code": "coordination", "points": 8},
               {"code": "service_attitude", "points": 10}]
STAFF_CHECKS = {"staff_assessments_usable", "dim_officer_positions_no_overlap", "officers_with_activity_have_position",
                "exemptions_name_known_cases", "eval_unusable_assessments_not_used"}


def send_staff(dbname: str, event_type: str, agency: str, officer: str | None, data_: dict, *,
               occurred_at: str = "2026-03-10T09:00:00+07:00", ingested_at: str = ARRIVAL) -> str:
    """One staff event in raw, as the loader stores it (payload + Kafka coordinates)."""
    event_id = str(uuid.uuid4())
    payload = {"event_id": event_id, "event_type": event_type, "schema_version": 1, "occurred_at": occurred_at,
               "source": "test", "agency_code": agency, "officer_id": officer, "data": data_}
    data.execute(dbname, """
        insert into raw.staff_events (payload, content_hash, kafka_topic, kafka_partition, kafka_offset,
                                      kafka_timestamp_ms, ingested_at)
        select p, sha256(convert_to(p::text, 'UTF8')), 'motcua.staff-events', 0,
               (select coalesce(max(kafka_offset), 0) + 1 from raw.staff_events), 0, %s::timestamptz
          from (select %s::jsonb as p) as x""", params=(ingested_at, json.dumps(payload)))
    return event_id


def assess(dbname: str, agency: str, officer: str, period: str, criteria: list[dict], role: str = "manager",
           **kw: str) -> str:
    return send_staff(dbname, "officer.assessed", agency, officer,
                      {"period": period, "assessor_id": f"{agency}-LD1", "assessor_role": role, "criteria": criteria},
                      **kw)


@pytest.fixture(scope="session")
def staff_built(services, tmp_path_factory) -> Iterator[str]:
    with fresh_database() as name:
        data.load_history(name, build_models=False)
        for agency in AGENCIES:                  # the history holds their positions (data.insert_positions)
            for officer in (f"{agency}-CB1", f"{agency}-CB2"):
                for month in ("2026-01", "2026-02", "2026-03"):
                    assess(name, agency, officer, month, CRITERIA_OK)
        send_staff(name, "case.exemption_granted", "SKHDT", "SKHDT-LD1",
                   {"case_id": "SKHDT-260302-0001", "scope": "lateness", "decision_ref": "12/QD", "reason_code": "outage"})
        data.build_models_with_dbt(name, target_path=tmp_path_factory.mktemp("dbt_staff"))
        yield name


@pytest.fixture()
def staff_db(staff_built) -> Iterator[str]:
    with copy_of(staff_built) as name:
        yield name


def _outcome(result, name: str):
    return next(o for o in result.outcomes if o.expectation == name)


def test_clean_staff_data_passes_every_check(staff_db, gate_config):
    staging = run_gate("staging", GATE_DAY, dbname=staff_db, config=gate_config)
    marts = run_gate("marts", GATE_DAY, dbname=staff_db, config=gate_config)

    assert staging.passed and marts.passed, staging.summary() + marts.summary()
    staff = {o.expectation: o for o in staging.outcomes + marts.outcomes if o.expectation in STAFF_CHECKS}
    assert set(staff) == STAFF_CHECKS
    assert all(o.success for o in staff.values()), [o for o in staff.values() if not o.success]
    # the real build's quota: each group holds one officer (k = floor(0.2 x 1 / 1.2) = 0)
    assert _outcome(marts, "eval_officer_period_quota_keeps_the_highest").success


def test_unusable_assessments_arriving_today_are_reported_as_a_warning(staff_db, gate_config):
    assess(staff_db, "SKHDT", "SKHDT-CB1", "2026-03", role="peer", criteria=[
        {"code": "compliance", "points": 9}, {"code": "coordination", "points": 12},
        {"code": "service_attitude", "points": 10}])                               # 12 > max 10
    assess(staff_db, "STNMT", "STNMT-CB2", "2026-03", role="self", criteria=CRITERIA_OK + [
        {"code": "punctuality", "points": 5}])                                       # not in the catalogue
    assess(staff_db, "SGTVT", "SGTVT-CB1", "2026-02", role="peer", criteria=CRITERIA_OK[:2])  # one missing
    # arrived yesterday: judged yesterday, not again today
    assess(staff_db, "SGTVT", "SGTVT-CB2", "2026-02", role="peer", criteria=CRITERIA_OK[:1],
           ingested_at=(GATE_DAY - timedelta(days=1)).isoformat() + "T10:00:00+07:00")

    result = run_gate("staging", GATE_DAY, dbname=staff_db, config=gate_config)

    assert result.passed and result.exit_code == 0, result.summary()
    check = _outcome(result, "staff_assessments_usable")
    assert not check.success and check.severity == "warning"
    assert [(r["unusable_reason"], r["officer_id"], r["period"], r["assessor_role"]) for r in check.details] == [
        ("missing_criterion", "SGTVT-CB1", "2026-02", "peer"),
        ("points_above_max", "SKHDT-CB1", "2026-03", "peer"),
        ("unknown_criterion", "STNMT-CB2", "2026-03", "self"),
    ]
    assert {o.expectation for o in result.warnings} == {"staff_assessments_usable"}


def test_overlapping_positions_of_one_officer_block(staff_db, gate_config):
    # SKHDT-CB2 holds processing in SKHDT from 2025-12-01 (current) and, per this row, also in STNMT
    # from 2026-02-01: one officer in two groups at once.
    data.execute(staff_db, f"""
        insert into {BUILD_SCHEMA}.dim_officer_positions
               (officer_id, agency_code, unit_code, position_code, position_group, valid_from, valid_to, is_current)
        values ('SKHDT-CB2', 'STNMT', 'P2', 'PROCESSING', 'processing', date '2026-02-01', null, true)""",
                 role="transform")

    result = run_gate("marts", GATE_DAY, dbname=staff_db, config=gate_config)

    assert result.exit_code == 3
    assert {o.expectation for o in result.critical_failures} == {"dim_officer_positions_no_overlap"}
    [row] = _outcome(result, "dim_officer_positions_no_overlap").details
    assert (row["officer_id"], row["agency_code"], row["valid_from"], row["valid_to"],
            row["other_agency_code"], row["other_valid_from"]) == (
        "SKHDT-CB2", "SKHDT", "2025-12-01", None, "STNMT", "2026-02-01")


def test_an_exemption_for_a_case_not_received_yet_is_a_warning(staff_db, gate_config):
    send_staff(staff_db, "case.exemption_granted", "SKHDT", "SKHDT-LD1",
               {"case_id": "SKHDT-260399-0001", "scope": "return", "decision_ref": "13/QD", "reason_code": "outage"})

    result = run_gate("marts", GATE_DAY, dbname=staff_db, config=gate_config)

    assert result.passed, result.summary()
    check = _outcome(result, "exemptions_name_known_cases")
    assert not check.success and check.severity == "warning"
    assert check.details == [{"case_id": "SKHDT-260399-0001", "scope": "return", "agency_code": "SKHDT",
                              "exemption_events": 1, "any_grant": True}]


def test_an_active_officer_without_a_position_is_a_warning(staff_db, gate_config):
    data.execute(staff_db, f"delete from {BUILD_SCHEMA}.dim_officer_positions where officer_id = 'SKHDT-CB2'",
                 role="transform")

    result = run_gate("marts", GATE_DAY, dbname=staff_db, config=gate_config)

    assert result.passed, result.summary()
    check = _outcome(result, "officers_with_activity_have_position")
    assert not check.success and check.severity == "warning"
    # SKHDT-CB2 completes cases every working day from 19 January: January, February and March
    assert [(r["officer_id"], r["agency_code"], r["month"]) for r in check.details] == [
        ("SKHDT-CB2", "SKHDT", "2026-01-01"), ("SKHDT-CB2", "SKHDT", "2026-02-01"), ("SKHDT-CB2", "SKHDT", "2026-03-01")]


def test_points_of_an_unusable_assessment_in_the_evaluation_block(staff_db, gate_config):
    bad = assess(staff_db, "SKHDT", "SKHDT-CB1", "2026-03", criteria=[
        {"code": "compliance", "points": 11}, {"code": "coordination", "points": 8},
        {"code": "service_attitude", "points": 10}], occurred_at="2026-03-05T09:00:00+07:00")
    data.execute(staff_db, f"""
        insert into {BUILD_SCHEMA}.eval_assessment_membership (officer_id, period_type, period, event_id,
                                                               assessor_role, used, reason)
        values ('SKHDT-CB1', 'month', '2026-03', %s, 'manager', true, 'applied')""",
                 role="transform", params=(bad,))

    result = run_gate("marts", GATE_DAY, dbname=staff_db, config=gate_config)

    assert result.exit_code == 3
    assert {o.expectation for o in result.critical_failures} == {"eval_unusable_assessments_not_used"}
    assert _outcome(result, "eval_unusable_assessments_not_used").details == [
        {"officer_id": "SKHDT-CB1", "period_type": "month", "period": "2026-03", "event_id": bad,
         "assessor_role": "manager", "unusable_reason": "points_above_max"}]
