"""python -m publish: exit codes an operator (or a script) can rely on."""
from __future__ import annotations

import subprocess
import sys

from tests.publish.build import BUILD, NIGHT, create_build, record_gate, run_sql


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "publish", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_publishing_by_hand_needs_a_passing_gate_and_then_shows_up(pg_db, env_for, tmp_path):
    create_build(pg_db)
    env = env_for(MOTCUA_BUILD_SCHEMA=BUILD, MOTCUA_DBT_TARGET_PATH=str(tmp_path))   # no dbt run_results here

    blocked = cli(env, "run", "--date", NIGHT.isoformat())
    assert blocked.returncode == 3 and "no marts gate run for 2026-03-02" in blocked.stderr

    record_gate(pg_db)
    done = cli(env, "run", "--date", NIGHT.isoformat(), "--run-id", "manual:ops-ticket-42")
    assert done.returncode == 0, done.stderr
    assert "publication 1 published to marts" in done.stdout
    # the build's invocation comes from the database (dbt's hooks), not from a run_results.json
    assert run_sql(pg_db, "select run_id, dbt_invocation_id, published_by from audit.publications", role="auditor") == [
        ("manual:ops-ticket-42", "inv-1", "motcua_transform")]

    shown = cli(env, "show")
    assert shown.returncode == 0 and "night 2026-03-02  published" in shown.stdout


def test_full_republishes_everything_although_the_queue_names_one_case(pg_db, env_for, tmp_path):
    create_build(pg_db)
    env = env_for(MOTCUA_BUILD_SCHEMA=BUILD, MOTCUA_DBT_TARGET_PATH=str(tmp_path))
    record_gate(pg_db)
    assert cli(env, "run", "--date", NIGHT.isoformat()).returncode == 0    # no queue yet: everything
    run_sql(pg_db, f"""create table {BUILD}.publish_queue (invocation_id text not null,
                           queued_at timestamptz not null default now(), case_id text);
                       insert into {BUILD}.publish_queue (invocation_id, case_id) values ('inv-2', 'C3')""")

    done = cli(env, "run", "--date", NIGHT.isoformat(), "--full")

    assert done.returncode == 0, done.stderr
    assert "scope: everything (asked for (--full))" in done.stdout
    assert "fct_cases: 3 rows (kept)" in done.stdout
    assert run_sql(pg_db, f"select count(*) from {BUILD}.publish_queue") == [(0,)]
