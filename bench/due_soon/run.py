"""Benchmark of the early warning (marts.open_cases_due_soon) on a 1,000,000-case history.

One fresh database `motcua_bench_due_soon`, built in place (MOTCUA_BUILD_SCHEMA=marts):
  - raw.case_events: the dbt benchmark's synthetic history (bench/dbt/synth.sql, 1,370 cases a
    day over two years, ~4 events a case), then one more day of events arriving after the build;
  - marts.fct_cases: 1M synthetic cases generated in SQL with the columns the early warning reads
    and a filler the width of the real table's other columns (a full dbt build at 1M cases takes
    the dbt benchmark's time, not this one's); the open cases are those of the last two weeks
    plus a tail of old overdue ones;
  - the real dbt models: the calendar, dim_working_calendar, fct_due_soon_open_cases (and the functions
    and view of macros/due_soon.sql), built by `dbt run` on that fct_cases.
Then, at a working instant (Thursday 2 January 2025 10:00 local), 100 queries per officer (200
officers, cycled) and 100 per agency (20 agencies), median latency, for:
  A  baseline: the same answer computed from fct_cases as published (no extra index), with the
     calendar joined at query time (what a BI view over fct_cases would do);
  B  fct_cases with partial indexes on the open cases (officer, agency): "an index";
  C  marts.open_cases_due_soon_at(): the small maintained table + the calendar index (chosen).
And the refresh costs: the nightly dbt run of the two models, the intraday refresh (one day of
events loaded since the build). Figures are printed as absolute times and ratios to baseline A.

Usage: .venv/bin/python -m bench.due_soon.run [--cases 1000000] [--keep] [--reuse]
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.dbt.run_bench import START, load  # noqa: E402
from ingestion import db  # noqa: E402
from motcua import due_soon  # noqa: E402
from tests.dbt.dbt_runner import DBT, DBT_PROJECT, dbt_env  # noqa: E402

DBNAME = "motcua_bench_due_soon"
PER_DAY = 1370
VN = timezone(timedelta(hours=7))
AT = datetime(2025, 1, 2, 10, 0, tzinfo=VN)
RESULTS = ROOT / "bench" / "results" / "due_soon.json"

FCT = """
create table marts.fct_cases as
with cases as (
    select n,
           'AG' || lpad((n %% 20)::text, 2, '0') as agency,
           abs(hashtext(n::text || 'a')) as h1, abs(hashtext(n::text || 'b')) as h2,
           abs(hashtext(n::text || 'c')) as h3,
           (%(start)s::date + ((n - 1) / %(per_day)s)::int) as receipt_day
      from generate_series(1, %(n)s) as n
), timed as (
    select c.*, ((c.receipt_day + time '08:00' + make_interval(mins => c.h1 %% 480)) at time zone 'Asia/Ho_Chi_Minh')
                as received_at, 1 + c.h2 %% 5 as processing_days
      from cases c
)
select 'B' || n as case_id, agency as agency_code, '1.00' || (h2 %% 40) as procedure_code,
       'Thủ tục ' || (h2 %% 40) as procedure_name,
       agency || '-D' || (h1 %% 5) as receiving_officer_id, agency || '-H' || (h2 %% 10) as handling_officer_id,
       received_at, received_at + make_interval(days => processing_days) as effective_due_at,
       -- open: most receipts of the last 14 days, and 1 in 500 older ones (overdue, forgotten)
       case when (receipt_day > %(at_day)s::date - 14 and h3 %% 10 < 7) or h3 %% 500 = 7 then 'open' else 'completed' end
           as status,
       h3 %% 10 = 1 as is_waiting_for_applicant,
       repeat('x', 300) as other_columns
  from timed
"""

BASELINE = """
select f.case_id, f.agency_code, f.procedure_code, f.handling_officer_id,
       ((due_day.cum_seconds_before + case when due_day.is_working_day then {due_s} else 0 end)
        - (today.cum_seconds_before + case when today.is_working_day then {now_s} else 0 end)) / 60.0 as minutes_left
  from marts.fct_cases f
  join marts.dim_working_calendar due_day
    on due_day.calendar_key = '*' and due_day.calendar_date = (f.effective_due_at at time zone 'Asia/Ho_Chi_Minh')::date
  join marts.dim_working_calendar today
    on today.calendar_key = '*' and today.calendar_date = (%(at)s::timestamptz at time zone 'Asia/Ho_Chi_Minh')::date
 where f.status = 'open' and not f.is_waiting_for_applicant and f.{column} = %(key)s
   and (due_day.cum_seconds_before + case when due_day.is_working_day then {due_s} else 0 end)
       <= (today.cum_seconds_before + case when today.is_working_day then {now_s} else 0 end) + 8 * 3600
"""
CHOSEN = "select * from marts.open_cases_due_soon_at(%(at)s) where {column} = %(key)s"


def seconds_into_day(ts: str) -> str:
    """Office hours 08-12, 13-17 (the dbt var's default), as macros/working_time.sql writes it."""
    sod = f"extract(epoch from ({ts} at time zone 'Asia/Ho_Chi_Minh')::time)"
    return f"(greatest(0, least({sod}, 43200) - 28800) + greatest(0, least({sod}, 61200) - 46800))"


def dbt_run(*select: str, as_of: datetime) -> float:
    env = dbt_env(DBNAME)
    env.update(MOTCUA_BUILD_SCHEMA="marts", MOTCUA_AS_OF=as_of.isoformat())
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(DBT), "build", "--select", *select, "--profiles-dir", str(DBT_PROJECT), "--project-dir",
               str(DBT_PROJECT), "--target-path", tmp, "--log-path", tmp]
        proc = subprocess.run(cmd, cwd=DBT_PROJECT, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"dbt failed:\n{proc.stdout[-4000:]}")
        results = json.loads((Path(tmp) / "run_results.json").read_text())["results"]
    return sum(r["execution_time"] for r in results if r["unique_id"].split(".")[-1] in
               ("fct_due_soon_open_cases", "dim_working_calendar"))


def median_ms(conn, sql: str, keys: list[str], n: int = 100) -> float:
    times = []
    for i in range(n):
        began = time.perf_counter()
        conn.execute(sql, {"at": AT, "key": keys[i % len(keys)]}).fetchall()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.due_soon.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a database kept by --keep")
    args = parser.parse_args(argv)
    days = math.ceil(args.cases / PER_DAY)
    new_day = START + timedelta(days=days)
    with db.connect("owner", "postgres", autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (DBNAME,)).fetchone()
        if not (args.reuse and exists):
            conn.execute(f'drop database if exists "{DBNAME}" with (force)')
            conn.execute(f'create database "{DBNAME}"')
    figures: dict = {"cases": args.cases, "at": AT.isoformat()}
    try:
        if not (args.reuse and exists):
            db.migrate(DBNAME)
            began = time.perf_counter()
            events = load(DBNAME, mode="history", n_cases=args.cases, per_day=PER_DAY, start_date=START,
                          day_from=START - timedelta(days=1), day_to=new_day, late_from=new_day, n_from=1)
            print(f"raw history: {events:,} events in {time.perf_counter() - began:.0f} s", flush=True)
            with db.connect("transform", DBNAME) as conn:
                conn.execute("create schema if not exists marts")
                conn.execute(FCT, {"start": START, "per_day": PER_DAY, "n": args.cases, "at_day": AT.date()})
                conn.execute("alter table marts.fct_cases add primary key (case_id)")
                conn.execute("analyze marts.fct_cases")
                conn.commit()
        # built at the end of the history: the raw history above was ingested before it, the day below after it
        build_as_of = datetime(new_day.year, new_day.month, new_day.day, tzinfo=VN)
        nightly = dbt_run("+int_calendar_days", "dim_working_calendar", "fct_due_soon_open_cases", "due_soon_window",
                          as_of=build_as_of)
        nightly_again = dbt_run("dim_working_calendar", "fct_due_soon_open_cases", as_of=build_as_of)
        with db.connect("transform", DBNAME, autocommit=True) as conn:
            open_rows = conn.execute("select count(*) from marts.fct_due_soon_open_cases").fetchone()[0]
            officers = [r[0] for r in conn.execute("select distinct handling_officer_id from marts.fct_cases "
                                                   "where status = 'open' order by 1")]
            agencies = [r[0] for r in conn.execute("select distinct agency_code from marts.fct_cases order by 1")]
            due_s, now_s = seconds_into_day("f.effective_due_at"), seconds_into_day("%(at)s::timestamptz")
            plans = {"A": lambda c: BASELINE.format(due_s=due_s, now_s=now_s, column=c),
                     "C": lambda c: CHOSEN.format(column=c)}
            for variant, columns in (("A", ("handling_officer_id", "agency_code")), ("C", ("officer_id", "agency_code"))):
                for column, keys in zip(columns, (officers, agencies)):
                    grain = "officer" if "officer" in column else "agency"
                    figures[f"{variant}_{grain}_ms"] = median_ms(conn, plans[variant](column), keys)
            began = time.perf_counter()
            conn.execute("create index fct_open_officer on marts.fct_cases (handling_officer_id) where status = 'open'")
            conn.execute("create index fct_open_agency on marts.fct_cases (agency_code) where status = 'open'")
            conn.execute("analyze marts.fct_cases")
            figures["B_index_build_s"] = time.perf_counter() - began
            for grain, column, keys in (("officer", "handling_officer_id", officers), ("agency", "agency_code", agencies)):
                figures[f"B_{grain}_ms"] = median_ms(conn, plans["A"](column), keys)
            conn.execute("drop index marts.fct_open_officer, marts.fct_open_agency")
        # one working day of events arriving after the build (receipts, completions, returns, ...)
        with db.connect("transform", DBNAME) as conn:
            more = conn.execute("select count(*) from raw.case_events where ingested_at >= %s",
                                (build_as_of - due_soon.LOOKBACK,)).fetchone()[0]
        if not more:    # (a database kept by --keep has them already)
            more = load(DBNAME, mode="night", n_cases=args.cases + PER_DAY, per_day=PER_DAY, start_date=START,
                        day_from=new_day, day_to=new_day + timedelta(days=1), late_from=new_day,
                        n_from=args.cases - 20 * PER_DAY)
        with db.connect("transform", DBNAME) as conn:
            began = time.perf_counter()
            changes = due_soon.refresh(conn, AT)
            figures["refresh_intraday_s"] = time.perf_counter() - began
        figures.update(open_cases_in_table=open_rows, officers=len(officers), agencies=len(agencies),
                       nightly_models_s=nightly, nightly_models_again_s=nightly_again,
                       intraday_events=more, intraday_changes=changes)
    finally:
        if not args.keep:
            with db.connect("owner", "postgres", autocommit=True) as conn:
                conn.execute(f'drop database if exists "{DBNAME}" with (force)')
    a_o, a_a = figures["A_officer_ms"], figures["A_agency_ms"]
    print(f"\n{args.cases:,} cases; {figures['open_cases_in_table']:,} running open cases in the table; "
          f"{figures['officers']} officers, {figures['agencies']} agencies; queried at {AT.isoformat()}")
    print(f"{'median of 100 queries':<44}{'per officer':>14}{'per agency':>14}")
    for label, key in (("A fct_cases + calendar at query time", "A"), ("B A + partial indexes on open cases", "B"),
                       ("C open_cases_due_soon (chosen)", "C")):
        o, a = figures[f"{key}_officer_ms"], figures[f"{key}_agency_ms"]
        print(f"{label:<44}{o:>8.2f} ms {o / a_o:>6.3f}x{a:>8.2f} ms {a / a_a:>6.3f}x")
    print(f"nightly: dim_working_calendar + fct_due_soon_open_cases models {figures['nightly_models_s']:.2f} s "
          f"(again: {figures['nightly_models_again_s']:.2f} s); B's two indexes {figures['B_index_build_s']:.2f} s")
    print(f"intraday refresh: {figures['intraday_events']:,} events since the build -> {figures['intraday_changes']} "
          f"in {figures['refresh_intraday_s']:.2f} s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
