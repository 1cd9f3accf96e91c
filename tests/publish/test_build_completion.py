"""A build killed half-way never reaches BI: the real dbt project, killed with SIGKILL, on the real
database; only a complete build that the marts gate judged is published."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

from expectations import run_gate
from expectations.config import GateConfig
from ingestion import db
from publish.provenance import read_run_results
from tests.dbt.dbt_runner import BUILD_SCHEMA, DBT, DBT_PROJECT, dbt_env, run_dbt
from tests.expectations import data
from tests.expectations.data import GATE_DAY
from tests.publish.build import record_gate, run_sql

AS_OF = "2026-03-19T00:00:00+07:00"
MODELS = ("--resource-type", "seed", "--resource-type", "model")


def build_runs(dbname: str) -> list[tuple]:
    return run_sql(dbname, "select invocation_id, full_build, status, finished_at is not null from lineage.dbt_build_runs "
                           "where builds_marts order by started_at", role="auditor")


def kill_full_refresh_midway(dbname: str, target) -> None:
    """Start `dbt build --full-refresh` and SIGKILL it once its first model is built."""
    cmd = [str(DBT), "build", "--full-refresh", *MODELS, "--profiles-dir", str(DBT_PROJECT), "--project-dir",
           str(DBT_PROJECT), "--target-path", str(target), "--log-path", str(target / "logs")]
    env = {**dbt_env(dbname), "MOTCUA_AS_OF": AS_OF}
    proc = subprocess.Popen(cmd, cwd=DBT_PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if re.search(r"\b1 of \d+ OK created", line):
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)[-3000:]


def publish_cli(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "motcua", "publish", "run", "--date", GATE_DAY.isoformat()], env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_killed_full_refresh_is_refused_until_a_complete_build_passes_the_gate(pg_db, env_for, tmp_path):
    data.load_history(pg_db, build_models=False)
    target = tmp_path / "dbt"
    env = env_for(MOTCUA_BUILD_SCHEMA=BUILD_SCHEMA, MOTCUA_DBT_TARGET_PATH=str(target))
    run_dbt(pg_db, "build", *MODELS, target_path=target, as_of=AS_OF)
    (complete,) = build_runs(pg_db)
    assert complete[1:] == (True, "success", True)          # the first build of a database is a full one
    record_gate(pg_db, night=GATE_DAY, invocation=complete[0])   # the gate passed that build

    kill_full_refresh_midway(pg_db, target)

    killed = build_runs(pg_db)[-1]
    assert killed[1:] == (True, "running", False)
    # run_results.json still describes the earlier, complete build: it cannot tell
    assert read_run_results(target)[0].invocation_id == complete[0]
    refused = publish_cli(env)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    (line,) = refused.stderr.strip().splitlines()           # one line, saying what to do
    assert re.fullmatch(rf"(motcua publish|python -m publish): not published: dbt full rebuild {killed[0]} started \S+ never finished \(killed\?\): "
                        r"run `dbt build --full-refresh` to completion, then the marts gate", line), line
    # an incremental build on top of the half-rebuilt tables does not make them consistent
    run_dbt(pg_db, "build", *MODELS, target_path=target, as_of=AS_OF)
    assert build_runs(pg_db)[-1][1:] == (False, "success", True)
    assert publish_cli(env).returncode == 3

    run_dbt(pg_db, "build", "--full-refresh", *MODELS, target_path=target, as_of=AS_OF)
    rebuilt = build_runs(pg_db)[-1]
    gated = run_gate("marts", GATE_DAY, dbname=pg_db,
                     config=GateConfig(data_docs_dir=tmp_path / "docs", gx_state_dir=tmp_path / "gx"))
    assert gated.passed and gated.dbt_invocation_id == rebuilt[0], gated.summary()

    done = publish_cli(env)
    assert done.returncode == 0, done.stderr
    assert run_sql(pg_db, "select dbt_invocation_id, gate_summary->'marts_verdict'->>'run_id' from audit.publications",
                   role="auditor") == [(rebuilt[0], gated.run_id)]
    with db.connect("bi", pg_db) as conn:
        assert conn.execute("select count(*) from marts.kpi_agency_monthly").fetchone()[0] > 0


def test_which_build_is_complete_is_read_from_the_recorded_runs(pg_db):
    from publish.builds import BuildNotComplete, completed_build, require_complete_build
    from tests.publish.build import BUILD, record_build

    def check() -> tuple[str, str | None]:
        """(what publish says, which build the gate would record as judged)"""
        with db.connect("gate", pg_db) as conn:
            judged = completed_build(conn, BUILD)
        with db.connect("transform", pg_db) as conn:
            try:
                said = f"publishable {require_complete_build(conn, BUILD).invocation_id}"
            except BuildNotComplete as exc:
                said = re.sub(r" started \S+", "", str(exc))
        return said, judged.invocation_id if judged else None

    assert check() == ("no dbt build of marts_build is recorded in lineage.dbt_build_runs, so its completion is "
                       "unknown: run `dbt build` (it records itself), then the marts gate", None)
    record_build(pg_db, "inv-1")
    assert check() == ("publishable inv-1", "inv-1")
    record_build(pg_db, "inv-2", full=False, finished=False)          # running, or killed
    assert check() == ("dbt build inv-2 never finished (killed?): run a complete `dbt build`, then the marts gate",
                       None)
    record_build(pg_db, "inv-3", full=False, status="error")
    assert check() == ("dbt build inv-3 failed (0 node(s)): run a complete `dbt build`, then the marts gate", None)
    record_build(pg_db, "inv-4", full=False)
    assert check() == ("publishable inv-4", "inv-4")                   # a failed incremental run is redone
    record_build(pg_db, "inv-5", full=True, finished=False)
    record_build(pg_db, "inv-6", full=False)
    assert check() == ("dbt full rebuild inv-5 never finished (killed?): run `dbt build --full-refresh` to "
                       "completion, then the marts gate", None)
    record_build(pg_db, "inv-7", full=True)
    assert check() == ("publishable inv-7", "inv-7")
