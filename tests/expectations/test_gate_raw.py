"""Raw layer: good data passes every layer; a stopped feed, impossible timestamps and a high
quarantine share block; an unusual (but non-zero) volume only warns."""
from __future__ import annotations

from pathlib import Path

from expectations import run_gate
from ingestion import db
from tests.expectations import data
from tests.expectations.data import GATE_DAY


def _names(outcomes) -> set[str]:
    return {o.expectation for o in outcomes}


def test_good_data_passes_every_layer_and_is_recorded(good_db, gate_config):
    result = run_gate("all", GATE_DAY, dbname=good_db, config=gate_config)

    assert result.passed, result.summary()
    assert result.exit_code == 0
    assert result.warnings == []
    assert {o.suite for o in result.outcomes} == {
        "raw.case_events", "staging.stg_case_events", "staging.case_lifecycle", "marts.fct_cases",
        "marts.kpi_officer_monthly", "marts.kpi_officer_daily", "marts.kpi_agency_monthly",
        "marts.fct_due_soon_open_cases",
        "marts.fct_case_flags", "marts.fairness_officer_monthly", "marts.eval_officer_period", "marts.eval_group_period",
        "marts.eval_inputs", "staging.staff_assessments"}
    # Every expectation really ran (an SQL error would show as a failure with details.error).
    assert all(o.success for o in result.outcomes)
    assert all(o.severity in ("critical", "warning") for o in result.outcomes)
    with db.connect("auditor", good_db) as conn:   # the history is readable by auditors
        run = conn.execute("select passed, evaluated, critical_failures, layer, local_date "
                           "from quality.gate_runs where run_id = %s", (result.run_id,)).fetchone()
        rows = conn.execute("select count(*), count(*) filter (where success) "
                            "from quality.validation_results where run_id = %s", (result.run_id,)).fetchone()
    assert run == (True, len(result.outcomes), 0, "all", GATE_DAY)
    assert rows == (len(result.outcomes), len(result.outcomes))
    # Data Docs: an index and one page per validated suite of this run.
    index = gate_config.data_docs_dir / "index.html"
    assert index.exists()
    pages = {o.docs_url for o in result.outcomes}
    assert len(pages) == 14
    assert all(Path(url.removeprefix("file://")).exists() for url in pages)


def test_feed_that_stops_blocks(pg_db, gate_config):
    data.load_history(pg_db, stopped_agency="STNMT", build_models=False)

    result = run_gate("raw", GATE_DAY, dbname=pg_db, config=gate_config)

    assert not result.passed and result.exit_code == 3
    assert _names(result.critical_failures) == {"raw_agency_feed_not_stopped"}
    (failure,) = result.critical_failures
    # STNMT: 2 cases a day x 4 events + 1 rating (case 2) = 9 events on every working day; the
    # 56 days before 18 March 2026 hold 35 working days (Tết, 16-20 February, excluded).
    assert failure.details == [{"agency_code": "STNMT", "events_on_day": 0, "reference_median": 9.0,
                                "band_halfwidth": 4.5, "reference_days_with_events": 35}]
    summary = result.summary()
    assert "BLOCKED" in summary and "raw_agency_feed_not_stopped" in summary and "STNMT" in summary
    assert "file://" in summary and "index.html" in summary


def test_one_future_and_one_prehistoric_event_only_warn(pg_db, gate_config):
    data.load_history(pg_db, build_models=False)
    arrived = "2026-03-18T10:00:00+07:00"
    data.insert_event(pg_db, case_id="SKHDT-FUTURE", event_type="case.rated", occurred_at="2030-01-01T09:00:00+07:00",
                      ingested_at=arrived, data={"score": 5})
    data.insert_event(pg_db, case_id="SKHDT-OLD", event_type="case.rated", occurred_at="2017-12-31T09:00:00+07:00",
                      ingested_at=arrived, data={"score": 5})
    # 5 minutes ahead of the loader's clock: within the 10-minute tolerance.
    data.insert_event(pg_db, case_id="SKHDT-SKEW", event_type="case.rated", occurred_at="2026-03-18T10:05:00+07:00",
                      ingested_at=arrived, data={"score": 5})

    result = run_gate("raw", GATE_DAY, dbname=pg_db, config=gate_config)

    # One bad event must not stop the night for every agency: listed as warnings, not blocking.
    assert result.passed and result.exit_code == 0
    assert _names(result.warnings) == {"raw_occurred_at_not_in_future_any", "raw_occurred_at_after_system_start_any"}
    by_name = {o.expectation: o for o in result.warnings}
    assert by_name["raw_occurred_at_not_in_future_any"].unexpected_count == 1
    assert by_name["raw_occurred_at_after_system_start_any"].unexpected_count == 1
    # 31 events arrived on the day + 3 injected = 34 in the batch.
    assert by_name["raw_occurred_at_not_in_future_any"].element_count == 34


def test_a_share_of_future_events_above_the_threshold_blocks(pg_db, gate_config):
    data.load_history(pg_db, build_models=False)
    arrived = "2026-03-18T10:00:00+07:00"
    # A source clock running an hour ahead: 12 of 31 + 12 = 43 events (28 %) > 25 %.
    for i in range(12):
        data.insert_event(pg_db, case_id=f"SKHDT-CLOCK-{i}", event_type="case.rated",
                          occurred_at="2026-03-18T11:00:00+07:00", ingested_at=arrived, data={"score": 5})

    result = run_gate("raw", GATE_DAY, dbname=pg_db, config=gate_config)

    assert result.exit_code == 3
    assert _names(result.critical_failures) == {"raw_occurred_at_not_in_future"}
    assert result.critical_failures[0].unexpected_count == 12
    assert _names(result.warnings) >= {"raw_occurred_at_not_in_future_any"}


def test_quarantine_share_warns_then_blocks(pg_db, gate_config):
    data.load_history(pg_db, build_models=False)
    insert = """insert into raw.quarantine (kafka_topic, kafka_partition, kafka_offset, reason, error, quarantined_at)
                select 't', 0, g, 'malformed_json', 'x', timestamptz '2026-03-18T11:00:00+07:00'
                  from generate_series(%s::int, %s::int) g"""
    data.execute(pg_db, insert, params=(1, 1))   # 1 of 31 + 1 consumed = 3.1 %: above 1 %, below 5 %
    warned = run_gate("raw", GATE_DAY, dbname=pg_db, config=gate_config)
    assert warned.passed
    assert _names(warned.warnings) == {"raw_quarantine_share_warning"}
    assert warned.warnings[0].details == [{"quarantined": 1, "consumed": 32, "quarantine_share": 0.0313,
                                           "threshold": 0.01}]

    data.execute(pg_db, insert, params=(2, 3))   # 3 of 34 = 8.8 %
    blocked = run_gate("raw", GATE_DAY, dbname=pg_db, config=gate_config)
    assert _names(blocked.critical_failures) == {"raw_quarantine_share_critical"}


def test_unusual_volume_only_warns(pg_db, gate_config):
    days = data.working_days(GATE_DAY)
    with db.connect("owner", pg_db, autocommit=True) as conn:
        data.insert_cases(conn, days[:-1], data.AGENCIES)
        data.insert_cases(conn, [GATE_DAY], {**data.AGENCIES, "SKHDT": 9})   # 3x the usual receipts

    result = run_gate("raw", GATE_DAY, dbname=pg_db, config=gate_config)

    assert result.passed
    assert _names(result.warnings) == {"raw_agency_volume_within_band"}
    # 9 cases x 4 events + ratings of cases 2, 4, 6, 8 = 40; usual 13 (MAD 0, band 0.5 x 13).
    assert result.warnings[0].details == [{"agency_code": "SKHDT", "events_on_day": 40, "reference_median": 13.0,
                                           "band_halfwidth": 6.5, "reference_days_with_events": 35}]


def test_the_staff_topics_loaded_events_count_in_the_quarantine_share(pg_db, gate_config):
    data.load_history(pg_db, build_models=False)
    data.execute(pg_db, """insert into raw.quarantine (kafka_topic, kafka_partition, kafka_offset, reason, error, quarantined_at)
                           select 't', 0, g, 'malformed_json', 'x', timestamptz '2026-03-18T11:00:00+07:00'
                             from generate_series(1, 3) g""")
    # 70 staff events loaded the same day: 3 quarantined of 31 + 70 + 3 = 104 consumed = 2.9 %,
    # a warning (above 1 %), no longer a block (without them: 3 of 34 = 8.8 %)
    data.execute(pg_db, """insert into raw.staff_events (payload, content_hash, kafka_topic, kafka_partition,
                                                         kafka_offset, ingested_at)
                           select jsonb_build_object('event_id', gen_random_uuid(), 'event_type', 'officer.left',
                                                     'schema_version', 1, 'agency_code', 'SKHDT',
                                                     'officer_id', 'CB' || g, 'occurred_at', '2026-03-18T09:00:00+07:00',
                                                     'data', jsonb_build_object('valid_from', '2026-03-18')),
                                  '\\x00', 'motcua.staff-events', 0, g, timestamptz '2026-03-18T10:00:00+07:00'
                             from generate_series(1, 70) g""")
    judged = run_gate("raw", GATE_DAY, dbname=pg_db, config=gate_config)
    assert judged.passed
    assert _names(judged.warnings) >= {"raw_quarantine_share_warning"}
    share = next(w for w in judged.warnings if w.expectation == "raw_quarantine_share_warning")
    assert share.details == [{"quarantined": 3, "consumed": 104, "quarantine_share": 0.0288, "threshold": 0.01}]
