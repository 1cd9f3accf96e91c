"""kpi_nightly under a real scheduler, as an engineer on call runs it.

One Airflow stack for the module, started by `bash scripts/airflow.sh` (API server, scheduler, dag
processor) with a private AIRFLOW_HOME, its own database, topic and consumer group, and an alert
receiver on localhost. The first night of the schedule is set in the future, so the scheduler
creates no run of its own: every run here comes from `motcua nightly` or a clear.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from motcua.nightly import Airflow
from tests.conftest import fresh_database
from tests.dags.airflow_env import ROOT, airflow_env
from tests.dags.test_kpi_nightly_e2e import (
    NIGHTS, future_events, produce_night, published_receipts, query, receipts_by_officer_day,
)
from tests.dbt.dbt_runner import BUILD_SCHEMA

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAG = "kpi_nightly"


@dataclass
class Stack:
    env: dict
    dbname: str
    topic: str
    home: Path
    out: Path
    pgid: int
    airflow: Airflow
    alerts: list = field(default_factory=list)

    def runs(self) -> dict[str, dict]:
        return {r["dag_run_id"]: r for r in self.airflow.runs()}

    def tasks(self, run_id: str) -> dict[str, dict]:
        return {t["task_id"]: t for t in self.airflow._call(
            "GET", f"/api/v2/dags/{DAG}/dagRuns/{run_id}/taskInstances")["task_instances"]}

    def wait(self, run_ids: set[str], timeout: float = 600) -> dict[str, dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.runs()
            if run_ids <= runs.keys() and all(runs[r]["state"] in ("success", "failed") for r in run_ids):
                return {r: runs[r] for r in run_ids}
            time.sleep(3)
        raise AssertionError(f"runs not finished in {timeout} s: {[(r, runs.get(r, {}).get('state')) for r in run_ids]}")

    def log(self, run_id: str, task_id: str, attempt: int = 1) -> str:
        """The task log file the UI shows, as text (one JSON event per line)."""
        path = self.home / "logs" / f"dag_id={DAG}" / f"run_id={run_id}" / f"task_id={task_id}" / f"attempt={attempt}.log"
        events = []
        for line in path.read_text().splitlines():
            try:
                events.append(json.loads(line).get("event", ""))
            except ValueError:
                events.append(line)
        return "\n".join(events)

    def motcua(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "motcua", "nightly", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)


def _alert_receiver() -> tuple[HTTPServer, list]:
    received: list = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            return None

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


@pytest.fixture(scope="module")
def stack(services, tmp_path_factory):
    from kafka.admin import KafkaAdminClient, NewTopic

    root = tmp_path_factory.mktemp("nightly_scheduler")
    home = root / "airflow"
    admin = KafkaAdminClient(bootstrap_servers=services.bootstrap_servers, client_id="tests-scheduler")
    topic = f"test.{uuid.uuid4().hex[:12]}"
    admin.create_topics([NewTopic(topic, 2, 1)])
    server, received = _alert_receiver()
    today = datetime.now(TZ).date()
    with fresh_database() as dbname:
        env = airflow_env(
            home, PGDATABASE=dbname, KAFKA_TOPIC=topic, KAFKA_STAFF_TOPIC=f"{topic}.staff", KAFKA_BOOTSTRAP_SERVERS=services.bootstrap_servers,
            KAFKA_CONSUMER_GROUP=f"test-sched-{uuid.uuid4().hex[:8]}", MOTCUA_BUILD_SCHEMA=BUILD_SCHEMA,
            MOTCUA_DBT_TARGET_PATH=str(root / "dbt_target"), MOTCUA_GX_GX_STATE_DIR=str(root / "gx"),
            MOTCUA_GX_DATA_DOCS_DIR=str(root / "data_docs"), AIRFLOW_PORT=os.environ.get("AIRFLOW_PORT", "8781"),
            # No scheduled night before the day after tomorrow: only the tests' runs run.
            MOTCUA_NIGHTLY_START_DATE=(today + timedelta(days=2)).isoformat(),
            MOTCUA_NIGHTLY_BATON_POLL_SECONDS="3", MOTCUA_NIGHTLY_DOCS="0",
            # All three backfilled nights arrive today too, so tonight's 20 future-dated receipts are
            # a small share of the day's arrivals: a low threshold makes them block, as the test needs.
            MOTCUA_GX_PER_EVENT_CRITICAL_SHARE="0.001",
            MOTCUA_ALERT_WEBHOOK=f"http://127.0.0.1:{server.server_port}/hook",
            MOTCUA_LINEAGE="on", MOTCUA_LINEAGE_FILE=str(root / "openlineage" / "events.jsonl"),
        )
        home.mkdir(parents=True)
        out = root / "airflow.out"
        with out.open("w") as sink:
            proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "airflow.sh")], env=env, cwd=ROOT, stdout=sink,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 240
            while "ready:" not in out.read_text():
                assert proc.poll() is None and time.monotonic() < deadline, out.read_text()[-3000:]
                time.sleep(2)
            client = Airflow(f"http://127.0.0.1:{env['AIRFLOW_PORT']}",
                             home / "simple_auth_manager_passwords.json.generated")
            while True:       # the dag processor has parsed the DAG
                try:
                    client.dag()
                    break
                except Exception:
                    assert time.monotonic() < deadline, out.read_text()[-3000:]
                    time.sleep(3)
            client._call("PATCH", f"/api/v2/dags/{DAG}", {"is_paused": False})
            yield Stack(env, dbname, topic, home, out, os.getpgid(proc.pid), client, received)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            server.shutdown()
            server.server_close()
            admin.delete_topics([topic])
            admin.close()


def _listening(pgid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket the stack's processes listen on (from /proc)."""
    inodes = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.getpgid(int(pid)) != pgid:
                continue
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for row in Path(table).read_text().splitlines()[1:]:
            cols = row.split()
            if cols[3] == "0A" and cols[9] in inodes:          # 0A: LISTEN
                hex_addr, hex_port = cols[1].split(":")
                if width == 8:
                    addr = ".".join(str(int(hex_addr[i:i + 2], 16)) for i in (6, 4, 2, 0))
                else:
                    addr = "::1" if hex_addr == "0" * 24 + "01000000" else ("::" if set(hex_addr) == {"0"} else hex_addr)
                found.add((addr, int(hex_port, 16)))
    return found


def test_the_stack_listens_on_localhost_only_and_keeps_the_admin_password_private(stack):
    passwords = stack.home / "simple_auth_manager_passwords.json.generated"
    assert passwords.stat().st_mode & 0o777 == 0o600
    password = json.loads(passwords.read_text())["admin"]
    printed = stack.out.read_text()
    assert password not in printed and str(passwords) in printed
    # Only the API server, on 127.0.0.1: no log server on every interface (Airflow's default).
    assert _listening(stack.pgid) == {("127.0.0.1", int(stack.env["AIRFLOW_PORT"]))}


@pytest.fixture(scope="module")
def nights(stack, tmp_path_factory) -> dict:
    """Three nights backfilled by `motcua nightly backfill` (which waits for them), and a rerun of
    tonight queued in the same second by `motcua nightly rerun`. Each night's messages arrive as in
    production, after the previous night loaded its own (so late receipts revise a published night).
    Tonight carries 20 receipts dated 50 min ahead (beyond the gate's clock-skew tolerance): its raw
    gate blocks."""
    from kafka import KafkaProducer

    out = tmp_path_factory.mktemp("nights")
    arrived = produce_night(stack.env, stack.topic, NIGHTS[0], out / "n0.jsonl")

    backfill = subprocess.Popen([sys.executable, "-m", "motcua", "nightly", "backfill", "--from-night",
                                 NIGHTS[0].isoformat(), "--to-night", NIGHTS[-1].isoformat(), "--poll", "3"],
                                env=stack.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    created = backfill.stdout.readline()          # "backfill N: 3 night(s) …" once Airflow has it
    assert created.startswith("backfill "), created + backfill.stdout.read()
    tonight = datetime.now(TZ).date()        # the gate judges raw arrivals by their local date of ingestion
    rerun = stack.motcua("rerun", "--night", tonight.isoformat(), "--no-wait")
    assert rerun.returncode == 0, rerun.stderr
    # The next nights' messages arrive once the first night has loaded its own (its ingest is done;
    # the second night cannot start before the first one's gates, build and publication).
    def ingested(night) -> None:
        run_id = f"backfill__{night.isoformat()}T19:00:00+00:00"
        deadline = time.monotonic() + 600
        while stack.runs().get(run_id) is None or stack.tasks(run_id).get("ingest", {}).get("state") != "success":
            if backfill.poll() is not None:
                raise AssertionError(f"motcua nightly backfill exited {backfill.returncode}: {backfill.stdout.read()}")
            assert time.monotonic() < deadline, f"{run_id}: ingest did not finish"
            time.sleep(2)

    ingested(NIGHTS[0])
    for i, night in enumerate(NIGHTS[1:], start=1):
        arrived += produce_night(stack.env, stack.topic, night, out / f"n{i}.jsonl")
    ingested(NIGHTS[-1])               # tonight's bad receipts arrive after the backfill loaded its nights
    producer = KafkaProducer(bootstrap_servers=stack.env["KAFKA_BOOTSTRAP_SERVERS"])
    for value in future_events(20, minutes_ahead=50):
        producer.send(stack.topic, value)
    producer.flush()
    producer.close()
    printed, _ = backfill.communicate(timeout=1500)
    return {"arrived": arrived, "backfill_rc": backfill.returncode, "backfill_out": created + printed, "tonight": tonight,
            "tonight_run": rerun.stdout.split()[1]}


def test_a_backfill_runs_its_nights_one_at_a_time_oldest_first_whatever_starts_them(stack, nights):
    assert nights["backfill_rc"] == 0, nights["backfill_out"]
    # Backfill runs are named after their interval end (D+1 02:00 local = D 19:00 UTC).
    backfill_ids = [f"backfill__{n.isoformat()}T19:00:00+00:00" for n in NIGHTS]
    assert all(f"{r}: success" in nights["backfill_out"] for r in backfill_ids), nights["backfill_out"]
    tonight = stack.wait({nights["tonight_run"]}, timeout=600)[nights["tonight_run"]]
    assert tonight["state"] == "failed"

    # Three publications, in night order; tonight's run, queued beside them, went last.
    publications = query(stack.dbname, "select run_id, local_date from audit.publications order by publication_id")
    assert publications == list(zip(backfill_ids, NIGHTS))
    windows = [(stack.tasks(r)["ingest"]["end_date"], stack.tasks(r)["deadline_watchdog"]["start_date"])
               for r in backfill_ids]
    gate = stack.tasks(nights["tonight_run"])["gate_raw_staging"]
    windows.append((gate["start_date"], gate["end_date"]))
    assert all(a[1] <= b[0] for a, b in zip(windows, windows[1:])), windows
    # Tonight waited for the older nights, and its task log (the UI's) says so; waiting is not failing.
    waited = stack.log(nights["tonight_run"], "ingest")
    assert f"night {nights['tonight']} (run {nights['tonight_run']}) waits: " in waited
    assert "looking again every 3 s" in waited and "took the baton" in waited
    assert {t["try_number"] for r in backfill_ids for t in stack.tasks(r).values()} == {1}
    assert stack.tasks(nights["tonight_run"])["ingest"]["try_number"] == 1

    # Late receipts of 2 February arrived on 3 February: revised in the history, figures exact.
    published = {k: n for k, n in published_receipts(stack.dbname).items() if k[2] <= NIGHTS[-1]}
    assert published == receipts_by_officer_day(nights["arrived"])
    revised_on = {d for (d,) in query(stack.dbname, """select distinct local_date from audit.kpi_value_revisions
                                                        where table_name = 'kpi_officer_daily'""")}
    assert NIGHTS[1] in revised_on
    assert query(stack.dbname, "select run_id, night from orchestration.night_baton") == [(None, None)]

    # OpenLineage from the scheduler (the DAG runs: 4 started, 3 complete, tonight's failed) and from
    # each run's tasks. The scheduler hands its events to worker processes: they may land a moment later.
    def dag_run_events() -> Counter:
        path = Path(stack.env["MOTCUA_LINEAGE_FILE"])
        lines = path.read_text().splitlines() if path.exists() else []
        return Counter(e["eventType"] for e in map(json.loads, lines) if e["job"]["name"] == DAG)

    deadline = time.monotonic() + 60
    while dag_run_events() != Counter(START=4, COMPLETE=3, FAIL=1) and time.monotonic() < deadline:
        time.sleep(2)
    assert dag_run_events() == Counter(START=4, COMPLETE=3, FAIL=1)


def test_a_night_blocked_at_the_gate_alerts_then_is_cleared_after_the_data_fix_and_publishes(stack, nights):
    tonight, run_id = nights["tonight"].isoformat(), nights["tonight_run"]
    assert stack.wait({run_id}, timeout=600)[run_id]["state"] == "failed"
    tasks = stack.tasks(run_id)
    assert tasks["gate_raw_staging"]["state"] == "failed" and tasks["publish"]["state"] == "upstream_failed"
    # The gate's task log (what the UI shows) has the verdict and the failed expectation, little else.
    log = stack.log(run_id, "gate_raw_staging")
    assert f"quality gate BLOCKED: layer=raw date={tonight}" in log
    assert "raw_occurred_at_not_in_future" in log and "Skipping registering" not in log
    assert len(log.splitlines()) < 80, log
    # The failing task alerted from its own worker: the night, the task and the cause.
    assert f"ALERT run_failed: kpi_nightly night {tonight} failed at task gate_raw_staging (run {run_id})" in log
    assert [a["details"]["task_id"] for a in stack.alerts] == ["gate_raw_staging"]
    assert "raw_occurred_at_not_in_future" in stack.alerts[0]["text"]
    assert len(query(stack.dbname, "select 1 from audit.publications")) == 3

    # The fix: the DBA removes the mis-dated events; then the failed tasks are cleared, as the UI does
    # (Airflow answered HTTP 500 here while the DAG had a native DeadlineAlert).
    from ingestion import db

    with db.connect("owner", stack.dbname) as conn:
        assert conn.execute("delete from raw.case_events where case_id like %s", ("%-FUTURE-%",)).rowcount == 20
    cleared = stack.airflow._call("POST", f"/api/v2/dags/{DAG}/clearTaskInstances",
                                  {"dry_run": False, "only_failed": True, "dag_run_id": run_id})
    assert {t["task_id"] for t in cleared["task_instances"]} >= {"gate_raw_staging", "publish"}
    time.sleep(3)
    state = stack.wait({run_id}, timeout=900)[run_id]["state"]
    tasks = stack.tasks(run_id)
    failed = [t for t, v in tasks.items() if v["state"] == "failed"]
    assert state == "success", ({t: (v["state"], v["try_number"]) for t, v in tasks.items()}, "\n".join(
        stack.log(run_id, t, tasks[t]["try_number"])[-3000:] for t in failed))
    assert tasks["ingest"]["try_number"] == 1 and tasks["gate_raw_staging"]["try_number"] == 2   # only what failed
    assert f"quality gate PASSED: layer=raw date={tonight}" in stack.log(run_id, "gate_raw_staging", attempt=2)
    assert query(stack.dbname, "select run_id, local_date from audit.publications order by publication_id desc limit 1") \
        == [(run_id, nights["tonight"])]
