"""A changed KPI target re-scores every month at the next nightly run, without a full refresh and
without recomputing any case, and the next publication records the new met flags as revisions.

Hand-computed: officer C7 completes two cases in March 2026 at agency SKHDT, S7 late and S9
early, so on_time_rate = 1/2 = 0.5: below the shipped target 0.98 (not met), above 0.4 (met).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ingestion import db
from publish.config import PublishConfig
from publish.publisher import PublishRequest, publish
from tests.dbt.dbt_runner import BUILD_SCHEMA, run_dbt
from tests.dbt.events import completed, insert_events, received, vn

AS_OF = "2026-04-01T00:00:00+07:00"


def rows(dbname: str, sql: str) -> list[tuple]:
    with db.connect("transform", dbname) as conn:
        return conn.execute(sql).fetchall()


def publish_night(dbname: str, run_id: str):
    as_of = datetime.fromisoformat(AS_OF)
    return publish(PublishRequest(run_id=run_id, local_date=as_of.date() - timedelta(days=1),
                                  interval_start=as_of - timedelta(days=1), interval_end=as_of),
                   dbname=dbname, config=PublishConfig(build_schema=BUILD_SCHEMA), require_gate=False)


@pytest.fixture(scope="module")
def first_night(module_db, dbt_target):
    insert_events(module_db, [
        received("S7", vn("2026-03-02 09:00"), vn("2026-03-03 09:00"), officer="R7", days=1),
        completed("S7", vn("2026-03-04 10:00"), officer="C7"),                       # late
        received("S9", vn("2026-03-02 09:00"), vn("2026-03-04 09:00"), officer="R7", days=2),
        completed("S9", vn("2026-03-03 10:00"), officer="C7", outcome="refused"),    # early
    ], ingested_at=datetime.now(timezone.utc) - timedelta(days=1))
    # a later arrival (officer Z at SNV): the nightly run re-reads the last two hours of arrivals,
    # so only this case is recomputed each run, never S7 and S9
    insert_events(module_db, [received("Z1", vn("2026-03-02 09:00"), vn("2026-03-20 09:00"), officer="Z",
                                       agency="SNV", days=10)])
    run_dbt(module_db, "build", target_path=dbt_target, as_of=AS_OF)
    publish_night(module_db, "night-1")
    return module_db


def test_changed_target_rescores_without_full_refresh(first_night, dbt_target):
    c7 = f"from {BUILD_SCHEMA}.kpi_officer_monthly where officer_id = 'C7' and month = '2026-03-01'"
    assert rows(first_night, f"select on_time_rate, on_time_rate_target, on_time_rate_met {c7}") == [
        (Decimal("0.5000"), Decimal("0.98"), False)]
    # the case history and the incremental measures, as built on the first night (row versions)
    history = (f"select 'cases', case_id, xmin::text from {BUILD_SCHEMA}.fct_cases where case_id <> 'Z1' union all "
               f"select 'measures', officer_id, xmin::text from {BUILD_SCHEMA}.kpi_officer_monthly_measures "
               "where officer_id <> 'Z' order by 1, 2")
    before = rows(first_night, history)

    # kpi_targets.csv changes (what `dbt seed` loads): on-time target 0.4 from 2018 on
    with db.connect("transform", first_night) as conn:
        conn.execute("update marts.kpi_targets set target = 0.4 where kpi_code = 'on_time_rate'")
    run_dbt(first_night, "run", target_path=dbt_target, as_of=AS_OF)   # the nightly run, no --full-refresh

    assert rows(first_night, f"select on_time_rate, on_time_rate_target, on_time_rate_met {c7}") == [
        (Decimal("0.5000"), Decimal("0.4"), True)]
    assert rows(first_night, f"select on_time_rate_met from {BUILD_SCHEMA}.kpi_agency_monthly"
                             " where agency_code = 'SKHDT' and month = '2026-03-01'") == [(True,)]
    assert rows(first_night, history) == before   # no case and no measure row was recomputed

    # the publication copies the re-scored months and records the change as revisions:
    # officer months R7, C7 and Z change their target (3) and C7 its met flag (R7 and Z completed
    # nothing: NULL stays NULL); agency months SKHDT its target and met flag (2), SNV its target (1)
    result = publish_night(first_night, "night-2")
    assert result.scope.full and "full build is queued" in result.scope.reason
    assert result.tables["kpi_officer_monthly"]["values"] == {"changed": 4, "added": 0, "removed": 0}
    assert result.tables["kpi_agency_monthly"]["values"] == {"changed": 3, "added": 0, "removed": 0}
    revised = rows(first_night, """select grain ->> 'officer_id', measure, value from audit.published_kpi_values
        where table_name = 'kpi_officer_monthly'
          and publication_id = (select max(publication_id) from audit.publications)
        order by 1, 2""")
    assert revised == [("C7", "on_time_rate_met", Decimal(1)), ("C7", "on_time_rate_target", Decimal("0.4")),
                       ("R7", "on_time_rate_target", Decimal("0.4")), ("Z", "on_time_rate_target", Decimal("0.4"))]
    assert rows(first_night, f"select on_time_rate_met from marts.kpi_officer_monthly where officer_id = 'C7'") == [(True,)]


def test_unchanged_targets_publish_incrementally(first_night, dbt_target):
    # another night with the same targets and weights queues nothing: no needless full publication
    run_dbt(first_night, "run", target_path=dbt_target, as_of=AS_OF)
    result = publish_night(first_night, "night-3")
    assert not result.scope.full
