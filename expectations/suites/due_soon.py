"""Marts: the early warning's open cases (fct_due_soon_open_cases) against fct_cases, cross-layer.

Every open case whose clock runs (not waiting for the applicant) must be in the due-soon table,
or be provably not due within the warning window at the build's as-of: its deadline's working day
starts more than (the rest of today's working time + the window) after today's start, on the
published calendar index. The proof needs no office hours, only whole days, so it errs on the
side of reporting. The table holds nothing else (no closed, waiting or unknown case), and each
row's deadline is fct_cases' effective deadline.
"""
from __future__ import annotations

import csv

from expectations.checks import CRITICAL, lit, no_rows
from expectations.suites import BuildContext, SuiteSpec
from ingestion.settings import PROJECT_ROOT

TABLE, CALENDAR = "fct_due_soon_open_cases", "dim_working_calendar"
WINDOW_CSV = PROJECT_ROOT / "kpi_models" / "due_soon_window.csv"


def widest_window_hours() -> float:
    """The widest window ever configured: a case outside it is outside every version's window."""
    with WINDOW_CSV.open(newline="", encoding="utf-8") as f:
        return max(float(r["window_working_hours"]) for r in csv.DictReader(f))


def missing_from_due_soon(fct: str, table: str, calendar: str, hours: float, as_of_sql: str = "null",
                          tz: str = "Asia/Ho_Chi_Minh") -> str:
    """Rows (case_id, agency_code, effective_due_at, problem) breaking the due-soon table's promise."""
    key = f"case when exists (select from {calendar} k where k.calendar_key = f.agency_code) then f.agency_code else '*' end"
    return f"""with as_of as (
    select coalesce((select max(built_as_of) from {table}), {as_of_sql}) as at
),
running as (
    select f.case_id, f.agency_code, f.effective_due_at, {key} as calendar_key
      from {fct} f
     where f.status = 'open' and not f.is_waiting_for_applicant and f.effective_due_at is not null
)
select r.case_id, r.agency_code, r.effective_due_at, 'missing' as problem
  from running r
  cross join as_of
  left join {calendar} due_day
    on due_day.calendar_key = r.calendar_key
   and due_day.calendar_date = (r.effective_due_at at time zone {lit(tz)})::date
  left join {calendar} today
    on today.calendar_key = r.calendar_key
   and today.calendar_date = (as_of.at at time zone {lit(tz)})::date
 where not exists (select from {table} t where t.case_id = r.case_id)
   and not coalesce(due_day.cum_seconds_before > today.cum_seconds_before + today.working_seconds + {float(hours)} * 3600,
                    due_day.calendar_date is null
                    and (r.effective_due_at at time zone {lit(tz)})::date > (select max(calendar_date) from {calendar}),
                    false)
union all
select t.case_id, t.agency_code, t.effective_due_at, 'not a running open case, or another deadline' as problem
  from {table} t
  left join running r on r.case_id = t.case_id
 where r.case_id is null or r.effective_due_at <> t.effective_due_at
 order by 1"""


def build(ctx: BuildContext, fct_name: str = "fct_cases") -> list[SuiteSpec]:
    schema = ctx.config.marts_schema
    fct, table, calendar = f"{schema}.{fct_name}", f"{schema}.{TABLE}", f"{schema}.{CALENDAR}"
    if not (ctx.catalog.has(table) and ctx.catalog.has(calendar)):
        return []
    check = no_rows(
        "due_soon_open_cases_accounts_for_every_open_case", CRITICAL,
        "Every open case not waiting for the applicant is in fct_due_soon_open_cases or provably not due within "
        "the widest warning window at the build's as-of; the table holds only such cases, with fct_cases' "
        "effective deadline.",
        missing_from_due_soon(fct, table, calendar, widest_window_hours(), ctx.interval.sql_end(), ctx.config.timezone))
    return [SuiteSpec(name=f"marts.{TABLE}", layer="marts", requires=(table, fct, calendar), table=table,
                      expectations=[check])]
