"""Nightly benchmark: wall time of one kpi_nightly run on ~20,000 new events, vs a bare `dbt build`.

    .venv/bin/python -m bench.nightly.run [--events 20000] [--cosmos /path/to/cosmos-site-packages]

Set-up (not timed): a database with a few nights of history (loaded, then run through the
nightly once, so the night measured is incremental like a real one), then ~N new events on the
topic. The database is then cloned (CREATE DATABASE ... TEMPLATE) so that every variant starts
from the same state:
  nightly  `airflow dags test kpi_nightly`: ingest the N events, GX gates, dbt build, GX gate,
           publish, dbt docs — the whole night, Airflow's start-up included;
  bare     the same events loaded (not timed), then the nightly's exact `dbt build` command;
  cosmos   (with --cosmos) the same dbt work rendered by astronomer-cosmos 1.15 (one task per
           model and per model's tests) under `airflow dags test`, and the one-task variant under
           the same harness, plus both DAG files' parse times.
History rows get an ingested_at on their arrival day, so the raw gate judges tonight's events
against earlier days, as in production. Prints the figures and writes bench/results/nightly.json.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from motcua import db
from motcua.settings import DBT_SECRETS, KafkaSettings, load_local_secrets

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
BASE = "motcua_bench_nightly"
HISTORY_NIGHTS = 3


def sh(cmd: list[str], env: dict, timeout: int = 3600, check: bool = True) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - started
    out = proc.stdout + proc.stderr
    if check and proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{out[-5000:]}")
    return seconds, out


def recreate(name: str, template: str | None = None) -> None:
    with db.connect("owner", "postgres", autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"' + (f' template "{template}"' if template else ""))
    db.migrate(name, reapply=True)   # also for a copy: database-level grants (connect, create) are not copied


def drop(name: str) -> None:
    with db.connect("owner", "postgres", autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def generator_args(start: date, days: int, cases: int) -> list[str]:
    return ["--seed", "2026", "--start", start.isoformat(), "--days", str(days), "--cases-per-day", str(cases)]


def calibrate(env: dict, start: date, days: int, new_nights: list[date], target: int) -> int:
    """Cases per working day so that the new nights carry about `target` messages."""
    probe = 500
    out_file = Path(tempfile.mkdtemp()) / "probe.jsonl"
    sh([sys.executable, "-m", "ingestion.generator", *generator_args(start, days, probe), "--dry-run",
        "--out", str(out_file), "--quiet"], env)
    nights = {n.isoformat() for n in new_nights}
    count = sum(1 for line in out_file.read_text().splitlines() if json.loads(line)["arrival_day"] in nights)
    shutil.rmtree(out_file.parent)
    return max(10, round(probe * target / max(count, 1)))


def produce(env: dict, args: list[str]) -> int:
    _, out = sh([sys.executable, "-m", "ingestion.generator", *args, "--partitions", "4", "--quiet"], env)
    return json.loads(out.strip().splitlines()[-1])["messages"]


def load(env: dict) -> None:
    sh([sys.executable, "-m", "motcua", "ingest", "consume", "--bounded", "--max-seconds", "600"], env)


def airflow_env(home: Path, dbname: str, target: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update(AIRFLOW_HOME=str(home), AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
               AIRFLOW__CORE__LOAD_EXAMPLES="False", PGDATABASE=dbname,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
               MOTCUA_DBT_TARGET_PATH=str(target),
               MOTCUA_NIGHTLY_START_DATE="2026-01-01", DO_NOT_TRACK="1", GX_ANALYTICS_ENABLED="false",
               AIRFLOW__COSMOS__ENABLE_TELEMETRY="False", PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.update(extra)
    return env


def task_seconds(log: str) -> dict[str, float]:
    """Per task wall time, from `airflow dags test`'s [DAG TEST] start/end lines."""
    stamps: dict[str, dict[str, datetime]] = {}
    for m in re.finditer(r"^(\S+Z) .*\[DAG TEST\] (starting|end task) task_id=(\S+)", log, re.MULTILINE):
        at = datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
        stamps.setdefault(m.group(3), {})[m.group(2).split()[0]] = at
    return {t: round((s["end"] - s["starting"]).total_seconds(), 1) for t, s in stamps.items() if len(s) == 2}


def dags_test(env: dict, dag_id: str, logical: str, *extra: str) -> tuple[float, dict]:
    seconds, out = sh([str(BIN / "airflow"), "dags", "test", dag_id, logical, *extra], env, check=False)
    if "successful" not in out or "Marking run" not in out:
        raise SystemExit(f"{dag_id} did not succeed:\n{out[-6000:]}")
    return seconds, task_seconds(out)


def parse_seconds(env: dict, folder: Path) -> float:
    code = ("import time;from airflow.dag_processing.dagbag import DagBag;t=time.perf_counter();"
            f"b=DagBag(dag_folder={str(folder)!r});print('PARSE', time.perf_counter()-t, len(b.import_errors))")
    _, out = sh([sys.executable, "-c", code], env)
    seconds, errors = next(ln.split()[1:] for ln in out.splitlines() if ln.startswith("PARSE"))
    if int(errors):
        raise SystemExit(f"import errors in {folder}:\n{out[-4000:]}")
    return round(float(seconds), 2)


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)   # progress lines appear as they happen
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000, help="new events for the measured night")
    parser.add_argument("--cosmos", metavar="SITE_DIR",
                        help="folder with astronomer-cosmos 1.15 installed (pip install --target): also time it")
    parser.add_argument("--keep", action="store_true", help="keep the databases (for inspection)")
    args = parser.parse_args()
    load_local_secrets(*DBT_SECRETS)
    kafka = KafkaSettings.from_env()
    work = Path(tempfile.mkdtemp(prefix="bench-nightly-"))
    topic, group = f"bench.nightly.{uuid.uuid4().hex[:8]}", f"bench-nightly-{uuid.uuid4().hex[:8]}"
    base_env = dict(os.environ, KAFKA_TOPIC=topic, KAFKA_CONSUMER_GROUP=group, PGDATABASE=BASE,
                    KAFKA_BOOTSTRAP_SERVERS=kafka.bootstrap_servers, DO_NOT_TRACK="1")

    today = datetime.now(TZ).date()
    new_nights = [today - timedelta(days=2), today - timedelta(days=1)]
    start = today - timedelta(days=2 + HISTORY_NIGHTS)
    days = (today - start).days
    cases = calibrate(base_env, start, days, new_nights, args.events)
    print(f"generator: {days} days from {start}, {cases} cases per working day; "
          f"history through {start + timedelta(days=HISTORY_NIGHTS - 1)}, new nights {new_nights[0]}..{new_nights[-1]}")

    recreate(BASE)
    history = produce(base_env, [*generator_args(start, days, cases), "--through",
                                 (start + timedelta(days=HISTORY_NIGHTS - 1)).isoformat(), "--topic", topic])
    load(base_env)
    with db.connect("owner", BASE, autocommit=True) as conn:   # history arrived on its own days
        conn.execute("update raw.case_events set ingested_at = occurred_at + interval '3 minutes'")
        conn.execute("vacuum analyze raw.case_events")
    home = work / "airflow"
    target = work / "target"
    af = airflow_env(home, BASE, target, KAFKA_TOPIC=topic, KAFKA_CONSUMER_GROUP=group,
                     MOTCUA_GX_GX_STATE_DIR=str(work / "gx"), MOTCUA_GX_DATA_DOCS_DIR=str(work / "docs"),
                     MOTCUA_BUILD_SCHEMA=os.environ.get("MOTCUA_BUILD_SCHEMA", "marts_build"))
    sh([str(BIN / "airflow"), "db", "migrate"], af)
    last_history_night = start + timedelta(days=HISTORY_NIGHTS - 1)
    setup_s, _ = dags_test(af, "kpi_nightly", f"{(last_history_night + timedelta(days=1)).isoformat()}T02:00:00+07:00")
    print(f"history: {history} messages, first nightly run (untimed set-up) {setup_s:.0f} s")

    new = sum(produce(base_env, [*generator_args(start, days, cases), "--night", n.isoformat(), "--topic", topic])
              for n in new_nights)
    variants = ["bare"] + (["cosmos", "single"] if args.cosmos else [])
    for v in variants:
        recreate(f"{BASE}_{v}", template=BASE)
        shutil.copytree(target, work / f"target_{v}")
    tonight = today
    logical = f"{(tonight + timedelta(days=1)).isoformat()}T02:00:00+07:00"
    as_of = logical

    # 1. The whole night.
    nightly_s, nightly_tasks = dags_test(af, "kpi_nightly", logical)
    with db.connect("auditor", BASE) as conn:
        loaded_tonight = conn.execute("select count(*) from raw.case_events where ingested_at > now() - interval '1 hour'"
                                      ).fetchone()[0]
    # 2. The same dbt work, bare.
    bare_env = dict(base_env, PGDATABASE=f"{BASE}_bare", MOTCUA_DBT_TARGET_PATH=str(work / "target_bare"))
    load(bare_env)
    from publish import steps   # the nightly's exact dbt command, run straight from a shell

    bare_cmd = steps._dbt("build", "--exclude-resource-type", "unit_test", as_of=as_of, target=work / "target_bare")
    load_local_secrets(*DBT_SECRETS)
    bare_s, _ = sh(bare_cmd, dict(bare_env, **{k: v for k, v in os.environ.items() if k.startswith("MOTCUA_")},
                                  PGDATABASE=f"{BASE}_bare"))
    result = {"date": datetime.now(TZ).isoformat(timespec="seconds"), "new_messages": new,
              "loaded_tonight": loaded_tonight, "history_messages": history, "cases_per_working_day": cases,
              "nightly_wall_s": round(nightly_s, 1), "nightly_tasks_s": nightly_tasks,
              "bare_dbt_build_s": round(bare_s, 1), "ratio_nightly_to_bare_dbt": round(nightly_s / bare_s, 2),
              "load_average": os.getloadavg()}

    # 3. Optional: cosmos vs one task, same harness.
    if args.cosmos:
        tmp = work / "cosmos_tmp"            # cosmos copies the project into TMPDIR/xxx: ../kpi_models must resolve
        tmp.mkdir()
        (tmp / "kpi_models").symlink_to(ROOT / "kpi_models")
        for v in ("cosmos", "single"):
            v_env = dict(base_env, PGDATABASE=f"{BASE}_{v}")
            load(v_env)
            env = airflow_env(home, f"{BASE}_{v}", work / f"target_{v}", KAFKA_TOPIC=topic,
                              AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "bench" / "nightly" / "dags"), BENCH_AS_OF=as_of,
                              BENCH_WITH_COSMOS="1" if v == "cosmos" else "0", TMPDIR=str(tmp),
                              PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), args.cosmos,
                                                                       os.environ.get("PYTHONPATH", "")])),
                              MOTCUA_BUILD_SCHEMA=os.environ.get("MOTCUA_BUILD_SCHEMA", "marts_build"))
            cold = parse_seconds(env, ROOT / "bench" / "nightly" / "dags")
            warm = parse_seconds(env, ROOT / "bench" / "nightly" / "dags")
            seconds, tasks = dags_test(env, f"bench_dbt_{v}", logical)
            result[v] = {"dags_test_wall_s": round(seconds, 1), "tasks": len(tasks),
                         "sum_task_s": round(sum(tasks.values()), 1), "parse_cold_s": cold, "parse_warm_s": warm}
        result["kpi_nightly_parse_s"] = parse_seconds(af, ROOT / "dags")

    print(json.dumps(result, indent=2))
    print(f"\nnightly run on {new:,} new events: {nightly_s:.0f} s; bare dbt build of the same work: {bare_s:.0f} s; "
          f"ratio {nightly_s / bare_s:.2f}")
    out = ROOT / "bench" / "results" / "nightly.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")

    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    admin.delete_topics([topic])
    admin.close()
    if not args.keep:
        for name in [BASE] + [f"{BASE}_{v}" for v in variants]:
            drop(name)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
