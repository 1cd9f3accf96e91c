"""Marts layer: a rate above 1, personal data (by value or by column name) and figures that no
longer reconcile block publication; a row without activity only warns."""
from __future__ import annotations

from expectations import run_gate
from ingestion import db
from tests.expectations import data
from tests.expectations.data import GATE_DAY


def _names(outcomes) -> set[str]:
    return {o.expectation for o in outcomes}


def test_rate_above_one_blocks(good_db, gate_config):
    data.execute(good_db, """update marts.kpi_officer_monthly set on_time_rate = 1.5
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
        {"officer_id": "SKHDT-CB2", "month": "2026-03-01", "numerator": 39, "denominator": 39, "rate": 1.5}]


def test_personal_data_in_a_mart_blocks_without_leaking_it(good_db, gate_config):
    data.execute(good_db, """
        update marts.fct_cases set procedure_code = 'CCCD 001090012345' where case_id = 'SKHDT-260318-0001';
        update marts.fct_cases set channel = 'goi 0912 345 678' where case_id = 'SKHDT-260318-0002';
        alter table marts.kpi_agency_monthly add column applicant_full_name text;
        alter table marts.kpi_officer_daily add column applicant_id_hmac text""", role="transform")

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
        delete from marts.fct_cases where case_id = 'SGTVT-260318-0002';
        insert into marts.kpi_officer_monthly (officer_id, agency_code, month, cases_received,
            cases_returned_first_pass, cases_completed, cases_completed_on_time, working_days,
            ratings_count, complaints_count)
        values ('GHOST-01', 'SGTVT', date '2026-03-01', 0, 0, 0, 0, 22, 0, 0);
        update marts.kpi_officer_monthly set throughput_per_working_day = 0 where officer_id = 'GHOST-01'""",
                 role="transform")

    result = run_gate("marts", GATE_DAY, dbname=good_db, config=gate_config)

    assert _names(result.critical_failures) == {"kpi_agency_monthly_reconciles_with_fct_cases",
                                                "fct_cases_received_reconciles_with_raw"}
    by_name = {o.expectation: o for o in result.critical_failures}
    # SGTVT received 2 cases on each of the 13 working days of March up to the 18th = 26.
    assert by_name["kpi_agency_monthly_reconciles_with_fct_cases"].details == [
        {"agency_code": "SGTVT", "month": "2026-03-01", "kpi_received": 26, "fct_received": 25,
         "kpi_completed": 26, "fct_completed": 25}]
    assert by_name["fct_cases_received_reconciles_with_raw"].details == [
        {"agency_code": "SGTVT", "month": "2026-03-01", "fct_received": 25, "raw_received_before_cutoff": 26,
         "raw_received_all": 26}]
    assert _names(result.warnings) == {"kpi_officer_monthly_rows_have_activity"}
    assert result.warnings[0].details == [{"officer_id": "GHOST-01", "month": "2026-03-01"}]
