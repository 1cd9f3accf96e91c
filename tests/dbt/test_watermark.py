"""The incremental watermark advances only when every model of the run finished: a night whose
fct_cases and KPI chain succeed but whose fairness_officer_monthly fails must leave it, or the next
night would not recompute that night's cases for the fairness mart.

Night 1 (as of Tue 10 March 2026): case W1 received by R1 Mon 2 March 09:00, completed by H1 Tue
3 March. Night 2 (as of Wed 11 March): case W2 received by R1 Mon 9 March 09:00, due Wed 11 March
17:00 (3 working days, 1440 working minutes), returned by H2 Wed 11 March 16:00 — 60 of 1440
working minutes left (0.0417 < 0.20): flagged, attributed to H2, March. fairness_officer_monthly
is made to fail on night 2 (a trigger refusing its writes). Night 3 (as of Thu 12 March, nothing
new): H2's March row must hold the flag, i.e. night 2's case was recomputed.
"""
from __future__ import annotations

import pytest

from ingestion import db
from tests.dbt.dbt_runner import BUILD_SCHEMA, DbtFailed, run_dbt
from tests.dbt.events import completed, insert_events, received, returned, vn

NIGHTLY = ("build", "--resource-type", "seed", "--resource-type", "model")
FAIRNESS = f"{BUILD_SCHEMA}.fairness_officer_monthly"


def watermarks(dbname: str) -> int:
    with db.connect("transform", dbname) as conn:
        return conn.execute("select count(*) from lineage.dbt_incremental_watermark").fetchone()[0]


def execute(dbname: str, sql: str) -> None:
    with db.connect("transform", dbname, autocommit=True) as conn:
        conn.execute(sql)


def test_a_failed_fairness_model_keeps_the_watermark_so_the_next_night_recomputes_its_cases(module_db, dbt_target):
    insert_events(module_db, [
        received("W1", vn("2026-03-02 09:00"), vn("2026-03-04 17:00"), officer="R1"),
        completed("W1", vn("2026-03-03 10:00"), officer="H1"),
    ], ingested_at=vn("2026-03-10 20:00"))
    run_dbt(module_db, *NIGHTLY, target_path=dbt_target, as_of="2026-03-10T23:30:00+07:00")
    assert watermarks(module_db) == 1

    insert_events(module_db, [
        received("W2", vn("2026-03-09 09:00"), vn("2026-03-11 17:00"), officer="R1"),
        returned("W2", vn("2026-03-11 16:00"), officer="H2"),
    ], ingested_at=vn("2026-03-11 20:00"))
    execute(module_db, f"""
        create function {BUILD_SCHEMA}.refuse_write() returns trigger language plpgsql as
        $$ begin raise exception 'fairness_officer_monthly refuses writes (test)'; end $$;
        create trigger refuse_write before insert or delete on {FAIRNESS}
        for each statement execute function {BUILD_SCHEMA}.refuse_write()""")
    with pytest.raises(DbtFailed, match="fairness_officer_monthly"):
        run_dbt(module_db, *NIGHTLY, target_path=dbt_target, as_of="2026-03-11T23:30:00+07:00")
    assert watermarks(module_db) == 1   # the KPI chain succeeded, the fairness mart did not

    execute(module_db, f"drop trigger refuse_write on {FAIRNESS}; drop function {BUILD_SCHEMA}.refuse_write()")
    run_dbt(module_db, *NIGHTLY, target_path=dbt_target, as_of="2026-03-12T23:30:00+07:00")
    assert watermarks(module_db) == 2
    with db.connect("transform", module_db) as conn:
        h2 = conn.execute(f"select return_near_deadline_checked, return_near_deadline_count from {FAIRNESS}"
                          " where officer_id = 'H2' and month = '2026-03-01'").fetchall()
    assert h2 == [(1, 1)]
