"""kpi_nightly: one night of one-stop-shop KPIs, gated and published, per data interval.

    ingest ─► gate_raw_staging ─► dbt_build ─► gate_marts ─► publish ─► refresh_docs ─► deadline_watchdog (teardown)

- Schedule: 02:00 Asia/Ho_Chi_Minh. The data interval is [D 02:00, D+1 02:00) local; the night's
  local date is D (what the GX gate validates) and dbt's as_of is the interval end, so a rerun of
  a night computes the same figures. A run triggered by hand without a logical date covers the
  last complete night, or the one named in its conf: {"night": "YYYY-MM-DD"} (`motcua nightly rerun`).
- One night at a time, oldest first, whatever starts the runs (catch-up, `motcua nightly backfill`,
  a rerun): every task first holds the night baton in PostgreSQL (nightly/nightlock.py); a task
  whose night must wait is rescheduled (no worker slot held, no retry used). Airflow's
  max_active_runs=1 alone does not do it: backfill runs are counted apart from scheduled ones.
  Backfills record revisions in audit.*, they never rewrite history.
- Retries with exponential backoff for outages (broker, database); none for a blocked gate or a
  failing dbt data test (AirflowFailException), whose summary is in the task log.
- Deadline: a teardown watchdog compares the run's duration with the deadline and hands the night
  baton back. No native DeadlineAlert: in Airflow 3.3.2 a DAG with one cannot be cleared (clearing
  recomputes the deadline from the serialized interval, a dict: HTTP 500 in the UI, TypeError in
  `airflow tasks clear`) and `airflow dags test` crashes on its successful runs.
- A failing task alerts from its own worker (on_failure_callback): the night, the task and the
  cause (a blocked gate's first failed expectations); ALERT line, and a POST to
  MOTCUA_ALERT_WEBHOOK when set.
- The steps themselves live in the nightly/ package (one module per step), free of Airflow.
- Parsing does no database or network call: every project import happens inside the tasks.

Configuration (environment): MOTCUA_NIGHTLY_START_DATE (first night, default 2026-01-01),
MOTCUA_NIGHTLY_DEADLINE_MINUTES (240), MOTCUA_NIGHTLY_INGEST_MAX_SECONDS (1800),
MOTCUA_NIGHTLY_BATON_POLL_SECONDS (15), MOTCUA_NIGHTLY_BATON_WAIT_MINUTES (15), MOTCUA_NIGHTLY_DOCS
(1; 0 skips `dbt docs generate`), MOTCUA_BUILD_SCHEMA (marts_build), MOTCUA_DBT_TARGET_PATH, MOTCUA_ALERT_WEBHOOK, plus the
services' (PGDATABASE, KAFKA_TOPIC, ...; see README). OpenLineage events of the runs, the tasks and dbt's
models: MOTCUA_LINEAGE* (motcua/lineage.py; scripts/airflow.sh maps them to Airflow's settings).
"""
from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, get_current_context, task, teardown
from airflow.sdk.exceptions import AirflowFailException, AirflowRescheduleException

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:      # the project's packages (nightly, publish, expectations, ...)
    sys.path.insert(0, str(PROJECT_ROOT))

TIMEZONE = "Asia/Ho_Chi_Minh"
# The first night that may ever run: Airflow creates no task for a night before it, so backfills
# cannot reach further back. Unpausing the DAG catches up every night since then, one at a time.
START = pendulum.parse(os.environ.get("MOTCUA_NIGHTLY_START_DATE") or "2026-01-01", tz=TIMEZONE)
DEADLINE = timedelta(minutes=float(os.environ.get("MOTCUA_NIGHTLY_DEADLINE_MINUTES") or 240))

# Outage retries: 1, 2, 4 min (capped at 15). A blocked gate never gets here (AirflowFailException).
RETRY = {"retry_delay": timedelta(minutes=1), "retry_exponential_backoff": 2.0, "max_retry_delay": timedelta(minutes=15)}


def _night() -> dict:
    """The night's coordinates from the running task's context (see nightly.window.night_window)."""
    from nightly.window import night_window

    ctx = get_current_context()
    run = ctx["dag_run"]
    start, end = night_window(ctx.get("data_interval_start"), ctx.get("data_interval_end"), run.run_after, run.conf)
    local_start, local_end = pendulum.instance(start).in_timezone(TIMEZONE), pendulum.instance(end).in_timezone(TIMEZONE)
    return {"run_id": ctx["run_id"], "start": start, "end": end, "day": local_start.date(), "as_of": local_end.isoformat()}


# A task whose night waits for the baton looks again every BATON_POLL inside the task, for up to
# BATON_WAIT; then it is rescheduled in BATON_RESCHEDULE (frees its worker slot). Not a short
# reschedule loop: in Airflow 3.3.2 a task rescheduled within seconds can be re-queued before the
# executor reports its previous attempt, which the scheduler then counts as a failed try.
BATON_POLL = timedelta(seconds=float(os.environ.get("MOTCUA_NIGHTLY_BATON_POLL_SECONDS") or 15))
BATON_WAIT = timedelta(minutes=float(os.environ.get("MOTCUA_NIGHTLY_BATON_WAIT_MINUTES") or 15))
BATON_RESCHEDULE = timedelta(minutes=2)
# How far back a waiting night looks for older nights' runs (a backfill longer than this is not ordered).
ORDER_HORIZON_DAYS = 400


def _hold_night(night: dict) -> None:
    """Hold the night baton for this run, or come back later (see nightly/nightlock.py)."""
    from nightly.nightlock import NightBusy, hold

    ti = get_current_context()["ti"]

    def active(run_id: str) -> bool:
        try:
            return str(ti.get_dagrun_state(dag_id=ti.dag_id, run_id=run_id)).lower().split(".")[-1] == "running"
        except Exception:        # a run Airflow no longer knows (deleted) does not hold anything
            return False

    def older_pending(day) -> bool:
        """A run of an older night that is running, or queued in a backfill (scheduled and backfill
        runs of night D have logical date D 02:00 local; a backfill's run id carries the interval end)."""
        first = day - timedelta(days=ORDER_HORIZON_DAYS)
        starts = [pendulum.datetime(d.year, d.month, d.day, 2, tz=TIMEZONE).in_timezone("UTC")
                  for d in (first + timedelta(days=i) for i in range((day - first).days))]
        if not starts:
            return False
        running = ti.get_dr_count(dag_id=ti.dag_id, logical_dates=starts, states=["running"])
        queued = ti.get_dr_count(dag_id=ti.dag_id, run_ids=[f"backfill__{s.add(days=1).isoformat()}" for s in starts],
                                 states=["queued"])
        return running + queued > 0

    import time

    give_up, last = time.monotonic() + BATON_WAIT.total_seconds(), ""
    while True:
        try:
            _no_retry(hold, night["run_id"], night["day"], active, older_pending)
            return
        except NightBusy as busy:
            if str(busy) != last:          # one line per change of who goes first, not per poll
                print(f"{busy}; looking again every {BATON_POLL.total_seconds():.0f} s", flush=True)
                last = str(busy)
            if time.monotonic() + BATON_POLL.total_seconds() > give_up:
                print(f"still waiting after {BATON_WAIT}: rescheduled in {BATON_RESCHEDULE}", flush=True)
                raise AirflowRescheduleException(pendulum.now("UTC") + BATON_RESCHEDULE) from None
            time.sleep(BATON_POLL.total_seconds())


def _start() -> dict:
    """Every task starts here: quiet third-party loggers, find the night, hold its baton."""
    from nightly.run import quiet_loggers

    quiet_loggers()
    night = _night()
    _hold_night(night)
    return night


def _no_retry(fn, *args, **kwargs):
    """Outages propagate and are retried; blocked gates and code/config errors fail at once.
    Decided by the failure's type (motcua.errors.retryable), never by its message."""
    from motcua.errors import MotcuaError, retryable

    try:
        return fn(*args, **kwargs)
    except MotcuaError as exc:
        if retryable(exc):
            raise
        raise AirflowFailException(str(exc)) from exc


def _lineage(inputs: list, outputs: list) -> None:
    """Name a Python step's datasets on the running task. No OpenLineage extractor knows a Python
    task, so the provider reads its inlets and outlets for the task's COMPLETE event; set here, at
    run time, they are the names this night really used (topics, database)."""
    task = get_current_context()["task"]
    task.inlets = [*task.inlets, *inputs]
    task.outlets = [*task.outlets, *outputs]


def _lineage_parent() -> tuple[str, str] | None:
    """This task's and its DAG run's OpenLineage ids (NAMESPACE/JOB/RUN_ID): dbt's run is their child."""
    try:
        from airflow.providers.openlineage.plugins.macros import lineage_parent_id, lineage_root_parent_id
    except ImportError:         # the provider missing: dbt's run is then a root of its own
        return None
    ti = get_current_context()["ti"]
    return lineage_parent_id(ti), lineage_root_parent_id(ti)


def _on_task_failure(context) -> None:
    """Runs in the failing task's worker: the alert names the night, the task and the cause."""
    from nightly.alerts import on_task_failure

    night = None
    try:
        run = context["dag_run"]
        from nightly.window import night_window

        start, _ = night_window(context.get("data_interval_start"), context.get("data_interval_end"), run.run_after,
                                run.conf)
        night = pendulum.instance(start).in_timezone(TIMEZONE).date()
    except Exception:       # the alert goes out without the night rather than not at all
        pass
    on_task_failure(context, night=night)


def _on_run_failure(context) -> None:
    from nightly.alerts import on_run_failure

    on_run_failure(context)


@dag(
    dag_id="kpi_nightly",
    description="Kafka → raw → GX gate → dbt → GX gate → publish: one-stop-shop KPIs, nightly",
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone=TIMEZONE),
    start_date=START,
    catchup=True,
    max_active_runs=1,
    max_active_tasks=1,
    dagrun_timeout=DEADLINE * 3,
    # weight_rule upstream: a started night's next task outranks a newer night's first task.
    default_args={"owner": "motcua-data", "retries": 2, "weight_rule": "upstream",
                  "on_failure_callback": _on_task_failure, **RETRY},
    on_failure_callback=_on_run_failure,
    tags=["motcua", "kpi"],
    doc_md=__doc__,
)
def kpi_nightly():
    @task(retries=3, execution_timeout=timedelta(hours=1))
    def ingest() -> dict:
        from nightly import capture
        from nightly.lineage import capture_datasets

        _start()
        loaded = _no_retry(capture.ingest, float(os.environ.get("MOTCUA_NIGHTLY_INGEST_MAX_SECONDS") or 1800))
        _lineage(*capture_datasets())
        return loaded

    @task(retries=2, execution_timeout=timedelta(hours=1))
    def gate_raw_staging() -> dict:
        from nightly import gate, transform

        night = _start()
        verdicts = _no_retry(gate.gate, ("raw",), night["day"])        # bad raw data: stop before any dbt
        _no_retry(transform.ensure_staging, night["as_of"])
        return {**verdicts, **_no_retry(gate.gate, ("staging",), night["day"])}

    @task(retries=2, execution_timeout=timedelta(hours=2))
    def dbt_build() -> dict:
        from nightly import transform

        night = _start()
        return _no_retry(transform.dbt_build, night["as_of"], lineage_parent=_lineage_parent()).as_json()

    @task(retries=2, execution_timeout=timedelta(hours=1))
    def gate_marts() -> dict:
        from nightly import gate

        return _no_retry(gate.gate, ("marts",), _start()["day"])

    @task(retries=3, execution_timeout=timedelta(minutes=30))
    def publish(raw_staging: dict, marts: dict, build: dict) -> dict:
        from motcua.settings import build_schema
        from nightly import publish as step
        from nightly.lineage import publish_datasets

        night = _start()
        published = _no_retry(step.publish_night, night["run_id"], night["day"], night["start"], night["end"], build,
                              {**raw_staging, **marts})
        _lineage(*publish_datasets(build_schema(), published["tables"], published["swapped"]))
        return published

    @task(retries=1, execution_timeout=timedelta(minutes=30))
    def refresh_docs(published: dict) -> dict:
        from nightly import docs

        night = _start()
        if os.environ.get("MOTCUA_NIGHTLY_DOCS", "1").strip().lower() in ("0", "false", "no"):
            print("dbt docs not regenerated (MOTCUA_NIGHTLY_DOCS=0)", flush=True)
            return {"dbt_docs": None, "data_docs": None}
        dbt_docs = _no_retry(docs.dbt_docs, night["as_of"])
        gx_docs = docs.data_docs_index()
        print(f"dbt docs: file://{dbt_docs}\nData Docs (rebuilt by each gate run): "
              f"{'file://' + str(gx_docs) if gx_docs else 'none yet'}", flush=True)
        return {"dbt_docs": str(dbt_docs), "data_docs": str(gx_docs) if gx_docs else None}

    @teardown
    def deadline_watchdog() -> dict:
        """Runs whatever happened upstream; never fails the run (a teardown does not count).
        Hands the night baton back, so the next night starts without waiting for this run's end."""
        from nightly.alerts import check_deadline
        from nightly.nightlock import release
        from nightly.run import quiet_loggers

        quiet_loggers()
        ctx = get_current_context()
        run = ctx["dag_run"]
        # A run starts no earlier than its run_after (for `airflow dags test`, start_date is the
        # logical date, which is in the past; run_after is when the test began).
        started = max(t for t in (run.start_date, run.run_after) if t is not None)
        check = check_deadline(ctx["run_id"], started, pendulum.now("UTC"), DEADLINE).as_json()
        return {**check, "baton_released": release(ctx["run_id"])}

    raw_staging = gate_raw_staging()
    build = dbt_build()
    marts = gate_marts()
    ingest() >> raw_staging >> build >> marts
    published = publish(raw_staging, marts, build)
    refresh_docs(published) >> deadline_watchdog.override(retries=0)()


kpi_nightly()
