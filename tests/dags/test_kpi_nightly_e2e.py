"""`airflow dags test kpi_nightly` end to end against the real Kafka and PostgreSQL.

Each test has its own database, topic and consumer group; the Airflow metadata (SQLite) and the
dbt target folder (partial parsing) are shared by the module. A night costs ~15 s of Airflow
start-up plus the tasks (a dbt build of the whole project is most of it).
"""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ingestion import db
from publish import PublishConfig, publish
from tests.dags.airflow_env import ROOT, airflow_env, dags_test, migrate_metadata, with_lineage
from tests.dbt.dbt_runner import BUILD_SCHEMA
from tests.publish.build import BUILD, create_build, record_gate, request

NIGHTS = (date(2026, 2, 2), date(2026, 2, 3), date(2026, 2, 4))
# Seed 11 with 30 % late deliveries: five receipts of 2 February arrive on the night of 3 February.
GENERATOR = ["--seed", "11", "--start", "2026-02-02", "--days", "3", "--cases-per-day", "60", "--late", "0.3"]


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("airflow")
    migrate_metadata(home)
    return home


@pytest.fixture(scope="module")
def dbt_target(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dbt_target")


@pytest.fixture()
def night_env(pg_db, make_topic, services, airflow_home, dbt_target, tmp_path):
    topic = make_topic(2)
    staff_topic = make_topic(2)   # the night loads both topics, whether or not a test produces staff events
    env = airflow_env(
        airflow_home, PGDATABASE=pg_db, KAFKA_TOPIC=topic, KAFKA_STAFF_TOPIC=staff_topic, KAFKA_BOOTSTRAP_SERVERS=services.bootstrap_servers,
        KAFKA_CONSUMER_GROUP=f"test-nightly-{uuid.uuid4().hex[:8]}", MOTCUA_BUILD_SCHEMA=BUILD_SCHEMA,
        MOTCUA_DBT_TARGET_PATH=str(dbt_target), MOTCUA_GX_GX_STATE_DIR=str(tmp_path / "gx"),
        MOTCUA_GX_DATA_DOCS_DIR=str(tmp_path / "data_docs"), MOTCUA_DBT_DOCS_DIR=str(tmp_path / "dbt_docs"),
        MOTCUA_LINEAGE="on", MOTCUA_LINEAGE_FILE=str(tmp_path / "openlineage" / "events.jsonl"),
    )
    return env, topic


def produce_night(env: dict, topic: str, night: date, out: Path) -> list[dict]:
    """Produce the messages arriving on one night; return them (from the generator's own dump)."""
    proc = subprocess.run([sys.executable, "-m", "ingestion.generator", *GENERATOR, "--night", night.isoformat(),
                           "--topic", topic, "--partitions", "2", "--out", str(out), "--quiet"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [json.loads(line) for line in out.read_text().splitlines()]


def receipts_by_officer_day(messages: list[dict]) -> Counter:
    """Hand count of cases_received: receipts per (receiving officer, agency, local receipt date)."""
    counts: Counter = Counter()
    for m in messages:
        event = json.loads(m["value"])
        if event["event_type"] == "case.received":
            local = datetime.fromisoformat(event["occurred_at"]).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
            counts[(event["officer_id"], event["agency_code"], local)] += 1
    return counts


def query(dbname: str, sql: str, role: str = "auditor", params: tuple | None = None) -> list[tuple]:
    with db.connect(role, dbname) as conn:
        return conn.execute(sql, params).fetchall()


def published_receipts(dbname: str) -> dict:
    rows = query(dbname, "select officer_id, agency_code, activity_date, cases_received from marts.kpi_officer_daily",
                 role="bi")
    return {(o, a, d): n for o, a, d, n in rows if n > 0}


def run_night(env: dict, night: date, *extra: str) -> str:
    proc = dags_test(env, night, *extra)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:  # keep the whole log: the failing task's summary is far from the end
        Path(env.get("AIRFLOW_HOME", "/tmp")).joinpath(f"dags-test-{night}.log").write_text(out)
    assert proc.returncode == 0, out[-6000:]
    assert "Marking run" in out and "successful" in out
    return out


def lineage_events(env: dict) -> list[dict]:
    path = Path(env["MOTCUA_LINEAGE_FILE"])
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def assert_night_lineage(events: list[dict], env: dict) -> None:
    """One night's OpenLineage events (file transport): the DAG run, its tasks and dbt's models
    start and complete, and together they name the topics, the raw, staging, build and marts tables."""
    pg, db_name = f"postgres://{env['PGHOST']}:{env['PGPORT']}", env["PGDATABASE"]
    kafka = f"kafka://{env['KAFKA_BOOTSTRAP_SERVERS'].split(',')[0]}"

    def table(name: str) -> tuple[str, str]:
        return pg, f"{db_name}.{name}"

    runs: dict[str, set[str]] = {}
    for e in events:
        runs.setdefault(e["job"]["name"], set()).add(e["eventType"])
        assert e["job"]["namespace"] == "motcua", e["job"]
    # `airflow dags test` creates its DAG run already running: the run's START comes from the scheduler only.
    assert "COMPLETE" in runs.get("kpi_nightly", set()), sorted(runs)
    for job in ("kpi_nightly.ingest", "kpi_nightly.gate_raw_staging", "kpi_nightly.dbt_build",
                "kpi_nightly.gate_marts", "kpi_nightly.publish"):
        assert {"START", "COMPLETE"} <= runs.get(job, set()), (job, sorted(runs))

    def completed(job: str) -> dict:
        (event,) = [e for e in events if e["job"]["name"] == job and e["eventType"] == "COMPLETE"]
        return event

    def names(event: dict, side: str) -> set[tuple[str, str]]:
        return {(d["namespace"], d["name"]) for d in event.get(side) or []}

    ingest = completed("kpi_nightly.ingest")
    assert names(ingest, "inputs") == {(kafka, env["KAFKA_TOPIC"]), (kafka, env["KAFKA_STAFF_TOPIC"])}
    assert names(ingest, "outputs") == {table("raw.case_events"), table("raw.staff_events")}

    # dbt's run: a child of the dbt_build task's run, then one job per model and test
    dbt_task = completed("kpi_nightly.dbt_build")
    children = [e for e in events if (e["run"].get("facets", {}).get("parent") or {}).get("run", {}).get("runId")
                == dbt_task["run"]["runId"]]
    assert {e["eventType"] for e in children} == {"START", "COMPLETE"}, children
    dbt_ins = {n for e in events if e["eventType"] == "COMPLETE" for n in names(e, "inputs")}
    dbt_outs = {n for e in events if e["eventType"] == "COMPLETE" and not e["job"]["name"].startswith("kpi_nightly")
                for n in names(e, "outputs")}
    assert table("raw.case_events") in dbt_ins and table("raw.staff_events") in dbt_ins
    assert table("staging.stg_motcua__case_events") in dbt_outs
    assert table("staging.stg_motcua__case_events") in dbt_ins
    assert table(f"{BUILD_SCHEMA}.kpi_officer_daily") in dbt_outs

    published = completed("kpi_nightly.publish")
    assert table(f"{BUILD_SCHEMA}.kpi_officer_daily") in names(published, "inputs")
    assert {table(f"marts.{t}") for t in ("fct_cases", "kpi_officer_daily", "kpi_officer_monthly",
                                           "kpi_agency_monthly")} <= names(published, "outputs")
    assert table("audit.publications") in names(published, "outputs")


def test_backfill_with_late_events_records_revisions_and_a_rerun_publishes_the_same_figures(night_env, pg_db, tmp_path,
                                                                                           dbt_target):
    env, topic = night_env
    arrived: list[dict] = []

    # Night 1: everything runs, docs included.
    arrived += produce_night(env, topic, NIGHTS[0], tmp_path / "n1.jsonl")
    out = run_night(env, NIGHTS[0])
    assert "quality gate PASSED: layer=raw date=2026-02-02" in out
    assert "quality gate PASSED: layer=marts date=2026-02-02" in out
    assert Path(env["MOTCUA_DBT_DOCS_DIR"], "index.html").exists()
    assert Path(env["MOTCUA_DBT_DOCS_DIR"], "target", "catalog.json").exists()
    assert_night_lineage(lineage_events(env), env)
    # names, schemas, SQL and timings only: no secret, no applicant's personal data
    text = Path(env["MOTCUA_LINEAGE_FILE"]).read_text()
    from motcua.settings import local_secret
    for secret in ("MOTCUA_PII_HMAC_KEY", "MOTCUA_TRANSFORM_PASSWORD", "MOTCUA_INGEST_PASSWORD", "MOTCUA_GATE_PASSWORD"):
        assert local_secret(secret) and local_secret(secret) not in text, secret
    applicants = [json.loads(m["value"])["data"]["applicant"] for m in arrived
                  if json.loads(m["value"])["event_type"] == "case.received"]
    identifiers = [a[k] for a in applicants for k in ("id_number", "phone") if k in a]
    assert identifiers and not [v for v in identifiers if v in text]
    # The later nights run without lineage: off emits nothing, from Airflow or dbt.
    emitted = lineage_events(env)
    env = with_lineage(env, MOTCUA_LINEAGE="off", MOTCUA_LINEAGE_FILE=env["MOTCUA_LINEAGE_FILE"])
    expected_1 = receipts_by_officer_day(arrived)
    assert published_receipts(pg_db) == expected_1
    (pub1, run_id, local_date, commit, invocation, gates), = query(
        pg_db, "select publication_id, run_id, local_date, git_commit, dbt_invocation_id, gate_summary "
               "from audit.publications")
    assert run_id.startswith("manual__") and local_date == NIGHTS[0] and commit and invocation
    assert {layer: gates[layer]["passed"] for layer in ("raw", "staging", "marts")} == {
        "raw": True, "staging": True, "marts": True}
    assert gates["dbt"]["invocation_id"] == invocation
    pub1_values = published_receipts(pg_db)
    pub1_all_keys = set(query(pg_db, "select officer_id, agency_code, activity_date from marts.kpi_officer_daily",
                              role="bi"))

    # Night 2 brings late receipts of 2 February; the docs step is left out of the later nights (time).
    arrived += produce_night(env, topic, NIGHTS[1], tmp_path / "n2.jsonl")
    run_night(env, NIGHTS[1], "--mark-success-pattern", "refresh_docs")
    assert lineage_events(env) == emitted
    expected_2 = receipts_by_officer_day(arrived)
    assert published_receipts(pg_db) == expected_2
    revised = {k: (pub1_values.get(k, 0), n) for k, n in expected_2.items()
               if k[2] == NIGHTS[0] and k in pub1_all_keys and pub1_values.get(k, 0) != n}
    assert revised, "the seed must revise some officer's receipts of 2 February"
    rows = query(pg_db, """select grain->>'officer_id', grain->>'agency_code', (grain->>'activity_date')::date,
                                  previous_value, value, local_date
                             from audit.kpi_value_revisions
                            where table_name = 'kpi_officer_daily' and measure = 'cases_received'""")
    assert {(o, a, d): (int(p), int(v)) for o, a, d, p, v, _ in rows} == revised
    assert {night for *_, night in rows} == {NIGHTS[1]}

    # Night 3 first fails its marts gate (made too strict to pass): dbt built the new figures into
    # the build schema, but BI keeps night 2's and no publication is recorded.
    arrived += produce_night(env, topic, NIGHTS[2], tmp_path / "n3.jsonl")
    blocked = dags_test(dict(env, MOTCUA_GX_RATE_TOLERANCE="-1"), NIGHTS[2], "--mark-success-pattern", "refresh_docs")
    out = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0 and "quality gate BLOCKED: layer=marts date=2026-02-04" in out, out[-4000:]
    assert "starting task_id=publish" not in out
    assert published_receipts(pg_db) == expected_2
    built = query(pg_db, f"select officer_id, agency_code, activity_date, cases_received from {BUILD_SCHEMA}.kpi_officer_daily"
                         " where cases_received > 0")
    assert {(o, a, d): n for o, a, d, n in built} == receipts_by_officer_day(arrived) != expected_2
    assert len(query(pg_db, "select 1 from audit.publications")) == 2
    # The same night with the normal gate publishes; then night 3 again: the rerun publishes
    # identical figures, so no revision.
    run_night(env, NIGHTS[2], "--mark-success-pattern", "refresh_docs")
    before = query(pg_db, "select count(*) from audit.kpi_value_revisions")[0][0]
    figures = query(pg_db, "select * from marts.kpi_officer_daily order by 1, 2, 3", role="bi")
    run_night(env, NIGHTS[2], "--mark-success-pattern", "refresh_docs")
    assert query(pg_db, "select count(*) from audit.kpi_value_revisions")[0][0] == before
    assert query(pg_db, "select * from marts.kpi_officer_daily order by 1, 2, 3", role="bi") == figures
    assert published_receipts(pg_db) == receipts_by_officer_day(arrived)
    publications = query(pg_db, "select local_date, swapped, tables from audit.publications order by publication_id")
    assert [(d, s) for d, s, _ in publications] == [(NIGHTS[0], True), (NIGHTS[1], True), (NIGHTS[2], True),
                                                    (NIGHTS[2], True)]
    assert all(v["values"] == {"changed": 0, "added": 0, "removed": 0}
               for v in publications[-1][2].values() if "values" in v)
    # What BI saw after night 1 is still answerable although later nights revised it.
    assert {(o, a, date.fromisoformat(d)): int(v) for o, a, d, v in query(
        pg_db, """select grain->>'officer_id', grain->>'agency_code', grain->>'activity_date', value
                    from audit.published_kpi_values_at(%s)
                   where table_name = 'kpi_officer_daily' and measure = 'cases_received' and value > 0""",
        params=(pub1,))} == expected_1


def future_events(n: int, minutes_ahead: int) -> list[bytes]:
    """Contract-valid receipts dated `minutes_ahead` in the future: within the loader's tolerance
    (60 min), so they land in raw; beyond the gate's clock-skew tolerance (10 min), so it must block."""
    at = (datetime.now(timezone.utc) + timedelta(minutes=minutes_ahead)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    events = []
    for i in range(n):
        events.append(json.dumps({
            "event_id": str(uuid.uuid4()), "event_type": "case.received", "schema_version": 1,
            "occurred_at": at.isoformat(timespec="seconds"), "source": "motcua.skhdt.hanoi",
            "case_id": f"000.00.12.H26-FUTURE-{i:04d}", "agency_code": "SKHDT", "officer_id": "CB0001",
            "data": {"procedure_code": "1.001612", "procedure_name": "Đăng ký doanh nghiệp", "sector_code": "DN",
                     "channel": "online", "processing_days": 3, "due_at": (at + timedelta(days=5)).isoformat(
                         timespec="seconds"),
                     "applicant": {"id_number": "001185199622", "full_name": "Nguyễn Văn A", "phone": "0812257279"}},
        }, ensure_ascii=False).encode())
    return events


def test_a_night_with_bad_data_fails_at_the_gate_and_publishes_nothing(night_env, pg_db, services):
    env, topic = night_env
    # The last good figures, published earlier (a hand-made build: this night never reaches dbt).
    create_build(pg_db)
    record_gate(pg_db)
    good = publish(request(), dbname=pg_db, config=PublishConfig(build_schema=BUILD))
    published = query(pg_db, "select * from marts.kpi_officer_daily order by 1", role="bi")

    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=services.bootstrap_servers)
    for value in future_events(20, minutes_ahead=30):
        producer.send(topic, value)
    producer.flush()
    producer.close()

    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    proc = dags_test(env, today)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-4000:]
    assert f"quality gate BLOCKED: layer=raw date={today.isoformat()}" in out
    assert "raw_occurred_at_not_in_future" in out                  # the GX summary is in the task log
    assert f"ALERT run_failed: kpi_nightly night {today.isoformat()} failed at task gate_raw_staging" in out
    assert "up_for_retry" not in out                                # a blocked gate is not retried
    assert "starting task_id=dbt_build" not in out and "starting task_id=publish" not in out
    # Lineage shows where the night stopped: the gate's run and the DAG run failed, dbt never ran.
    seen = {(e["job"]["name"], e["eventType"]) for e in lineage_events(env)}
    assert {("kpi_nightly.ingest", "COMPLETE"), ("kpi_nightly.gate_raw_staging", "FAIL"), ("kpi_nightly", "FAIL")} <= seen
    assert not {name for name, _ in seen if name == "kpi_nightly.dbt_build" or name.startswith("dbt-run")}
    # BI still sees the last good figures; the history has no new publication.
    assert query(pg_db, "select * from marts.kpi_officer_daily order by 1", role="bi") == published
    assert query(pg_db, "select publication_id from audit.publications") == [(good.publication_id,)]
    assert query(pg_db, "select count(*) from raw.case_events")[0][0] == 20
