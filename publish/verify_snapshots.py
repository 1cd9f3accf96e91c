"""What `--verify` needs to recompute the states of open cases (open_within_deadline,
open_overdue, waiting_for_applicant): the as-of instant of the build behind the traced
publication, the cases raw says could be open at the snapshot, and the states the marts gave them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import psycopg

from publish.recompute import SNAPSHOT_MEASURES
from workcal import VN_TZ


@dataclass(frozen=True)
class BuildAsOf:
    instant: datetime
    source: str          # where it was found, said in the report


def build_as_of(conn: psycopg.Connection, publication_id: int | None) -> BuildAsOf:
    """The as-of instant of the dbt build a publication copied: the build's own record (the
    watermark its completed run wrote, by the publication's dbt invocation id), else the night's
    interval end (what the nightly passes dbt as as_of), else the latest recorded build, else now."""
    has_watermark = conn.execute("select to_regclass('lineage.dbt_incremental_watermark') is not null").fetchone()[0]
    if publication_id is not None:
        recorded = None
        if has_watermark:
            recorded = conn.execute(
                """select max(w.as_of), max(p.dbt_invocation_id) from audit.publications p
                     join lineage.dbt_incremental_watermark w on w.invocation_id = p.dbt_invocation_id
                    where p.publication_id = %s""", (publication_id,)).fetchone()
        if recorded and recorded[0] is not None:
            return BuildAsOf(recorded[0], f"recorded by publication {publication_id}'s dbt build {recorded[1]}")
        interval_end = conn.execute("select data_interval_end from audit.publications where publication_id = %s",
                                    (publication_id,)).fetchone()
        if interval_end is not None:
            return BuildAsOf(interval_end[0], f"publication {publication_id}'s build recorded no as-of; the end of"
                                              " its night's data interval (what the nightly passes dbt) is used")
    if has_watermark:
        latest = conn.execute("select as_of from lineage.dbt_incremental_watermark where as_of is not null"
                              " order by recorded_at desc limit 1").fetchone()
        if latest is not None:
            return BuildAsOf(latest[0], "no publication recorded; the latest completed dbt build's as-of is used")
    return BuildAsOf(datetime.now(timezone.utc), "no publication nor dbt build recorded; the current time is used")


def snapshot_candidates(conn: psycopg.Connection, agency: str, month_start: datetime, at: datetime) -> set[str]:
    """Cases received at the agency before the snapshot and not closed before the month began:
    an open case may have no event at all in the month, so the period's events do not find it."""
    rows = conn.execute(
        """select r.case_id from raw.case_events r
            where r.agency_code = %(a)s and r.event_type = 'case.received' and r.occurred_at < %(at)s
              and not exists (select 1 from raw.case_events c
                               where c.case_id = r.case_id and c.event_type in ('case.completed', 'case.withdrawn')
                                 and c.occurred_at < %(start)s)""",
        {"a": agency, "at": at, "start": month_start}).fetchall()
    return {r[0] for r in rows}


def published_states(conn: psycopg.Connection, case_ids: list[str], agency: str, month: date) -> dict[str, str]:
    """The state lineage.kpi_case_membership gives each case in the agency-month (a case with two
    states shows both, which is itself a disagreement)."""
    if not case_ids:
        return {}
    rows = conn.execute("""select case_id, string_agg(measure, '+' order by measure) from lineage.kpi_case_membership
                            where case_id = any(%s) and measure = any(%s) and agency_code = %s and month = %s
                            group by case_id""",
                        (case_ids, sorted(SNAPSHOT_MEASURES), agency, month)).fetchall()
    return dict(rows)


def local_text(at: datetime) -> str:
    return at.astimezone(VN_TZ).isoformat()
