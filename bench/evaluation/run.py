"""Benchmark of the evaluation and fairness models in the nightly incremental run, and of the
statements rendered from the marts they build.

    .venv/bin/python -m bench.evaluation.run [--cases 1000000] [--rounds 2] [--reuse] [--keep]

Set-up (not timed): a database motcua_bench_eval with the dbt benchmark's synthetic case history
(bench/dbt/synth.sql: `--cases` cases, 1,370 a day, 20 agencies, 4 receiving and 5 handling
officers each) and a year of staff events for its officers plus one leader per agency, 200 officers
(bench/evaluation/staff_synth.sql: positions for everyone and transfers, monthly manager
assessments with corrections, quarterly ones, peer and self assessments, exemptions), a full build
(seeds and models, as of the night's midnight), then the night's events: one new day of cases,
the last days' late ones, and the night's staff events (corrections, a transfer, exemptions).

Measured, each variant on its own copy of that database (CREATE DATABASE ... TEMPLATE, so every
variant starts from the same state), the variants interleaved round after round: the nightly
incremental `dbt build` of seeds and models with everything ("all"), without the evaluation models
("no_eval": staff staging, intermediate/evaluation, dim_officer_positions, the eval_* marts and
memberships, their seeds) and without the fairness models ("no_fairness": items 1-3 of the fairness
issue: int_case_flag_events, fct_case_flags, fairness_officer_monthly, their seeds). Ratios
all / no_eval (aim <= 1.3) and all / no_fairness (aim <= 1.2) on the dbt wall time and on the
models' own run time, the medians over the rounds. Then, on the first "all" copy, the publication
(no gate) and every statement of one agency for one quarter (`motcua statement --agency`): seconds
per officer (aim < 1); and fairness_officer_monthly rebuilt whole (`dbt run --full-refresh`), what
the version before it was incremental did every night, for the ratio it would have given. Results: printed, and written to bench/results/evaluation.json.
A script, not a test: at 1M cases it takes the better part of an hour and ~15 GB of disk.
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
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.dbt.run_bench import DBT_ARGS, VN, load  # noqa: E402
from motcua import db  # noqa: E402
from tests.dbt.dbt_runner import BUILD_SCHEMA, DBT, DBT_PROJECT, dbt_env  # noqa: E402

BASE = "motcua_bench_eval"
STAFF_SQL = Path(__file__).with_name("staff_synth.sql").read_text()
AGENCIES, RECEIVERS, HANDLERS = 20, 4, 5          # 20 x (4 + 5 + 1 leader) = 200 officers
EVAL_FROM = date(2026, 1, 1)                      # the first evaluation settings date
EVALUATION = ("path:models/staging/staff", "path:models/intermediate/evaluation", "dim_officer_positions",
              "eval_officer_period", "eval_officer_kpi_period", "eval_officer_criteria_period", "eval_group_period",
              "eval_case_membership", "eval_assessment_membership", "eval_membership_context", "eval_membership_touched",
              "eval_settings", "eval_criteria", "eval_task_weights", "eval_assessor_weights")
FAIRNESS = ("int_case_flag_events", "fct_case_flags", "int_fairness_months_touched", "fairness_officer_monthly",
            "fairness_thresholds", "procedure_complexity")
# the first round ends with "all", whose copy then serves the statements (its publication is the slow part)
VARIANTS = {"no_eval": EVALUATION, "no_fairness": FAIRNESS, "all": ()}
WATCHED = ("fct_cases", "int_case_flag_events", "fct_case_flags", "fairness_officer_monthly", "eval_officer_kpi_period",
           "eval_case_membership", "eval_officer_period", "int_officer_period_positions")


class BenchError(RuntimeError):
    """A benchmark step failed."""


def owner(sql: str) -> None:
    with db.connect("owner", "postgres", autocommit=True) as conn:
        conn.execute(sql)


def staff_sql(**params: object) -> str:
    """Fill staff_synth.sql's :name / :'name' placeholders (values are ours, not user input)."""
    sql = STAFF_SQL
    for name, value in sorted(params.items(), key=lambda item: -len(item[0])):
        sql = sql.replace(f":'{name}'", f"'{value}'").replace(f":{name}", str(value))
    return sql


def load_staff(dbname: str, **params: object) -> int:
    with db.connect("ingest", dbname) as conn:
        inserted = conn.execute(staff_sql(agencies=AGENCIES, receivers=RECEIVERS, handlers=HANDLERS,
                                          eval_from=EVAL_FROM, **params)).rowcount
        conn.commit()
    with db.connect("owner", dbname, autocommit=True) as conn:
        conn.execute("analyze raw.staff_events")
    return inserted


def run_dbt(dbname: str, target: Path, as_of: datetime, *extra: str, command: tuple[str, ...] = DBT_ARGS) -> dict:
    """One `dbt build` of seeds and models; wall time, the models' own time, per-model seconds."""
    env = dbt_env(dbname)
    env["MOTCUA_AS_OF"] = as_of.isoformat()
    cmd = [str(DBT), *command, *extra, "--profiles-dir", str(DBT_PROJECT), "--project-dir", str(DBT_PROJECT),
           "--target-path", str(target), "--log-path", str(target / "logs")]
    began = time.perf_counter()
    proc = subprocess.run(cmd, cwd=DBT_PROJECT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        raise BenchError(f"dbt failed on {dbname}:\n{proc.stdout[-4000:]}")
    results = json.loads((target / "run_results.json").read_text())["results"]
    per_model = {r["unique_id"].split(".")[-1]: round(r["execution_time"], 2) for r in results}
    models = sum(r["execution_time"] for r in results if r["unique_id"].startswith("model."))
    return {"wall": round(wall, 1), "models": round(models, 1), "per_model": per_model}


def prepare(n_cases: int, per_day: int, night: date) -> None:
    """The template database: history, full build, then the night's events (not yet built)."""
    start = night - timedelta(days=math.ceil(n_cases / per_day))
    cases = dict(n_cases=n_cases + per_day, per_day=per_day, start_date=start, late_from=night - timedelta(days=5),
                 n_from=1, receivers=RECEIVERS, handlers=HANDLERS)
    staff = dict(start_date=start, night_day=night, per_day=per_day, n_to=n_cases)
    owner(f'drop database if exists "{BASE}" with (force)')
    owner(f'create database "{BASE}"')
    db.migrate(BASE)
    began = time.perf_counter()
    history = load(BASE, mode="history", day_from=start - timedelta(days=1), day_to=night, **cases)
    staff_history = load_staff(BASE, day_from=start - timedelta(days=1), day_to=night, ingested_at="p.occurred_at + interval '1 hour'", **staff)
    print(f"history: {history:,} case events ({n_cases:,} cases from {start}), {staff_history:,} staff events, "
          f"loaded in {time.perf_counter() - began:.0f} s", flush=True)
    midnight = datetime(night.year, night.month, night.day, tzinfo=VN)
    with tempfile.TemporaryDirectory() as tmp:
        full = run_dbt(BASE, Path(tmp), midnight, "--full-refresh")
    print(f"full build: {full['wall']:.0f} s wall, {full['models']:.0f} s in models", flush=True)
    night_cases = load(BASE, mode="night", day_from=night, day_to=night + timedelta(days=1), **cases)
    with db.connect("ingest", BASE) as conn:
        newest = conn.execute("select max(ingested_at) from raw.case_events").fetchone()[0]
    night_staff = load_staff(BASE, day_from=night, day_to=night + timedelta(days=1), ingested_at=f"'{newest.isoformat()}'::timestamptz",
                             **staff)
    with db.connect("owner", BASE, autocommit=True) as conn:
        conn.execute("create table if not exists public.bench_state (night date, cases int, night_cases int, night_staff int)")
        conn.execute("insert into public.bench_state values (%s, %s, %s, %s)", (night, n_cases, night_cases, night_staff))
    print(f"the night {night}: {night_cases:,} case events, {night_staff:,} staff events", flush=True)


def warm_up(n_cases: int, per_day: int, night: date) -> dict:
    """One incremental night on the template itself with the current code (after a change of
    materialization, the first night rebuilds what it has no record of), then the next night's
    events: the variants then measure a steady-state night."""
    with db.connect("ingest", BASE) as conn:   # the history's first day (synth.sql's start_date)
        start = conn.execute("select min((occurred_at at time zone 'Asia/Ho_Chi_Minh')::date)"
                             " from raw.case_events").fetchone()[0]
    with db.connect("transform", BASE) as conn:
        # a template built before eval_case_membership was incremental: the warm-up recomputes it whole
        run_upgrades = conn.execute(f"select to_regclass('{BUILD_SCHEMA}.eval_membership_built_context') is null"
                                    ).fetchone()[0]
    as_of = datetime(night.year, night.month, night.day, tzinfo=VN) + timedelta(days=1)
    with tempfile.TemporaryDirectory() as tmp:
        run = run_dbt(BASE, Path(tmp), as_of)
    run["recomputed_the_evaluation_membership_whole"] = run_upgrades
    print(f"warm-up night {night}: {run['wall']:.0f} s wall, {run['models']:.0f} s in models; "
          f"eval_case_membership {run['per_model'].get('eval_case_membership', 0):.1f} s, "
          f"fairness_officer_monthly {run['per_model'].get('fairness_officer_monthly', 0):.1f} s", flush=True)
    day = night + timedelta(days=1)
    night_cases = load(BASE, mode="night", day_from=day, day_to=day + timedelta(days=1), late_from=day,
                       n_cases=per_day * ((day - start).days + 2), per_day=per_day, start_date=start,
                       n_from=max(1, per_day * ((day - start).days - 15)), receivers=RECEIVERS, handlers=HANDLERS)
    with db.connect("ingest", BASE) as conn:
        newest = conn.execute("select max(ingested_at) from raw.case_events").fetchone()[0]
    night_staff = load_staff(BASE, day_from=day, day_to=day + timedelta(days=1),
                             ingested_at=f"'{newest.isoformat()}'::timestamptz",
                             start_date=start, night_day=day, per_day=per_day, n_to=n_cases)
    with db.connect("owner", BASE, autocommit=True) as conn:
        conn.execute("update public.bench_state set night = %s, night_cases = %s, night_staff = %s where cases = %s",
                     (day, night_cases, night_staff, n_cases))
    print(f"the night {day}: {night_cases:,} case events, {night_staff:,} staff events", flush=True)
    return run


def prepared(n_cases: int) -> tuple[date, int, int] | None:
    """--reuse: the night, and its event counts, of a template database left by an earlier run."""
    with db.connect("owner", "postgres", autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (BASE,)).fetchone():
            return None
    with db.connect("owner", BASE, autocommit=True) as conn:
        if not conn.execute("select to_regclass('public.bench_state') is not null").fetchone()[0]:
            return None
        row = conn.execute("select night, night_cases, night_staff from public.bench_state where cases = %s",
                           (n_cases,)).fetchone()
    return tuple(row) if row else None


def clone(name: str) -> None:
    owner(f'drop database if exists "{name}" with (force)')
    owner(f'create database "{name}" template "{BASE}"')
    # database-level grants are not copied with the template (those of migrations 002 and 021)
    owner(f'grant create, connect on database "{name}" to motcua_transform')
    owner(f'grant connect on database "{name}" to motcua_ingest, motcua_bi, motcua_auditor, motcua_gate')


def render_statements(dbname: str, as_of: datetime, quarter_text: str, agency: str) -> dict:
    """Publish the build (no gate: the gate is the GX bench's business), then time every statement
    of one agency for one quarter, as `motcua statement --agency` renders them."""
    from motcua.eval_settings import settings_at
    from motcua.statement import build
    from motcua.statement.periods import parse
    from publish import PublishConfig, PublishRequest, publish

    request = PublishRequest(run_id=f"bench-{as_of.isoformat()}", local_date=(as_of - timedelta(days=1)).date(),
                             interval_start=as_of - timedelta(days=1), interval_end=as_of)
    began = time.perf_counter()
    publish(request, dbname=dbname, config=PublishConfig(build_schema=BUILD_SCHEMA), require_gate=False)
    published = time.perf_counter() - began
    quarter = parse(quarter_text)
    settings = settings_at(quarter.start)
    with tempfile.TemporaryDirectory() as out:
        began = time.perf_counter()
        written = build.agency_statements(agency, quarter, Path(out), dbname=dbname, settings=settings)
        seconds = time.perf_counter() - began
    officers = sum(1 for p in written if p.name != "index.html")
    with db.connect("transform", dbname) as conn:
        members = conn.execute("select count(*) from lineage.eval_case_membership m join marts.eval_officer_period o"
                               " using (officer_id) where o.agency_code = %s and o.period = %s",
                               (agency, quarter_text)).fetchone()[0]
    return {"agency": agency, "quarter": quarter_text, "officers": officers, "seconds": round(seconds, 2),
            "seconds_per_officer": round(seconds / max(officers, 1), 3), "publish_seconds": round(published, 1),
            "membership_rows_of_the_agency": members}


def main(argv: list[str] | None = None) -> int:
    global BASE
    parser = argparse.ArgumentParser(prog="python -m bench.evaluation.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in the history (default: 1,000,000)")
    parser.add_argument("--per-day", type=int, default=1370, help="cases received per day (default: 1,370)")
    parser.add_argument("--night", type=date.fromisoformat, default=date(2026, 11, 30),
                        help="the night measured; the history ends the day before (default: 2026-11-30)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the three variants (default: 2)")
    parser.add_argument("--quarter", default="2026-Q3", help="quarter of the statements (default: 2026-Q3)")
    parser.add_argument("--agency", default="AG00", help="agency of the statements (default: AG00)")
    parser.add_argument("--reuse", action="store_true", help="reuse a template database left by --keep")
    parser.add_argument("--keep", action="store_true", help="keep the template database")
    parser.add_argument("--warm-up", action="store_true",
                        help="first run one incremental night on the template and load the next night's events")
    parser.add_argument("--skip-statements", action="store_true",
                        help="only the variants (no publication, statements or whole fairness rebuild)")
    parser.add_argument("--database", default=BASE, help=f"name of the template database (default: {BASE})")
    args = parser.parse_args(argv)
    BASE = args.database

    state = prepared(args.cases) if args.reuse else None
    if state is None:
        prepare(args.cases, args.per_day, args.night)
        state = prepared(args.cases)
    warmed = None
    if args.warm_up:
        warmed = warm_up(args.cases, args.per_day, state[0])
        state = prepared(args.cases)
    night, night_cases, night_staff = state
    as_of = datetime(night.year, night.month, night.day, tzinfo=VN) + timedelta(days=1)
    runs: dict[str, list[dict]] = {name: [] for name in VARIANTS}
    statements = None
    fairness_whole = None
    names = list(VARIANTS)
    try:
        for k in range(args.rounds):
            for name in names[k % len(names):] + names[:k % len(names)]:   # rotate the order each round
                copy = f"{BASE}_{name}"
                clone(copy)
                try:
                    excluded = ("--exclude", *VARIANTS[name]) if VARIANTS[name] else ()
                    with tempfile.TemporaryDirectory() as tmp:
                        run = run_dbt(copy, Path(tmp), as_of, *excluded)
                    runs[name].append(run)
                    watched = ", ".join(f"{m} {run['per_model'][m]:.1f}" for m in WATCHED if m in run["per_model"])
                    print(f"round {k + 1} {name:<12} {run['wall']:>7.1f} s wall {run['models']:>7.1f} s in models"
                          f"   ({watched})", flush=True)
                    if name == "all" and statements is None and not args.skip_statements:
                        statements = render_statements(copy, as_of, args.quarter, args.agency)
                        print(f"statements: {statements}", flush=True)
                        # what the previous version did every night: fairness_officer_monthly rebuilt whole
                        with tempfile.TemporaryDirectory() as tmp:
                            whole = run_dbt(copy, Path(tmp), as_of, "--full-refresh", "--select",
                                            "fairness_officer_monthly", command=("run",))
                        fairness_whole = whole["per_model"]["fairness_officer_monthly"]
                        print(f"fairness_officer_monthly rebuilt whole: {fairness_whole:.1f} s", flush=True)
                finally:
                    owner(f'drop database if exists "{copy}" with (force)')
    finally:
        if not args.keep:
            owner(f'drop database if exists "{BASE}" with (force)')

    def median(name: str, what: str) -> float:
        return statistics.median(r[what] for r in runs[name])

    result: dict = {"cases": args.cases, "officers": AGENCIES * (RECEIVERS + HANDLERS + 1), "night": night.isoformat(),
                    "night_case_events": night_cases, "night_staff_events": night_staff, "rounds": args.rounds,
                    "median_seconds": {n: {w: median(n, w) for w in ("wall", "models")} for n in VARIANTS},
                    "runs": runs, "statements": statements}
    for other, aim in (("no_eval", 1.3), ("no_fairness", 1.2)):
        result[f"all_over_{other}"] = {w: round(median("all", w) / median(other, w), 3) for w in ("wall", "models")}
        print(f"all / {other}: wall {result[f'all_over_{other}']['wall']:.2f}, "
              f"models {result[f'all_over_{other}']['models']:.2f}   (aim <= {aim})")
    if fairness_whole is not None:
        # the same night had fairness_officer_monthly been rebuilt whole (the previous version)
        incremental = statistics.median(r["per_model"]["fairness_officer_monthly"] for r in runs["all"])
        before = median("all", "models") - incremental + fairness_whole
        result["fairness_officer_monthly_seconds"] = {"incremental": incremental, "rebuilt_whole": fairness_whole}
        result["all_over_no_fairness_if_rebuilt_whole"] = {"models": round(before / median("no_fairness", "models"), 3)}
        print(f"fairness_officer_monthly: {incremental:.1f} s incremental, {fairness_whole:.1f} s rebuilt whole; "
              f"all / no_fairness had it been rebuilt whole: models "
              f"{result['all_over_no_fairness_if_rebuilt_whole']['models']:.2f}")
    if warmed is not None and warmed["recomputed_the_evaluation_membership_whole"]:
        # the warm-up night after the change recomputed every officer-month: what the table did each night
        incremental = statistics.median(r["per_model"]["eval_case_membership"] for r in runs["all"])
        whole = warmed["per_model"]["eval_case_membership"]
        before = median("all", "models") - incremental + whole
        result["warm_up"] = warmed
        result["eval_case_membership_seconds"] = {"incremental": incremental, "warm_up_night": whole}
        result["all_over_no_eval_if_rebuilt_whole"] = {"models": round(before / median("no_eval", "models"), 3)}
        print(f"eval_case_membership: {incremental:.1f} s incremental, {whole:.1f} s on the warm-up night; "
              f"all / no_eval had it been rebuilt whole: models {result['all_over_no_eval_if_rebuilt_whole']['models']:.2f}")
    if statements:
        print(f"statements of {statements['agency']} for {statements['quarter']}: {statements['officers']} officers in "
              f"{statements['seconds']:.1f} s, {statements['seconds_per_officer']:.3f} s per officer   (aim < 1)")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "evaluation.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
