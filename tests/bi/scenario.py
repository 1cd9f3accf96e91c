"""The marts the dashboards are tested on: the hand-computed evaluation scenario of
tests/dbt/eval_scenario.py (January-April 2026: KPIs, targets, bands, quota, exemptions), plus
agency SXD in April for the counts the scenario lacks: a withdrawn case, one waiting for the
applicant and two left open (so the stacked bars and the due-soon list have every kind).

Built as the nightly does it: raw events -> dbt build (as of 30 April 2026) -> publish into marts.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from publish.config import PublishConfig
from publish.publisher import PublishRequest, publish
from tests.dbt import eval_scenario
from tests.dbt.dbt_runner import BUILD_SCHEMA, run_dbt
from tests.dbt.events import Event, insert_events, received, returned, vn, withdrawn
from tests.dbt.staff_events import insert_staff_events

AS_OF = eval_scenario.AS_OF
EXTRA_AGENCY = "SXD"


def extra_case_events() -> list[Event]:
    """SXD, April 2026: XW1 withdrawn, XR1 returned and waiting, XO1 and XO2 open (due 24 April:
    overdue by the time anyone reads the dashboard)."""
    return [
        received("XW1", vn("2026-04-20 09:00"), vn("2026-04-24 16:00"), officer="SX1", agency=EXTRA_AGENCY, days=4),
        withdrawn("XW1", vn("2026-04-21 10:00"), agency=EXTRA_AGENCY),
        received("XR1", vn("2026-04-20 09:00"), vn("2026-04-24 16:00"), officer="SX1", agency=EXTRA_AGENCY, days=4),
        returned("XR1", vn("2026-04-21 10:00"), officer="SX1", agency=EXTRA_AGENCY),
        received("XO1", vn("2026-04-20 09:00"), vn("2026-04-24 16:00"), officer="SX1", agency=EXTRA_AGENCY, days=4),
        received("XO2", vn("2026-04-21 09:00"), vn("2026-04-24 16:00"), officer="SX2", agency=EXTRA_AGENCY, days=3),
    ]


def build_and_publish(dbname: str, dbt_target: Path) -> None:
    insert_events(dbname, eval_scenario.case_events() + extra_case_events())
    insert_staff_events(dbname, eval_scenario.staff_events())
    run_dbt(dbname, "build", target_path=dbt_target, as_of=AS_OF)
    as_of = datetime.fromisoformat(AS_OF)
    publish(PublishRequest(run_id="bi-night", local_date=as_of.date() - timedelta(days=1),
                           interval_start=as_of - timedelta(days=1), interval_end=as_of),
            dbname=dbname, config=PublishConfig(build_schema=BUILD_SCHEMA), require_gate=False)
