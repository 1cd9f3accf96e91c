"""Complaints re-sent under a new event_id count once (docs/domain/kpi-definitions.md, complaint rate).

A complaint has no identifier of its own in the contract (case.complained: category, text?): the
same complaint sent again by a producer under a new event_id carries the same case, instant and
category. It is one complaint, as two returns at the same instant are one return. A second
complaint (another instant) is another complaint. All local times Asia/Ho_Chi_Minh, March 2026.

Officer C1 completes four SKHDT cases on Tuesday 3 March:
  K1: complaint Wed 4 Mar 10:00 "delay"; re-sent under a new event_id the NEXT night (arrives
      after the first build: the incremental run must not count it again);
  K2: complaint Wed 4 Mar 10:00 "delay" and a second complaint Thu 5 Mar 09:00 "attitude";
  K3: no complaint;
  K4: complaint Wed 4 Mar 10:00 "delay", re-sent under a new event_id in the same batch, and the
      first one also redelivered under its own event_id (raw.redeliveries).
Hand-computed: C1 completed 4, completed with a complaint 3 (K1, K2, K4): complaint_rate 0.75;
complaints_count 1 + 2 + 0 + 1 = 4 (3 on Wed 4, 1 on Thu 5); fct_cases.complaint_count 1, 2, 0, 1.
Counting event_ids would give complaints_count 6 (K1 2, K2 2, K4 2).
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal

import pytest

from ingestion import db
from tests.dbt.dbt_runner import BUILD_SCHEMA, run_dbt
from tests.dbt.events import VN, complained, completed, insert_events, insert_redelivery, received, vn

NIGHTLY = ("build", "--resource-type", "seed", "--resource-type", "model")
RECEIVED, DUE, DONE = vn("2026-03-02 08:00"), vn("2026-03-06 17:00"), vn("2026-03-03 10:00")
WED, THU = vn("2026-03-04 10:00"), vn("2026-03-05 09:00")


def rows(dbname: str, sql: str) -> list[tuple]:
    with db.connect("transform", dbname) as conn:
        return conn.execute(sql).fetchall()


def resent(event):
    """The same complaint sent again by the producer under a new event_id."""
    return dataclasses.replace(event, event_id=complained(event.case_id, event.occurred_at).event_id)


@pytest.fixture(scope="module")
def built(module_db, dbt_target):
    cases = [e for k in ("K1", "K2", "K3", "K4")
             for e in (received(k, RECEIVED, DUE, officer="R1", days=5), completed(k, DONE, officer="C1"))]
    k1, k4 = complained("K1", WED), complained("K4", WED)
    night_1 = [datetime(2026, 3, 5, 20, 0, tzinfo=VN), "2026-03-05T23:30:00+07:00"]
    night_2 = [datetime(2026, 3, 6, 20, 0, tzinfo=VN), "2026-03-06T23:30:00+07:00"]
    first = cases + [k1, complained("K2", WED), complained("K2", THU, category="attitude"), k4, resent(k4)]
    for e in first:
        e.ingested_at = night_1[0]
    insert_events(module_db, first)
    insert_redelivery(module_db, k4)
    run_dbt(module_db, *NIGHTLY, target_path=dbt_target, as_of=night_1[1])
    late = resent(k1)
    late.ingested_at = night_2[0]
    insert_events(module_db, [late])
    run_dbt(module_db, *NIGHTLY, target_path=dbt_target, as_of=night_2[1])
    return module_db


def test_a_resent_complaint_counts_once(built):
    assert rows(built, f"select case_id, complaint_count from {BUILD_SCHEMA}.fct_cases order by 1") == [
        ("K1", 1), ("K2", 2), ("K3", 0), ("K4", 1)]
    assert rows(built, f"""select cases_completed, cases_completed_with_complaint, complaint_rate, complaints_count
                             from {BUILD_SCHEMA}.kpi_officer_monthly where officer_id = 'C1'""") == [
        (4, 3, Decimal("0.7500"), 4)]
    assert rows(built, f"""select activity_date::text, complaints_count from {BUILD_SCHEMA}.kpi_officer_daily
                            where officer_id = 'C1' and complaints_count > 0 order by 1""") == [
        ("2026-03-04", 3), ("2026-03-05", 1)]
    assert rows(built, f"""select complaint_rate, complaints_count from {BUILD_SCHEMA}.kpi_agency_monthly
                            where agency_code = 'SKHDT'""") == [(Decimal("0.7500"), 4)]
    # the auditor's trace: one 'complaint' membership row per case and day, valued by the complaints
    assert rows(built, f"""select case_id, activity_date::text, value from {BUILD_SCHEMA}.kpi_case_membership
                            where measure = 'complaint' order by 1, 2""") == [
        ("K1", "2026-03-04", Decimal("1")), ("K2", "2026-03-04", Decimal("1")), ("K2", "2026-03-05", Decimal("1")),
        ("K4", "2026-03-04", Decimal("1"))]


def test_incremental_equals_full_refresh(built, dbt_target):
    query = f"""select officer_id, month, cases_completed_with_complaint, complaints_count
                  from {BUILD_SCHEMA}.kpi_officer_monthly order by 1, 2"""
    incremental = rows(built, query)
    run_dbt(built, *NIGHTLY, "--full-refresh", target_path=dbt_target, as_of="2026-03-06T23:30:00+07:00")
    assert rows(built, query) == incremental
