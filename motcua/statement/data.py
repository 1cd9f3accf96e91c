"""What a statement shows, read from what is published: marts.* and lineage.* (and the
publication history in audit.*), as motcua_auditor. Never the raw layer: no personal data.

Relations (docs/contracts/evaluation.md): marts.eval_officer_period, eval_officer_kpi_period,
eval_officer_criteria_period, eval_group_period, fct_cases; lineage.eval_case_membership and,
when present, lineage.eval_assessment_membership; marts.agencies for the agency's name.
Quarter and year statements fall back to the month rows inside the period when a table carries
month rows only (the KPI and membership tables may).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import dict_row

from motcua.errors import PermanentError
from motcua.statement.periods import Period

Row = dict[str, Any]
EVAL_HISTORY_TABLES = ("eval_officer_period", "eval_officer_kpi_period", "eval_officer_criteria_period")


class NotPublished(PermanentError, LookupError):
    """The officer has no published evaluation for the period (or the evaluation marts are absent)."""


@dataclass
class StatementData:
    officer: Row                              # the eval_officer_period row
    period: Period
    agency_name: str | None
    kpis: list[Row]                           # eval_officer_kpi_period rows (the period's, else its months')
    kpi_rows_grain: str                       # 'period' or 'month'
    cases: dict[str, list[Row]]               # kpi_code -> membership rows joined with fct_cases
    criteria: list[Row]
    assessments: list[Row]                    # lineage.eval_assessment_membership (may be empty)
    group: Row | None                         # eval_group_period row of the officer's group
    months: list[Row] = field(default_factory=list)   # monthly eval rows inside a quarter / year
    history: list[Row] = field(default_factory=list)  # value changes of this officer's figures
    publication: Row | None = None            # the latest publication swapped into marts


def _exists(conn: psycopg.Connection, relation: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]


def _rows(conn: psycopg.Connection, query: str, params: dict[str, Any]) -> list[Row]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


def _own_or_months(conn: psycopg.Connection, query: str, params: dict[str, Any], period: Period) -> tuple[list[Row], str]:
    """Rows of the period itself; for a quarter or year without any, the rows of its months."""
    rows = _rows(conn, query, {**params, "ptype": period.type, "periods": [period.text]})
    if rows or period.type == "month":
        return rows, "period"
    return _rows(conn, query, {**params, "ptype": "month", "periods": list(period.months)}), "month"


def officer_row(conn: psycopg.Connection, officer_id: str, period: Period) -> Row:
    if not _exists(conn, "marts.eval_officer_period"):
        raise NotPublished("the evaluation marts are not published yet (marts.eval_officer_period is missing)")
    rows = _rows(conn, """select * from marts.eval_officer_period
                           where officer_id = %(o)s and period_type = %(t)s and period = %(p)s""",
                 {"o": officer_id, "t": period.type, "p": period.text})
    if not rows:
        raise NotPublished(f"officer {officer_id!r} has no published evaluation for {period.text}")
    return rows[0]


def load(conn: psycopg.Connection, officer_id: str, period: Period) -> StatementData:
    officer = officer_row(conn, officer_id, period)
    base = {"o": officer_id}
    agency_name = None
    if _exists(conn, "marts.agencies"):
        found = conn.execute("select agency_name from marts.agencies where agency_code = %s",
                             (officer["agency_code"],)).fetchone()
        agency_name = found[0] if found else None
    kpis, grain = _own_or_months(conn, """
        select * from marts.eval_officer_kpi_period
         where officer_id = %(o)s and period_type = %(ptype)s and period = any(%(periods)s)
         order by period, weight desc nulls last, kpi_code""", base, period)
    members, _ = _own_or_months(conn, """
        select m.kpi_code, m.period, m.case_id, m.counted_in_numerator, m.counted_in_denominator,
               m.exemption_decision_ref, m.exemption_scope,
               f.procedure_code, f.procedure_name, f.received_at, f.completed_at, f.due_at,
               f.timeliness, f.status
          from lineage.eval_case_membership m
          left join marts.fct_cases f on f.case_id = m.case_id
         where m.officer_id = %(o)s and m.period_type = %(ptype)s and m.period = any(%(periods)s)
         order by m.kpi_code, f.received_at nulls last, m.case_id, m.period""", base, period)
    cases: dict[str, list[Row]] = {}
    for m in members:
        cases.setdefault(m["kpi_code"], []).append(m)
    criteria, _ = _own_or_months(conn, """
        select c.* from marts.eval_officer_criteria_period c
         where officer_id = %(o)s and period_type = %(ptype)s and period = any(%(periods)s)
         order by period, case assessor_role when 'manager' then 0 when 'peer' then 1 when 'self' then 2 else 3 end,
                  assessor_role, criterion_code""", base, period)
    assessments: list[Row] = []
    if _exists(conn, "lineage.eval_assessment_membership"):
        assessments, _ = _own_or_months(conn, """
            select period, event_id::text as event_id, assessor_role, used, reason
              from lineage.eval_assessment_membership
             where officer_id = %(o)s and period_type = %(ptype)s and period = any(%(periods)s)
             order by period, assessor_role, used desc, event_id""", base, period)
    group = None
    groups = _rows(conn, """select * from marts.eval_group_period
                             where agency_code = %(a)s and position_group = %(g)s
                               and period_type = %(t)s and period = %(p)s""",
                   {"a": officer["agency_code"], "g": officer["position_group"], "t": period.type, "p": period.text})
    if groups:
        group = groups[0]
    months: list[Row] = []
    if period.type != "month":
        months = _rows(conn, """select * from marts.eval_officer_period
                                 where officer_id = %(o)s and period_type = 'month' and period = any(%(m)s)
                                 order by period""", {"o": officer_id, "m": list(period.months)})
    return StatementData(officer=officer, period=period, agency_name=agency_name, kpis=kpis, kpi_rows_grain=grain,
                         cases=cases, criteria=criteria, assessments=assessments, group=group, months=months,
                         history=history(conn, officer_id, period), publication=latest_publication(conn))


def latest_publication(conn: psycopg.Connection) -> Row | None:
    rows = _rows(conn, """select publication_id, local_date, published_at from audit.publications
                           where swapped order by publication_id desc limit 1""", {})
    return rows[0] if rows else None


def history(conn: psycopg.Connection, officer_id: str, period: Period) -> list[Row]:
    """Every recorded change of this officer's evaluation figures for the period, oldest first:
    which publication changed which figure, from what to what (audit.published_kpi_values holds
    only changes, so each row with a predecessor is a revision)."""
    return _rows(conn, """
        with mine as (
          select v.publication_id, v.table_name, v.grain, v.measure, v.value, v.is_removed,
                 lag(v.value) over w as previous_value,
                 lag(v.is_removed) over w as previously_removed,
                 lag(v.publication_id) over w as previous_publication_id
            from audit.published_kpi_values v
           where v.table_name = any(%(tables)s)
             and v.grain @> jsonb_build_object('officer_id', %(o)s::text, 'period_type', %(t)s::text,
                                               'period', %(p)s::text)
          window w as (partition by v.table_name, v.grain, v.measure order by v.publication_id))
        select m.publication_id, p.local_date, p.published_at, p.swapped, m.table_name,
               m.grain ->> 'kpi_code' as kpi_code, m.grain ->> 'assessor_role' as assessor_role,
               m.grain ->> 'criterion_code' as criterion_code, m.measure,
               case when m.previous_publication_id is null or m.previously_removed then null
                    else m.previous_value end as previous_value,
               case when m.is_removed then null else m.value end as value,
               case when m.is_removed then 'removed' when m.previous_publication_id is null then 'added'
                    when m.previously_removed then 'reappeared' else 'changed' end as change
          from mine m join audit.publications p on p.publication_id = m.publication_id
         order by m.publication_id, m.table_name, kpi_code nulls first, assessor_role nulls first,
                  criterion_code nulls first, m.measure""",
                 {"tables": list(EVAL_HISTORY_TABLES), "o": officer_id, "t": period.type, "p": period.text})


def agency_officers(conn: psycopg.Connection, agency_code: str, period: Period) -> list[Row]:
    if not _exists(conn, "marts.eval_officer_period"):
        raise NotPublished("the evaluation marts are not published yet (marts.eval_officer_period is missing)")
    return _rows(conn, """select officer_id, unit_code, position_group, total_points, band_before_quota, band,
                                 quota_demoted, quota_tie, rank_in_group, pending_reasons
                            from marts.eval_officer_period
                           where agency_code = %(a)s and period_type = %(t)s and period = %(p)s
                           order by position_group, rank_in_group nulls last, officer_id""",
                 {"a": agency_code, "t": period.type, "p": period.text})


def agency_groups(conn: psycopg.Connection, agency_code: str, period: Period) -> list[Row]:
    return _rows(conn, """select * from marts.eval_group_period
                           where agency_code = %(a)s and period_type = %(t)s and period = %(p)s
                           order by position_group""", {"a": agency_code, "t": period.type, "p": period.text})
