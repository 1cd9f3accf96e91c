"""An officer's Decree 335 result recomputed in Python, independently of the dbt models
(docs/domain/evaluation-method.md); publish/verify_eval.py compares it with the published rows.

Inputs: the verbatim payloads of raw.staff_events (positions, assessment versions, exemption
grants and revocations; the Kafka position only breaks ties between events of one instant, as
the contract says), the cases' KPI measures from publish/recompute.py's clock over
raw.case_events, and the configuration in kpi_models/ (task weights, targets, criteria,
assessor weights, settings), each by the version valid on the period's last day.

Taken from the published side (the callers say so): the quota (band after it) depends on the
other officers of the agency's group; a leader's unit factor on the unit's other officers'
totals; in the month a history starts in, the working days it covers.
"""
from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import psycopg

from motcua.kpi_registry import load as load_registry
from publish.recompute import ClockConfig, _as_smallint, _parse_instant, memberships, recompute_case
from publish.trace import Cell, Part
from publish.trace_verify import candidate_cases, load_events
from workcal import VN_TZ

KPI_MODELS = Path(__file__).resolve().parent.parent / "kpi_models"
# an active exemption per scope: the membership measure whose rows it moves, and the numerator it changes by +1 / -1
EXEMPTED = {"lateness": ("timeliness_late", "completed_on_time", 1), "return": ("returned_first_pass", "returned_first_pass", -1)}
_Q4, _Q2 = Decimal("0.0001"), Decimal("0.01")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH, _QUARTER, _YEAR = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])"), re.compile(r"[0-9]{4}-Q[1-4]"), re.compile(r"[0-9]{4}")


# ---------------------------------------------------------------- configuration (kpi_models/)

def _rows(name: str) -> list[dict[str, str]]:
    with (KPI_MODELS / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _valid_on(rows: list[dict[str, str]], day: date) -> list[dict[str, str]]:
    """The rows of the latest valid_from on or before `day` (a period uses the version valid on its last day)."""
    dates = [r["valid_from"] for r in rows if date.fromisoformat(r["valid_from"]) <= day]
    return [r for r in rows if dates and r["valid_from"] == max(dates)]


@dataclass(frozen=True)
class EvalConfig:
    settings: list[dict[str, str]]
    task_weights: list[dict[str, str]]
    criteria: list[dict[str, str]]
    assessor_weights: list[dict[str, str]]
    targets: list[dict[str, str]]
    kpis: dict[str, dict[str, Any]]          # targeted officer-month KPIs of the registry

    @classmethod
    def from_project(cls) -> "EvalConfig":
        registry = load_registry()
        kpis = {k["code"]: k for k in registry["kpis"] if k["targeted"] and "officer_month" in k["grains"]}
        by_column = {m["column"]: (m["measure"], m["aggregate"]) for m in registry["measures"] if m.get("measure")}
        for kpi in kpis.values():
            kpi["_num"], kpi["_den"] = by_column.get(kpi["numerator_sql"].strip()), by_column.get(kpi["denominator_sql"].strip())
        return cls(_rows("eval_settings.csv"), _rows("eval_task_weights.csv"), _rows("eval_criteria.csv"),
                   _rows("eval_assessor_weights.csv"), _rows("kpi_targets.csv"), kpis)

    def setting(self, key: str, day: date) -> Decimal:
        return Decimal(_valid_on([r for r in self.settings if r["key"] == key], day)[0]["value"])

    def weights(self, group: str, day: date) -> dict[str, Decimal]:
        return {r["kpi_code"]: Decimal(r["weight"])
                for r in _valid_on([r for r in self.task_weights if r["position_group"] == group], day)}

    def target(self, kpi: str, month: date) -> tuple[Decimal | None, str | None]:
        for r in self.targets:
            if (r["kpi_code"] == kpi and date.fromisoformat(r["valid_from"]) <= month
                    and (not r["valid_to"] or month < date.fromisoformat(r["valid_to"]))):
                return (Decimal(r["target"]) if r["target"] else None), r["comparator"]
        return None, None

    def catalogue(self, day: date) -> dict[str, Decimal]:
        return {r["criterion_code"]: Decimal(r["max_points"]) for r in _valid_on(self.criteria, day)}

    def assessor_weight(self, role: str, day: date) -> Decimal | None:
        rows = _valid_on([r for r in self.assessor_weights if r["assessor_role"] == role], day)
        return Decimal(rows[0]["weight"]) if rows else None


# ---------------------------------------------------------------- raw.staff_events

@dataclass(frozen=True)
class StaffEvent:
    event_id: str
    event_type: str
    occurred_at: datetime
    agency_code: str | None
    officer_id: str | None
    data: dict[str, Any]
    order: tuple[datetime, int, int]         # occurred_at, then the Kafka position (contract: corrections)


def staff_events(conn: psycopg.Connection, where: str, params: tuple) -> list[StaffEvent]:
    """The events `where` selects (through the raw table's indexed copies of the payload's officer and
    case), read from their verbatim payloads."""
    out = []
    for payload, partition, offset in conn.execute(
            f"select payload::text, kafka_partition, kafka_offset from raw.staff_events where {where}", params):
        body = json.loads(payload, parse_float=Decimal)
        if _as_smallint(body.get("schema_version")) != 1:
            continue
        occurred = _parse_instant(body.get("occurred_at"))
        if occurred is None:
            continue
        out.append(StaffEvent(str(body.get("event_id")), body.get("event_type"), occurred, body.get("agency_code"),
                              body.get("officer_id"), body.get("data") or {}, (occurred, partition, offset)))
    return out


@dataclass(frozen=True)
class Position:
    officer_id: str
    agency_code: str
    unit_code: str | None
    position_group: str


def _safe_date(text: Any) -> date | None:
    """A 'YYYY-MM-DD' text as a date, None when it is not a valid calendar date (macro safe_date)."""
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def position_in(events: list[StaffEvent], first: date, last: date) -> Position | None:
    """The position held on the period's last day, else the last one held in it: on one date the
    event recorded last stands; a position lasts until the officer's next dated event."""
    per_date: dict[date, StaffEvent] = {}
    for e in sorted(events, key=lambda e: e.order):
        valid_from = _safe_date(e.data.get("valid_from"))
        if valid_from is not None and e.event_type in ("officer.positioned", "officer.left"):
            per_date[valid_from] = e
    dates = sorted(per_date)
    held = None
    for i, valid_from in enumerate(dates):
        valid_to = dates[i + 1] if i + 1 < len(dates) else None
        e = per_date[valid_from]
        if e.event_type == "officer.positioned" and valid_from <= last and (valid_to is None or valid_to > first):
            held = Position(e.officer_id, e.agency_code, e.data.get("unit_code"), e.data.get("position_group"))
    return held


def active_exemptions(conn: psycopg.Connection, case_ids: list[str]) -> dict[tuple[str, str], bool]:
    """(case, scope) -> active: the latest grant or revocation stands."""
    events = staff_events(conn, "case_id = any(%s) and event_type in ('case.exemption_granted', 'case.exemption_revoked')",
                          (case_ids,))
    latest: dict[tuple[str, str], StaffEvent] = {}
    for e in sorted(events, key=lambda e: e.order):
        latest[(e.data.get("case_id"), e.data.get("scope"))] = e
    return {key: e.event_type == "case.exemption_granted" for key, e in latest.items()}


# ---------------------------------------------------------------- the 70-point task part

@dataclass
class Measures:
    """One officer's (or unit's) membership sums and row counts at an agency in a month, and its exempted counts."""
    sums: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    exempted: dict[str, int] = field(default_factory=lambda: defaultdict(int))     # per scope

    def add(self, other: "Measures") -> None:
        for k, v in other.sums.items():
            self.sums[k] += v
        for k, n in other.counts.items():
            self.counts[k] += n
        for k, n in other.exempted.items():
            self.exempted[k] += n


def officer_measures(conn: psycopg.Connection, officer: str, agency: str, month: date, config: ClockConfig,
                     as_of: datetime, extra_cases: set[str] = frozenset()) -> Measures:
    """The officer's KPI measures at the agency in the month, from the cases recomputed by publish/recompute.py."""
    # the candidates of a figure made of ratings too: rated cases are looked for before the month
    cell = Cell("kpi_officer_monthly", {"officer_id": officer, "agency_code": agency, "month": month.isoformat()},
                "eval", "column", Part((), (("rating", "sum"), ("received", "count"))))
    candidates = sorted(candidate_cases(conn, cell) | set(extra_cases))
    first, last = cell.period
    rows = []
    for case_id, events in load_events(conn, candidates).items():
        facts = recompute_case(case_id, events, config, as_of)
        if facts is not None:
            rows += [r for r in memberships(facts) if r.officer_id == officer and r.agency_code == agency
                     and first <= r.activity_date <= last]
    exempt = active_exemptions(conn, sorted({r.case_id for r in rows})) if rows else {}
    out = Measures()
    for r in rows:
        out.sums[r.measure] += r.value
        out.counts[r.measure] += 1
        for scope, (measure, _, _) in EXEMPTED.items():
            out.exempted[scope] += r.measure == measure and exempt.get((r.case_id, scope), False)
    return out


def _side(kpi: dict[str, Any], side: str, m: Measures, working_days: int, evaluation: bool) -> Decimal:
    if kpi[side] is None:
        return Decimal(working_days)
    measure, aggregate = kpi[side]
    value = Decimal(m.counts.get(measure, 0)) if aggregate == "count" else m.sums.get(measure, Decimal(0))
    for scope, (_, numerator, sign) in EXEMPTED.items():
        if evaluation and measure == numerator:
            value += sign * m.exempted.get(scope, 0)
    return value


def _rate(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return None if denominator == 0 else numerator / denominator


def _round(value: Decimal | None, quantum: Decimal) -> Decimal | None:
    return None if value is None else value.quantize(quantum, ROUND_HALF_UP)


def _attainment(value: Decimal, target: Decimal, comparator: str, direction: str) -> Decimal | None:
    met = {">=": value >= target, ">": value > target, "<=": value <= target, "<": value < target}[comparator]
    if met:
        return Decimal(1)
    if direction == "higher_is_better":
        return None if target == 0 else min(value / target, Decimal(1))
    return Decimal(1) if value == 0 else min(target / value, Decimal(1))


def task_kpis(m: Measures, group: str, month: date, month_end: date, working_days: int,
              cfg: EvalConfig) -> dict[str, dict[str, Any]]:
    """Per weighted KPI: factual and evaluation values, counts, scored or not, points (method v1 items 2-3)."""
    out: dict[str, dict[str, Any]] = {}
    min_cases = cfg.setting("min_cases", month_end)
    for code, weight in cfg.weights(group, month_end).items():
        kpi = cfg.kpis.get(code)
        if kpi is None:       # weighted but not a targeted officer-month KPI: the marts ignore it too
            continue
        num_f = _side(kpi, "_num", m, working_days, False)
        num_e = _side(kpi, "_num", m, working_days, True)
        den = _side(kpi, "_den", m, working_days, False)
        counted = num_f if kpi["type"] == "per_working_day" else den
        target, comparator = cfg.target(code, month)
        reason = ("no_cases" if counted == 0 else "below_min_cases" if counted < min_cases
                  else "no_target" if target is None else None)
        value_e = _rate(num_e, den)
        out[code] = {"weight": weight, "value_factual": _round(_rate(num_f, den), _Q4), "value_evaluation": _round(value_e, _Q4),
                     "numerator_factual": num_f, "numerator": num_e, "denominator": den,
                     "exempted_cases": int(abs(num_e - num_f)), "cases_counted": counted, "is_scored": reason is None,
                     "attainment": None if reason else _attainment(value_e, target, comparator, kpi["direction"])}
    scored = sum((k["weight"] for k in out.values() if k["is_scored"]), Decimal(0))
    task_max = cfg.setting("task_max", month_end)
    for k in out.values():
        scaled = k["weight"] * task_max / scored if k["is_scored"] else None
        k["points"] = _round(scaled * k["attainment"], _Q4) if scaled is not None and k["attainment"] is not None else None
    return out


# ---------------------------------------------------------------- the 30-point general part

def period_bounds(period: str) -> tuple[str, date, date] | None:
    """(type, first day, last day) of an assessment period as staging reads it, None when unreadable."""
    if _MONTH.fullmatch(period):
        start = date(int(period[:4]), int(period[5:]), 1)
        return "month", start, _month_end(start)
    if _QUARTER.fullmatch(period):
        start = date(int(period[:4]), (int(period[6]) - 1) * 3 + 1, 1)
        return "quarter", start, _month_end(date(start.year, start.month + 2, 1))
    if _YEAR.fullmatch(period):
        return "year", date(int(period), 1, 1), date(int(period), 12, 31)
    return None


def _month_end(start: date) -> date:
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def usable_points(e: StaffEvent, cfg: EvalConfig) -> dict[str, Decimal] | None:
    """The version's criterion points, or None when unusable: exactly the criteria of the catalogue
    valid on the period's last day, each a number within its maximum (never clipped)."""
    bounds = period_bounds(str(e.data.get("period")))
    criteria = e.data.get("criteria")
    if bounds is None or not isinstance(criteria, list):
        return None
    catalogue = cfg.catalogue(bounds[2])
    codes = [c.get("code") if isinstance(c, dict) else None for c in criteria]
    points = {c["code"]: c.get("points") for c in criteria if isinstance(c, dict) and c.get("code") in catalogue}
    if not catalogue or len(set(codes)) != len(codes) or any(code not in catalogue for code in codes):
        return None
    if any(isinstance(points.get(code), bool) or not isinstance(points.get(code), (int, Decimal)) for code in catalogue):
        return None
    if any(Decimal(points[code]) > maximum for code, maximum in catalogue.items()):
        return None
    return {code: Decimal(points[code]) for code in catalogue}


def latest_versions(events: list[StaffEvent]) -> list[StaffEvent]:
    """The latest version per (period, assessor role, assessor): a correction replaces what it corrects."""
    latest: dict[tuple, StaffEvent] = {}
    for e in sorted(events, key=lambda e: e.order):
        latest[(e.data.get("period"), e.data.get("assessor_role"), e.data.get("assessor_id"))] = e
    return list(latest.values())


def criteria_points(assessments: list[StaffEvent], period: str, cfg: EvalConfig) -> dict[tuple[str, str], Decimal]:
    """(role, criterion) -> points: a month takes the manager's applied version (monthly, else the
    quarter's, else the year's; the latest recorded), a quarter or year the manager's version of
    that very period; peers' and self means of that very period."""
    own_kind, own_start, _ = period_bounds(period)
    usable = [(e, p) for e in latest_versions(assessments) if (p := usable_points(e, cfg)) is not None]
    out: dict[tuple[str, str], Decimal] = {}
    managers = []
    for e, points in usable:
        kind, start, end = period_bounds(e.data["period"])
        if e.data.get("assessor_role") != "manager":
            continue
        if own_kind == "month" and start <= own_start <= end:
            managers.append(((0 if kind == "month" else 1 if kind == "quarter" else 2), e, points))
        elif own_kind != "month" and e.data["period"] == period:
            managers.append((0, e, points))
    if managers:
        first = min(c[0] for c in managers)
        applied = max((c for c in managers if c[0] == first), key=lambda c: c[1].order)
        out.update({("manager", code): p for code, p in applied[2].items()})
    others: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for e, points in usable:
        if e.data.get("assessor_role") in ("peer", "self") and e.data.get("period") == period:
            for code, p in points.items():
                others[(e.data["assessor_role"], code)].append(p)
    out.update({key: _round(sum(v) / len(v), _Q2) for key, v in others.items()})
    return out


def general_points(points: dict[tuple[str, str], Decimal], month_end: date, cfg: EvalConfig) -> Decimal | None:
    """Weighted over the roles present (weights > 0); none without the manager's assessment."""
    roles: dict[str, Decimal] = defaultdict(Decimal)
    for (role, _), p in points.items():
        roles[role] += p
    if "manager" not in roles:
        return None
    weighted = [(roles[r], w) for r in roles if (w := cfg.assessor_weight(r, month_end)) is not None and w > 0]
    total_weight = sum((w for _, w in weighted), Decimal(0))
    return _round(sum((p * w for p, w in weighted), Decimal(0)) / total_weight, _Q2) if total_weight else None


# ---------------------------------------------------------------- bands and the quota

def band(total: Decimal | None, day: date, cfg: EvalConfig) -> str:
    if total is None:
        return "pending"
    for name in ("excellent", "good", "pass"):
        if total >= cfg.setting(f"band_{name}_min", day):
            return name
    return "fail"


def quota(total: Decimal | None, others: list[Decimal | None], day: date, cfg: EvalConfig) -> tuple[str, bool]:
    """(band after the quota, demoted) of one officer among the group's other officers' totals."""
    before = band(total, day, cfg)
    bands = [band(t, day, cfg) for t in others] + [before]
    ratio = cfg.setting("quota_ratio", day)
    k = int((ratio * sum(b in ("excellent", "good") for b in bands) / (1 + ratio)).to_integral_value(ROUND_FLOOR))
    at_or_above = sum(1 for t in [*others, total] if t is not None and band(t, day, cfg) == "excellent" and t >= total) \
        if before == "excellent" else 0
    demoted = before == "excellent" and at_or_above > k
    return ("good" if demoted else before), demoted


def published_rows(conn: psycopg.Connection, table: str, where: str, params: tuple) -> list[dict[str, Any]]:
    cur = conn.execute(f"select * from marts.{table} where {where}", params)
    names = [d.name for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


@dataclass
class MonthResult:
    """One officer-month recomputed (method v1 items 1-5)."""
    position: Position | None
    kpis: dict[str, dict[str, Any]]
    points: dict[tuple[str, str], Decimal]
    task: Decimal | None
    general: Decimal | None
    factor: Decimal
    total: Decimal | None


def month_result(conn: psycopg.Connection, officer: str, month: date, config: ClockConfig, cfg: EvalConfig,
                 as_of: datetime, notes: list[str], extra_cases: set[str] = frozenset()) -> MonthResult:
    month_end, period = _month_end(month), f"{month:%Y-%m}"
    position = position_in(_position_events(conn, officer), month, month_end)
    task, kpis = None, {}
    if position is not None:
        measures = unit_measures(conn, position, month, month_end, config, as_of) \
            if position.position_group == "leadership" else \
            officer_measures(conn, officer, position.agency_code, month, config, as_of, extra_cases)
        pub_kpis = {r["kpi_code"]: r for r in published_rows(conn, "eval_officer_kpi_period", PERIOD_KEY, (officer, "month", period))}
        working_days = _working_days(position.agency_code, month, month_end, config, pub_kpis, cfg, notes)
        kpis = task_kpis(measures, position.position_group, month, month_end, working_days, cfg)
        scored = [k["points"] for k in kpis.values() if k["is_scored"] and k["points"] is not None]
        task = _round(sum(scored, Decimal(0)), _Q2) if scored else None
    points = criteria_points(assessments_of(conn, officer), period, cfg)
    general = general_points(points, month_end, cfg)
    factor = _unit_factor(conn, position, period, month_end, cfg, notes)
    total = _round(general + task * factor, _Q2) if general is not None and task is not None else None
    return MonthResult(position, kpis, points, task, general, factor, total)


PERIOD_KEY = "officer_id = %s and period_type = %s and period = %s"


def _position_events(conn: psycopg.Connection, officer: str) -> list[StaffEvent]:
    return staff_events(conn, "officer_id = %s and event_type in ('officer.positioned', 'officer.left')", (officer,))


def assessments_of(conn: psycopg.Connection, officer: str) -> list[StaffEvent]:
    return staff_events(conn, "officer_id = %s and event_type = 'officer.assessed'", (officer,))


@dataclass
class LongerResult:
    """A quarter or year: its months recomputed and the means of those not pending."""
    months: list[tuple[date, MonthResult]]
    position: Position | None
    task: Decimal | None
    general: Decimal | None
    total: Decimal | None
    scored_months: int


def longer_period(conn: psycopg.Connection, officer: str, period_type: str, start: date, end: date, config: ClockConfig,
                  cfg: EvalConfig, as_of: datetime, notes: list[str]) -> LongerResult:
    """The means of the monthly results that are not pending (task part times each month's unit
    factor), when enough months are scored; the position held at the end of the period."""
    first_month = min(date.fromisoformat(r["valid_from"]) for r in cfg.settings)
    last_month = min(end, as_of.astimezone(VN_TZ).date()).replace(day=1)
    months, month = [], max(start, first_month)
    while month <= last_month:
        months.append((month, month_result(conn, officer, month, config, cfg, as_of, notes)))
        month = _month_end(month) + timedelta(days=1)
    scored = [r for _, r in months if r.total is not None]
    position = position_in(_position_events(conn, officer), start, end)
    if not scored or len(scored) < cfg.setting(f"{period_type}_min_scored_months", end) or position is None:
        return LongerResult(months, position, None, None, None, len(scored))
    mean = lambda values: _round(sum(values, Decimal(0)) / len(values), _Q2)  # noqa: E731
    return LongerResult(months, position, mean([r.task * r.factor for r in scored]), mean([r.general for r in scored]),
                        mean([r.total for r in scored]), len(scored))


def unit_measures(conn: psycopg.Connection, leader: Position, month: date, month_end: date, config: ClockConfig,
                  as_of: datetime) -> Measures:
    """A leader's KPIs are the unit's: every officer positioned in the same agency and unit that month."""
    events = staff_events(conn, "event_type in ('officer.positioned', 'officer.left') and officer_id in"
                                " (select officer_id from raw.staff_events where agency_code = %s"
                                " and event_type = 'officer.positioned')", (leader.agency_code,))
    by_officer: dict[str, list[StaffEvent]] = defaultdict(list)
    for e in events:
        by_officer[e.officer_id].append(e)
    total = Measures()
    for officer, own in sorted(by_officer.items()):
        p = position_in(own, month, month_end)
        if p and p.agency_code == leader.agency_code and p.unit_code == leader.unit_code:
            total.add(officer_measures(conn, officer, p.agency_code, month, config, as_of))
    return total


def _working_days(agency: str, month: date, month_end: date, config: ClockConfig, pub_kpis: dict[str, dict[str, Any]],
                  cfg: EvalConfig, notes: list[str]) -> int:
    days = config.calendar(agency).working_days_between(month, month_end)
    per_day = [r["denominator"] for code, r in pub_kpis.items() if code in cfg.kpis and cfg.kpis[code]["_den"] is None]
    if per_day and per_day[0] is not None and per_day[0] != days:
        # a month the history starts in counts only the days it covers (as the KPI verify does)
        notes.append(f"working_days: the calendar has {days} in the month, the published row {per_day[0]}"
                     " (the history starts within the month); the published count is used")
        return int(per_day[0])
    return days


def _unit_factor(conn: psycopg.Connection, position: Position | None, period: str, month_end: date, cfg: EvalConfig,
                 notes: list[str]) -> Decimal:
    if position is None or position.position_group != "leadership":
        return Decimal(1)
    failing = conn.execute(
        """select count(*) from marts.eval_officer_period
            where period_type = 'month' and period = %s and agency_code = %s and unit_code = %s
              and position_group not in ('leadership', 'unknown') and total_points < %s""",
        (period, position.agency_code, position.unit_code, cfg.setting("band_pass_min", month_end))).fetchone()[0]
    notes.append(f"unit factor: from the published totals of unit {position.unit_code}'s other officers"
                 f" ({failing} below the pass threshold)")
    return cfg.setting("leader_unit_factor_low", month_end) if failing else Decimal(1)
