"""`--verify` on every published evaluation cell of the hand-computed evaluation scenario
(tests/dbt/eval_scenario.py: reception, processing and leading officers, a failing unit's leader,
exemptions, a corrected and an invalid assessment, quarterly assessments, a transfer mid-quarter,
the quota groups with a tie at the cut): the Python recomputation (publish/recompute_eval.py)
must agree with the dbt models on every component of every officer-month, quarter and year."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from ingestion import db
from publish.config import PublishConfig
from publish.publisher import PublishRequest, publish
from publish.recompute import ClockConfig
from publish.recompute_eval import EvalConfig
from publish.verify_eval import verify_eval
from publish.trace import resolve_cell, trace
from tests.dbt import eval_scenario
from tests.dbt.dbt_runner import BUILD_SCHEMA, run_dbt
from tests.dbt.events import insert_events
from tests.dbt.staff_events import insert_staff_events


@pytest.fixture(scope="module")
def published(module_db, dbt_target):
    insert_events(module_db, eval_scenario.case_events())
    insert_staff_events(module_db, eval_scenario.staff_events())
    run_dbt(module_db, "build", "--select", "+fct_cases +kpi_officer_daily +kpi_officer_monthly +kpi_agency_monthly"
            " +kpi_case_membership +eval_officer_kpi_period +eval_officer_period +eval_officer_criteria_period"
            " +eval_case_membership +eval_assessment_membership", "--exclude-resource-type", "test",
            "--exclude-resource-type", "unit_test", target_path=dbt_target, as_of=eval_scenario.AS_OF)
    end = datetime(2026, 5, 1, tzinfo=timezone(timedelta(hours=7)))
    publish(PublishRequest(run_id="night-1", local_date=date(2026, 4, 30), interval_start=end - timedelta(days=1),
                           interval_end=end), dbname=module_db, config=PublishConfig(build_schema=BUILD_SCHEMA),
            require_gate=False)
    return module_db


def test_every_officer_period_agrees(published):
    clock, cfg = ClockConfig.from_project(), EvalConfig.from_project()
    as_of = datetime.fromisoformat(eval_scenario.AS_OF)
    disagreements, components, demoted = [], 0, set()
    with db.connect("auditor", published) as conn:
        cells = conn.execute("select officer_id, period_type, period from marts.eval_officer_period"
                             " order by 1, 2, 3").fetchall()
        for officer, period_type, period in cells:
            cell = resolve_cell("eval_officer_period", {"officer_id": officer, "period_type": period_type,
                                                        "period": period}, "total_points")
            result = verify_eval(conn, trace(conn, cell), clock, cfg, as_of)
            components += len(result.components)
            demoted |= {officer for c in result.components if c["component"] == "quota_demoted" and c["recomputed"]}
            disagreements += [(officer, period, c["component"], c["published"], c["recomputed"])
                              for c in result.components if not c["agrees"]]
    assert disagreements == []
    # not vacuous: 220 officer-periods, every KPI and criterion of each month; the quota demoted
    # A03-A07 (k = 2 of 12) and B02-B07 (B02 and B03 tied at the cut)
    assert len(cells) == 220 and components > 6000
    assert demoted == {"A03", "A04", "A05", "A06", "A07", "B02", "B03", "B04", "B05", "B06", "B07"}
