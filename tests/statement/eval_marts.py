"""Hand-written evaluation marts, shaped exactly as the evaluation contract names them.

Until the evaluation models build these tables, the statement and the evaluation gate are tested
on rows written here by hand (every figure below is hand-computed from method v1,
docs/domain/evaluation-method.md). To test against the real build instead, replace
`create_tables` + `load_scenario` with a dbt build over staff and case events producing the same
rows: the tests only read the relations named in `TABLES`.

The tables are created as motcua_transform (the role that builds and publishes) and granted the
way publication grants them: marts.* to BI and auditors, lineage.* to auditors, the build schema
to the gate.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from ingestion import db

VN = timezone(timedelta(hours=7))
TABLES = ("eval_officer_period", "eval_officer_kpi_period", "eval_officer_criteria_period", "eval_group_period")

DDL = {
    "eval_officer_period": """
        officer_id text not null, period_type text not null, period text not null,
        agency_code text, unit_code text, position_group text, period_start date, period_end date,
        task_points numeric, general_points numeric, unit_factor numeric, total_points numeric,
        band_before_quota text, band text, quota_demoted boolean, quota_tie boolean, rank_in_group integer,
        pending_reasons text, scored_months integer,
        primary key (officer_id, period_type, period)""",
    "eval_officer_kpi_period": """
        officer_id text not null, period_type text not null, period text not null, kpi_code text not null,
        weight numeric, value_factual numeric, value_evaluation numeric, target numeric, direction text,
        numerator numeric, denominator numeric, exempted_cases integer, is_scored boolean, not_scored_reason text,
        scaled_weight numeric, points numeric,
        primary key (officer_id, period_type, period, kpi_code)""",
    "eval_officer_criteria_period": """
        officer_id text not null, period_type text not null, period text not null, assessor_role text not null,
        criterion_code text not null, points numeric, max_points numeric, source_period text,
        assessment_event_id uuid, assessments_count integer,
        primary key (officer_id, period_type, period, assessor_role, criterion_code)""",
    "eval_group_period": """
        agency_code text not null, position_group text not null, period_type text not null, period text not null,
        officers integer, excellent_before integer, good_before integer, pass_count integer, fail_count integer,
        pending_count integer, quota_k integer, excellent_after integer, good_after integer, demoted integer,
        tied_demoted integer,
        primary key (agency_code, position_group, period_type, period)""",
}
LINEAGE_DDL = {
    "eval_case_membership": """
        officer_id text not null, period_type text not null, period text not null, kpi_code text not null,
        case_id text not null, counted_in_numerator boolean, counted_in_denominator boolean,
        exemption_decision_ref text, exemption_scope text,
        primary key (officer_id, period_type, period, kpi_code, case_id)""",
    "eval_assessment_membership": """
        officer_id text not null, period_type text not null, period text not null, event_id uuid not null,
        assessor_role text, used boolean, reason text,
        primary key (officer_id, period_type, period, event_id)""",
}
# marts.fct_cases, the columns the statement reads (docs/contracts/warehouse.md), for a database
# where dbt did not build it
FCT_DDL = """case_id text primary key, agency_code text, procedure_code text, procedure_name text,
    received_at timestamptz, due_at timestamptz, effective_due_at timestamptz, completed_at timestamptz,
    status text, timeliness text"""

# ---------------------------------------------------------------------------------------------
# The scenario: agency SKHDT, processing group, March 2026 (hand-computed, method v1 defaults).
AGENCY, GROUP, MONTH, QUARTER = "SKHDT", "processing", "2026-03", "2026-Q1"
OFFICER = "SKHDT-CB02"
MALICIOUS = '<script>document.title="pwned"</script>'          # a procedure name that must print as text
UNIT = 'P.KT <img src="http://cdn.example.invalid/x.png">'      # a unit code that must print as text
MANAGER_EVENT = "5f0c1c1e-0000-4000-8000-000000000001"
OLD_MANAGER_EVENT = "5f0c1c1e-0000-4000-8000-000000000000"
DECISION = "123/QĐ-UBND"

# On-time: 10 completed, 8 early or on time, 2 late; one late case has an active lateness
# exemption: factual 8/10 = 0.8, evaluation 9/10 = 0.9. Throughput has no target (not scored).
# Scored weights 30 + 10 + 10 = 50, scaled to 70: 42, 14, 14.
#   on-time: 42 × 0.9 ÷ 0.98 = 38.5714 (not met); complaints 0/10 < 0.005: 14; rating 4.6 ≥ 4.5: 14
#   task points = 38.5714 + 14 + 14 = 66.5714; general = 9 + 8 + 10 = 27; total = 93.5714 → excellent
# The group: 7 excellent, 5 good → k = floor(0.2 × 12 ÷ 1.2) = 2; the officer ranks 3rd → good.
TASK, GENERAL, TOTAL = Decimal("66.5714"), Decimal("27"), Decimal("93.5714")
CASES = [f"000.00.12.H26-260302-{i:04d}" for i in range(1, 11)]


def _case_rows() -> list[tuple]:
    rows = []
    for i, case_id in enumerate(CASES):
        received = datetime(2026, 3, 2 + i, 9, 0, tzinfo=VN)
        timeliness = "early" if i < 4 else "on_time" if i < 8 else "late"
        completed = received + timedelta(days=2 if timeliness != "late" else 6)
        name = MALICIOUS if i == 2 else "Đăng ký thành lập doanh nghiệp tư nhân"
        rows.append((case_id, AGENCY, "1.001612", name, received, received + timedelta(days=3),
                     received + timedelta(days=3), completed, "completed", timeliness))
    return rows


def _membership() -> list[tuple]:
    rows = []
    for i, c in enumerate(CASES):
        exempt = i == 8
        rows.append((OFFICER, "month", MONTH, "on_time_rate", c, i < 9, True,
                     DECISION if exempt else None, "lateness" if exempt else None))
        rows.append((OFFICER, "month", MONTH, "complaint_rate", c, False, True, None, None))
        rows.append((OFFICER, "month", MONTH, "throughput_per_working_day", c, True, False, None, None))
        if i < 5:
            rows.append((OFFICER, "month", MONTH, "avg_rating", c, True, True, None, None))
    return rows


KPIS = [
    # kpi, weight, factual, evaluation, target, direction, num, den, exempted, scored, reason, scaled, points
    ("on_time_rate", 30, "0.8", "0.9", "0.98", "higher_is_better", 9, 10, 1, True, None, 42, "38.5714"),
    ("throughput_per_working_day", 20, "2.5", "2.5", None, "higher_is_better", 10, 4, 0, False, "no_target", None, None),
    ("complaint_rate", 10, "0", "0", "0.005", "lower_is_better", 0, 10, 0, True, None, 14, "14"),
    ("avg_rating", 10, "4.6", "4.6", "4.5", "higher_is_better", 23, 5, 0, True, None, 14, "14"),
]
CRITERIA = [
    ("manager", "compliance", 9, 10, MONTH, MANAGER_EVENT, 1), ("manager", "coordination", 8, 10, MONTH, MANAGER_EVENT, 1),
    ("manager", "service_attitude", 10, 10, MONTH, MANAGER_EVENT, 1),
    ("peer", "compliance", "8.5", 10, MONTH, None, 2), ("peer", "coordination", 9, 10, MONTH, None, 2),
    ("peer", "service_attitude", "9.5", 10, MONTH, None, 2),
    ("self", "compliance", 10, 10, MONTH, None, 1), ("self", "coordination", 10, 10, MONTH, None, 1),
    ("self", "service_attitude", 10, 10, MONTH, None, 1),
]


def group_officers() -> list[tuple]:
    """The processing group of SKHDT in March 2026: 7 excellent and 5 good by total, one pass,
    one pending. Ranks by total; k = 2 keep excellent, ranks 3-7 are demoted."""
    excellent = [("SKHDT-CB10", "97"), ("SKHDT-CB11", "95"), (OFFICER, str(TOTAL)), ("SKHDT-CB12", "92"),
                 ("SKHDT-CB13", "91"), ("SKHDT-CB14", "90.5"), ("SKHDT-CB15", "90")]
    good = [("SKHDT-CB16", "88"), ("SKHDT-CB17", "85"), ("SKHDT-CB18", "80"), ("SKHDT-CB19", "75"), ("SKHDT-CB20", "70")]
    rows = []
    for rank, (oid, total) in enumerate(excellent + good, start=1):
        before = "excellent" if rank <= 7 else "good"
        demoted = before == "excellent" and rank > 2
        rows.append(_officer(oid, total, before, "good" if demoted else before, demoted, rank))
    rows.append(_officer("SKHDT-CB21", "60", "pass", "pass", False, 13))
    rows.append(_officer("SKHDT-CB22", None, "pending", "pending", False, None, "no_manager_assessment"))
    return rows


def _officer(oid: str, total: str | None, before: str, band: str, demoted: bool, rank: int | None,
             pending: str | None = None) -> tuple:
    task = str(TASK) if oid == OFFICER else (None if total is None else str(Decimal(total) - 27))
    general = None if pending else "27"
    unit = UNIT if oid == OFFICER else "P.KT"
    return (oid, "month", MONTH, AGENCY, unit, GROUP, "2026-03-01", "2026-03-31", task, general, "1", total,
            before, band, demoted, False, rank, pending, None)


GROUP_ROW = (AGENCY, GROUP, "month", MONTH, 14, 7, 5, 1, 0, 1, 2, 2, 10, 5, 0)
# The quarter: January 80.0, February pending, March 93.5714 → (80 + 93.5714) ÷ 2 = 86.7857 → good.
QUARTER_ROWS = [
    (OFFICER, "month", "2026-01", AGENCY, UNIT, GROUP, "2026-01-01", "2026-01-31", "53", "27", "1", "80",
     "good", "good", False, False, 1, None, None),
    (OFFICER, "month", "2026-02", AGENCY, UNIT, GROUP, "2026-02-01", "2026-02-28", "60", None, "1", None,
     "pending", "pending", False, False, None, "no_manager_assessment", None),
    (OFFICER, "quarter", QUARTER, AGENCY, UNIT, GROUP, "2026-01-01", "2026-03-31", None, None, None, "86.7857",
     "good", "good", False, False, 1, None, 2),
]
QUARTER_GROUP_ROWS = [
    (AGENCY, GROUP, "month", "2026-01", 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0),
    (AGENCY, GROUP, "month", "2026-02", 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0),
    (AGENCY, GROUP, "quarter", QUARTER, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0),
]


def _create(conn: psycopg.Connection, schema: str, ddl: dict[str, str], readers: tuple[str, ...]) -> None:
    conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
    for reader in readers:
        conn.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(schema), sql.Identifier(reader)))
    for table, columns in ddl.items():
        # a real dbt build may have made the table already: the scenario's hand-written rows replace it
        conn.execute(sql.SQL("drop table if exists {}.{} cascade").format(sql.Identifier(schema), sql.Identifier(table)))
        conn.execute(sql.SQL("create table {}.{} ({})").format(sql.Identifier(schema), sql.Identifier(table),
                                                               sql.SQL(columns)))
        for reader in readers:
            conn.execute(sql.SQL("grant select on {}.{} to {}").format(
                sql.Identifier(schema), sql.Identifier(table), sql.Identifier(reader)))


def create_tables(dbname: str, schema: str = "marts", *, lineage: bool = True, fct_cases: bool = True) -> None:
    """The evaluation marts in `schema` (marts as published; the build schema for the gate)."""
    # as publication grants marts, and dbt grants the build schema (which BI never reads)
    readers = ("motcua_bi", "motcua_auditor") if schema == "marts" else ("motcua_auditor", "motcua_gate")
    with db.connect("transform", dbname, autocommit=True) as conn:
        _create(conn, schema, DDL, readers)
        if lineage:
            _create(conn, "lineage", LINEAGE_DDL, ("motcua_auditor",))
        if fct_cases:
            _create(conn, schema, {"fct_cases": FCT_DDL}, readers)


def insert(conn: psycopg.Connection, schema: str, table: str, rows: list[tuple]) -> None:
    if not rows:
        return
    marks = sql.SQL(", ").join(sql.Placeholder() * len(rows[0]))
    conn.cursor().executemany(sql.SQL("insert into {}.{} values ({})").format(
        sql.Identifier(schema), sql.Identifier(table), marks), rows)


def load_scenario(dbname: str, schema: str = "marts", *, lineage: bool = True, fct_cases: bool = True) -> None:
    create_tables(dbname, schema, lineage=lineage, fct_cases=fct_cases)
    with db.connect("transform", dbname) as conn:
        insert(conn, schema, "eval_officer_period", group_officers() + QUARTER_ROWS)
        insert(conn, schema, "eval_group_period", [GROUP_ROW] + QUARTER_GROUP_ROWS)
        insert(conn, schema, "eval_officer_kpi_period", [(OFFICER, "month", MONTH, *k) for k in KPIS])
        insert(conn, schema, "eval_officer_criteria_period", [(OFFICER, "month", MONTH, *c) for c in CRITERIA])
        if fct_cases:
            insert(conn, schema, "fct_cases", _case_rows())
        if lineage:
            insert(conn, "lineage", "eval_case_membership", _membership())
            insert(conn, "lineage", "eval_assessment_membership", [
                (OFFICER, "month", MONTH, OLD_MANAGER_EVENT, "manager", False, "superseded by a later version"),
                (OFFICER, "month", MONTH, MANAGER_EVENT, "manager", True, None)])


def publish_history(dbname: str) -> list[int]:
    """Two publications of the officer's March figures: the first with total 91.2 (before a late
    exemption), the second revising it to 93.5714 and flagging the quota demotion. Returns their ids."""
    grain = {"officer_id": OFFICER, "period_type": "month", "period": MONTH}
    ids = []
    with db.connect("transform", dbname) as conn:
        for night, values in (("2026-04-01", {"total_points": "91.2", "task_points": "64.2", "quota_demoted": "0"}),
                              ("2026-04-05", {"total_points": str(TOTAL), "task_points": str(TASK),
                                              "quota_demoted": "1"})):
            start = datetime.fromisoformat(night + "T00:00:00+07:00")
            (pid,) = conn.execute(
                """insert into audit.publications (run_id, local_date, data_interval_start, data_interval_end,
                                                   build_schema, swapped)
                   values (%s, %s, %s, %s, 'marts_build', true) returning publication_id""",
                (f"test:{night}", night, start, start + timedelta(days=1))).fetchone()
            for measure, value in values.items():
                conn.execute("""insert into audit.published_kpi_values (publication_id, table_name, grain, measure, value)
                                values (%s, 'eval_officer_period', %s, %s, %s)""",
                             (pid, psycopg.types.json.Jsonb(grain), measure, value))
            ids.append(pid)
    return ids


def execute(dbname: str, statement: str, params: Any = None, role: str = "transform") -> None:
    with db.connect(role, dbname, autocommit=True) as conn:
        conn.execute(statement, params)
