"""`motcua audit trace`: from one published figure to the cases and raw events behind it.

A cell is (table, grain keys, measure). The KPI tables' cells resolve through the KPI registry
(kpi_models/catalogue.yml) to measures of lineage.kpi_case_membership: a measure column is the
sum (or count) of one membership measure, a KPI is numerator / denominator of such sums. The
evaluation's cells resolve to lineage.eval_case_membership (cases, with the exemption that
applied) and lineage.eval_assessment_membership (the assessment versions). Everything is read
as motcua_auditor: the marts as BI sees them, the publication history, lineage and raw.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from motcua.errors import MotcuaError, PermanentError
from motcua.kpi_registry import load as load_registry
from publish.config import KPI_GRAINS
from workcal import VN_TZ

KPI_TABLE_GRAINS = {"kpi_officer_daily": "officer_day", "kpi_officer_monthly": "officer_month",
                    "kpi_agency_monthly": "agency_month"}
EVAL_TABLES = ("eval_officer_kpi_period", "eval_officer_period", "eval_officer_criteria_period")
TRACEABLE = (*KPI_TABLE_GRAINS, *EVAL_TABLES)
_NUMERIC_TYPE = re.compile(r"numeric\((\d+),\s*(\d+)\)")


class TraceUsageError(PermanentError, ValueError):
    """The cell named on the command line does not exist (table, key or measure)."""
    exit_code = 2


class NotAuditor(PermanentError, PermissionError):
    """The connection is not the auditor's."""
    exit_code = 2


@dataclass(frozen=True)
class Part:
    """One side of a figure: the membership measures summed (or counted) into it."""
    columns: tuple[str, ...]
    measures: tuple[tuple[str, str], ...]   # (membership measure, aggregate sum|count)
    working_days: bool = False              # the denominator is the period's working days


@dataclass(frozen=True)
class Cell:
    table: str
    keys: dict[str, str]
    measure: str
    kind: str                        # kpi (rate/mean/per day), column, eval
    numerator: Part | None = None
    denominator: Part | None = None
    scale: int | None = None         # the stored rounding of a KPI

    @property
    def membership_measures(self) -> tuple[str, ...]:
        parts = [p for p in (self.numerator, self.denominator) if p]
        return tuple(dict.fromkeys(m for p in parts for m, _ in p.measures))

    @property
    def day_grain(self) -> bool:
        return "activity_date" in self.keys

    @property
    def period(self) -> tuple[date, date]:
        """[first, last] local date of the cell's period."""
        if self.day_grain:
            day = date.fromisoformat(self.keys["activity_date"])
            return day, day
        first = date.fromisoformat(self.keys["month"]).replace(day=1)
        nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return first, nxt - timedelta(days=1)


def _columns_to_measures(registry: dict, expression: str) -> Part:
    columns = tuple(c.strip() for c in expression.split("+"))
    by_column = {m["column"]: m for m in registry["measures"]}
    measures, working_days = [], False
    for column in columns:
        if column == "working_days":
            working_days = True
        elif column in by_column and by_column[column].get("measure"):
            measures.append((by_column[column]["measure"], by_column[column]["aggregate"]))
    return Part(columns, tuple(measures), working_days)


def valid_measures(table: str, registry: dict | None = None) -> list[str]:
    registry = registry or load_registry()
    if table in KPI_TABLE_GRAINS:
        grain = KPI_TABLE_GRAINS[table]
        return ([m["column"] for m in registry["measures"] if grain in m["grains"] and m.get("measure")]
                + [k["code"] for k in registry["kpis"] if grain in k["grains"]])
    return {"eval_officer_kpi_period": ["value_factual", "value_evaluation", "numerator", "numerator_factual",
                                       "denominator", "exempted_cases", "cases_counted", "points"],
            "eval_officer_period": ["total_points", "task_points", "general_points", "band_level"],
            "eval_officer_criteria_period": ["points"]}.get(table, [])


def resolve_cell(table: str, keys: dict[str, str], measure: str) -> Cell:
    """The cell, checked against the published tables, their keys and their measures."""
    if table not in TRACEABLE:
        raise TraceUsageError(f"unknown table {table!r}; traceable tables: {', '.join(TRACEABLE)}")
    grain = KPI_GRAINS[table]
    unknown = sorted(set(keys) - set(grain))
    missing = [g for g in grain if g not in keys]
    if unknown or missing:
        problem = f"unknown key {', '.join(unknown)}" if unknown else f"missing key {', '.join(missing)}"
        raise TraceUsageError(f"{problem} for {table}; its keys: {' '.join(g + '=…' for g in grain)}")
    for name in ("activity_date", "month"):
        if name in keys:
            try:
                day = date.fromisoformat(keys[name] if len(keys[name]) > 7 else keys[name] + "-01")
            except ValueError:
                raise TraceUsageError(f"{name}={keys[name]!r} is not a date (YYYY-MM-DD)") from None
            keys = {**keys, name: (day.replace(day=1) if name == "month" else day).isoformat()}
    registry = load_registry()
    choices = valid_measures(table, registry)
    if measure not in choices:
        raise TraceUsageError(f"unknown measure {measure!r} for {table}; valid measures: {', '.join(choices)}")
    if table in EVAL_TABLES:
        return Cell(table, keys, measure, "eval")
    kpi = next((k for k in registry["kpis"] if k["code"] == measure), None)
    if kpi:
        match = _NUMERIC_TYPE.match(kpi["data_type"])
        return Cell(table, keys, measure, "kpi", _columns_to_measures(registry, kpi["numerator_sql"]),
                    _columns_to_measures(registry, kpi["denominator_sql"]), int(match.group(2)) if match else None)
    return Cell(table, keys, measure, "column", _columns_to_measures(registry, measure))


def require_auditor(conn: psycopg.Connection) -> str:
    user, is_auditor = conn.execute(
        "select current_user, pg_has_role(current_user, 'motcua_auditor', 'member')").fetchone()
    if not is_auditor:
        raise NotAuditor(f"audit trace runs as motcua_auditor only; this connection is {user}",
                         hint="unset PGUSER (or set it to an account that is a member of motcua_auditor)")
    return user


@dataclass
class Published:
    value: Any
    source: str                                 # "marts" or "publication N"
    publication_id: int | None
    published_at: datetime | None
    current_value: Any = None                   # what BI sees now, when a past publication is traced
    row: dict[str, Any] = field(default_factory=dict)


def _where(cell: Cell, alias: str = "t") -> tuple[str, list[Any]]:
    parts, params = [], []
    for name, value in cell.keys.items():
        parts.append(f"{alias}.{name}::text = %s")
        params.append(value)
    return " and ".join(parts), params


def published_value(conn: psycopg.Connection, cell: Cell, publication: int | None, as_of: date | None) -> Published:
    where, params = _where(cell)
    cur = conn.execute(f"select * from marts.{cell.table} t where {where}", params)
    row = cur.fetchone()
    current = dict(zip([d.name for d in cur.description], row)) if row else None
    newest = conn.execute("select publication_id, published_at from audit.publications where swapped"
                          " order by publication_id desc limit 1").fetchone()
    if publication is None and as_of is None:
        if current is None:
            raise TraceUsageError(f"marts.{cell.table} has no row {_keys_text(cell)}; check the keys "
                                  "(e.g. month as YYYY-MM-01, the officer's agency)")
        return Published(current[cell.measure], "marts (what BI sees now)", newest[0] if newest else None,
                         newest[1] if newest else None, current[cell.measure], current)
    if publication is None:
        end = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=VN_TZ)
        found = conn.execute("select max(publication_id) from audit.publications where swapped and published_at < %s",
                             (end,)).fetchone()[0]
        if found is None:
            raise TraceUsageError(f"no publication was swapped into marts by the end of {as_of}")
        publication = found
    meta = conn.execute("select publication_id, published_at from audit.publications where publication_id = %s",
                        (publication,)).fetchone()
    if meta is None:
        raise TraceUsageError(f"no publication {publication}; list them with 'motcua publish list'")
    grain_match = " and ".join(f"v.grain->>'{k}' = %s" for k in cell.keys)
    value = conn.execute(
        f"select v.value, v.changed_in_publication_id from audit.published_kpi_values_at(%s) v"
        f" where v.table_name = %s and v.measure = %s and {grain_match}",
        (publication, cell.table, cell.measure, *cell.keys.values())).fetchone()
    if value is None:
        raise TraceUsageError(f"publication {publication} has no value of {cell.table}.{cell.measure} {_keys_text(cell)}")
    return Published(value[0], f"publication {publication}", meta[0], meta[1],
                     current[cell.measure] if current else None, current or {})


def _keys_text(cell: Cell) -> str:
    return " ".join(f"{k}={v}" for k, v in cell.keys.items())


@dataclass
class TraceData:
    cell: Cell
    published: Published
    cases: list[dict[str, Any]]          # one per case: the published facts and where it counts
    events: list[dict[str, Any]]         # raw events (first deliveries and redeliveries)
    exemptions: list[dict[str, Any]] = field(default_factory=list)
    assessments: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


CASE_FIELDS = ("case_id", "status", "agency_code", "receiving_officer_id", "handling_officer_id",
               "completing_agency_code", "procedure_code", "processing_days", "sla_policy", "received_at",
               "received_date", "clock_started_at", "due_at", "effective_due_at", "completed_at", "completed_date",
               "withdrawn_at", "timeliness", "return_count", "waiting_working_minutes", "paused_working_minutes",
               "extension_count", "rating_score", "complaint_count")


def membership_rows(conn: psycopg.Connection, cell: Cell) -> list[tuple[str, str, Decimal]]:
    """(case_id, measure, value) of the cell's measures in lineage.kpi_case_membership."""
    if not cell.membership_measures:
        return []
    keys = dict(cell.keys)
    clauses = ["m.measure = any(%s)", "m.agency_code = %s"]
    params: list[Any] = [list(cell.membership_measures), keys["agency_code"]]
    if "officer_id" in keys:
        clauses.append("m.officer_id = %s")
        params.append(keys["officer_id"])
    if cell.day_grain:
        clauses.append("m.activity_date = %s")
        params.append(date.fromisoformat(keys["activity_date"]))
    else:
        clauses.append("m.month = %s")
        params.append(date.fromisoformat(keys["month"]))
    return conn.execute(f"select m.case_id, m.measure, m.value from lineage.kpi_case_membership m"
                        f" where {' and '.join(clauses)} order by m.case_id, m.measure", params).fetchall()


def _fct_cases(conn: psycopg.Connection, case_ids: list[str]) -> dict[str, dict[str, Any]]:
    if not case_ids:
        return {}
    cur = conn.execute(f"select {', '.join(CASE_FIELDS)} from marts.fct_cases where case_id = any(%s)", (case_ids,))
    names = [d.name for d in cur.description]
    return {row[0]: dict(zip(names, row)) for row in cur.fetchall()}


def raw_events(conn: psycopg.Connection, case_ids: list[str]) -> list[dict[str, Any]]:
    """The raw events of the cases: Kafka coordinates, ingestion time, SHA-256 of the message
    bytes, the payload; then the later deliveries of the same event ids (raw.redeliveries)."""
    if not case_ids:
        return []
    cur = conn.execute(
        """select e.case_id, e.event_id::text, e.event_type, e.occurred_at, 'first' as delivery,
                  e.kafka_topic, e.kafka_partition, e.kafka_offset, e.kafka_timestamp, e.ingested_at,
                  encode(e.content_hash, 'hex') as sha256, e.payload::text as payload
             from raw.case_events e where e.case_id = any(%s)
           union all
           select e.case_id, r.event_id::text, e.event_type, e.occurred_at, 'redelivery',
                  r.kafka_topic, r.kafka_partition, r.kafka_offset, r.kafka_timestamp, r.ingested_at,
                  encode(r.content_hash, 'hex'), null
             from raw.redeliveries r join raw.case_events e on e.event_id = r.event_id
            where e.case_id = any(%s)
            order by 1, 4, 2, 5, 10""", (case_ids, case_ids))
    names = [d.name for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def trace_kpi(conn: psycopg.Connection, cell: Cell, published: Published) -> TraceData:
    rows = membership_rows(conn, cell)
    numerator = {m for m, _ in (cell.numerator.measures if cell.numerator else ())}
    denominator = {m for m, _ in (cell.denominator.measures if cell.denominator else ())} if cell.kind == "kpi" else set()
    per_case: dict[str, dict[str, Any]] = {}
    for case_id, measure, value in rows:
        entry = per_case.setdefault(case_id, {"in_numerator": False, "in_denominator": False, "measures": {}})
        entry["measures"][measure] = value
        entry["in_numerator"] |= measure in numerator
        entry["in_denominator"] |= measure in denominator
    facts = _fct_cases(conn, sorted(per_case))
    cases = []
    for case_id in sorted(per_case):
        entry = per_case[case_id]
        cases.append({**(facts.get(case_id) or {"case_id": case_id}),
                      "in_numerator": entry["in_numerator"], "in_denominator": entry["in_denominator"],
                      "membership": ";".join(f"{m}={v}" for m, v in sorted(entry["measures"].items()))})
    data = TraceData(cell, published, cases, raw_events(conn, sorted(per_case)))
    if cell.denominator and cell.denominator.working_days:
        data.notes.append(f"denominator: working_days = {published.row.get('working_days')} (the agency calendar's"
                          " working days in the period; no cases)")
    if published.value != published.current_value:
        data.notes.append(f"the figure was revised after {published.source}: BI now sees {published.current_value};"
                          " the cases listed are those of the current publication")
    return data


def trace_eval(conn: psycopg.Connection, cell: Cell, published: Published) -> TraceData:
    keys = cell.keys
    cases: list[dict[str, Any]] = []
    exemptions: list[dict[str, Any]] = []
    if cell.table == "eval_officer_criteria_period":
        case_rows = []
    else:
        kpi_clause = "and m.kpi_code = %s" if "kpi_code" in keys else ""
        params = [keys["officer_id"], keys["period_type"], keys["period"]] + ([keys["kpi_code"]] if kpi_clause else [])
        cur = conn.execute(
            f"""select m.case_id, m.kpi_code, m.counted_in_numerator, m.counted_in_numerator_factual,
                       m.counted_in_denominator, m.exemption_decision_ref, m.exemption_scope
                  from lineage.eval_case_membership m
                 where m.officer_id = %s and m.period_type = %s and m.period = %s {kpi_clause}
                 order by m.case_id, m.kpi_code""", params)
        names = [d.name for d in cur.description]
        case_rows = [dict(zip(names, r)) for r in cur.fetchall()]
    facts = _fct_cases(conn, sorted({r["case_id"] for r in case_rows}))
    for r in case_rows:
        cases.append({**(facts.get(r["case_id"]) or {"case_id": r["case_id"]}), "kpi_code": r["kpi_code"],
                      "in_numerator": r["counted_in_numerator"], "in_numerator_factual": r["counted_in_numerator_factual"],
                      "in_denominator": r["counted_in_denominator"]})
        if r["exemption_decision_ref"]:
            exemptions.append({"case_id": r["case_id"], "kpi_code": r["kpi_code"],
                               "decision_ref": r["exemption_decision_ref"], "scope": r["exemption_scope"]})
    assessments: list[dict[str, Any]] = []
    if cell.table != "eval_officer_kpi_period":
        cur = conn.execute(
            """select a.event_id::text, a.assessor_role, a.assessor_id, a.assessment_period, a.occurred_at,
                      a.kafka_partition, a.kafka_offset, a.used, a.reason,
                      encode(s.content_hash, 'hex') as sha256, s.kafka_topic, s.ingested_at
                 from lineage.eval_assessment_membership a
                 left join raw.staff_events s on s.event_id = a.event_id
                where a.officer_id = %s and a.period_type = %s and a.period = %s
                order by a.occurred_at, a.event_id""", (keys["officer_id"], keys["period_type"], keys["period"]))
        names = [d.name for d in cur.description]
        assessments = [dict(zip(names, r)) for r in cur.fetchall()]
    data = TraceData(cell, published, cases, raw_events(conn, sorted(facts)), exemptions, assessments)
    return data


def trace(conn: psycopg.Connection, cell: Cell, publication: int | None = None, as_of: date | None = None) -> TraceData:
    published = published_value(conn, cell, publication, as_of)
    if cell.kind == "eval":
        return trace_eval(conn, cell, published)
    return trace_kpi(conn, cell, published)


def needs(conn: psycopg.Connection, relations: tuple[str, ...]) -> None:
    for name in relations:
        if conn.execute("select to_regclass(%s)", (name,)).fetchone()[0] is None:
            raise MotcuaError(f"no {name} in this database",
                              hint="run the migrations ('motcua migrate') and publish a build ('motcua publish')")
