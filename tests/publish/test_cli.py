"""python -m publish: exit codes an operator (or a script) can rely on."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ingestion.settings import load_local_secrets
from publish.__main__ import main
from tests.ingestion.cli_relay import closed_port
from tests.motcua.usage import assert_one_line_error
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


# ---------------------------------------------------------------------------------- failing cleanly
BAD = [
    (["run"], "the following arguments are required: --date"),
    (["run", "--date", "2026-13-01"], "argument --date: expected a date YYYY-MM-DD, got '2026-13-01'"),
    (["run", "--date", "02/03/2026"], "argument --date: expected a date YYYY-MM-DD, got '02/03/2026'"),
    (["run", "--date", ""], "argument --date: expected a date YYYY-MM-DD, got ''"),
    (["run", "--date", "2026-03-02", "--run-id", " "], "argument --run-id: must not be empty"),
    (["show", "--limit", "0"], "argument --limit: must be at least 1, got 0"),
    (["show", "--limit", "-3"], "argument --limit: must be at least 1, got -3"),
    (["show", "--limit", "many"], "argument --limit: expected an integer, got 'many'"),
    (["show", "--at", "yesterday"], "argument --at: expected an ISO instant like 2026-03-03T08:00+07:00"),
    (["show", "--at", "2026-03-03T08:00"], "'2026-03-03T08:00' has no UTC offset; write e.g. 2026-03-03T08:00+07:00"),
    (["unpublish"], "invalid choice: 'unpublish'"),
    ([], "the following arguments are required: {run,show}"),
]


@pytest.mark.parametrize("argv, expected", BAD, ids=[" ".join(a) or "no-args" for a, _ in BAD])
def test_bad_argument_is_one_line_and_exit_2(argv, expected, capsys):
    assert_one_line_error(main, argv, capsys, expected)


def one_line(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_show_as_the_bi_role_is_one_line_saying_what_to_do(pg_db, env_for):
    load_local_secrets("MOTCUA_BI_PASSWORD")
    env = env_for(PGUSER="motcua_bi", PGPASSWORD=os.environ["MOTCUA_BI_PASSWORD"])
    result = cli(env, "show")
    assert result.returncode == 2
    assert one_line(result) == (
        "python -m publish: PostgreSQL refused: permission denied for schema audit; this command runs as its own "
        "project role: unset PGUSER/PGPASSWORD (now motcua_bi) or use a role granted this object")


@pytest.mark.parametrize("args", [("show",), ("run", "--date", "2026-03-02")])
def test_database_down_is_one_line_and_exit_2(args, env_for, tmp_path):
    port = closed_port()
    result = cli(env_for(PGPORT=str(port), MOTCUA_DBT_TARGET_PATH=str(tmp_path)), *args)
    assert result.returncode == 2
    line = one_line(result)
    assert f"PostgreSQL at 127.0.0.1:{port} is unreachable" in line
    assert line.endswith("start the services with 'make up', check them with 'make status', "
                         "or set PGHOST/PGPORT/PGDATABASE")
