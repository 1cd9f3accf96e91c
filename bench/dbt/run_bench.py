"""Benchmark of the dbt marts: full build vs one nightly incremental run, at two history sizes.

Synthesizes raw events in SQL (bench/dbt/synth.sql, generate_series) into two fresh databases:
a history of `scale` x 1,000,000 cases and one ten times smaller, both with the same daily volume
(so "one new day" is the same work in both). In each: full build of seeds + models, then one new
day of events (plus events of the last days that arrive late), then the incremental run. Prints
wall-clock times (dbt process, incl. start-up and parsing) and the models' own run times (from
run_results.json), and the ratios the issue aims for:
  incremental / full <= 0.1;  incremental at 10x history <= 1.5 x incremental at 1x.

Usage: .venv/bin/python bench/dbt/run_bench.py [--scale 1.0] [--per-day 1370] [--keep] [--reuse]
It is a script, not a test: at scale 1 it takes several minutes and several GB of disk.
"""
from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from motcua import db  # noqa: E402
from publish import PublishConfig, PublishRequest, publish  # noqa: E402
from tests.dbt.dbt_runner import BUILD_SCHEMA, DBT, DBT_PROJECT, dbt_env  # noqa: E402

SYNTH = Path(__file__).with_name("synth.sql").read_text()
START = date(2023, 1, 2)
VN = timezone(timedelta(hours=7))
DBT_ARGS = ("build", "--resource-type", "seed", "--resource-type", "model")


class BenchError(RuntimeError):
    """A benchmark step failed."""


@dataclass
class Timing:
    wall: float
    models: float
    rows: dict
    publish: float = 0.0      # the publish step after this build (copy into marts + history)


def synth_sql(**params: object) -> str:
    """Fill the :name / :'name' placeholders of synth.sql (values are ours, not user input)."""
    params = {"receivers": 5, "handlers": 10, **params}   # officers per agency (300 in all)
    sql = SYNTH
    for name, value in params.items():
        sql = sql.replace(f":'{name}'", f"'{value}'").replace(f":{name}", str(value))
    return sql


def load(dbname: str, **params: object) -> int:
    """Synthesize raw case events (synth.sql) into `dbname`; returns the rows inserted."""
    with db.connect("ingest", dbname) as conn:
        newest = conn.execute("select coalesce(max(ingested_at), now()) + interval '1 day' from raw.case_events").fetchone()[0]
        sql = synth_sql(night_ingested_at=newest.isoformat(), **params)
        generated = conn.execute(
            "select is_generated = 'ALWAYS' from information_schema.columns"
            " where table_schema = 'raw' and table_name = 'case_events' and column_name = 'occurred_at'").fetchone()[0]
        if generated:  # the raw layer derives occurred_at from the payload itself
            sql = sql.replace(", occurred_at, ingested_at)", ", ingested_at)").replace("    p.occurred_at,\n", "")
        inserted = conn.execute(sql).rowcount
        conn.commit()
    with db.connect("owner", dbname, autocommit=True) as conn:
        conn.execute("analyze raw.case_events")
    return inserted


def run_dbt(dbname: str, target: Path, as_of: datetime, *extra: str) -> Timing:
    env = dbt_env(dbname)
    env["MOTCUA_AS_OF"] = as_of.isoformat()
    cmd = [str(DBT), *DBT_ARGS, *extra, "--profiles-dir", str(DBT_PROJECT), "--project-dir", str(DBT_PROJECT),
           "--target-path", str(target), "--log-path", str(target / "logs")]
    began = time.perf_counter()
    proc = subprocess.run(cmd, cwd=DBT_PROJECT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        raise BenchError(f"dbt failed on {dbname}:\n{proc.stdout[-4000:]}")
    results = json.loads((target / "run_results.json").read_text())["results"]
    models = sum(r["execution_time"] for r in results if r["unique_id"].startswith("model."))
    slowest = sorted(((r["execution_time"], r["unique_id"].split(".")[-1]) for r in results), reverse=True)[:4]
    print("    slowest: " + ", ".join(f"{name} {seconds:.1f}s" for seconds, name in slowest), flush=True)
    rows = {r["unique_id"].split(".")[-1]: r.get("adapter_response", {}).get("rows_affected")
            for r in results if r["unique_id"].split(".")[-1] in ("fct_cases", "int_cases_affected", "kpi_case_membership")}
    return Timing(wall, models, rows)


def time_publish(dbname: str, as_of: datetime, timing: Timing) -> None:
    """Publish the build just made (the gate is the GX bench's business) and time it."""
    request = PublishRequest(run_id=f"bench-{as_of.isoformat()}", local_date=(as_of - timedelta(days=1)).date(),
                             interval_start=as_of - timedelta(days=1), interval_end=as_of)
    began = time.perf_counter()
    result = publish(request, dbname=dbname, config=PublishConfig(build_schema=BUILD_SCHEMA), require_gate=False)
    timing.publish = time.perf_counter() - began
    rows = {name: t.get("rows", f"{t.get('copied')} copied") for name, t in result.tables.items()}
    scope = "everything" if result.scope.full else f"{result.scope.cases:,} queued cases"
    print(f"    publish: {timing.publish:.1f} s ({scope}), {result.revisions:,} revised values, rows {rows}", flush=True)


def history_loaded(dbname: str) -> bool:
    """--reuse: a bench database left by an earlier run with only its history loaded."""
    with db.connect("owner", "postgres", autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (dbname,)).fetchone():
            return False
    with db.connect("ingest", dbname) as conn:
        return conn.execute("select count(*) > 0 and max(ingested_at) < now() - interval '1 minute'"
                            " and max(occurred_at) < now() - interval '300 days' from raw.case_events").fetchone()[0]


def bench_history(label: str, n_cases: int, per_day: int, keep: bool, reuse: bool = False) -> tuple[Timing, Timing]:
    dbname = f"motcua_bench_{label}"
    days = math.ceil(n_cases / per_day)
    new_day = START + timedelta(days=days)
    common = dict(n_cases=n_cases + per_day, per_day=per_day, start_date=START,
                  late_from=new_day - timedelta(days=5), n_from=1)
    reused = reuse and history_loaded(dbname)
    if not reused:
        with db.connect("owner", "postgres", autocommit=True) as conn:
            conn.execute(f'drop database if exists "{dbname}" with (force)')
            conn.execute(f'create database "{dbname}"')
    try:
        if not reused:
            db.migrate(dbname)
            began = time.perf_counter()
            history = load(dbname, mode="history", day_from=START - timedelta(days=1), day_to=new_day, **common)
            print(f"[{label}] {history:,} raw events for {n_cases:,} cases over {days} days loaded in "
                  f"{time.perf_counter() - began:.0f} s", flush=True)
        else:
            print(f"[{label}] reusing the history already loaded in {dbname}", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp)
            midnight = datetime(new_day.year, new_day.month, new_day.day, tzinfo=VN)
            full = run_dbt(dbname, target, midnight, "--full-refresh")
            time_publish(dbname, midnight, full)
            print(f"[{label}] full build: {full.wall:.1f} s wall, {full.models:.1f} s in models {full.rows}", flush=True)
            night = load(dbname, mode="night", day_from=new_day, day_to=new_day + timedelta(days=1), **common)
            incremental = run_dbt(dbname, target, midnight + timedelta(days=1))
            time_publish(dbname, midnight + timedelta(days=1), incremental)
            print(f"[{label}] new day: {night:,} events; incremental: {incremental.wall:.1f} s wall, "
                  f"{incremental.models:.1f} s in models {incremental.rows}", flush=True)
        return full, incremental
    finally:
        if not keep:
            with db.connect("owner", "postgres", autocommit=True) as conn:
                conn.execute(f'drop database if exists "{dbname}" with (force)')


def extra_nights(label: str, n_cases: int, per_day: int, nights: int) -> list[Timing]:
    """More nights on a kept bench database (after a full run): one new day each, then the
    incremental run. Later nights measure a warm, steady state."""
    dbname = f"motcua_bench_{label}"
    db.migrate(dbname)   # a database kept by an older version may lack later migrations
    with db.connect("ingest", dbname) as conn:
        last = conn.execute("select max((occurred_at at time zone 'Asia/Ho_Chi_Minh')::date) from raw.case_events").fetchone()[0]
    timings = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(nights):
            day = last + timedelta(days=1 + k)
            count = load(dbname, mode="night", day_from=day, day_to=day + timedelta(days=1), late_from=day,
                         n_cases=per_day * ((day - START).days + 2), per_day=per_day, start_date=START,
                         n_from=max(1, per_day * ((day - START).days - 15)))
            as_of = datetime(day.year, day.month, day.day, tzinfo=VN) + timedelta(days=1)
            timing = run_dbt(dbname, Path(tmp), as_of)
            time_publish(dbname, as_of, timing)
            print(f"[{label}] night {day}: {count:,} events; incremental: {timing.wall:.1f} s wall, "
                  f"{timing.models:.1f} s in models {timing.rows}", flush=True)
            timings.append(timing)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="dbt marts benchmark (full vs incremental)")
    parser.add_argument("--scale", type=float, default=1.0, help="history = scale x 1,000,000 cases")
    parser.add_argument("--per-day", type=int, default=1370, help="cases received per day (1M cases ~ 2 years)")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse a kept database whose history is loaded (skips the slow synthesis)")
    parser.add_argument("--extra-nights", type=int, default=0,
                        help="with databases kept by an earlier run: only run this many more nights on each")
    args = parser.parse_args(argv)
    big = int(1_000_000 * args.scale)
    if args.extra_nights:
        big_runs = extra_nights("1x", big, args.per_day, args.extra_nights)
        small_runs = extra_nights("0_1x", big // 10, args.per_day, args.extra_nights)
        for what in ("wall", "models", "publish"):
            big_median = sorted(getattr(t, what) for t in big_runs)[len(big_runs) // 2]
            small_median = sorted(getattr(t, what) for t in small_runs)[len(small_runs) // 2]
            print(f"median incremental {what}: {big_median:.1f} s at {big:,} cases, {small_median:.1f} s at "
                  f"{big // 10:,}: ratio {big_median / small_median:.2f}   (target <= 1.5)")
        return 0
    big_full, big_incr = bench_history("1x", big, args.per_day, args.keep, args.reuse)
    small_full, small_incr = bench_history("0_1x", big // 10, args.per_day, args.keep, args.reuse)

    print()
    print(f"{'history':<22}{'full wall':>11}{'full models':>13}{'incr wall':>11}{'incr models':>13}"
          f"{'publish full':>14}{'publish incr':>14}")
    for name, full, incr in ((f"{big:,} cases", big_full, big_incr), (f"{big // 10:,} cases", small_full, small_incr)):
        print(f"{name:<22}{full.wall:>10.1f}s{full.models:>12.1f}s{incr.wall:>10.1f}s{incr.models:>12.1f}s"
              f"{full.publish:>13.1f}s{incr.publish:>13.1f}s")
    print()
    print(f"incremental / full at {big:,} cases: wall {big_incr.wall / big_full.wall:.3f}, "
          f"models {big_incr.models / big_full.models:.3f}   (target <= 0.1)")
    print(f"incremental at 10x history / at 1x: wall {big_incr.wall / small_incr.wall:.2f}, "
          f"models {big_incr.models / small_incr.models:.2f}   (target <= 1.5)")
    print(f"publish after the incremental run / the run itself at {big:,} cases: "
          f"{big_incr.publish / big_incr.wall:.2f}; publish at 10x history / at 1x: "
          f"{big_incr.publish / small_incr.publish:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
