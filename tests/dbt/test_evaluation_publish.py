"""The evaluation published with history, incrementally: a late staff event changing a published
quarter becomes a revision in audit.published_kpi_values, answered by the one query of
docs/domain/evaluation-method.md; and the nightly (incremental) build of the evaluation equals a
full refresh.

Hand-computed. E1 (SNV, processing, unit PHONG3): each month of Q1 completes 5 cases, 4 on time and
1 late, no complaint, no rating: on_time 4/5 = 0.8 < 0.98 -> 52.5 x 0.8/0.98 = 42.8571;
complaint 0/5 met -> 17.5; task 60.3571 -> 60.36 (throughput: no target; avg_rating: no ratings).
Manager: one quarterly assessment for Q1.
- Night 1: Q1 assessment 10, 10, 10 (30); March's late case E1-03-09 has an active lateness
  exemption: March on_time (evaluation) 5/5 met -> task 70. Months 90.36, 90.36, 100;
  Q1 = 280.72 / 3 = 93.57 (task (60.36 + 60.36 + 70) / 3 = 63.57) -> excellent before the quota;
  E1 is alone in its group (E2 pending): k = floor(0.2 x 1 / 1.2) = 0 -> demoted to good.
- Night 2 (late staff events): the exemption revoked and the assessment corrected to 2, 2, 2 (6):
  66.36 a month, Q1 66.36 (task 60.36) -> pass, not demoted. In the history: Q1's band_level 3 -> 2,
  general_points 30 -> 6, quota_demoted 1 -> 0, task_points 63.57 -> 60.36, total_points
  93.57 -> 66.36. Also on night 2, E2's March cases complete (case events): the incremental KPI
  chain recomputes them.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ingestion import db
from publish.config import PublishConfig
from publish.publisher import PublishRequest, publish
from tests.dbt.dbt_runner import BUILD_SCHEMA, run_dbt
from tests.dbt.events import completed, insert_events, vn
from tests.dbt.staff_events import assessed, case, exemption, insert_staff_events, positioned

AS_OF = "2026-04-30T12:00:00+07:00"
EVAL_TABLES = ("eval_officer_period", "eval_officer_kpi_period", "eval_officer_criteria_period",
               "eval_group_period", "dim_officer_positions", "eval_case_membership", "eval_assessment_membership")
# "what band did E1 have for Q1 as published on each date, and why did it change": one query
# (docs/domain/evaluation-method.md, "Published results and their revisions")
HISTORY_QUERY = """
select p.publication_id, p.published_at,
       max(v.value) filter (where v.measure = 'band_level') as band_level,
       max(v.value) filter (where v.measure = 'total_points') as total_points,
       max(v.value) filter (where v.measure = 'task_points') as task_points,
       max(v.value) filter (where v.measure = 'general_points') as general_points,
       max(v.value) filter (where v.measure = 'quota_demoted') as quota_demoted
  from audit.publications p
  cross join lateral audit.published_kpi_values_at(p.publication_id) v
 where v.table_name = 'eval_officer_period'
   and v.grain = jsonb_build_object('officer_id', %s::text, 'period_type', 'quarter', 'period', %s::text)
 group by 1, 2
 order by 1
"""


def rows(dbname: str, sql: str, params: tuple = (), role: str = "transform") -> list[tuple]:
    with db.connect(role, dbname) as conn:
        return conn.execute(sql, params).fetchall()


def publish_night(dbname: str, run_id: str, night: date):
    end = datetime(night.year, night.month, night.day, tzinfo=timezone(timedelta(hours=7))) + timedelta(days=1)
    return publish(PublishRequest(run_id=run_id, local_date=night, interval_start=end - timedelta(days=1),
                                  interval_end=end),
                   dbname=dbname, config=PublishConfig(build_schema=BUILD_SCHEMA), require_gate=False)


def snapshot(dbname: str) -> dict[str, list[tuple]]:
    out = {}
    for table in EVAL_TABLES:
        out[table] = sorted(rows(dbname, f"select * from {BUILD_SCHEMA}.{table}"), key=repr)
    return out


@pytest.fixture(scope="module")
def two_nights(module_db, dbt_target):
    earlier = datetime.now(timezone.utc) - timedelta(days=1)
    events = []
    for month, days in (("01", (5, 6, 7, 8, 9)), ("02", (2, 3, 4, 5, 6)), ("03", (9, 10, 11, 12, 13))):
        for k, d in enumerate(days):
            events += case(f"E1-{month}-{d:02d}", f"2026-{month}-{d:02d}", "E1", "E1", agency="SNV", late=(k == 0))
    # E2's March cases: received on night 1, completed on night 2
    for d in (16, 17, 18, 19, 20):
        events += case(f"E2-{d}", f"2026-03-{d}", "E2", None, agency="SNV")
    insert_events(module_db, events, ingested_at=earlier)
    insert_staff_events(module_db, [
        positioned("E1", "SNV", "PHONG3", "processing", "2026-01-01"),
        positioned("E2", "SNV", "PHONG3", "processing", "2026-01-01"),
        assessed("E1", "SNV", "2026-Q1", (10, 10, 10), vn("2026-04-02 10:00")),
        exemption("E1-03-09", "lateness", "QD-31/2026", vn("2026-03-20 09:00"), agency="SNV"),
    ], ingested_at=earlier)
    run_dbt(module_db, "build", target_path=dbt_target, as_of=AS_OF)
    first = publish_night(module_db, "night-1", date(2026, 4, 28))

    # night 2: the exemption revoked, the late correction of E1's Q1 assessment, and E2's completions
    insert_staff_events(module_db, [
        exemption("E1-03-09", "lateness", "QD-31/2026", vn("2026-04-28 09:00"), agency="SNV", revoke=True),
        assessed("E1", "SNV", "2026-Q1", (2, 2, 2), vn("2026-04-29 09:00"))])
    insert_events(module_db, [completed(f"E2-{d}", vn(f"2026-03-{d} 10:00"), officer="E2", agency="SNV")
                              for d in (16, 17, 18, 19, 20)])
    run_dbt(module_db, "run", target_path=dbt_target, as_of=AS_OF)    # the nightly run: incremental
    second = publish_night(module_db, "night-2", date(2026, 4, 29))
    return module_db, first, second


def test_late_staff_event_is_a_revision_of_the_published_quarter(two_nights):
    dbname, first, second = two_nights
    assert first.swapped and second.swapped
    history = rows(dbname, HISTORY_QUERY, ("E1", "2026-Q1"), role="auditor")
    assert [r[2:] for r in history] == [
        (Decimal(3), Decimal("93.57"), Decimal("63.57"), Decimal("30.00"), Decimal(1)),
        (Decimal(2), Decimal("66.36"), Decimal("60.36"), Decimal("6.00"), Decimal(0))]
    # the second publication recorded exactly the changed measures of that key as revisions
    assert rows(dbname, """select measure, value from audit.published_kpi_values
                           where table_name = 'eval_officer_period' and publication_id = %s
                             and grain = '{"officer_id": "E1", "period_type": "quarter", "period": "2026-Q1"}'
                           order by measure""", (history[1][0],), role="auditor") == [
        ("band_level", Decimal(2)), ("general_points", Decimal("6.00")), ("quota_demoted", Decimal(0)),
        ("task_points", Decimal("60.36")), ("total_points", Decimal("66.36"))]
    # each change with its value before and after
    assert rows(dbname, """select measure, previous_value, value from audit.kpi_value_revisions
                           where table_name = 'eval_officer_period'
                             and grain = '{"officer_id": "E1", "period_type": "quarter", "period": "2026-Q1"}'
                           order by measure""", role="auditor") == [
        ("band_level", Decimal(3), Decimal(2)), ("general_points", Decimal("30.00"), Decimal("6.00")),
        ("quota_demoted", Decimal(1), Decimal(0)), ("task_points", Decimal("63.57"), Decimal("60.36")),
        ("total_points", Decimal("93.57"), Decimal("66.36"))]
    # what BI reads now, and the evidence auditors read beside it
    assert rows(dbname, """select band, band_before_quota, total_points from marts.eval_officer_period
                           where officer_id = 'E1' and period = '2026-Q1'""", role="bi") == [
        ("pass", "pass", Decimal("66.36"))]
    assert rows(dbname, """select m.reason, count(*) from lineage.eval_assessment_membership m
                           where m.officer_id = 'E1' and m.period = '2026-Q1' group by 1 order by 1""",
                role="auditor") == [("applied", 1), ("superseded", 1)]
    # the revoked exemption no longer counts the late case on time, in the figures and the evidence
    assert rows(dbname, """select count(*), count(*) filter (where counted_in_numerator),
                                  count(exemption_decision_ref) from lineage.eval_case_membership
                           where officer_id = 'E1' and period = '2026-03' and kpi_code = 'on_time_rate'""",
                role="auditor") == [(5, 4, 0)]
    # the March revisions of E1's on-time KPI: the evaluation value 1 -> 0.8, one exempted case -> none
    assert rows(dbname, """select measure, previous_value, value from audit.kpi_value_revisions
                           where table_name = 'eval_officer_kpi_period'
                             and grain = '{"officer_id": "E1", "period_type": "month", "period": "2026-03",
                                           "kpi_code": "on_time_rate"}'
                             and measure in ('value_evaluation', 'exempted_cases', 'points')
                           order by measure""", role="auditor") == [
        ("exempted_cases", Decimal(1), Decimal(0)), ("points", Decimal("52.5000"), Decimal("42.8571")),
        ("value_evaluation", Decimal("1.0000"), Decimal("0.8000"))]


def test_incremental_equals_full_refresh(two_nights, dbt_target):
    dbname, _, _ = two_nights
    nightly = snapshot(dbname)
    # E2's completions reached the evaluation through the incremental KPI chain: 5 on time in March
    assert rows(dbname, f"""select task_points, pending_reasons from {BUILD_SCHEMA}.eval_officer_period
                            where officer_id = 'E2' and period = '2026-03'""") == [
        (Decimal("70.00"), "no_manager_assessment")]
    run_dbt(dbname, "run", "--full-refresh", target_path=dbt_target, as_of=AS_OF)
    assert snapshot(dbname) == nightly
