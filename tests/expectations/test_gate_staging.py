"""Staging layer: a duplicate that slipped past blocks; completions before receipts block above
the tolerated share; an orphaned completion (receipt not arrived) is only a warning."""
from __future__ import annotations

from expectations import run_gate
from tests.expectations import data
from tests.expectations.data import GATE_DAY


def _names(outcomes) -> set[str]:
    return {o.expectation for o in outcomes}


def test_duplicate_event_in_staging_blocks(good_db, gate_config):
    data.execute(good_db, """insert into staging.stg_case_events
                             select * from staging.stg_case_events where case_id = 'SKHDT-260318-0002'
                                                                     and event_type = 'case.completed'""",
                 role="transform")

    result = run_gate("staging", GATE_DAY, dbname=good_db, config=gate_config)

    assert result.exit_code == 3
    assert _names(result.critical_failures) == {"staging_event_id_unique"}
    (dup,) = result.critical_failures
    # The 7 cases of the day have 31 events; one of them now appears twice (both rows unexpected).
    assert (dup.unexpected_count, dup.element_count) == (2, 32)
    assert "staging_event_id_unique" in result.summary()


def test_completion_before_receipt_blocks(good_db, gate_config):
    data.execute(good_db, """update staging.stg_case_events set occurred_at = occurred_at - interval '1 day'
                              where case_id = 'STNMT-260318-0001' and event_type = 'case.completed'""",
                 role="transform")

    result = run_gate("staging", GATE_DAY, dbname=good_db, config=gate_config)

    # 1 of the 7 cases touched on the day (14 %) is above the 1 % tolerance: critical and warning.
    assert _names(result.critical_failures) == {"staging_completed_not_before_received"}
    assert _names(result.warnings) == {"staging_completed_not_before_received_any"}
    assert result.critical_failures[0].unexpected_count == 1


def test_orphaned_completion_is_a_warning(pg_db, gate_config):
    data.load_history(pg_db, build_models=False)
    # The receipt of one completed case has not arrived (late or lost upstream).
    data.execute(pg_db, "delete from raw.case_events where case_id = 'SGTVT-260318-0001' "
                        "and event_type = 'case.received'")
    data.build_stand_in_models(pg_db)

    result = run_gate("staging", GATE_DAY, dbname=pg_db, config=gate_config)

    assert result.passed and result.exit_code == 0
    assert _names(result.warnings) == {"staging_completed_case_has_receipt"}
    assert [row["case_id"] for row in result.warnings[0].details] == ["SGTVT-260318-0001"]
    assert "WARNING" in result.summary() and "SGTVT-260318-0001" in result.summary()


def test_missing_staging_model_blocks(pg_db, gate_config):
    # Raw is there but dbt has not built staging: the gate must not pass by default.
    data.load_history(pg_db, build_models=False)
    result = run_gate("staging", GATE_DAY, dbname=pg_db, config=gate_config)
    assert result.exit_code == 3
    assert {o.observed_value["missing"][0] for o in result.critical_failures} == {"staging.stg_case_events"}
