"""`motcua audit trace <evaluation cell> --verify`: the officer's result recomputed by
publish/recompute_eval.py, compared with the published rows component by component.

Whichever evaluation cell is traced, the whole officer-period is compared: each KPI's values,
counts and points (a month), the criteria, the task and general parts, the total and the band
before the quota (recomputed); the band after the quota (this officer's recomputed total among
the published totals of the group); a quarter's or year's months (task, general, total) and its
number of scored months.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import psycopg

from publish.recompute import ClockConfig
from publish.recompute_eval import (PERIOD_KEY, EvalConfig, assessments_of, band, criteria_points, longer_period,
                                    month_result, period_bounds, published_rows, quota)
from publish.trace import Cell, TraceData

BAND_LEVELS = {"excellent": 4, "good": 3, "pass": 2, "fail": 1}
KPI_FIELDS = ("value_factual", "value_evaluation", "numerator_factual", "numerator", "denominator",
              "exempted_cases", "cases_counted", "is_scored", "points")
PERIOD_FIELDS = ("task_points", "general_points", "total_points", "band_before_quota")
QUOTA_FIELDS = ("band", "band_level", "quota_demoted")
RECOMPUTED, FROM_GROUP = "recomputed", "quota over the group's published totals"


@dataclass
class EvalVerification:
    components: list[dict[str, Any]]
    traced: str                                    # the component of the traced cell
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c["agrees"] for c in self.components)

    @property
    def summary(self) -> tuple[str, ...]:
        """The components printed even when they agree: the result's parts and the traced one."""
        return (*PERIOD_FIELDS, *QUOTA_FIELDS, self.traced)

    def _traced(self) -> dict[str, Any]:
        return next((c for c in self.components if c["component"] == self.traced), {})

    @property
    def recomputed_value(self) -> Any:
        return self._traced().get("recomputed")

    @property
    def published_value(self) -> Any:
        return self._traced().get("published")

    def add(self, name: str, published: Any, recomputed: Any, source: str = RECOMPUTED) -> None:
        self.components.append({"component": name, "published": published, "recomputed": recomputed,
                                "agrees": _same(published, recomputed), "source": source})

    def as_json(self) -> dict[str, Any]:
        return {"agrees": self.ok, "figure_agrees": self._traced().get("agrees"), "traced_component": self.traced,
                "recomputed_value": self.recomputed_value, "published_value": self.published_value,
                "components": self.components, "notes": self.notes,
                "disagreeing_components": sum(1 for c in self.components if not c["agrees"])}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (Decimal, int)) and isinstance(b, (Decimal, int)) and not isinstance(a, bool):
        return Decimal(a) == Decimal(b)
    return a == b


def traced_component(cell: Cell) -> str:
    if cell.table == "eval_officer_kpi_period":
        return f"{cell.keys['kpi_code']}.{cell.measure}"
    if cell.table == "eval_officer_criteria_period":
        return f"criteria.{cell.keys['assessor_role']}.{cell.keys['criterion_code']}"
    return cell.measure


def verify_eval(conn: psycopg.Connection, data: TraceData, config: ClockConfig, cfg: EvalConfig | None = None,
                as_of: datetime | None = None) -> EvalVerification:
    cell, cfg = data.cell, cfg or EvalConfig.from_project()
    as_of = as_of or datetime.now(timezone.utc)
    officer, period_type, period = cell.keys["officer_id"], cell.keys["period_type"], cell.keys["period"]
    bounds = period_bounds(period)
    if bounds is None or bounds[0] != period_type:
        raise ValueError(f"period {period!r} is not a {period_type}")
    _, start, end = bounds
    result = EvalVerification([], traced_component(cell))
    if data.published.source.startswith("publication"):
        result.notes.append(f"components other than the traced one are compared with what BI sees now, not {data.published.source}")
    key = (officer, period_type, period)
    pub_period = next(iter(published_rows(conn, "eval_officer_period", PERIOD_KEY, key)), {})
    if period_type == "month":
        month = month_result(conn, officer, start, config, cfg, as_of, result.notes, {c["case_id"] for c in data.cases})
        pub_kpis = {r["kpi_code"]: r for r in published_rows(conn, "eval_officer_kpi_period", PERIOD_KEY, key)}
        for code in sorted(set(month.kpis) | set(pub_kpis)):
            for name in KPI_FIELDS:
                result.add(f"{code}.{name}", pub_kpis.get(code, {}).get(name), month.kpis.get(code, {}).get(name))
        position, task, general, total, points = month.position, month.task, month.general, month.total, month.points
    else:
        longer = longer_period(conn, officer, period_type, start, end, config, cfg, as_of, result.notes)
        _compare_months(conn, officer, longer.months, result)
        result.add("scored_months", pub_period.get("scored_months"), longer.scored_months)
        position, task, general, total = longer.position, longer.task, longer.general, longer.total
        points = criteria_points(assessments_of(conn, officer), period, cfg)
    pub_criteria = {(r["assessor_role"], r["criterion_code"]): r["points"]
                    for r in published_rows(conn, "eval_officer_criteria_period", PERIOD_KEY, key)}
    for k in sorted(set(points) | set(pub_criteria)):
        result.add(f"criteria.{k[0]}.{k[1]}", pub_criteria.get(k), points.get(k))
    for name, mine in zip(PERIOD_FIELDS, (task, general, total, band(total, end, cfg))):
        result.add(name, pub_period.get(name), mine)
    group = position.position_group if position else "unknown"
    others = [r["total_points"] for r in published_rows(
        conn, "eval_officer_period", "agency_code = %s and position_group = %s and period_type = %s"
        " and period = %s and officer_id <> %s",
        (position.agency_code if position else pub_period.get("agency_code"), group, period_type, period, officer))]
    after, demoted = quota(total, others, end, cfg)
    for name, mine in zip(QUOTA_FIELDS, (after, BAND_LEVELS.get(after), demoted)):
        result.add(name, pub_period.get(name), mine, FROM_GROUP)
    result.notes.append(f"quota: band after the quota applied to this officer's recomputed total among the published"
                        f" totals of the {len(others)} other {group} officers of the agency (not recomputed)")
    if not data.published.source.startswith("marts"):
        # the traced cell as the publication recorded it
        traced = next((c for c in result.components if c["component"] == result.traced), None)
        if traced is not None:
            traced.update(published=data.published.value, agrees=_same(data.published.value, traced["recomputed"]))
    result.notes = list(dict.fromkeys(result.notes))
    return result


def _compare_months(conn: psycopg.Connection, officer: str, months: list, result: EvalVerification) -> None:
    """A quarter's or year's months: their task, general and total parts, as the means used them."""
    for month, r in months:
        pub = next(iter(published_rows(conn, "eval_officer_period", PERIOD_KEY, (officer, "month", f"{month:%Y-%m}"))), {})
        for name, mine in zip(PERIOD_FIELDS[:3], (r.task, r.general, r.total)):
            if pub or mine is not None:
                result.add(f"{month:%Y-%m}.{name}", pub.get(name), mine)
