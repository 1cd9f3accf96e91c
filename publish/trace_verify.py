"""`motcua audit trace --verify`: the traced figure recomputed from raw events alone.

The cases are looked for in raw, not only taken from the published membership: every case
with an event that names the officer (as actor or assignee) in the period (for ratings and
complaints, which name no officer, also in the 180 days before it), or (agency figures) an
event of the agency in the period, and every completion in the period at the agency that names
no officer (its last assignee is credited). Each is
recomputed with publish/recompute.py; a case agrees when its facts (status, dates, officers,
deadline, waits, timeliness) equal marts.fct_cases and it counts in the figure exactly where
lineage.kpi_case_membership says. The states of open cases at the month's end (or at the
build's as-of instant, when that falls inside the month) are recomputed too, from the events before
that instant, with the as-of the traced publication's build recorded. The figure agrees when the
recomputed value, rounded as stored, equals the published one.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg

from publish.recompute import (SNAPSHOT_MEASURES, CaseFacts, ClockConfig, Event, memberships, open_state,
                               recompute_case, snapshot_date, snapshot_instant)
from publish.trace import Cell, TraceData
from publish.verify_snapshots import BuildAsOf, build_as_of, local_text, published_states, snapshot_candidates
from workcal import VN_TZ

LOOKBACK = timedelta(days=180)   # how long before the period an officer's event still makes a candidate
CREDITED_TO_HANDLER = frozenset({"rating", "rating_satisfied", "complaint"})   # events that name no officer
COMPARED_FIELDS = ("status", "agency_code", "receiving_officer_id", "handling_officer_id", "completing_agency_code",
                   "received_date", "completed_date", "clock_started_at", "effective_due_at",
                   "waiting_working_minutes", "return_count", "timeliness")
_TOLERANCE = Decimal("1e-9")      # numeric sums of fractional working days (processing_working_days)


@dataclass
class Verification:
    figure_agrees: bool
    recomputed_value: Any
    published_value: Any
    cases: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.figure_agrees and all(c["agrees"] for c in self.cases)

    def as_json(self) -> dict[str, Any]:
        return {"agrees": self.ok, "figure_agrees": self.figure_agrees, "recomputed_value": self.recomputed_value,
                "published_value": self.published_value, "cases": self.cases, "notes": self.notes,
                "disagreeing_cases": sum(1 for c in self.cases if not c["agrees"])}


def _bounds(cell: Cell) -> tuple[datetime, datetime]:
    first, last = cell.period
    start = datetime.combine(first, time(0), tzinfo=VN_TZ)
    return start, datetime.combine(last + timedelta(days=1), time(0), tzinfo=VN_TZ)


def candidate_cases(conn: psycopg.Connection, cell: Cell) -> set[str]:
    """Cases raw says could count in the cell, found through the raw indexes (migration 111)."""
    start, end = _bounds(cell)
    agency = cell.keys["agency_code"]
    if "officer_id" in cell.keys:
        officer = cell.keys["officer_id"]
        # receipts and completions name their officer on a date inside the period; a rating or a
        # complaint names none and is credited to the handler, who acted earlier
        lookback = LOOKBACK if set(cell.membership_measures) & CREDITED_TO_HANDLER else timedelta(0)
        rows = conn.execute(
            """select case_id from raw.case_events
                where officer_id = %(o)s and occurred_at >= %(from)s and occurred_at < %(end)s
               union
               select case_id from raw.case_events
                where event_type = 'case.assigned' and payload -> 'data' ->> 'to_officer_id' = %(o)s
                  and occurred_at >= %(from)s and occurred_at < %(end)s
               union
               select case_id from raw.case_events
                where agency_code = %(a)s and occurred_at >= %(start)s and occurred_at < %(end)s
                  and event_type = 'case.completed' and officer_id is null""",
            {"o": officer, "a": agency, "from": start - lookback, "start": start, "end": end}).fetchall()
    else:
        rows = conn.execute("select distinct case_id from raw.case_events"
                            " where agency_code = %s and occurred_at >= %s and occurred_at < %s",
                            (agency, start, end)).fetchall()
    return {r[0] for r in rows}


def load_events(conn: psycopg.Connection, case_ids: list[str]) -> dict[str, list[Event]]:
    out: dict[str, list[Event]] = defaultdict(list)
    for case_id, payload in conn.execute("select case_id, payload::text from raw.case_events where case_id = any(%s)",
                                         (case_ids,)):
        event = Event.from_payload(payload)
        if event is not None:
            out[case_id].append(event)
    return out


def _in_cell(cell: Cell, officer: str | None, agency: str, day: date) -> bool:
    first, last = cell.period
    if agency != cell.keys["agency_code"] or not first <= day <= last:
        return False
    return "officer_id" not in cell.keys or officer == cell.keys["officer_id"]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return a is not None and b is not None and abs(Decimal(a) - Decimal(b)) <= _TOLERANCE
    return a == b


def _fmt(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(VN_TZ).isoformat()
    return "null" if value is None else str(value)


def _python_part(part, rows: list[tuple[str, Decimal]], working_days: int) -> Decimal:
    total = Decimal(0)
    for measure, aggregate in part.measures:
        values = [v for m, v in rows if m == measure]
        total += len(values) if aggregate == "count" else sum(values, Decimal(0))
    return total + (working_days if part.working_days else 0)


def _working_days(cell: Cell, config: ClockConfig) -> int:
    first, last = cell.period
    return config.calendar(cell.keys["agency_code"]).working_days_between(first, last)


def verify(conn: psycopg.Connection, data: TraceData, config: ClockConfig, as_of: BuildAsOf | None = None) -> Verification:
    cell = data.cell
    as_of = as_of or build_as_of(conn, data.published.publication_id)
    measures = set(cell.membership_measures) - SNAPSHOT_MEASURES
    snapshot = set(cell.membership_measures) & SNAPSHOT_MEASURES
    month_start, period_end = _bounds(cell)
    # an open case's state is agency-level (no officer) and taken once per month
    at = snapshot_instant(cell.period[0], as_of.instant) if snapshot and "officer_id" not in cell.keys else None
    published_cases = {c["case_id"]: c for c in data.cases}
    published_membership: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for case in data.cases:
        for item in filter(None, (case.get("membership") or "").split(";")):
            measure, value = item.split("=", 1)
            published_membership[case["case_id"]][measure] = Decimal(value)
    candidates = candidate_cases(conn, cell) | set(published_cases)
    if at is not None:
        candidates |= snapshot_candidates(conn, cell.keys["agency_code"], month_start, at)
    candidates = sorted(candidates)
    events = load_events(conn, candidates)
    facts: dict[str, CaseFacts] = {}
    python_membership: dict[str, dict[str, Decimal]] = defaultdict(dict)
    states: dict[str, str] = {}
    for case_id in candidates:
        case = recompute_case(case_id, events.get(case_id, []), config, as_of.instant)
        if case is None:
            continue
        facts[case_id] = case
        state = open_state(case_id, events.get(case_id, []), config, at) if at is not None else None
        if state is not None and _in_cell(cell, None, case.agency_code, snapshot_date(at)):
            states[case_id] = state
            if state in snapshot:
                python_membership[case_id][state] = Decimal(1)
        for row in memberships(case):
            if row.measure in measures and _in_cell(cell, row.officer_id, row.agency_code, row.activity_date):
                python_membership[case_id][row.measure] = python_membership[case_id].get(row.measure, 0) + row.value
    # a case open in another state than the cell's counts elsewhere: listed only if the marts count it here
    involved = sorted(set(published_cases) | set(python_membership) | {c for c, s in states.items() if s in snapshot})
    published_rows = _published_facts(conn, involved)
    their_states = published_states(conn, involved, cell.keys["agency_code"], month_start.date()) if at else {}
    report: list[dict[str, Any]] = []
    for case_id in involved:
        differences = []
        mine, theirs = python_membership.get(case_id, {}), published_membership.get(case_id, {})
        for measure in sorted((set(mine) | set(theirs)) - snapshot):
            if not _same(mine.get(measure), theirs.get(measure)):
                differences.append(f"counts in {measure}: published {_fmt(theirs.get(measure))},"
                                   f" recomputed {_fmt(mine.get(measure))}")
        if at is not None and states.get(case_id) != their_states.get(case_id):
            differences.append(f"state at {local_text(at)}: published {their_states.get(case_id) or 'not open'},"
                               f" recomputed {states.get(case_id) or 'not open'}")
        case = facts.get(case_id)
        row = published_rows.get(case_id)
        if case is None:
            differences.append("no valid receipt in raw: the case cannot count")
        elif row is None:
            differences.append("not in marts.fct_cases")
        else:
            recomputed = case.as_row()
            for name in COMPARED_FIELDS:
                if not _same(recomputed[name], row[name]):
                    differences.append(f"{name}: published {_fmt(row[name])}, recomputed {_fmt(recomputed[name])}")
        report.append({"case_id": case_id, "agrees": not differences, "differences": "; ".join(differences)})
    notes: list[str] = []
    recomputed_value = _figure(cell, data, python_membership, config, notes)
    published = data.published.value
    figure_agrees = (recomputed_value is None and published is None) or (
        recomputed_value is not None and published is not None and _same(Decimal(recomputed_value), Decimal(published)))
    notes.append(f"build as-of {local_text(as_of.instant)} ({as_of.source})")
    if snapshot and at is None:
        notes.append(f"{', '.join(sorted(snapshot))}: no state of open cases in this period (the build's as-of"
                     " precedes it, or the cell is an officer's)")
    elif at is not None:
        notes.append(f"{', '.join(sorted(snapshot))}: states of open cases recomputed at {local_text(at)}"
                     f" ({'the build as-of, inside the month' if at < period_end else 'the month end'})")
    return Verification(figure_agrees, recomputed_value, published, report, notes)


def _published_facts(conn: psycopg.Connection, case_ids: list[str]) -> dict[str, dict[str, Any]]:
    if not case_ids:
        return {}
    cur = conn.execute(f"select case_id, {', '.join(COMPARED_FIELDS)} from marts.fct_cases where case_id = any(%s)",
                       (case_ids,))
    names = [d.name for d in cur.description]
    return {r[0]: dict(zip(names, r)) for r in cur.fetchall()}


def _figure(cell: Cell, data: TraceData, mine: dict[str, dict[str, Decimal]], config: ClockConfig,
            notes: list[str]) -> Decimal | None:
    rows = [(m, v) for per_case in mine.values() for m, v in per_case.items()]
    working_days = _working_days(cell, config) if any(
        p and p.working_days for p in (cell.numerator, cell.denominator)) else 0
    published_wd = data.published.row.get("working_days")
    if working_days and published_wd is not None and published_wd != working_days:
        # a month the history starts in counts only the days it covers (the marts' working_days)
        notes.append(f"working_days: the calendar has {working_days} in the period, the published row {published_wd}"
                     " (the history starts within the period); the published count is used")
        working_days = published_wd
    numerator = _python_part(cell.numerator, rows, working_days)
    if cell.kind == "column":
        return numerator
    denominator = _python_part(cell.denominator, rows, working_days)
    if denominator == 0:
        return None
    value = numerator / denominator
    return value.quantize(Decimal(10) ** -cell.scale, ROUND_HALF_UP) if cell.scale is not None else value
