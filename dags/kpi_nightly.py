"""kpi_nightly: one night of one-stop-shop KPIs, gated and published, per data interval.

    ingest ─► gate_raw_staging ─► dbt_build ─► gate_marts ─► publish ─► refresh_docs ─► deadline_watchdog (teardown)

- Schedule: 02:00 Asia/Ho_Chi_Minh. The data interval is [D 02:00, D+1 02:00) local; the night's
  local date is D (what the GX gate validates) and dbt's as_of is the interval end, so a rerun of
  a night computes the same figures. A run triggered by hand without a logical date covers the
  last complete night, or the one named in its conf: {"night": "YYYY-MM-DD"}. catchup=True and max_active_runs=1: missed nights run one at
  a time, oldest first (backfills record revisions in audit.*, they never rewrite history).
- Retries with exponential backoff for outages (broker, database); none for a blocked gate or a
  failing dbt data test (AirflowFailException), whose summary is in the task log.
- Deadline: a native Airflow 3 DeadlineAlert (fires from the scheduler while the run is still
  going) and a teardown watchdog that compares the run's duration with the same deadline; both
  log an ALERT line and POST to MOTCUA_ALERT_WEBHOOK when set. A failed run alerts too.
- Parsing does no database or network call: every project import happens inside the tasks.

Configuration (environment): MOTCUA_NIGHTLY_START_DATE (first night, default 2026-01-01),
MOTCUA_NIGHTLY_DEADLINE_MINUTES (240), MOTCUA_NIGHTLY_INGEST_MAX_SECONDS (1800),
MOTCUA_BUILD_SCHEMA (marts_build), MOTCUA_DBT_TARGET_PATH, MOTCUA_ALERT_WEBHOOK, plus the
services' (PGDATABASE, KAFKA_TOPIC, ...; see README).
"""
from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import (
    AsyncCallback, CronDataIntervalTimetable, DeadlineAlert, DeadlineReference, dag, get_current_context, task,
    teardown,
)
from airflow.sdk.exceptions import AirflowFailException

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:      # the project's packages (publish, expectations, ingestion)
    sys.path.insert(0, str(PROJECT_ROOT))

TIMEZONE = "Asia/Ho_Chi_Minh"
# The first night that may ever run: Airflow creates no task for a night before it, so backfills
# cannot reach further back. Unpausing the DAG catches up every night since then, one at a time.
START = pendulum.parse(os.environ.get("MOTCUA_NIGHTLY_START_DATE") or "2026-01-01", tz=TIMEZONE)
DEADLINE = timedelta(minutes=float(os.environ.get("MOTCUA_NIGHTLY_DEADLINE_MINUTES") or 240))

# Outage retries: 1, 2, 4 min (capped at 15). A blocked gate never gets here (AirflowFailException).
RETRY = {"retry_delay": timedelta(minutes=1), "retry_exponential_backoff": 2.0, "max_retry_delay": timedelta(minutes=15)}


def _night() -> dict:
    """The night's coordinates from the running task's context (see publish.steps.night_window)."""
    from publish.steps import night_window

    ctx = get_current_context()
    run = ctx["dag_run"]
    start, end = night_window(ctx.get("data_interval_start"), ctx.get("data_interval_end"), run.run_after, run.conf)
    local_start, local_end = pendulum.instance(start).in_timezone(TIMEZONE), pendulum.instance(end).in_timezone(TIMEZONE)
    return {"run_id": ctx["run_id"], "start": start, "end": end, "day": local_start.date(), "as_of": local_end.isoformat()}


def _deadline_alerts() -> list[DeadlineAlert]:
    """Airflow 3's DeadlineAlert: the scheduler fires it while a run is still going past the deadline.

    MOTCUA_NIGHTLY_NATIVE_DEADLINE=0 leaves it out: Airflow 3.3.2's `airflow dags test` crashes when a
    run with a deadline succeeds (DagRun.update_state passes the serialized alert, a dict, where the
    alert's UUID is expected), so scripts/airflow.sh test and the end-to-end tests switch it off and
    rely on the watchdog below, which checks the same deadline at the end of every run.
    """
    if os.environ.get("MOTCUA_NIGHTLY_NATIVE_DEADLINE", "1").strip().lower() in ("0", "false", "no"):
        return []
    return [DeadlineAlert(reference=DeadlineReference.DAGRUN_QUEUED_AT, interval=DEADLINE,
                          callback=AsyncCallback("publish.alerts.on_deadline_missed",
                                                 kwargs={"deadline_minutes": DEADLINE.total_seconds() / 60}))]


def _no_retry(fn, *args, **kwargs):
    """Blocked gates and code/config errors fail at once; outages propagate and are retried."""
    from publish.errors import DataGateBlocked, PermanentFailure

    try:
        return fn(*args, **kwargs)
    except (DataGateBlocked, PermanentFailure) as exc:
        raise AirflowFailException(str(exc)) from exc


def _on_failure(context) -> None:
    from publish.alerts import on_run_failure

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
    default_args={"owner": "motcua-data", "retries": 2, **RETRY},
    on_failure_callback=_on_failure,
    deadline=_deadline_alerts(),
    tags=["motcua", "kpi"],
    doc_md=__doc__,
)
def kpi_nightly():
    @task(retries=3, execution_timeout=timedelta(hours=1))
    def ingest() -> dict:
        from publish import steps

        return _no_retry(steps.ingest, float(os.environ.get("MOTCUA_NIGHTLY_INGEST_MAX_SECONDS") or 1800))

    @task(retries=2, execution_timeout=timedelta(hours=1))
    def gate_raw_staging() -> dict:
        from publish import steps

        night = _night()
        verdicts = _no_retry(steps.gate, ("raw",), night["day"])        # bad raw data: stop before any dbt
        _no_retry(steps.ensure_staging, night["as_of"])
        return {**verdicts, **_no_retry(steps.gate, ("staging",), night["day"])}

    @task(retries=2, execution_timeout=timedelta(hours=2))
    def dbt_build() -> dict:
        from publish import steps

        return _no_retry(steps.dbt_build, _night()["as_of"]).as_json()

    @task(retries=2, execution_timeout=timedelta(hours=1))
    def gate_marts() -> dict:
        from publish import steps

        return _no_retry(steps.gate, ("marts",), _night()["day"])

    @task(retries=3, execution_timeout=timedelta(minutes=30))
    def publish(raw_staging: dict, marts: dict, build: dict) -> dict:
        from publish import PublishRequest
        from publish import publish as do_publish
        from publish.provenance import DbtRun, git_commit

        night, run = _night(), DbtRun.from_json(build)
        request = PublishRequest(
            run_id=night["run_id"], local_date=night["day"], interval_start=night["start"],
            interval_end=night["end"], git_commit=git_commit(), dbt_invocation_id=run.invocation_id,
            built_at=run.generated_at, gate_summary={**raw_staging, **marts, "dbt": build},
        )
        result = _no_retry(do_publish, request)
        print(result.summary(), flush=True)
        return {"publication_id": result.publication_id, "swapped": result.swapped, "revisions": result.revisions}

    @task(retries=1, execution_timeout=timedelta(minutes=30))
    def refresh_docs(published: dict) -> dict:
        from publish import steps

        dbt_docs = _no_retry(steps.dbt_docs, _night()["as_of"])
        gx_docs = steps.data_docs_index()
        print(f"dbt docs: file://{dbt_docs}\nData Docs (rebuilt by each gate run): "
              f"{'file://' + str(gx_docs) if gx_docs else 'none yet'}", flush=True)
        return {"dbt_docs": str(dbt_docs), "data_docs": str(gx_docs) if gx_docs else None}

    @teardown
    def deadline_watchdog() -> dict:
        """Runs whatever happened upstream; never fails the run (a teardown does not count)."""
        from publish.alerts import check_deadline

        ctx = get_current_context()
        run = ctx["dag_run"]
        # A run starts no earlier than its run_after (for `airflow dags test`, start_date is the
        # logical date, which is in the past; run_after is when the test began).
        started = max(t for t in (run.start_date, run.run_after) if t is not None)
        return check_deadline(ctx["run_id"], started, pendulum.now("UTC"), DEADLINE).as_json()

    raw_staging = gate_raw_staging()
    build = dbt_build()
    marts = gate_marts()
    ingest() >> raw_staging >> build >> marts
    published = publish(raw_staging, marts, build)
    refresh_docs(published) >> deadline_watchdog.override(retries=0)()


kpi_nightly()
