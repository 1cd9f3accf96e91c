"""Marts layer: a rate above 1, personal data (by value or by column name) and figures that no
longer reconcile block publication; a row without activity only warns."""
from __future__ import annotations

from dataclasses import replace

from expectations import run_gate
from ingestion import db
from tests.expectations import data
from tests.expectations.data import GATE_DAY


def _names(outcomes) -> set[str]:
    return {o.expectation for o in outcomes}


def test_rate_above_one_blocks(good_db, gate_config):
    data.execute(good_db, """update marts_build.kpi_officer_monthly set on_time_rate = 1.5
                              where officer_id = 'SKHDT-CB2' and month = date '2026-03-01'""", role="transform")

    result = run_gate("marts", GATE_DAY, dbname=good_db, config=gate_config)

    assert result.exit_code == 3
    assert _names(result.critical_failures) == {
        "kpi_officer_monthly_on_time_rate_in_0_1",
        "kpi_officer_monthly_on_time_rate_is_cases_completed_on_time_over_cases_completed",
    }
    by_name = {o.expectation: o for o in result.critical_failures}
    assert by_name["kpi_officer_monthly_on_time_rate_in_0_1"].details == [1.5]
    # SKHDT-CB2 completed 3 cases on each of the 13 working days of March up to the 18th.
    assert by_name["kpi_officer_monthly_on_time_rate_is_cases_completed_on_time_over_cases_completed"].details == [
        {"officer_id": "SKHDT-CB2", "agency_code": "SKHDT", "month": "2026-03-01", "numerator": 39, "denominator": 39, "rate": 1.5}]


def test_marts_are_judged_in_the_build_schema(pg_db, gate_config):
    # The gate judges the schema dbt built into (MOTCUA_BUILD_SCHEMA), not BI's marts: a bad
    # build must block even though no published marts exist yet.
    data.load_history(pg_db, build_models=False)
    data.build_models_with_dbt(pg_db, marts_schema="nightly_build")
    data.execute(pg_db, "update nightly_build.kpi_agency_monthly set on_time_rate = -0.5 "
                        "where agency_code = 'STNMT' and month = date '2026-02-01'", role="transform")
    config = replace(gate_config, marts_schema="nightly_build")

    result = run_gate("marts", GATE_DAY, dbname=pg_db, config=config)

    assert _names(result.critical_failures) == {
        "kpi_agency_monthly_on_time_rate_in_0_1",
        "kpi_agency_monthly_on_time_rate_is_cases_completed_on_time_over_cases_completed"}
    assert {o.suite for o in result.outcomes} == {"marts.fct_cases", "marts.kpi_officer_monthly",
                                                  "marts.kpi_officer_daily", "marts.kpi_agency_monthly",
                                                  "marts.fct_due_soon_open_cases",
                                                  "marts.fct_case_flags", "marts.fairness_officer_monthly",
                                                  "marts.eval_officer_period", "marts.eval_group_period",
                                                  "marts.eval_inputs"}
    with db.connect("auditor", pg_db) as conn:   # the history says which schema was judged
        assert conn.execute("select config ->> 'marts_schema' from quality.gate_runs where run_id = %s",
                            (result.run_id,)).fetchone() == ("nightly_build",)


def test_personal_data_in_a_mart_blocks_without_leaking_it(good_db, gate_config):
    data.execute(good_db, """
        update marts_build.fct_cases set procedure_code = 'CCCD 001090012345' where case_id = 'SKHDT-260318-0001';
        update marts_build.fct_cases set channel = 'goi 0912 345 678' where case_id = 'SKHDT-260318-0002';
        alter table marts_build.kpi_agency_monthly add column applicant_full_name text;
        alter table marts_build.kpi_officer_daily add column applicant_id_hmac text""", role="transform")

    result = run_gate("marts", GATE_DAY, dbname=good_db, config=gate_config)

    by_name = {o.expectation: o for o in result.critical_failures}
    assert {"fct_cases_no_personal_data_values", "kpi_agency_monthly_no_personal_data_columns"} <= set(by_name)
    assert by_name["fct_cases_no_personal_data_values"].details == [
        {"column_name": "procedure_code", "rows_matching": 1}, {"column_name": "channel", "rows_matching": 1}]
    assert by_name["kpi_agency_monthly_no_personal_data_columns"].details == [{"column_name": "applicant_full_name"}]
    # A keyed hash is the domain's accepted pseudonym: allowed.
    assert "kpi_officer_daily_no_personal_data_columns" not in by_name
    # The phone number also broke the channel's value set, whose check samples the bad values:
    # the sample is redacted, so neither Data Docs, the GX JSON nor the SQL history holds it.
    channel = by_name["fct_cases_channel_known"]
    assert channel.unexpected_count == 1 and channel.details == ["[redacted: looks like personal data]"]
    with db.connect("auditor", good_db) as conn:
        stored = conn.execute("select string_agg(coalesce(details::text, '') || coalesce(observed_value::text, ''), ' ') "
                              "from quality.validation_results where run_id = %s", (result.run_id,)).fetchone()[0]
    html = "".join(p.read_text() for p in gate_config.data_docs_dir.rglob("*.html"))
    raw_json = "".join(p.read_text() for p in gate_config.gx_state_dir.rglob("*.json"))
    for artefact in (stored, html, raw_json):
        assert "redacted" in artefact
        assert "0912 345 678" not in artefact and "001090012345" not in artefact


def test_figures_that_do_not_reconcile_block(good_db, gate_config):
    data.execute(good_db, """
        -- a case swapped for an invented one: every total still adds up, only case-level
        -- reconciliation with raw sees it
        update marts_build.fct_cases set case_id = 'SGTVT-INVENTED' where case_id = 'SGTVT-260318-0002';
        -- an agency total that no longer matches its cases (nor its officers)
        update marts_build.kpi_agency_monthly set cases_received = cases_received + 1,
               received_per_working_day = round((cases_received + 1)::numeric / working_days, 4),
               first_pass_return_rate = 0 where agency_code = 'SKHDT' and month = date '2026-03-01';
        -- an officer row with nothing in it: a real row's copy, every count zero
        create temp table ghost as select * from marts_build.kpi_officer_monthly
         where officer_id = 'SGTVT-CB2' and month = date '2026-03-01';
        update ghost set officer_id = 'GHOST-01';
        do $$ declare c text; begin
          for c in select column_name from information_schema.columns
                    where table_schema = 'marts_build' and table_name = 'kpi_officer_monthly'
                      and data_type in ('integer', 'bigint') and column_name <> 'working_days' loop
            execute format('update ghost set %I = 0', c);
          end loop;
        end $$;
        update ghost set throughput_per_working_day = 0, received_per_working_day = 0, on_time_rate = null, first_pass_return_rate = null,
                         avg_rating = null, satisfied_share = null, complaint_rate = null,
                         processing_working_days = 0, avg_processing_working_days = null;
        insert into marts_build.kpi_officer_monthly select * from ghost""", role="transform")

    result = run_gate("marts", GATE_DAY, dbname=good_db, config=gate_config)

    assert _names(result.critical_failures) == {"fct_cases_reconciles_with_raw",
                                                "kpi_agency_monthly_reconciles_with_fct_cases",
                                                "kpi_officer_monthly_totals_match_agency"}
    by_name = {o.expectation: o for o in result.critical_failures}
    assert sorted(by_name["fct_cases_reconciles_with_raw"].details, key=lambda r: r["case_id"]) == [
        {"case_id": "SGTVT-260318-0002", "problem": "raw receipt, missing from fct_cases"},
        {"case_id": "SGTVT-INVENTED", "problem": "in fct_cases without a raw receipt"}]
    # SKHDT received 3 cases on each of the 13 working days of March up to the 18th = 39.
    assert by_name["kpi_agency_monthly_reconciles_with_fct_cases"].details == [
        {"agency_code": "SKHDT", "month": "2026-03-01", "kpi_received": 40, "fct_received": 39,
         "kpi_completed": 39, "fct_completed": 39}]
    # March: 7 cases a day x 13 days = 91 received by officers, 92 by agencies now.
    assert by_name["kpi_officer_monthly_totals_match_agency"].details == [
        {"month": "2026-03-01", "left_cases_received": 91, "right_cases_received": 92,
         "left_cases_completed": 91, "right_cases_completed": 91}]
    assert _names(result.warnings) == {"kpi_officer_monthly_rows_have_activity"}
    assert result.warnings[0].details == [{"officer_id": "GHOST-01", "month": "2026-03-01"}]
