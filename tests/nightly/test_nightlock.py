"""The night baton (orchestration.*): one run at a time, oldest night first, on the real PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest

from motcua import db
from nightly.nightlock import NightBusy, current, hold, release

N1, N2, N3 = date(2026, 2, 2), date(2026, 2, 3), date(2026, 2, 4)


def test_a_run_keeps_the_baton_for_all_its_tasks_and_others_wait_until_it_hands_it_back(pg_db):
    running = {"A", "B"}
    assert hold("A", N2, running.__contains__, dbname=pg_db).run_id == "A"
    assert hold("A", N2, running.__contains__, dbname=pg_db).run_id == "A"       # its next task
    with pytest.raises(NightBusy, match="night 2026-02-03 \\(run A\\) holds the baton"):
        hold("B", N3, running.__contains__, dbname=pg_db)
    assert release("A", dbname=pg_db) is True
    assert release("A", dbname=pg_db) is False                                  # handed back once
    assert hold("B", N3, running.__contains__, dbname=pg_db).run_id == "B"


def test_a_run_airflow_no_longer_runs_loses_the_baton(pg_db):
    hold("failed-run", N1, lambda r: True, dbname=pg_db)
    # It failed without its teardown (killed): the next run takes over and closes its registration.
    assert hold("B", N2, lambda r: r == "B", dbname=pg_db).run_id == "B"
    with db.connect("auditor", pg_db) as conn:
        assert conn.execute("select finished_at is not null from orchestration.nightly_runs where run_id = 'failed-run'"
                            ).fetchone() == (True,)


def test_the_oldest_waiting_night_goes_first(pg_db):
    running = {"holder", "newer", "older"}
    hold("holder", N1, running.__contains__, dbname=pg_db)
    for run_id, night in (("newer", N3), ("older", N2)):                          # the newer one asked first
        with pytest.raises(NightBusy):
            hold(run_id, night, running.__contains__, dbname=pg_db)
    release("holder", dbname=pg_db)
    with pytest.raises(NightBusy, match="the older night 2026-02-03 \\(run older\\) goes first"):
        hold("newer", N3, running.__contains__, dbname=pg_db)
    assert hold("older", N2, running.__contains__, dbname=pg_db).run_id == "older"
    release("older", dbname=pg_db)
    assert hold("newer", N3, running.__contains__, dbname=pg_db).run_id == "newer"
    assert current(pg_db).night == N3


def test_a_free_baton_waits_for_an_older_night_airflow_has_started_but_not_registered(pg_db):
    with pytest.raises(NightBusy, match="older night has started"):
        hold("newer", N3, lambda r: True, older_pending=lambda night: night == N3, dbname=pg_db)
    assert current(pg_db).run_id is None
    assert hold("newer", N3, lambda r: True, older_pending=lambda night: False, dbname=pg_db).run_id == "newer"


def test_bi_cannot_read_or_touch_the_baton(pg_db):
    import psycopg

    with db.connect("bi", pg_db) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("select * from orchestration.night_baton")
