"""Benchmark of `motcua statement --agency`: the time to render every officer's statement of one
agency for one quarter (the issue's aim: under 1 s per officer), HTML and optionally PDF.

    .venv/bin/python -m bench.statement.run [--officers 40] [--cases 150] [--pdf 0] [--keep]

A fresh database motcua_bench_statement holds evaluation marts shaped like the contract
(tests/statement/eval_marts.py's tables) with synthetic rows: one agency, `--officers` officers,
three months with four KPIs each and `--cases` cases per officer and month, every case in every
KPI's membership (the quarter has no KPI rows of its own, so each statement reads its months').
Results: printed, and written to bench/results/statement.json.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from motcua import db

ROOT = Path(__file__).resolve().parents[2]
DBNAME = "motcua_bench_statement"
KPIS = ("on_time_rate", "throughput_per_working_day", "complaint_rate", "avg_rating")

SYNTH = """
insert into marts.fct_cases
select format('C-%%s-%%s-%%s', o, m, c), 'SKHDT', '1.001612', 'Đăng ký doanh nghiệp',
       make_timestamptz(2026, m, 1 + c %% 27, 9, 0, 0, 'Asia/Ho_Chi_Minh'), null, null,
       make_timestamptz(2026, m, 1 + c %% 27, 15, 0, 0, 'Asia/Ho_Chi_Minh'), 'completed',
       case when c %% 10 = 0 then 'late' else 'on_time' end
  from generate_series(1, %(officers)s) o, generate_series(1, 3) m, generate_series(1, %(cases)s) c;
insert into lineage.eval_case_membership
select format('CB%%s', o), 'month', format('2026-%%s', lpad(m::text, 2, '0')), k, format('C-%%s-%%s-%%s', o, m, c),
       c %% 10 <> 0, true, null, null
  from generate_series(1, %(officers)s) o, generate_series(1, 3) m, generate_series(1, %(cases)s) c,
       unnest(%(kpis)s::text[]) k;
insert into marts.eval_officer_kpi_period
select format('CB%%s', o), 'month', format('2026-%%s', lpad(m::text, 2, '0')), k, 10, 0.9, 0.9, 0.98,
       'higher_is_better', 0.9 * %(cases)s, %(cases)s, 0, true, null, 17.5, 16
  from generate_series(1, %(officers)s) o, generate_series(1, 3) m, unnest(%(kpis)s::text[]) k;
insert into marts.eval_officer_criteria_period
select format('CB%%s', o), 'month', format('2026-%%s', lpad(m::text, 2, '0')), 'manager', c, 9, 10,
       format('2026-%%s', lpad(m::text, 2, '0')), gen_random_uuid(), 1
  from generate_series(1, %(officers)s) o, generate_series(1, 3) m,
       unnest(array['compliance', 'coordination', 'service_attitude']) c;
insert into marts.eval_officer_period
select format('CB%%s', o), t.period_type, t.period, 'SKHDT', 'P1', 'processing', t.s, t.e, 64, 27, 1, 91,
       'excellent', case when o <= 2 then 'excellent' else 'good' end, o > 2, false, o, null,
       case when t.period_type = 'quarter' then 3 end
  from generate_series(1, %(officers)s) o,
       (values ('month', '2026-01', date '2026-01-01', date '2026-01-31'),
               ('month', '2026-02', date '2026-02-01', date '2026-02-28'),
               ('month', '2026-03', date '2026-03-01', date '2026-03-31'),
               ('quarter', '2026-Q1', date '2026-01-01', date '2026-03-31')) t(period_type, period, s, e);
insert into marts.eval_group_period
select 'SKHDT', 'processing', period_type, period, count(*), count(*), 0, 0, 0, 0, %(k)s, %(k)s,
       count(*) - %(k)s, count(*) - %(k)s, 0
  from marts.eval_officer_period group by period_type, period;
"""


def prepare(officers: int, cases: int) -> None:
    from tests.statement import eval_marts

    with db.connect("owner", "postgres", autocommit=True) as conn:
        conn.execute(f'drop database if exists "{DBNAME}" with (force)')
        conn.execute(f'create database "{DBNAME}"')
    db.migrate(DBNAME)
    eval_marts.create_tables(DBNAME)
    with db.connect("transform", DBNAME, autocommit=True) as conn:
        params = {"officers": officers, "cases": cases, "kpis": list(KPIS), "k": officers // 6}
        for statement in filter(str.strip, SYNTH.split(";\n")):
            conn.execute(statement, params)
        conn.execute("analyze")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.statement.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--officers", type=int, default=40, help="officers of the agency (default: 40)")
    parser.add_argument("--cases", type=int, default=150, help="cases per officer and month (default: 150)")
    parser.add_argument("--pdf", type=int, default=0, help="also time N officers' PDFs (default: 0)")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)

    from motcua.eval_settings import settings_at
    from motcua.statement import build
    from motcua.statement.periods import parse

    prepare(args.officers, args.cases)
    quarter = parse("2026-Q1")
    settings = settings_at(quarter.start)
    try:
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            written = build.agency_statements("SKHDT", quarter, Path(out), dbname=DBNAME, settings=settings)
            html_s = time.perf_counter() - t0
            size = sum(p.stat().st_size for p in written)
            pdf_s = None
            if args.pdf:
                t0 = time.perf_counter()
                for i in range(1, args.pdf + 1):
                    build.officer_statement(f"CB{i}", quarter, Path(out) / "pdf", pdf=True, dbname=DBNAME,
                                            settings=settings)
                pdf_s = (time.perf_counter() - t0) / args.pdf
    finally:
        if not args.keep:
            with db.connect("owner", "postgres", autocommit=True) as conn:
                conn.execute(f'drop database if exists "{DBNAME}" with (force)')
    result = {"officers": args.officers, "cases_per_officer_month": args.cases,
              "membership_rows_per_statement": 3 * len(KPIS) * args.cases, "agency_quarter_seconds": round(html_s, 3),
              "seconds_per_officer": round(html_s / args.officers, 4), "html_bytes": size,
              "pdf_seconds_per_officer": None if pdf_s is None else round(pdf_s, 3)}
    print(json.dumps(result, indent=2))
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "statement.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
