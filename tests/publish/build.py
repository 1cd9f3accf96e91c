"""A small hand-made build schema (what dbt would have built, recorded as dbt's hooks record a
build) and a gate verdict on it, as motcua_gate writes one."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

from ingestion import db
from publish import PublishRequest

BUILD = "marts_build"
NIGHT = date(2026, 3, 2)
INVOCATION = "inv-1"
ICT = timezone(timedelta(hours=7))

DDL = f"""
create schema if not exists {BUILD};
create table {BUILD}.fct_cases (case_id text primary key, agency_code text not null, status text not null,
                                waiting_working_minutes numeric not null);
create table {BUILD}.kpi_officer_daily (officer_id text not null, agency_code text not null, activity_date date not null,
    month date not null, cases_received integer not null, on_time_rate numeric, on_time_target numeric,
    on_time_met boolean);
create unique index on {BUILD}.kpi_officer_daily (officer_id, agency_code, activity_date);
create table {BUILD}.kpi_officer_monthly (officer_id text not null, agency_code text not null, month date not null,
    cases_received integer not null, on_time_rate numeric);
create table {BUILD}.kpi_agency_monthly (agency_code text not null, month date not null, received integer not null,
    on_time_rate numeric);
comment on table {BUILD}.kpi_agency_monthly is 'KPIs per agency and month';

insert into {BUILD}.fct_cases values ('C1', 'SKHDT', 'completed', 0), ('C2', 'SKHDT', 'completed', 30),
                                     ('C3', 'STP', 'open', 0);
insert into {BUILD}.kpi_officer_daily values
    ('O1', 'SKHDT', '2026-03-02', '2026-03-01', 2, 0.5, 0.9, false),
    ('O2', 'STP',   '2026-03-02', '2026-03-01', 1, null, 0.9, null);
insert into {BUILD}.kpi_officer_monthly values ('O1', 'SKHDT', '2026-03-01', 2, 0.5), ('O2', 'STP', '2026-03-01', 1, null);
insert into {BUILD}.kpi_agency_monthly values ('SKHDT', '2026-03-01', 2, 0.5), ('STP', '2026-03-01', 1, null);
"""


def create_build(dbname: str) -> None:
    with db.connect("transform", dbname, autocommit=True) as conn:
        conn.execute(DDL)
    record_build(dbname)


def record_build(dbname: str, invocation: str = INVOCATION, *, full: bool = True, finished: bool = True,
                 status: str = "success", schema: str = BUILD) -> None:
    """What dbt's on-run-start / on-run-end hooks write (dbt_project/macros/build_runs.sql)."""
    run_sql(dbname, """insert into lineage.dbt_build_runs (invocation_id, command, build_schema, full_build, builds_marts,
                           started_at, finished_at, status, errors)
                       values (%s, 'build', %s, %s, true, clock_timestamp(),
                               case when %s then clock_timestamp() end, %s, case when %s then 0 end)""",
            params=(invocation, schema, full, finished, status if finished else "running", finished))


def run_sql(dbname: str, sql: str, role: str = "transform", params: tuple | None = None) -> list[tuple]:
    with db.connect(role, dbname, autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


def record_gate(dbname: str, night: date = NIGHT, passed: bool = True, finished_at: datetime | None = None,
                invocation: str | None = INVOCATION, evaluated: int = 10) -> str:
    """A marts verdict as the GX gate writes it (quality.gate_runs, as motcua_gate)."""
    run_id = str(uuid.uuid4())
    start = datetime(night.year, night.month, night.day, tzinfo=ICT)
    finished_at = finished_at or datetime.now(timezone.utc)
    run_sql(dbname, """insert into quality.gate_runs (run_id, layer, local_date, data_interval_start, data_interval_end,
                         started_at, finished_at, passed, evaluated, critical_failures, warnings, dbt_invocation_id)
                       values (%s, 'marts', %s, %s, %s, %s, %s, %s, %s, %s, 0, %s)""",
            role="gate", params=(run_id, night, start, start + timedelta(days=1), finished_at - timedelta(seconds=5),
                                 finished_at, passed, evaluated, 0 if passed else 1, invocation))
    return run_id


def request(night: date = NIGHT, run_id: str | None = None, built_at: datetime | None = None) -> PublishRequest:
    start = datetime(night.year, night.month, night.day, 2, tzinfo=ICT)
    return PublishRequest(run_id=run_id or f"scheduled__{night.isoformat()}", local_date=night,
                          interval_start=start, interval_end=start + timedelta(days=1), git_commit="abc123",
                          dbt_invocation_id="inv-1", built_at=built_at, gate_summary={"marts": {"passed": True}})
