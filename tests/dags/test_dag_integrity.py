"""kpi_nightly parses cleanly, without touching a database or the network, into the expected graph."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest

from tests.dags.airflow_env import ROOT, airflow_env

# Loaded in a child process with a private AIRFLOW_HOME; every way out to a server is recorded.
PROBE = r"""
import json, re, socket, sys, time
attempts = []
def record(kind):
    def fake(*args, **kwargs):
        shown = re.sub(r"password=\S+", "password=…", repr(args[1:] if kind.startswith("socket") else args))
        attempts.append(kind + " " + shown[:200])
        raise OSError("network call at DAG parse time")
    return fake
socket.socket.connect = record("socket.connect")
socket.socket.connect_ex = record("socket.connect_ex")
socket.create_connection = record("socket.create_connection")
import psycopg, psycopg2
psycopg.connect = record("psycopg.connect")
psycopg.Connection.connect = classmethod(lambda cls, *a, **k: record("psycopg.Connection.connect")(cls, *a))
psycopg2.connect = record("psycopg2.connect")
import urllib.request
urllib.request.urlopen = record("urllib.urlopen")

from airflow.dag_processing.dagbag import DagBag
started = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
seconds = time.perf_counter() - started
dag = bag.dags.get("kpi_nightly")
out = {"import_errors": {k: str(v)[-2000:] for k, v in bag.import_errors.items()}, "attempts": attempts,
       "parse_seconds": seconds, "dag_ids": sorted(bag.dags)}
if dag is not None:
    from airflow.serialization.encoders import coerce_to_core_timetable
    import pendulum
    tt = coerce_to_core_timetable(dag.timetable)
    iv = tt.infer_manual_data_interval(run_after=pendulum.parse("2026-03-04T02:00:00+07:00"))
    out["dag"] = {
        "timetable": type(dag.timetable).__name__, "cron": dag.timetable.expression,
        "timezone": str(getattr(dag.timetable.timezone, "name", dag.timetable.timezone)), "catchup": dag.catchup,
        "max_active_runs": dag.max_active_runs, "deadlines": len(dag.deadline or []),
        "has_on_failure_callback": dag.on_failure_callback is not None,
        "task_failure_callbacks": sorted(t.task_id for t in dag.tasks if t.on_failure_callback),
        "weight_rules": sorted({str(getattr(t.weight_rule, "value", t.weight_rule)) for t in dag.tasks}),
        "interval": [iv.start.in_timezone("UTC").isoformat(), iv.end.in_timezone("UTC").isoformat()],
        "tasks": {t.task_id: {"upstream": sorted(t.upstream_task_ids), "retries": t.retries,
                              "backoff": t.retry_exponential_backoff, "retry_delay": t.retry_delay.total_seconds(),
                              "max_retry_delay": t.max_retry_delay.total_seconds() if t.max_retry_delay else None,
                              "is_teardown": t.is_teardown, "trigger_rule": getattr(t.trigger_rule, "value", str(t.trigger_rule)),
                              "execution_timeout": t.execution_timeout.total_seconds() if t.execution_timeout else None}
                  for t in dag.tasks},
    }
print("PROBE" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("airflow_home")
    env = airflow_env(home, PGHOST="127.0.0.1", KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:19092")
    proc = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "dags")], env=env, capture_output=True,
                          text=True, timeout=300)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("PROBE")), None)
    assert line, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(line[len("PROBE"):])


def test_the_dag_imports_without_errors(probe):
    assert probe["import_errors"] == {}
    assert probe["dag_ids"] == ["due_soon_alerts", "kpi_nightly"]


def test_parsing_opens_no_database_or_network_connection(probe):
    assert probe["attempts"] == []


def test_the_task_graph(probe):
    tasks = probe["dag"]["tasks"]
    assert {t: v["upstream"] for t, v in tasks.items()} == {
        "ingest": [],
        "gate_raw_staging": ["ingest"],
        "dbt_build": ["gate_raw_staging"],
        "gate_marts": ["dbt_build"],
        "publish": ["dbt_build", "gate_marts", "gate_raw_staging"],
        "refresh_docs": ["publish"],
        "deadline_watchdog": ["refresh_docs"],
    }
    # The watchdog runs whatever happened upstream and does not decide the run's state.
    assert tasks["deadline_watchdog"]["is_teardown"] and tasks["deadline_watchdog"]["trigger_rule"] == "all_done_setup_success"
    assert not any(v["is_teardown"] for t, v in tasks.items() if t != "deadline_watchdog")


def test_outages_are_retried_with_exponential_backoff(probe):
    tasks = probe["dag"]["tasks"]
    assert {t: v["retries"] for t, v in tasks.items()} == {
        "ingest": 3, "gate_raw_staging": 2, "dbt_build": 2, "gate_marts": 2, "publish": 3, "refresh_docs": 1,
        "deadline_watchdog": 0,
    }
    for task_id, v in tasks.items():
        assert v["backoff"] == 2.0 and v["retry_delay"] == 60.0, task_id
        assert v["max_retry_delay"] == timedelta(minutes=15).total_seconds(), task_id
        assert v["execution_timeout"] is not None or task_id == "deadline_watchdog", task_id


def test_schedule_catchup_and_the_night_of_a_run(probe):
    dag = probe["dag"]
    assert (dag["timetable"], dag["cron"], dag["timezone"]) == ("CronDataIntervalTimetable", "0 2 * * *", "Asia/Ho_Chi_Minh")
    assert dag["catchup"] is True and dag["max_active_runs"] == 1
    # The run at 02:00 on 4 March covers [3 March 02:00, 4 March 02:00) local: the night of 3 March.
    assert dag["interval"] == ["2026-03-02T19:00:00+00:00", "2026-03-03T19:00:00+00:00"]
    # No native DeadlineAlert: with one, Airflow 3.3.2 cannot clear a task of the run (see the DAG).
    assert dag["deadlines"] == 0 and dag["has_on_failure_callback"]
    # Every task alerts from its own worker when it fails; a started night's tasks outrank newer ones.
    assert dag["task_failure_callbacks"] == sorted(dag["tasks"])
    assert dag["weight_rules"] == ["upstream"]


def test_a_blocked_gate_fails_at_once_and_an_outage_is_left_to_retry(monkeypatch, tmp_path):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    import importlib.util

    spec = importlib.util.spec_from_file_location("kpi_nightly_under_test", ROOT / "dags" / "kpi_nightly.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from airflow.sdk.exceptions import AirflowFailException

    from publish.errors import DataGateBlocked, PermanentFailure, TransientFailure

    for error in (DataGateBlocked("quality gate BLOCKED: layer=raw"), PermanentFailure("no such table")):
        with pytest.raises(AirflowFailException, match=str(error)):
            module._no_retry(lambda e=error: (_ for _ in ()).throw(e))
    with pytest.raises(TransientFailure):
        module._no_retry(lambda: (_ for _ in ()).throw(TransientFailure("broker down")))
    assert module._no_retry(lambda x: x + 1, 1) == 2
