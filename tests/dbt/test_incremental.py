"""Nightly incremental runs over a simulated stream (with late arrivals) equal a full refresh.

Events arrive night after night (some days late, some before their case's receipt); after each
night's load the marts are built incrementally with that night's as-of instant. At the end the
marts are copied aside, rebuilt with --full-refresh at the same as-of instant, and compared
table by table with EXCEPT both ways.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from ingestion import db
from publish import PublishConfig, PublishRequest, publish
from tests.dbt.dbt_runner import BUILD_SCHEMA, run_dbt
from tests.dbt.events import VN, insert_events, received, vn
from tests.dbt.simulated import simulate

TABLES = (f"{BUILD_SCHEMA}.fct_cases", f"{BUILD_SCHEMA}.kpi_officer_daily", f"{BUILD_SCHEMA}.kpi_officer_monthly",
          f"{BUILD_SCHEMA}.kpi_agency_monthly", f"{BUILD_SCHEMA}.kpi_case_membership",
          f"{BUILD_SCHEMA}.fct_case_flags", f"{BUILD_SCHEMA}.fairness_officer_monthly")
# nights on which the pipeline runs (events arrived since the previous run are loaded first)
# seeds and models only: the data tests run in the scenario test
NIGHTLY = ("build", "--resource-type", "seed", "--resource-type", "model")
NIGHTS = (date(2026, 2, 6), date(2026, 2, 12), date(2026, 2, 18), date(2026, 2, 21))


def night_instant(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 30, tzinfo=VN)


def scalar(dbname: str, sql: str):
    with db.connect("transform", dbname) as conn:
        return conn.execute(sql).fetchone()[0]


def publish_night(dbname: str, night: date):
    instant = night_instant(night)
    return publish(PublishRequest(run_id=f"night-{night}", local_date=night, interval_start=instant - timedelta(days=1),
                                  interval_end=instant),
                   dbname=dbname, config=PublishConfig(build_schema=BUILD_SCHEMA), require_gate=False)


def assert_published_equals_build(dbname: str) -> None:
    """What BI and auditors read, copied publication by publication, is the build, row for row."""
    differences = {}
    with db.connect("transform", dbname) as conn:
        for table in TABLES:
            name = table.split(".")[1]
            published = f"lineage.{name}" if name == "kpi_case_membership" else f"marts.{name}"
            one = conn.execute(f"select count(*) from (select * from {table} except all select * from {published}) d").fetchone()[0]
            other = conn.execute(f"select count(*) from (select * from {published} except all select * from {table}) d").fetchone()[0]
            if one or other:
                differences[name] = (one, other)
    assert differences == {}, f"published != build (rows only in build, only published): {differences}"


def test_incremental_equals_full_refresh(module_db, dbt_target):
    arrivals = simulate(days=20)
    loaded = 0
    affected_per_night, queued_per_night, scopes = [], [], []
    previous = date.min
    for night in NIGHTS:
        batch = [a for a in arrivals if previous < a.day <= night]
        for a in batch:  # loaded during that arrival day's evening, long before the run
            a.event.ingested_at = datetime(a.day.year, a.day.month, a.day.day, 20, 0, tzinfo=VN)
            a.event.kafka_timestamp = a.event.ingested_at   # late arrivals are late_recorded
        insert_events(module_db, [a.event for a in batch])
        loaded += len(batch)
        run_dbt(module_db, *NIGHTLY, target_path=dbt_target, as_of=night_instant(night).isoformat())
        affected_per_night.append(scalar(module_db, "select count(*) from intermediate.int_cases_affected"))
        # dbt queues exactly the cases it recomputed (a NULL: everything) for the next publication
        queued_per_night.append(scalar(module_db, f"select count(case_id) || '/' || count(*) from {BUILD_SCHEMA}.publish_queue"))
        if night != NIGHTS[1]:    # night 2's build waits for night 3's publication (a blocked night)
            scopes.append(publish_night(module_db, night).scope)
        previous = night
    assert loaded == len(arrivals)
    assert queued_per_night[0] == "0/2"     # "everything", queued when the run starts and when it completes
    a = affected_per_night    # the queue holds every night since the last publication
    assert queued_per_night[1:] == [f"{a[1]}/{a[1]}", f"{a[1] + a[2]}/{a[1] + a[2]}", f"{a[3]}/{a[3]}"]
    # after the first (full) publication, each one copies only the cases queued since the last
    assert [s.full for s in scopes] == [True, False, False]
    assert scopes[1].cases >= affected_per_night[2] and len(scopes[1].invocations) == 2
    assert_published_equals_build(module_db)

    total_cases = scalar(module_db, f"select count(*) from {BUILD_SCHEMA}.fct_cases")
    # after the first (full) run, each night recomputes only some cases, never all of them
    assert affected_per_night[0] == 0 and all(0 < n < total_cases for n in affected_per_night[1:])
    # the stream has what makes incremental hard: late events, open cases, early arrivals
    assert scalar(module_db, f"select count(*) from {BUILD_SCHEMA}.fct_cases where status = 'open'") > 0
    assert scalar(module_db, f"select count(*) from {BUILD_SCHEMA}.fct_cases where return_count >= 2") > 0
    # and each gaming flag both raised and not (late arrivals are late_recorded)
    for flag in ("return_near_deadline", "withdrawal_near_deadline", "extension_after_deadline", "repeated_return",
                 "late_recorded"):
        assert scalar(module_db, f"select count(distinct {flag}) from {BUILD_SCHEMA}.fct_case_flags") == 2, flag

    with db.connect("transform", module_db, autocommit=True) as conn:
        conn.execute("create schema incremental_copy")
        for table in TABLES:
            conn.execute(f"create table incremental_copy.{table.split('.')[1]} as select * from {table}")

    run_dbt(module_db, *NIGHTLY, "--full-refresh", target_path=dbt_target,
            as_of=night_instant(NIGHTS[-1]).isoformat())

    differences = {}
    with db.connect("transform", module_db) as conn:
        for table in TABLES:
            copy = f"incremental_copy.{table.split('.')[1]}"
            only_incremental = conn.execute(f"select count(*) from (select * from {copy} except all select * from {table}) d").fetchone()[0]
            only_full = conn.execute(f"select count(*) from (select * from {table} except all select * from {copy}) d").fetchone()[0]
            rows = conn.execute(f"select count(*) from {table}").fetchone()[0]
            assert rows > 0, table
            if only_incremental or only_full:
                differences[table] = (only_incremental, only_full, rows)
    assert differences == {}, f"incremental != full refresh (rows only in incremental, only in full, total): {differences}"


def test_a_full_refresh_that_stops_half_way_still_makes_the_next_publication_full(module_db, dbt_target):
    # After the module's nights the queue is consumed by a publication; then only the first model
    # of a full refresh runs (as if the run died after it): nothing completes, yet the queue says
    # "everything", so the next publication cannot miss rows the full refresh replaced.
    publish_night(module_db, NIGHTS[-1] + timedelta(days=1))
    assert scalar(module_db, f"select count(*) from {BUILD_SCHEMA}.publish_queue") == 0

    run_dbt(module_db, "run", "--full-refresh", "--select", "int_ingestion_watermark", target_path=dbt_target,
            as_of=night_instant(NIGHTS[-1] + timedelta(days=1)).isoformat())

    assert scalar(module_db, f"select count(*) || '/' || count(case_id) from {BUILD_SCHEMA}.publish_queue") == "1/0"
    assert publish_night(module_db, NIGHTS[-1] + timedelta(days=2)).scope.full


def test_a_late_event_older_than_the_history_moves_every_row_of_the_first_month(module_db, dbt_target):
    # The simulated history starts Mon 2/2/2026, so February is a partial period for every officer.
    before = scalar(module_db, f"select count(*) filter (where is_partial_period) || '/' || count(*)"
                               f" from {BUILD_SCHEMA}.kpi_officer_monthly where month = '2026-02-01'")
    partial, total = map(int, before.split("/"))
    assert partial == total > 1
    # A receipt of Wed 28/1 arrives now: the history starts in January; February becomes whole,
    # also for the officers the late case does not touch (an incremental run must still fix them).
    insert_events(module_db, [received("LATE-1", vn("2026-01-28 09:00"), vn("2026-02-04 09:00"), officer="LATE")])
    run_dbt(module_db, *NIGHTLY, target_path=dbt_target, as_of=night_instant(NIGHTS[-1] + timedelta(days=3)).isoformat())
    assert scalar(module_db, f"select count(*) from {BUILD_SCHEMA}.kpi_officer_monthly where month = '2026-02-01'"
                             " and (is_partial_period or covered_from <> '2026-02-01')") == 0
    assert scalar(module_db, f"select count(*) from {BUILD_SCHEMA}.kpi_agency_monthly where month = '2026-02-01'"
                             " and is_partial_period") == 0
    # January for the late officer: covered from 28/1 = Wed 28, Thu 29, Fri 30 -> 3 working days
    assert scalar(module_db, f"select covered_from || ' ' || is_partial_period || ' ' || working_days"
                             f" from {BUILD_SCHEMA}.kpi_officer_monthly where officer_id = 'LATE'") == "2026-01-28 true 3"
