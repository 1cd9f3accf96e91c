"""Incremental publication: only the cases dbt queued, and the KPI rows they count in, are copied."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from publish import PublishConfig, publish
from tests.publish.build import BUILD, create_build, record_gate, request, run_sql

CFG = PublishConfig(build_schema=BUILD)

MEMBERSHIP = f"""
create table {BUILD}.kpi_case_membership (case_id text not null, measure text not null, officer_id text,
    agency_code text not null, activity_date date, month date, value integer not null);
insert into {BUILD}.kpi_case_membership values
    ('C1', 'received', 'O1', 'SKHDT', '2026-03-02', '2026-03-01', 1),
    ('C2', 'received', 'O1', 'SKHDT', '2026-03-02', '2026-03-01', 1),
    ('C3', 'received', 'O2', 'STP',   '2026-03-02', '2026-03-01', 1);
create table {BUILD}.publish_queue (invocation_id text not null, queued_at timestamptz not null default now(),
    case_id text);
"""

# What an incremental dbt run recomputing case C3 (now received by O3, 15 minutes waiting) does to
# the build: C3's rows and the officer rows it counted in before (O2) and counts in now (O3).
NIGHT_2 = f"""
update {BUILD}.fct_cases set waiting_working_minutes = 15 where case_id = 'C3';
update {BUILD}.kpi_case_membership set officer_id = 'O3' where case_id = 'C3';
delete from {BUILD}.kpi_officer_daily where officer_id = 'O2';
insert into {BUILD}.kpi_officer_daily values ('O3', 'STP', '2026-03-02', '2026-03-01', 1, null, 0.9, null);
delete from {BUILD}.kpi_officer_monthly where officer_id = 'O2';
insert into {BUILD}.kpi_officer_monthly values ('O3', 'STP', '2026-03-01', 1, null);
insert into {BUILD}.publish_queue (invocation_id, case_id) values ('inv-2', 'C3');
-- Traps: rows of cases nobody queued. dbt never changes these without queueing the case, so an
-- incremental publication must not even look at them.
update {BUILD}.fct_cases set status = 'trap' where case_id = 'C1';
update {BUILD}.kpi_officer_daily set cases_received = 99 where officer_id = 'O1';
"""


@pytest.fixture()
def published(pg_db) -> str:
    """Night 1 published in full (the queue says a full build happened)."""
    create_build(pg_db)
    run_sql(pg_db, MEMBERSHIP)
    run_sql(pg_db, f"insert into {BUILD}.publish_queue (invocation_id, case_id) values ('inv-1', null)")
    record_gate(pg_db)
    first = publish(request(), dbname=pg_db, config=CFG)
    assert first.scope.full and first.scope.reason == "a full build is queued"
    assert run_sql(pg_db, f"select count(*) from {BUILD}.publish_queue") == [(0,)]
    return pg_db


def officers(dbname: str, table: str) -> dict[str, int]:
    return dict(run_sql(dbname, f"select officer_id, cases_received from marts.{table} order by 1", role="bi"))


def test_only_the_queued_cases_and_the_kpi_rows_they_touch_are_published(published):
    run_sql(published, NIGHT_2)
    record_gate(published, night=date(2026, 3, 3))

    result = publish(request(night=date(2026, 3, 3)), dbname=published, config=CFG)

    assert not result.scope.full and result.scope.cases == 1
    # C3's rows, and the officer-days O2 (before) and O3 (after): 1 row out, 1 row in, per table
    assert result.tables["fct_cases"] == {"replaced": 1, "copied": 1, "table": "kept"}
    assert result.tables["kpi_case_membership"] == {"replaced": 1, "copied": 1, "table": "kept"}
    assert {k: v for k, v in result.tables["kpi_officer_daily"].items() if k in ("replaced", "copied")} == {
        "replaced": 1, "copied": 1}
    assert {k: v for k, v in result.tables["kpi_agency_monthly"].items() if k in ("replaced", "copied")} == {
        "replaced": 1, "copied": 1}                                   # STP, March
    assert run_sql(published, "select case_id, status, waiting_working_minutes from marts.fct_cases order by 1",
                   role="bi") == [("C1", "completed", 0), ("C2", "completed", 30), ("C3", "open", 15)]
    # O2's rows went with C3 to O3; O1 (untouched) keeps its published figure, not the trap.
    assert officers(published, "kpi_officer_daily") == {"O1": 2, "O3": 1}
    assert officers(published, "kpi_officer_monthly") == {"O1": 2, "O3": 1}
    assert run_sql(published, "select case_id, officer_id from lineage.kpi_case_membership order by 1",
                   role="auditor") == [("C1", "O1"), ("C2", "O1"), ("C3", "O3")]
    # The history has exactly the touched keys: O2 removed, O3 added, in both officer tables.
    assert result.tables["kpi_officer_daily"]["values"] == {"changed": 0, "added": 4, "removed": 4}
    assert result.tables["kpi_officer_monthly"]["values"] == {"changed": 0, "added": 2, "removed": 2}
    assert result.tables["kpi_agency_monthly"]["values"] == {"changed": 0, "added": 0, "removed": 0}
    assert run_sql(published, f"select count(*) from {BUILD}.publish_queue") == [(0,)]
    scope = run_sql(published, "select gate_summary->'scope' from audit.publications order by publication_id desc "
                               "limit 1", role="auditor")[0][0]
    assert scope == {"full": False, "reason": "1 case(s) queued by 1 dbt run(s)", "dbt_runs": 1, "cases": 1}

    # --full compares and copies everything: the trap rows now reach marts, as a revision.
    full = publish(request(night=date(2026, 3, 3), run_id="manual__full"), dbname=published, config=CFG, full=True)

    assert full.scope.full and officers(published, "kpi_officer_daily") == {"O1": 99, "O3": 1}
    assert run_sql(published, "select status from marts.fct_cases where case_id = 'C1'", role="bi") == [("trap",)]
    assert run_sql(published, """select grain->>'officer_id', previous_value, value from audit.kpi_value_revisions
                                  where table_name = 'kpi_officer_daily' and measure = 'cases_received'
                                  order by 1""",
                   role="auditor") == [("O1", 2, 99), ("O2", 1, None)]    # O2's removal, published before


def test_an_older_night_rerun_leaves_the_queue_for_the_next_publication(published):
    run_sql(published, NIGHT_2)
    record_gate(published, night=date(2026, 3, 3))
    publish(request(night=date(2026, 3, 3)), dbname=published, config=CFG)
    run_sql(published, f"insert into {BUILD}.publish_queue (invocation_id, case_id) values ('inv-3', 'C2')")

    older = publish(request(), dbname=published, config=CFG)     # night 1 again, after night 2

    assert not older.swapped and older.scope.full
    assert run_sql(published, f"select invocation_id, case_id from {BUILD}.publish_queue") == [("inv-3", "C2")]


def test_a_reshaped_published_table_makes_the_publication_full(published):
    run_sql(published, f"""alter table {BUILD}.kpi_agency_monthly add column complaints integer default 0;
                           insert into {BUILD}.publish_queue (invocation_id, case_id) values ('inv-2', 'C3')""")
    record_gate(published, night=date(2026, 3, 3))

    result = publish(request(night=date(2026, 3, 3)), dbname=published, config=CFG)

    assert result.scope.full and "kpi_agency_monthly" in result.scope.reason
    assert run_sql(published, "select complaints from marts.kpi_agency_monthly", role="bi") == [(0,), (0,)]


FAIRNESS = f"""
create table {BUILD}.fairness_officer_monthly (officer_id text not null, agency_code text not null, month date not null,
    return_near_deadline_rate numeric(7,4), return_near_deadline_group_median numeric(7,4),
    primary key (officer_id, agency_code, month));
insert into {BUILD}.fairness_officer_monthly values
    ('O2', 'STP', '2026-03-01', 0.2000, 0.3000), ('O4', 'STP', '2026-03-01', 0.4000, 0.3000);
"""
# Night 2 as dbt rebuilds the fairness mart: C3 moved from O2 to O3, and the STP group's median
# moved with it, also on O4's row, although none of O4's KPI rows (no case of O4 queued) changed.
FAIRNESS_NIGHT_2 = f"""
delete from {BUILD}.fairness_officer_monthly where officer_id = 'O2';
insert into {BUILD}.fairness_officer_monthly values ('O3', 'STP', '2026-03-01', 0.0000, 0.2000);
update {BUILD}.fairness_officer_monthly set return_near_deadline_group_median = 0.2000 where officer_id = 'O4';
"""


def test_the_fairness_mart_is_published_whole_on_an_incremental_night(pg_db):
    create_build(pg_db)
    run_sql(pg_db, MEMBERSHIP + FAIRNESS)
    run_sql(pg_db, f"insert into {BUILD}.publish_queue (invocation_id, case_id) values ('inv-1', null)")
    record_gate(pg_db)
    publish(request(), dbname=pg_db, config=CFG)
    run_sql(pg_db, NIGHT_2 + FAIRNESS_NIGHT_2)
    record_gate(pg_db, night=date(2026, 3, 3))

    result = publish(request(night=date(2026, 3, 3)), dbname=pg_db, config=CFG)

    assert not result.scope.full and result.scope.cases == 1
    assert result.tables["fairness_officer_monthly"]["rows"] == 2
    assert run_sql(pg_db, "select officer_id, return_near_deadline_group_median from marts.fairness_officer_monthly "
                          "order by 1", role="bi") == [("O3", Decimal("0.2000")), ("O4", Decimal("0.2000"))]
