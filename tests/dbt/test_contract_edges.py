"""Whatever the loader accepts, dbt handles: one message each used to fail or block every night.

Raw rows are written as the loader writes them (tests/raw_events.py), including a few the
loader now quarantines (a prehistoric occurred_at, a non-integral score): rows loaded before
those capture checks existed must not stop the build either; staging lists them instead.
"""
from __future__ import annotations

import hashlib
import json
import pytest

from ingestion import db
from tests.dbt.dbt_runner import BUILD_SCHEMA, run_dbt
from tests.dbt.events import TOPIC, Event, assigned, completed, insert_events, rated, received, vn
from tests.raw_events import INSERT

AS_OF = "2026-10-01T00:00:00+07:00"


def insert_verbatim(dbname: str, texts: list[str]) -> None:
    """JSON texts inserted as they are: `"score": 5.000` stays 5.000 in jsonb."""
    with db.connect("ingest", dbname) as conn:
        for i, text in enumerate(texts):
            conn.execute(INSERT, (text, hashlib.sha256(text.encode()).digest(), TOPIC, 7, i, None, None))
        conn.commit()


def rated_text(case_id: str, score: str, event_id: str) -> str:
    body = rated(case_id, vn("2026-03-11 10:00"), 0, event_id=event_id).payload()
    return json.dumps(body).replace('"score": 0', f'"score": {score}')


@pytest.fixture(scope="module")
def built(module_db, dbt_target):
    events = []
    for case_id in ("RATE-40", "RATE-4E0", "RATE-5000", "RATE-45"):
        events += [received(case_id, vn("2026-03-09 09:00"), vn("2026-03-12 09:00"), officer="R1"),
                   completed(case_id, vn("2026-03-10 09:00"), officer="C1")]
    # A receipt that names no officer (null is allowed by the contract), completed by C2.
    events += [received("NOOFF-1", vn("2026-03-09 09:00"), vn("2026-03-12 09:00"), officer=None),
               completed("NOOFF-1", vn("2026-03-10 10:00"), officer="C2")]
    # Neither the receipt nor the result names an officer, and no one was assigned.
    events += [received("NOOFF-2", vn("2026-03-09 09:30"), vn("2026-03-12 09:30"), officer=None),
               completed("NOOFF-2", vn("2026-03-10 11:00"), officer=None)]
    # Prehistoric and beyond-the-calendar instants, loaded before capture checked them.
    events += [received("OLD-1", vn("2026-03-09 10:00"), vn("2026-03-12 10:00"), officer="R1"),
               Event("case.assigned", "OLD-1", vn("0001-01-01 08:00"), officer_id="R1",
                     data={"to_officer_id": "C1"}, event_id="00000000-0000-4000-8000-000000000001")]
    events += [received("FAR-1", vn("2026-03-09 10:00"), vn("9999-12-30 10:00"), officer="R1",
                        event_id="00000000-0000-4000-8000-000000000002"),
               assigned("FAR-1", vn("2026-03-09 11:00"), "C1")]
    insert_events(module_db, events)
    insert_verbatim(module_db, [
        rated_text("RATE-40", "4.0", "00000000-0000-4000-8000-000000000040"),
        rated_text("RATE-4E0", "4e0", "00000000-0000-4000-8000-000000000041"),
        rated_text("RATE-5000", "5.000", "00000000-0000-4000-8000-000000000050"),
        rated_text("RATE-45", "4.5", "00000000-0000-4000-8000-000000000045"),
    ])
    run_dbt(module_db, "build", target_path=dbt_target, as_of=AS_OF)
    return module_db


def rows(dbname: str, sql: str) -> list[tuple]:
    with db.connect("auditor", dbname) as conn:
        return conn.execute(sql).fetchall()


def test_integral_scores_in_any_notation_are_read_as_integers(built):
    assert rows(built, f"select case_id, rating_score from {BUILD_SCHEMA}.fct_cases "
                       "where case_id like 'RATE-%' order by 1") == [
        ("RATE-40", 4), ("RATE-45", None), ("RATE-4E0", 4), ("RATE-5000", 5)]


def test_events_the_figures_cannot_use_are_listed_with_a_reason(built):
    assert rows(built, "select event_id::text, case_id, rejection_reason from staging.stg_motcua__rejected_events "
                       "order by 1") == [
        ("00000000-0000-4000-8000-000000000001", "OLD-1", "occurred_before_system_start"),
        ("00000000-0000-4000-8000-000000000002", "FAR-1", "due_at_outside_working_calendar"),
        ("00000000-0000-4000-8000-000000000045", "RATE-45", "rating_score_not_an_integer_1_to_5"),
    ]
    # Left out of staging, so out of the figures: FAR-1 has no usable receipt, OLD-1 keeps its receipt.
    assert rows(built, "select count(*) from staging.stg_motcua__case_events where event_id in "
                       "(select event_id from staging.stg_motcua__rejected_events)") == [(0,)]
    assert rows(built, f"select case_id from {BUILD_SCHEMA}.fct_cases where case_id in ('OLD-1', 'FAR-1')") == [
        ("OLD-1",)]


def test_a_receipt_without_officer_counts_for_the_agency_and_no_officer(built):
    assert rows(built, f"select case_id, receiving_officer_id, handling_officer_id, status from {BUILD_SCHEMA}.fct_cases "
                       "where case_id like 'NOOFF-%' order by 1") == [
        ("NOOFF-1", None, "C2", "completed"), ("NOOFF-2", None, None, "completed")]
    # March 2026 at SKHDT: RATE-* 4 + NOOFF-* 2 + OLD-1 + FAR-1 has no usable receipt = 7 received,
    # 6 completed; officers: R1 received 5 (RATE-* and OLD-1), C1 completed 4, C2 completed 1.
    assert rows(built, f"select cases_received, cases_completed from {BUILD_SCHEMA}.kpi_agency_monthly "
                       "where agency_code = 'SKHDT' and month = date '2026-03-01'") == [(7, 6)]
    assert rows(built, f"select officer_id, sum(cases_received), sum(cases_completed) "
                       f"from {BUILD_SCHEMA}.kpi_officer_monthly where month = date '2026-03-01' "
                       "group by 1 order by 1") == [("C1", 0, 4), ("C2", 0, 1), ("R1", 5, 0)]
