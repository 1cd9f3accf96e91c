"""Benchmark of `motcua audit trace` (+ `--verify`) on one officer-month figure of a large history,
and of the property test that compares the marts with the independent Python clock.

One fresh database `motcua_bench_audit`:
  - raw.case_events: the dbt benchmark's synthetic history (bench/dbt/synth.sql, 1,370 cases a
    day, ~4 events a case), `--cases` cases (default 1,000,000);
  - the real dbt build (seeds + models, full) into the build schema, then published (no gate:
    the gate is the GX benchmark's business), so marts, lineage and the history are the real ones.
Then the officer-month cell of marts.kpi_officer_monthly with the most cases up to `--max-cases`
(default 500) in a complete month (see pick_cell) is traced `--repeat` times, without
and with --verify, in-process (the median) and once as the `motcua` command (Python start-up
included). Last, the property test (tests/dbt/test_recompute_property.py) is run once and timed.
Results: printed, and written to bench/results/audit.json.

Usage: .venv/bin/python -m bench.audit.run [--cases 1000000] [--max-cases 500] [--repeat 5] [--keep] [--reuse]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.dbt.run_bench import START, VN, load, run_dbt, time_publish  # noqa: E402
from ingestion import db  # noqa: E402

DBNAME = "motcua_bench_audit"
PER_DAY = 1370
RESULTS = ROOT / "bench" / "results" / "audit.json"


def build(cases: int, reuse: bool) -> dict:
    days = math.ceil(cases / PER_DAY)
    end = START + timedelta(days=days)
    figures: dict = {"cases": cases}
    if reuse and RESULTS.exists():   # keep the build's figures of the run that made the database
        figures = {k: v for k, v in json.loads(RESULTS.read_text()).items()
                   if k in ("cases", "raw_events", "load_s", "dbt_full_build_s", "publish_s")}
    if reuse:
        with db.connect("owner", "postgres", autocommit=True) as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", (DBNAME,)).fetchone()
        if exists:
            print(f"reusing {DBNAME}", flush=True)
            db.migrate(DBNAME)
            return figures
    with db.connect("owner", "postgres", autocommit=True) as conn:
        conn.execute(f'drop database if exists "{DBNAME}" with (force)')
        conn.execute(f'create database "{DBNAME}"')
    db.migrate(DBNAME)
    began = time.perf_counter()
    figures["raw_events"] = load(DBNAME, mode="history", n_cases=cases, per_day=PER_DAY, start_date=START, n_from=1,
                                 day_from=START - timedelta(days=1), day_to=end, late_from=end - timedelta(days=5))
    figures["load_s"] = round(time.perf_counter() - began, 1)
    print(f"{figures['raw_events']:,} raw events for {cases:,} cases loaded in {figures['load_s']} s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        as_of = datetime(end.year, end.month, end.day, tzinfo=VN)
        timing = run_dbt(DBNAME, Path(tmp), as_of, "--full-refresh")
        time_publish(DBNAME, as_of, timing)
    figures["dbt_full_build_s"] = round(timing.wall, 1)
    figures["publish_s"] = round(timing.publish, 1)
    print(f"full dbt build {timing.wall:.0f} s, publish {timing.publish:.0f} s", flush=True)
    return figures


def pick_cell(max_cases: int) -> list[str]:
    """The officer-month figure with the most cases up to `max_cases` (in a complete month when
    there is one): a handler's on-time rate (completed cases) or a desk officer's first-pass return
    rate (received cases), whichever is larger."""
    with db.connect("auditor", DBNAME) as conn:
        officer, agency, month, cases, measure = conn.execute(
            """select officer_id, agency_code, month, n, measure from marts.kpi_officer_monthly
                cross join lateral (values (cases_completed, 'on_time_rate'),
                                           (cases_received, 'first_pass_return_rate')) as m(n, measure)
                where n <= %s
                order by month < (select max(month) from marts.kpi_officer_monthly) desc, n desc, officer_id
                limit 1""", (max_cases,)).fetchone()
    print(f"cell: {officer} {agency} {month:%Y-%m} {measure}, {cases} cases in its denominator", flush=True)
    return ["--table", "kpi_officer_monthly", "--key", f"officer_id={officer}", "--key", f"agency_code={agency}",
            "--key", f"month={month:%Y-%m}", "--measure", measure]


def time_in_process(cell: list[str], extra: list[str], repeat: int, out: Path) -> tuple[float, str]:
    from publish.audit_cli import main
    times, text = [], ""
    for k in range(repeat):
        buffer = io.StringIO()
        began = time.perf_counter()
        with contextlib.redirect_stdout(buffer):
            code = main(["trace", *cell, "--database", DBNAME, "--out", str(out / f"run{k}"), *extra])
        times.append(time.perf_counter() - began)
        text = buffer.getvalue()
        if code not in (0, 1):
            raise SystemExit(f"trace failed ({code})")
    return statistics.median(times), text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="audit trace + verify benchmark")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--max-cases", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database (skips synthesis and build)")
    parser.add_argument("--skip-property-test", action="store_true")
    args = parser.parse_args(argv)
    figures = build(args.cases, args.reuse)
    try:
        cell = pick_cell(args.max_cases)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            trace_s, text = time_in_process(cell, [], args.repeat, out)
            verify_s, verified = time_in_process(cell, ["--verify"], args.repeat, out)
            began = time.perf_counter()
            command = subprocess.run([sys.executable, "-m", "motcua", "audit", "trace", *cell, "--database", DBNAME,
                                      "--out", str(out / "cli"), "--verify"], capture_output=True, text=True)
            command_s = time.perf_counter() - began
        summary = next(line for line in verified.splitlines() if line.startswith("verify:"))
        counts = next(line for line in text.splitlines() if line.startswith("numerator"))
        figures.update(cell=" ".join(cell), trace_median_s=round(trace_s, 3), trace_verify_median_s=round(verify_s, 3),
                       command_with_verify_s=round(command_s, 3), command_exit=command.returncode,
                       verify=summary, membership=counts, events=sum(1 for l in text.splitlines() if l.startswith("  ")))
        print(f"{counts}\ntrace: {trace_s:.3f} s (median of {args.repeat}); trace --verify: {verify_s:.3f} s;"
              f" the command with --verify (Python start-up included): {command_s:.3f} s, exit {command.returncode}\n{summary}",
              flush=True)
    finally:
        if not args.keep:
            with db.connect("owner", "postgres", autocommit=True) as conn:
                conn.execute(f'drop database if exists "{DBNAME}" with (force)')
    if not args.skip_property_test:
        from tests.dbt.sla_cases import edge_cases, generated_stream
        cases = {json.loads(v)["case_id"] for v in generated_stream(seed=11, days=30, cases_per_day=80)}
        cases |= {e["case_id"] for e in edge_cases(seed=5, n=1500)}
        began = time.perf_counter()
        test = subprocess.run([sys.executable, "-m", "pytest", "tests/dbt/test_recompute_property.py", "-q",
                               "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True, text=True, env=os.environ)
        figures.update(property_test_cases=len(cases), property_test_s=round(time.perf_counter() - began, 1),
                       property_test=test.stdout.strip().splitlines()[-1])
        print(f"property test: {len(cases):,} cases, {figures['property_test_s']} s: {figures['property_test']}", flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
