"""One sheet row → an assessment, or every reason it cannot be one.

The checks are the staff-event contract's (officer.assessed: ids of at most 32 characters, the
period pattern, the three roles, points in [0, 100], a comment of at most 4,000 characters) and
the evaluation method's (every criterion of the catalogue in force for the period, none unknown,
none above its maximum: such an assessment would be "not used" downstream, so it is stopped here
where the manager can still correct it). A row is one (officer, period, assessor): the same
triple twice in one file is ambiguous, so every copy is rejected.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from ingestion.staff_import.catalogue import Catalogue
from ingestion.staff_import.columns import FIELD_BY_CODE, ROLE_LABELS, Layout, role_code
from ingestion.staff_import.sheet import Cell

# Officer, assessor and agency codes: what the case events carry (CB0042, SKHDT, UBND-BD): no
# spaces, no accents, so a name typed in the id column is caught (and never sent).
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
PERIOD_PATTERN = re.compile(r"^(?P<year>[0-9]{4})(?:-(?P<month>0[1-9]|1[0-2])|-Q(?P<quarter>[1-4]))?$")
DECIMAL_COMMA = re.compile(r"^-?[0-9]+,[0-9]+$")
COMMENT_MAX = 4000
ID_EXPECTED = "letters, digits, '.', '_' or '-', at most 32 characters, e.g. CB0042"
PERIOD_EXPECTED = "2026-03 for a month, 2026-Q1 for a quarter or 2026 for a year"


@dataclass(frozen=True)
class Assessment:
    row: int
    agency_code: str
    officer_id: str
    period: str
    assessor_id: str
    assessor_role: str
    criteria: tuple[tuple[str, Decimal], ...]   # in the catalogue's order
    comment: str | None

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.officer_id, self.period, self.assessor_id)


@dataclass(frozen=True)
class Rejected:
    row: int
    reasons: tuple[str, ...]
    identity: tuple[str, str, str] | None = None   # when readable: a duplicate of a valid row is found too

    def line(self) -> str:
        return f"row {self.row}: {'; '.join(self.reasons)}"


def text_of(cell: Cell) -> str:
    """A cell as text: Excel stores typed numbers as floats (42.0), ids must read '42'."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    return str(cell).strip()


def period_start(period: str) -> date:
    m = PERIOD_PATTERN.match(period)
    assert m is not None
    year = int(m["year"])
    if m["month"]:
        return date(year, int(m["month"]), 1)
    if m["quarter"]:
        return date(year, 3 * (int(m["quarter"]) - 1) + 1, 1)
    return date(year, 1, 1)


def parse_period(cell: Cell) -> str | None:
    """The contract's period text, or None. Excel turns a typed 2026-03 into 1 March 2026: read it back."""
    if isinstance(cell, datetime):
        if cell.day == 1 and (cell.hour, cell.minute, cell.second) == (0, 0, 0):
            return f"{cell.year:04d}-{cell.month:02d}"
        return None
    text = text_of(cell).upper()
    return text if PERIOD_PATTERN.match(text) else None


def parse_points(cell: Cell) -> Decimal | None:
    """A number of points, or None. Text accepts a decimal comma (8,5), as Vietnamese locales write."""
    if isinstance(cell, bool) or isinstance(cell, datetime):
        return None
    if isinstance(cell, (int, float)):
        if isinstance(cell, float) and not math.isfinite(cell):
            return None
        return Decimal(str(cell))
    text = text_of(cell)
    if DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _show(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")


class RowChecker:
    """Checks rows of one sheet; `recorded_on` is the local date the file was saved."""

    def __init__(self, layout: Layout, catalogue: Catalogue, agencies: frozenset[str], recorded_on: date):
        self.layout, self.catalogue, self.agencies, self.recorded_on = layout, catalogue, agencies, recorded_on

    def _cell(self, cells: list[Cell], code: str) -> Cell:
        index = self.layout.fields.get(code)
        return cells[index] if index is not None and index < len(cells) else None

    def _id(self, cells: list[Cell], code: str, what: str, reasons: list[str]) -> str:
        value = text_of(self._cell(cells, code))
        if not value:
            reasons.append(f"missing {what} ({FIELD_BY_CODE[code].label_vi})")
        elif not ID_PATTERN.match(value):
            reasons.append(f"{what} {value!r} has an unknown format (expected {ID_EXPECTED})")
        return value

    def check(self, number: int, cells: list[Cell]) -> Assessment | Rejected:
        reasons: list[str] = []
        for index in self.layout.unnamed:
            if index < len(cells) and text_of(cells[index]):
                reasons.append(f"a value in column {index + 1} which has no header")
        agency = self._id(cells, "agency_code", "agency code", reasons)
        if agency and ID_PATTERN.match(agency) and agency not in self.agencies:
            reasons.append(f"unknown agency code {agency!r} (not in kpi_models/agencies.csv)")
        officer = self._id(cells, "officer_id", "officer id", reasons)
        role = self._role(cells, reasons)
        assessor_cell = text_of(self._cell(cells, "assessor_id"))
        if role == "self" and not assessor_cell:
            assessor = officer   # a self assessment's assessor is the officer: the cell may stay empty
        else:
            assessor = self._id(cells, "assessor_id", "assessor id", reasons)
        if role == "self" and assessor and officer and assessor != officer:
            reasons.append(f"a self assessment's assessor must be the officer ({officer}), not {assessor}")
        elif role in ("manager", "peer") and assessor and assessor == officer:
            reasons.append(f"the assessor is the officer: use the role self ({ROLE_LABELS['self']})")
        period = self._period(cells, reasons)
        criteria = self._criteria(cells, period, reasons)
        comment = text_of(self._cell(cells, "comment")) or None
        if comment is not None and len(comment) > COMMENT_MAX:
            reasons.append(f"comment of {len(comment)} characters, more than {COMMENT_MAX}")
        if reasons:
            identity = (officer, period, assessor) if officer and period and assessor else None
            return Rejected(number, tuple(reasons), identity)
        assert period is not None and role is not None and criteria is not None
        return Assessment(number, agency, officer, period, assessor, role, criteria, comment)

    def _role(self, cells: list[Cell], reasons: list[str]) -> str | None:
        raw = text_of(self._cell(cells, "assessor_role"))
        if not raw:
            reasons.append(f"missing assessor role ({FIELD_BY_CODE['assessor_role'].label_vi})")
            return None
        code = role_code(raw)
        if code is None:
            expected = ", ".join(f"{label} / {code}" for code, label in ROLE_LABELS.items())
            reasons.append(f"bad assessor role {raw!r} (expected {expected})")
        return code

    def _period(self, cells: list[Cell], reasons: list[str]) -> str | None:
        cell = self._cell(cells, "period")
        if not text_of(cell):
            reasons.append(f"missing period ({FIELD_BY_CODE['period'].label_vi})")
            return None
        period = parse_period(cell)
        if period is None:
            reasons.append(f"bad period {text_of(cell)!r} (expected {PERIOD_EXPECTED})")
            return None
        if period_start(period) > self.recorded_on:
            reasons.append(f"bad period {period}: it starts after the file was saved ({self.recorded_on})")
            return None
        return period

    def _criteria(self, cells: list[Cell], period: str | None,
                  reasons: list[str]) -> tuple[tuple[str, Decimal], ...] | None:
        filled: dict[str, Cell] = {}
        for code, index in self.layout.criteria.items():
            if index < len(cells) and text_of(cells[index]):
                filled[code] = cells[index]
        if period is None:   # which criteria apply is unknown: check only that the points are numbers
            for code, cell in filled.items():
                if parse_points(cell) is None:
                    reasons.append(f"points {text_of(cell)!r} of criterion {code} are not a number")
            return None
        version = self.catalogue.in_force(period_start(period))
        if version is None:
            reasons.append(f"no criteria catalogue in force for period {period} "
                           f"(the first is valid from {self.catalogue.first_valid_from})")
            return None
        for code in filled:
            if version.get(code) is None:
                reasons.append(f"unknown criterion {code} (catalogue version {version.version})")
        points: list[tuple[str, Decimal]] = []
        for criterion in version.criteria:
            if criterion.code not in filled:
                reasons.append(f"missing criterion {criterion.code}")
                continue
            value = parse_points(filled[criterion.code])
            if value is None:
                reasons.append(f"points {text_of(filled[criterion.code])!r} of criterion {criterion.code} "
                               "are not a number")
            elif value < 0:
                reasons.append(f"points {_show(value)} below the minimum 0 of criterion {criterion.code}")
            elif value > criterion.max_points:
                reasons.append(f"points {_show(value)} above the maximum {_show(criterion.max_points)} "
                               f"of criterion {criterion.code}")
            else:
                points.append((criterion.code, value))
        return tuple(points)


def reject_duplicates(results: list[Assessment | Rejected]) -> list[Assessment | Rejected]:
    """Every row whose (officer, period, assessor) appears more than once is rejected, valid or not:
    which copy the manager meant is unknown, and an invalid copy may be the correction."""
    rows_of: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for r in results:
        if r.identity is not None:
            rows_of[r.identity].append(r.row)
    out: list[Assessment | Rejected] = []
    for r in results:
        others = [n for n in rows_of[r.identity] if n != r.row] if r.identity is not None else []
        if not others:
            out.append(r)
            continue
        where = f"row{'s' if len(others) > 1 else ''} {', '.join(map(str, others))}"
        reason = f"duplicate: same officer, period and assessor as {where}"
        previous = r.reasons if isinstance(r, Rejected) else ()
        out.append(Rejected(r.row, (*previous, reason), r.identity))
    return out
