"""due_soon_alerts: cảnh báo sắp trễ hạn, one digest per agency every half hour of the working day.

    working_day (short circuit) ─► refresh ─► post_digests

- Schedule: every 30 minutes from 08:00 to 17:00 Asia/Ho_Chi_Minh, every day of the week; the first
  task looks the run's local date up in the published working-time calendar
  (marts.dim_working_calendar) and skips the run on a weekend or a holiday, and runs on a make-up
  Saturday. The run's instant is its logical date (the half-hour it was scheduled for), so a
  rerun computes the same window.
- refresh: applies the events loaded since the nightly build to marts.fct_due_soon_open_cases
  (motcua/due_soon.py; new receipts, completions, returns, reassignments).
- post_digests: per agency with a case due within the window (kpi_models/due_soon_window.csv, 8
  working hours by default) or overdue: the two counts and the ten most urgent cases with their
  officer and working minutes left, as an ALERT log line and a POST to MOTCUA_ALERT_WEBHOOK (the
  nightly's webhook). Idempotent: orchestration.due_soon_posts records each (window, agency)
  posted, so a rerun of the same window posts nothing new; a failed delivery is retried.
- No catch-up: a missed half hour is not worth a late digest; the next one says the same, newer.
- Parsing does no database or network call: every project import happens inside the tasks.
"""
from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import pendulum
from airflow.sdk import MultipleCronTriggerTimetable, dag, get_current_context, task

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:      # the project's packages (motcua, publish, ingestion)
    sys.path.insert(0, str(PROJECT_ROOT))

TIMEZONE = "Asia/Ho_Chi_Minh"


def _at() -> datetime:
    """The run's instant: its logical date (the scheduled half hour), else when it was triggered."""
    ctx = get_current_context()
    at = ctx.get("logical_date") or ctx["dag_run"].run_after
    return pendulum.instance(at).in_timezone(TIMEZONE)


@dag(
    dag_id="due_soon_alerts",
    description="Cảnh báo sắp trễ hạn: cases due within the working-hour window, one digest per agency",
    schedule=MultipleCronTriggerTimetable("0,30 8-16 * * *", "0 17 * * *", timezone=TIMEZONE),
    start_date=pendulum.datetime(2026, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=25),
    default_args={"owner": "motcua-data", "retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["motcua", "early-warning"],
    doc_md=__doc__,
)
def due_soon_alerts():
    @task.short_circuit(retries=2, execution_timeout=timedelta(minutes=2))
    def working_day() -> bool:
        from ingestion import db
        from motcua import due_soon

        at = _at()
        with db.connect("transform") as conn:
            worked = due_soon.is_working_day(conn, at)
        print(f"{at.date()} is {'a working day' if worked else 'not a working day: no digest'}", flush=True)
        return worked

    @task(execution_timeout=timedelta(minutes=10))
    def refresh() -> dict:
        from ingestion import db
        from motcua import due_soon

        with db.connect("transform") as conn:
            return due_soon.refresh(conn, _at())

    @task(execution_timeout=timedelta(minutes=10))
    def post_digests(refreshed: dict) -> dict:
        from airflow.sdk.exceptions import AirflowException

        from ingestion import db
        from motcua import due_soon

        with db.connect("transform") as conn:
            summary = due_soon.post_digests(conn, _at())
        print(f"due-soon digests {summary['window_start']}: posted {summary['posted']}, "
              f"already posted {summary['already_posted']}", flush=True)
        if summary["failed"]:     # retried: the webhook may be back, and the posted ones are not repeated
            raise AirflowException(f"digest not delivered for {summary['failed']}")
        return {**summary, "refresh": refreshed}

    refreshed = refresh()
    working_day() >> refreshed
    post_digests(refreshed)


due_soon_alerts()
