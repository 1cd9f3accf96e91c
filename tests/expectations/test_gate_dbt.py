"""The gate on a fresh build of the real dbt project (dbt_project/) with its data tests: the good
history must pass dbt's tests and every layer of the gate, so the suites match the models shipped."""
from __future__ import annotations

from expectations import run_gate
from tests.dbt.dbt_runner import run_dbt
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
