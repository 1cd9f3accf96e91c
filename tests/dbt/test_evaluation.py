"""Decree 335 evaluation (method v1, docs/domain/evaluation-method.md), hand-computed, on one dbt
build of the scenario in tests/dbt/eval_scenario.py (as of 2026-04-30; default configuration:
targets on_time >= 0.98, first_pass_return < 0.02, avg_rating >= 4.5, complaint < 0.005, no
throughput target; min_cases 5; bands 90/70/50; quota ratio 0.2; leader factor 0.5).

Scaled weights: the weights of the scored KPIs rescaled to 70. Points per KPI: the scaled weight
when the target is met, else x value / target (higher is better) or x target / value (lower).

SKHDT, unit MOTCUA, March 2026 (22 working days):
- R1 (reception) receives C01-C10; C01 returned once (its return exempted by QD-02, active);
  completes C06-C10 on time, ratings 5, 5, 4, 4, 4; no complaint.
  first_pass_return_rate: factual 1/10 = 0.1, evaluation 0/10 = 0 < 0.02 met.
  received_per_working_day 10/22: no target, not scored. avg_rating 22/5 = 4.4; complaint 0/5 met.
  scored 30 + 10 + 10 = 50 -> x 1.4: 42 (met) + 14 x 4.4/4.5 = 13.6889 + 14 (met) = 69.6889 -> 69.69.
  Manager: 9, 9, 9 recorded on 2 April, corrected to 6, 6, 6 on 3 April: 18 (peer 8s and self 10s
  shown, weight 0). Total 69.69 + 18 = 87.69 -> good.
- P1 (processing) completes C01-C05 and C11-C15; C01 and C11 late; C11's lateness exempted (QD-11,
  active), C01's granted then revoked. on_time: factual 8/10 = 0.8, evaluation 9/10 = 0.9.
  complaint: C02 -> 1/10 = 0.1. ratings C01-C04: 4 < min_cases 5 -> avg_rating below_min_cases.
  throughput: no target. scored 30 + 10 = 40 -> x 1.75: 52.5 x 0.9/0.98 = 48.2143; 17.5 x 0.005/0.1
  = 0.875. Task 49.0893 -> 49.09; manager 30 -> total 79.09 -> good.
- P2 (processing) completes C21-C25, all late: on_time 0/5 -> 0 points of 52.5; complaint 0/5 met
  17.5; avg_rating no_cases. Task 17.5, manager 24 -> total 41.5 -> fail.
- L1 (leadership): the unit's cases (R1, P1, P2, L1). on_time: completed 5 + 10 + 5 = 20, on time
  5 + 8 + 0 = 13 factual (0.65), 14 evaluation (0.7): 40 x 0.7/0.98 = 28.5714. first_pass: received
  10 + 5 + 5 = 20, returned 1 factual (0.05), 0 evaluation -> met 15. ratings 22 + 19 = 41 / 9 =
  4.5556 >= 4.5 met 15. Task 58.5714 -> 58.57. P2 (not a leader) fails -> unit factor 0.5.
  Total 30 + 58.57 x 0.5 = 59.285 -> 59.29 -> pass.
SNV, unit PHONG2:
- P3 (processing): 5 on-time cases a month, no ratings: on_time and complaint met -> task 70.
  Manager: quarterly Q1 5, 5, 5 (15) and March 6, 6, 6 (18); none for April.
  Jan 85 (Q1's), Feb 85 (Q1's), Mar 88 (its own), Apr pending (no_manager_assessment).
  Q1 = (85 + 85 + 88) / 3 = 86 -> good, 3 scored months; Q2: 0 scored -> pending; year 3 < 6 -> pending.
- P4 (processing): 5 on-time cases in March (task 70), manager assessment compliance 12 > 10: not
  used, reported (points_above_max) -> pending no_manager_assessment. Left on 15 April.
- T1: reception from 1 Jan, processing from 16 Feb (transferred mid-quarter). Q1 assessment 15.
  Jan (reception): receives 5 cases, no return -> first_pass met, the only scored KPI -> 70; total 85.
  Feb (processing, the position on 28 Feb): completes 5 on time -> 70; total 85.
  Mar: no case -> no_scorable_kpi. Q1: Jan and Feb scored (2 >= 2): 85, group processing (end of Q1).
- X1 receives T1's February cases without any position -> unknown, pending no_position.
Quota (processing, March, 5 on-time cases each -> task 70; totals = 70 + manager points):
- SQUOTA: 100, 99, 98, 97, 96, 95, 94 (7 excellent) and 89, 88, 87, 86, 85 (5 good):
  k = floor(0.2 x 12 / 1.2) = 2 -> A01, A02 stay; A03-A07 demoted (no tie).
- STIE: the same with the 2nd and 3rd totals tied at 99: only B01 stays; B02 and B03 demoted with
  quota_tie; B04-B07 demoted.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from ingestion import db
from tests.dbt import eval_scenario
from tests.dbt.dbt_runner import BUILD_SCHEMA, run_dbt
from tests.dbt.events import insert_events
from tests.dbt.staff_events import insert_staff_events

D = Decimal


def rows(dbname: str, sql: str, params: tuple = ()) -> list[tuple]:
    with db.connect("transform", dbname) as conn:
        return conn.execute(sql.replace("{B}", BUILD_SCHEMA), params).fetchall()


@pytest.fixture(scope="module")
def built(module_db, dbt_target):
    insert_events(module_db, eval_scenario.case_events())
    insert_staff_events(module_db, eval_scenario.staff_events())
    run_dbt(module_db, "build", target_path=dbt_target, as_of=eval_scenario.AS_OF)
    return module_db


def result(dbname: str, officer: str, period: str) -> tuple:
    found = rows(dbname, """select position_group, task_points, general_points, unit_factor, total_points,
                                   band_before_quota, band, quota_demoted, quota_tie, pending_reasons
                            from {B}.eval_officer_period where officer_id = %s and period = %s""", (officer, period))
    assert len(found) == 1, (officer, period, found)
    return found[0]


def kpis(dbname: str, officer: str, period: str = "2026-03") -> dict[str, tuple]:
    found = rows(dbname, """select kpi_code, value_factual, value_evaluation, exempted_cases, is_scored,
                                   not_scored_reason, scaled_weight, points
                            from {B}.eval_officer_kpi_period where officer_id = %s and period = %s""", (officer, period))
    return {r[0]: r[1:] for r in found}


def test_reception_officer_full_data(built):
    assert kpis(built, "R1") == {
        "first_pass_return_rate": (D("0.1000"), D("0.0000"), 1, True, None, D("42.0000"), D("42.0000")),
        "received_per_working_day": (D("0.4545"), D("0.4545"), 0, False, "no_target", None, None),
        "avg_rating": (D("4.4000"), D("4.4000"), 0, True, None, D("14.0000"), D("13.6889")),
        "complaint_rate": (D("0.0000"), D("0.0000"), 0, True, None, D("14.0000"), D("14.0000")),
    }
    assert result(built, "R1", "2026-03") == (
        "reception", D("69.69"), D("18.00"), D(1), D("87.69"), "good", "good", False, False, None)


def test_processing_officer_full_data_exemption_and_min_cases(built):
    assert kpis(built, "P1") == {
        "on_time_rate": (D("0.8000"), D("0.9000"), 1, True, None, D("52.5000"), D("48.2143")),
        "throughput_per_working_day": (D("0.4545"), D("0.4545"), 0, False, "no_target", None, None),
        "complaint_rate": (D("0.1000"), D("0.1000"), 0, True, None, D("17.5000"), D("0.8750")),
        "avg_rating": (D("4.7500"), D("4.7500"), 0, False, "below_min_cases", None, None),
    }
    assert result(built, "P1", "2026-03") == (
        "processing", D("49.09"), D("30.00"), D(1), D("79.09"), "good", "good", False, False, None)
    # the factual KPI mart is untouched by the exemption
    assert rows(built, "select on_time_rate from {B}.kpi_officer_monthly where officer_id = 'P1'"
                       " and month = '2026-03-01'") == [(D("0.8000"),)]


def test_exemption_evidence_in_the_case_membership(built):
    # C11: late, exempted (counted on time for the evaluation only); C01: exemption revoked (late)
    assert rows(built, """select case_id, counted_in_numerator, counted_in_numerator_factual, counted_in_denominator,
                                 exemption_decision_ref, exemption_scope
                          from {B}.eval_case_membership
                          where officer_id = 'P1' and period = '2026-03' and kpi_code = 'on_time_rate'
                            and case_id in ('C01', 'C11') order by 1""") == [
        ("C01", False, False, True, None, None), ("C11", True, False, True, "QD-11/2026", "lateness")]
    assert rows(built, """select count(*) filter (where counted_in_numerator), count(*) filter (where counted_in_denominator)
                          from {B}.eval_case_membership
                          where officer_id = 'P1' and period = '2026-03' and kpi_code = 'on_time_rate'""") == [(9, 10)]
    # R1's returned C01: exempted for the evaluation (QD-02)
    assert rows(built, """select counted_in_numerator, counted_in_numerator_factual, exemption_decision_ref
                          from {B}.eval_case_membership
                          where officer_id = 'R1' and kpi_code = 'first_pass_return_rate' and case_id = 'C01'""") == [
        (False, True, "QD-02/2026")]
    assert rows(built, """select case_id, scope, is_active, decision_ref from {B}.int_case_exemptions order by 1, 2"""
                .replace("{B}.int_case_exemptions", "intermediate.int_case_exemptions")) == [
        ("C01", "lateness", False, "QD-01/2026"), ("C01", "return", True, "QD-02/2026"),
        ("C11", "lateness", True, "QD-11/2026")]


def test_leader_unit_factor_when_a_unit_officer_fails(built):
    assert result(built, "P2", "2026-03") == (
        "processing", D("17.50"), D("24.00"), D(1), D("41.50"), "fail", "fail", False, False, None)
    assert kpis(built, "L1") == {
        "on_time_rate": (D("0.6500"), D("0.7000"), 1, True, None, D("40.0000"), D("28.5714")),
        "first_pass_return_rate": (D("0.0500"), D("0.0000"), 1, True, None, D("15.0000"), D("15.0000")),
        "avg_rating": (D("4.5556"), D("4.5556"), 0, True, None, D("15.0000"), D("15.0000")),
    }
    assert result(built, "L1", "2026-03") == (
        "leadership", D("58.57"), D("30.00"), D("0.5"), D("59.29"), "pass", "pass", False, False, None)
    # the leader's cases are the unit's: 20 completed in March
    assert rows(built, """select count(*) from {B}.eval_case_membership where officer_id = 'L1' and period = '2026-03'
                          and kpi_code = 'on_time_rate' and counted_in_denominator""") == [(20,)]


def test_pending_month_and_quarter_from_a_quarterly_assessment(built):
    assert [result(built, "P3", p)[4:7] for p in ("2026-01", "2026-02", "2026-03")] == [
        (D("85.00"), "good", "good"), (D("85.00"), "good", "good"), (D("88.00"), "good", "good")]
    assert result(built, "P3", "2026-04") == (
        "processing", D("70.00"), None, D(1), None, "pending", "pending", False, False, "no_manager_assessment")
    assert rows(built, """select period, total_points, band, scored_months, pending_reasons from {B}.eval_officer_period
                          where officer_id = 'P3' and period_type <> 'month' order by period""") == [
        ("2026", None, "pending", 3, "too_few_scored_months"),
        ("2026-Q1", D("86.00"), "good", 3, None),
        ("2026-Q2", None, "pending", 0, "too_few_scored_months")]
    # January's general points come from the quarterly assessment
    assert rows(built, """select sum(points), min(source_period) from {B}.eval_officer_criteria_period
                          where officer_id = 'P3' and period = '2026-01' and assessor_role = 'manager'""") == [
        (D(15), "2026-Q1")]


def test_corrected_assessment_latest_wins_both_kept(built):
    versions = rows(built, """select points_total, is_latest, is_usable from staging.stg_staff__assessments
                              where officer_id = 'R1' and assessor_role = 'manager' order by occurred_at""")
    assert versions == [(D(27), False, True), (D(18), True, True)]
    assert rows(built, """select a.points_total, m.used, m.reason from {B}.eval_assessment_membership m
                          join staging.stg_staff__assessments a using (event_id)
                          where m.officer_id = 'R1' and m.period = '2026-03' and m.assessor_role = 'manager'
                          order by a.occurred_at""") == [(D(27), False, "superseded"), (D(18), True, "applied")]
    # peer and self shown per criterion, weight 0: R1's general points stay the manager's 18
    assert rows(built, """select assessor_role, sum(points), max(assessments_count) from {B}.eval_officer_criteria_period
                          where officer_id = 'R1' and period = '2026-03' group by 1 order by 1""") == [
        ("manager", D(18), 1), ("peer", D("24.00"), 1), ("self", D("30.00"), 1)]


def test_invalid_assessment_not_used_and_reported(built):
    assert rows(built, """select is_usable, unusable_reason from staging.stg_staff__assessments
                          where officer_id = 'P4'""") == [(False, "points_above_max")]
    assert rows(built, """select used, reason from {B}.eval_assessment_membership
                          where officer_id = 'P4' and period = '2026-03'""") == [(False, "points_above_max")]
    assert result(built, "P4", "2026-03") == (
        "processing", D("70.00"), None, D(1), None, "pending", "pending", False, False, "no_manager_assessment")
    assert rows(built, "select count(*) from {B}.eval_officer_criteria_period where officer_id = 'P4'") == [(0,)]


def test_transfer_mid_quarter_and_positions_history(built):
    assert rows(built, """select position_group, valid_from::text, valid_to::text, is_current from {B}.dim_officer_positions
                          where officer_id in ('T1', 'P4') order by officer_id, valid_from""") == [
        ("processing", "2026-01-01", "2026-04-15", False),
        ("reception", "2026-01-01", "2026-02-16", False), ("processing", "2026-02-16", None, True)]
    assert [result(built, "T1", p)[:1] + result(built, "T1", p)[4:7] for p in ("2026-01", "2026-02")] == [
        ("reception", D("85.00"), "good", "good"), ("processing", D("85.00"), "good", "good")]
    assert result(built, "T1", "2026-03")[4:] == (None, "pending", "pending", False, False, "no_scorable_kpi")
    assert rows(built, """select position_group, total_points, band, scored_months, rank_in_group from {B}.eval_officer_period
                          where officer_id = 'T1' and period = '2026-Q1'""") == [("processing", D("85.00"), "good", 2, 2)]
    # P4 left on 15 April: April is evaluated in the last position held
    assert result(built, "P4", "2026-04")[0] == "processing"
    # activity without a position: unknown, never banded
    assert result(built, "X1", "2026-02")[0::9] == ("unknown", "no_manager_assessment,no_position")


def test_quota_keeps_exactly_k(built):
    got = rows(built, """select officer_id, total_points, band_before_quota, band, quota_demoted, quota_tie
                         from {B}.eval_officer_period where agency_code = 'SQUOTA' and period = '2026-03'
                         order by officer_id""")
    totals = [100, 99, 98, 97, 96, 95, 94, 89, 88, 87, 86, 85]
    expected = [(f"A{n:02d}", D(f"{t}.00"), "excellent" if t >= 90 else "good",
                 "excellent" if n <= 2 else "good", 3 <= n <= 7, False) for n, t in zip(range(1, 13), totals)]
    assert got == expected
    assert rows(built, """select officers, excellent_before, good_before, quota_k, excellent_after, good_after, demoted, tied_demoted
                          from {B}.eval_group_period where agency_code = 'SQUOTA' and period = '2026-03'""") == [
        (12, 7, 5, 2, 2, 10, 5, 0)]


def test_quota_tie_at_the_cut_demotes_both(built):
    got = rows(built, """select officer_id, total_points, band, quota_demoted, quota_tie, rank_in_group
                         from {B}.eval_officer_period where agency_code = 'STIE' and period = '2026-03'
                         and officer_id <= 'B04' order by officer_id""")
    assert got == [("B01", D("100.00"), "excellent", False, False, 1),
                   ("B02", D("99.00"), "good", True, True, 2),
                   ("B03", D("99.00"), "good", True, True, 2),
                   ("B04", D("97.00"), "good", True, False, 4)]
    assert rows(built, """select quota_k, excellent_after, good_after, demoted, tied_demoted
                          from {B}.eval_group_period where agency_code = 'STIE' and period = '2026-03'""") == [
        (2, 1, 11, 6, 2)]


def test_config_and_registry(built):
    # the reception KPI is in the registry and in the monthly KPI mart
    assert rows(built, "select received_per_working_day from {B}.kpi_officer_monthly where officer_id = 'R1'"
                       " and month = '2026-03-01'") == [(D("0.4545"),)]
    assert rows(built, "select criterion_code, max_points from marts.eval_criteria order by 1") == [
        ("compliance", D(10)), ("coordination", D(10)), ("service_attitude", D(10))]


def test_values_past_the_contract_do_not_fail_the_build(built):
    assert rows(built, "select valid_from from staging.stg_staff__positions where officer_id = 'Z9'") == [(None,)]
    assert rows(built, "select count(*) from {B}.dim_officer_positions where officer_id = 'Z9'") == [(0,)]
    assert rows(built, """select period_type, is_usable from staging.stg_staff__assessments
                          where officer_id = 'Z9'""") == [(None, False)]
    assert rows(built, "select count(*) from {B}.eval_officer_period where officer_id = 'Z9'") == [(0,)]
