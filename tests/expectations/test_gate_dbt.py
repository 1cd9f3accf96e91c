"""The gate on a fresh build of the real dbt project (dbt_project/) with its data tests: the good
history must pass dbt's tests and every layer of the gate, so the suites match the models shipped."""
from __future__ import annotations

from expectations import run_gate
from ingestion import db
from tests.dbt.dbt_runner import BUILD_SCHEMA, run_dbt
from tests.expectations import data
from tests.expectations.data import GATE_DAY


def test_gate_passes_on_the_real_dbt_build(pg_db, gate_config, tmp_path):
    data.load_history(pg_db, build_models=False)
    run_dbt(pg_db, "build", target_path=tmp_path / "dbt", as_of="2026-03-19T00:00:00+07:00")

    result = run_gate("all", GATE_DAY, dbname=pg_db, config=gate_config)

    assert result.passed, result.summary()
    assert result.warnings == [], result.summary()
    assert all(o.success for o in result.outcomes)
    names = {o.expectation for o in result.outcomes}
    # The suites adapted to the real columns: the dbt staging model's name, activity_date, the
    # agency's early/on_time/late, and the complaint rate over cases with a complaint.
    assert "staging_complete_vs_raw" in names
    assert "kpi_officer_daily_sums_to_monthly" in names
    assert "kpi_agency_monthly_timeliness_adds_up" in names
    assert "kpi_officer_monthly_complaint_rate_is_cases_completed_with_complaint_over_cases_completed" in names
    # the fairness marts' domains: shares, rates, bounds in [0, 1] and lower <= rate <= upper
    assert {"fct_case_flags_fractions_in_0_1", "fct_case_flags_minutes_past_not_negative",
            "fairness_officer_monthly_fractions_in_0_1", "fairness_officer_monthly_rate_within_its_interval",
            "fairness_officer_monthly_flag_counts_within_checked"} <= names

    # a share and an interval out of their domains block the marts gate
    with db.connect("transform", pg_db) as conn:
        conn.execute(f"update {BUILD_SCHEMA}.fct_case_flags set return_share_left = 1.5"
                     f" where case_id = (select min(case_id) from {BUILD_SCHEMA}.fct_case_flags)")
        conn.execute(f"update {BUILD_SCHEMA}.fairness_officer_monthly set on_time_rate_upper = on_time_rate - 0.01"
                     " where on_time_rate > 0.01")
    blocked = run_gate("marts", GATE_DAY, dbname=pg_db, config=gate_config)
    failed = {o.expectation for o in blocked.outcomes if not o.success}
    assert not blocked.passed
    assert failed == {"fct_case_flags_fractions_in_0_1", "fairness_officer_monthly_rate_within_its_interval"}
