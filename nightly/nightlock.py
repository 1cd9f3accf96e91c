"""One night at a time, oldest first: the baton every task of kpi_nightly holds before it works.

Airflow counts a DAG's scheduled runs and each backfill's runs separately against max_active_runs,
so the catch-up run, a backfill and a manual rerun can all be running at once. Their tasks share
one build schema, one dbt target folder and one GX store: interleaved, a night would publish
another night's build. The runs therefore coordinate in PostgreSQL (orchestration.*, migration
050):

- each task registers its run and night (orchestration.nightly_runs), then takes the baton if it
  is free, already its run's, or held by a run Airflow no longer runs (failed, succeeded, deleted);
- a free baton goes to the waiting run with the oldest night (then the earliest registered);
- the run's teardown hands the baton back (`release`), so the next night starts at once.

A task that cannot take the baton raises NightBusy; the DAG turns it into a reschedule (the task
waits without holding a worker slot or using up a retry). A cleared run registers again when its
cleared tasks start, and waits for the baton like any other.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import psycopg

from motcua import db
from motcua.errors import TransientError, retryable
from publish.errors import PermanentFailure, TransientFailure

log = logging.getLogger(__name__)


class NightBusy(TransientError):
    """Another run holds the baton, or an older night waits for it: try again shortly."""


@dataclass(frozen=True)
class Baton:
    run_id: str | None
    night: date | None


def _connect(dbname: str | None) -> psycopg.Connection:
    # db.connect reads the transform role's own password (and nothing else) from the secrets
    try:
        return db.connect("transform", dbname)
    except db.DatabaseConfigError as exc:   # unreachable (retry) or a bad setting (no retry)
        raise (TransientFailure if retryable(exc) else PermanentFailure)(str(exc)) from exc


def hold(run_id: str, night: date, is_active: Callable[[str], bool],
         older_pending: Callable[[date], bool] = lambda night: False, dbname: str | None = None) -> Baton:
    """Take (or keep) the baton for `run_id`; raise NightBusy when another run goes first.

    `is_active(run_id)` tells whether Airflow is running that run: a holder or an older waiting
    run that is not is skipped (a queued run can be waiting for this one's slot: waiting for it
    could deadlock) and marked finished. `older_pending(night)` tells whether Airflow has a run of
    an older night that has not reached the baton yet (started in the same second, or a
    backfill's next night): the baton waits for it too.
    """
    try:
        with _connect(dbname) as conn:
            with conn.transaction():
                conn.execute("""insert into orchestration.nightly_runs (run_id, night) values (%s, %s)
                                on conflict (run_id) do update set night = excluded.night, finished_at = null""",
                             (run_id, night))
            with conn.transaction():
                holder, held_night = conn.execute(
                    "select run_id, night from orchestration.night_baton for update").fetchone()
                if holder == run_id:
                    return Baton(holder, held_night)
                busy = None
                if holder is not None and is_active(holder):
                    busy = f"night {held_night} (run {holder}) holds the baton"
                else:
                    if holder is not None:
                        conn.execute("update orchestration.nightly_runs set finished_at = now() "
                                     "where run_id = %s and finished_at is null", (holder,))
                    mine = conn.execute("select registered_at from orchestration.nightly_runs where run_id = %s",
                                        (run_id,)).fetchone()[0]
                    older = conn.execute(
                        """select run_id, night from orchestration.nightly_runs
                            where finished_at is null and run_id <> %s and (night, registered_at) < (%s, %s)
                            order by night, registered_at""", (run_id, night, mine)).fetchall()
                    for other, other_night in older:
                        if is_active(other):
                            busy = f"the older night {other_night} (run {other}) goes first"
                            break
                        conn.execute("update orchestration.nightly_runs set finished_at = now() where run_id = %s",
                                     (other,))
                    if busy is None and older_pending(night):
                        busy = "a run of an older night has started or is queued in a backfill"
                    if busy is None:
                        conn.execute("update orchestration.night_baton set run_id = %s, night = %s, taken_at = now()",
                                     (run_id, night))
                        log.info("night %s (run %s) took the baton%s", night, run_id,
                                 f" from the finished run {holder}" if holder else "")
                        return Baton(run_id, night)
    except psycopg.OperationalError as exc:
        raise TransientFailure(f"night baton: PostgreSQL unreachable: {exc}".strip()) from exc
    raise NightBusy(f"night {night} (run {run_id}) waits: {busy}")


def release(run_id: str, dbname: str | None = None) -> bool:
    """The run is done (its teardown): free the baton if it holds it. True if it did."""
    try:
        with _connect(dbname) as conn, conn.transaction():
            conn.execute("update orchestration.nightly_runs set finished_at = now() where run_id = %s", (run_id,))
            freed = conn.execute("""update orchestration.night_baton set run_id = null, night = null, taken_at = now()
                                     where run_id = %s returning 1""", (run_id,)).fetchone()
    except psycopg.OperationalError as exc:
        raise TransientFailure(f"night baton: PostgreSQL unreachable: {exc}".strip()) from exc
    return freed is not None


def current(dbname: str | None = None) -> Baton:
    with _connect(dbname) as conn:
        return Baton(*conn.execute("select run_id, night from orchestration.night_baton").fetchone())
