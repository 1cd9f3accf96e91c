"""Staging layer: a duplicate event fails the dbt model's own test (dbt owns it, the gate does not
repeat it); completions before receipts block above the tolerated share; an orphaned completion
(receipt not arrived) is only a warning."""
from __future__ import annotations

import pytest

from expectations import run_gate
from tests.dbt.dbt_runner import DbtFailed, run_dbt
from tests.expectations import data
from tests.expectations.data import GATE_DAY


def _names(outcomes) -> set[str]:
    return {o.expectation for o in outcomes}


def test_duplicate_event_in_staging_fails_the_dbt_test_not_a_gate_copy(good_db, gate_config, tmp_path):
    # A staging model that let a duplicate through (a join gone wrong): the model is swapped for
    # one that repeats a completion of the gate day.
    data.execute(good_db, """
        alter view staging.stg_motcua__case_events rename to stg_motcua__case_events_built;
        create view staging.stg_motcua__case_events as
        select * from staging.stg_motcua__case_events_built
        union all
        select * from staging.stg_motcua__case_events_built
         where case_id = 'SKHDT-260318-0002' and event_type = 'case.completed'""", role="transform")

    with pytest.raises(DbtFailed) as failed:
        run_dbt(good_db, "test", "--select", "stg_motcua__case_events", target_path=tmp_path / "dbt")
    assert "unique_stg_motcua__case_events_event_id" in str(failed.value)

    # dbt build stops on that failure before the gate runs; the gate itself no longer repeats
    # the model's key rule (one owner per rule).
    result = run_gate("staging", GATE_DAY, dbname=good_db, config=gate_config)
    assert not any(name.startswith("staging_event_id") for name in _names(result.outcomes))


def test_completion_before_receipt_blocks(good_db, gate_config):
    # The source sent the completion a day early (staging is a view over raw).
    data.execute(good_db, """update raw.case_events
                                set payload = jsonb_set(payload, '{occurred_at}',
                                                        to_jsonb(to_char((occurred_at - interval '1 day') at time zone 'UTC',
                                                                         'YYYY-MM-DD"T"HH24:MI:SS"Z"')))
                              where case_id = 'STNMT-260318-0001' and event_type = 'case.completed'""")

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
    data.build_models_with_dbt(pg_db)

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
